"""A Hexo site's ``_config.yml``, read as Hexo 8 reads it, as feedbuilder settings.

Hexo loads it with js-yaml (YAML 1.2's core schema: ``yes`` is text, ``future: true`` a
bool) after turning leading tabs into spaces (lib/plugins/renderer/yaml.ts), deep-merges it
over its defaults (lib/hexo/default_config.ts) and checks ``url`` and ``root``
(lib/hexo/validate_config.ts). :func:`site_settings` does the same and says which
``_config.yml`` key each feedbuilder setting came from.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from yaml.constructor import SafeConstructor
from yaml.cyaml import CParser  # type: ignore[attr-defined]
from yaml.nodes import ScalarNode
from yaml.resolver import BaseResolver

from .permalink import _js_string
from .rules import UPDATED_OPTIONS, HexoRules
from .urls import full_url_for

CONFIG_NAME = "_config.yml"
POSTS_FOLDER = "_posts"
OUTPUT_FOLDER = "feedbuilder"  # under public_dir: beside Hexo's pages, never over one
DEFAULT_PERMALINK = ":year/:month/:day/:title/"
# hexo-generator-feed's defaults, for a site with a `feed:` section.
FEED_DEFAULTS = {"limit": 20, "content": True, "content_limit": 140, "order_by": "-date"}
ORDERS = ("-date", "-updated")


class HexoConfigError(ValueError):
    """A ``_config.yml`` value Hexo itself would refuse or that cannot be used."""

    def __init__(self, path: Path, key: str, reason: str) -> None:
        super().__init__(f"{path}: {key}: {reason}" if key else f"{path}: {reason}")
        self.key = key


class _CoreResolver(BaseResolver):
    """js-yaml's default schema: YAML 1.2 core scalars, timestamps and merge keys."""


for _tag, _pattern, _first in (
    ("null", r"~|null|Null|NULL|", [*"~nN", ""]),
    ("bool", r"true|True|TRUE|false|False|FALSE", list("tTfF")),
    ("int", r"[-+]?(?:0b[01]+|0x[0-9a-fA-F]+|0o[0-7]+|[0-9]+)", list("-+0123456789")),
    (
        "float",
        r"[-+]?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        list("-+0123456789."),
    ),
    (
        "timestamp",
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)"
        r"[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?",
        list("0123456789"),
    ),
    ("merge", r"<<", ["<"]),
):
    _CoreResolver.add_implicit_resolver(
        f"tag:yaml.org,2002:{_tag}", re.compile(f"^(?:{_pattern})$"), _first
    )


class _CoreConstructor(SafeConstructor):
    """Numbers as js-yaml makes them: ``012`` is twelve, ``0o12`` ten, ``1e3`` a float."""

    def construct_yaml_int(self, node: ScalarNode) -> int:
        text = str(self.construct_scalar(node))
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
            if digits.startswith(prefix):
                return sign * int(digits[2:], base)
        return sign * int(digits, 10)

    def construct_yaml_float(self, node: ScalarNode) -> float:
        text = str(self.construct_scalar(node)).lower()
        if text.lstrip("+-") == ".inf":
            return -math.inf if text.startswith("-") else math.inf
        return math.nan if text == ".nan" else float(text)


for _tag, _construct in (
    ("int", _CoreConstructor.construct_yaml_int),
    ("float", _CoreConstructor.construct_yaml_float),
):
    _CoreConstructor.add_constructor(f"tag:yaml.org,2002:{_tag}", _construct)  # type: ignore[type-var]


class HexoYAMLLoader(CParser, _CoreConstructor, _CoreResolver):
    """Safe loading with js-yaml's reading of scalars."""

    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        _CoreConstructor.__init__(self)
        _CoreResolver.__init__(self)


_LEADING_TABS = re.compile(r"\n(\t+)")


def load_yaml(text: str) -> Any:
    """YAML text as Hexo's yaml renderer reads it (leading tabs become two spaces each)."""
    text = _LEADING_TABS.sub(lambda m: "\n" + "  " * len(m.group(1)), text)
    loader = HexoYAMLLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def read_config(root: Path) -> dict[str, Any]:
    """The site's ``_config.yml`` as a mapping (empty when it holds none, as Hexo takes it)."""
    path = root / CONFIG_NAME
    try:
        data = load_yaml(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise HexoConfigError(path, "", f"cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = "" if mark is None else f" at line {mark.line + 1}"
        reason = getattr(exc, "problem", None) or exc
        raise HexoConfigError(path, "", f"invalid YAML{where}: {reason}") from None
    return {str(k): v for k, v in data.items()} if isinstance(data, dict) else {}


def find_site(directory: Path) -> Path | None:
    """``directory`` when it is a Hexo site's root (``_config.yml`` and ``source/_posts/``)."""
    if not (directory / CONFIG_NAME).is_file():
        return None
    if (directory / "source" / POSTS_FOLDER).is_dir():
        return directory
    source = read_config(directory).get("source_dir")
    if isinstance(source, str) and source and (directory / source / POSTS_FOLDER).is_dir():
        return directory
    return None


def machine_zone() -> str:
    """The IANA name of the zone this machine's Node would run Hexo in (TZ, /etc/localtime)."""
    candidates = []
    if "TZ" in os.environ:
        candidates.append(os.environ["TZ"].lstrip(":") or "UTC")
    candidates.append(os.path.realpath("/etc/localtime"))
    for candidate in candidates:
        name = candidate.split("zoneinfo/", 1)[-1]
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return name
    return "UTC"


@dataclass
class SiteSettings:
    """feedbuilder settings from a site, each with the ``_config.yml`` key it came from."""

    path: Path = Path(CONFIG_NAME)
    values: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # setting -> the _config.yml key
    sources: dict[str, str] = field(default_factory=dict)  # setting -> "<path> (<key>)"
    notes: list[str] = field(default_factory=list)  # Hexo values with no meaning here


def _truthy(value: Any) -> bool:
    """JavaScript truthiness, as Hexo tests its options."""
    return value not in (None, False, 0, "") and not (isinstance(value, float) and value != value)


def _text(value: Any) -> str:
    if isinstance(value, list | dict):
        raise TypeError(f"expected text, got {value!r}")
    return _js_string(value)


def _table(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"expected a mapping, got {value!r}")
    return {str(k): _js_string(v) for k, v in value.items() if v is not None}


def _count(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"expected a count, got {value!r}")
    return value


class _Reader:
    """Collects settings from one ``_config.yml``, naming each one's source."""

    def __init__(self, root: Path, config: dict[str, Any]) -> None:
        self.path = root / CONFIG_NAME
        self.config = config
        self.settings = SiteSettings(self.path)

    def get(self, key: str, default: Any = None) -> Any:
        value: Any = self.config
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return default if value is None else value

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def set(self, setting: str, hexo_key: str, value: Any) -> None:
        self.settings.values[setting] = value
        self.settings.keys[setting] = hexo_key
        shown = hexo_key if self.has(hexo_key.split(",")[0]) else f"{hexo_key}, Hexo's default"
        self.settings.sources[setting] = f"{self.path} ({shown})"

    def convert(self, key: str, convert: Any, default: Any = None) -> Any:
        try:
            return convert(self.get(key, default))
        except (TypeError, ValueError) as exc:
            raise HexoConfigError(self.path, key, str(exc)) from None


def _site_url(reader: _Reader) -> str:
    """``url`` as Hexo checks it and keeps it: http(s), trailing slashes gone."""
    url = reader.get("url", "http://example.com")
    if not isinstance(url, str):
        raise HexoConfigError(reader.path, "url", f"expected a URL, got {url!r}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HexoConfigError(reader.path, "url", f"expected an http(s) URL, got {url!r}")
    return url.rstrip("/")


def _root(reader: _Reader, url: str) -> str:
    """``root``, or the path of ``url`` (lib/hexo/load_config.ts), ending in one slash."""
    root = reader.get("root")
    if root is None:
        root = urlsplit(url).path or "/"
    if not isinstance(root, str) or not root.strip():
        raise HexoConfigError(reader.path, "root", f"expected a non-empty path, got {root!r}")
    return root.rstrip("/") + "/"


def _language(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else "en"
    text = _text(value)
    return "en" if text in ("", "default") else text.replace("_", "-")


def site_settings(root: Path) -> SiteSettings:
    """Everything feedbuilder takes from the Hexo site at ``root``."""
    reader = _Reader(root, read_config(root))
    url = _site_url(reader)
    reader.set("site_url", "url", url + "/")
    reader.set("site_title", "title", reader.convert("title", _text, "Hexo"))
    if reader.has("subtitle") or reader.has("description"):
        key = "subtitle" if reader.has("subtitle") else "description"
        reader.set("description", key, reader.convert(key, _text))
    if reader.has("author"):
        author = reader.get("author")
        if isinstance(author, dict):
            author = author.get("name", "")
        reader.set("author", "author", reader.convert("author", lambda _: _text(author)))
    reader.set("language", "language", reader.convert("language", _language, "en"))
    zone = machine_zone()
    timezone = reader.convert("timezone", _text, "") or zone
    reader.set("timezone", "timezone", timezone)
    reader.set("permalink", "permalink", reader.convert("permalink", _text, DEFAULT_PERMALINK))
    reader.set(
        "default_category",
        "default_category",
        reader.convert("default_category", _text, "uncategorized"),
    )
    for key in ("category_map", "tag_map"):
        if reader.has(key):
            reader.set(key, key, reader.convert(key, _table))
    reader.set("future_posts", "future", "keep" if _truthy(reader.get("future", True)) else "skip")
    source = reader.convert("source_dir", _text, "source")
    public = reader.convert("public_dir", _text, "public")
    reader.set("posts_dir", "source_dir", root / source / POSTS_FOLDER)
    reader.set("output_dir", "public_dir", root / public / OUTPUT_FOLDER)
    reader.set("feed_base_url", "url", f"{url}/{OUTPUT_FOLDER}/")
    rules = _rules(reader, url, zone)
    reader.set("hexo", "root, new_post_name, permalink_defaults, pretty_urls, …", rules)
    if isinstance(reader.get("feed"), dict):
        _feed_settings(reader, url, rules)
    if "icon" not in reader.settings.values and reader.get("favicon"):
        path = reader.convert("favicon", _text)  # the site's favicon, as many themes name it
        reader.set(
            "icon", "favicon", full_url_for(url, path, rules.trailing_index, rules.trailing_html)
        )
    return reader.settings


def _rules(reader: _Reader, url: str, zone: str) -> HexoRules:
    updated = reader.get("updated_option", "mtime")
    case = reader.get("filename_case", 0)
    skip = reader.get("skip_render", [])
    return HexoRules(
        root=_root(reader, url),
        new_post_name=reader.convert("new_post_name", _text, ":title.md"),
        permalink_defaults=reader.convert("permalink_defaults", _table),
        trailing_index=reader.get("pretty_urls.trailing_index") is not False,
        trailing_html=reader.get("pretty_urls.trailing_html") is not False,
        post_asset_folder=_truthy(reader.get("post_asset_folder")),
        # Hexo takes any other value as mtime, and any other case as none.
        updated_option=updated if updated in UPDATED_OPTIONS else "mtime",
        filename_case=case if case in (1, 2) else 0,
        skip_render=tuple(str(s) for s in (skip if isinstance(skip, list) else [skip])),
        permalink_zone=zone,
    )


def _feed_settings(reader: _Reader, url: str, rules: HexoRules) -> None:
    """hexo-generator-feed's ``feed:`` options that mean something to feedbuilder."""

    def option(name: str) -> Any:
        return reader.get(f"feed.{name}", FEED_DEFAULTS.get(name))

    limit = option("limit")
    limit = reader.convert("feed.limit", _count, limit) if _truthy(limit) else 0
    reader.set("items_per_feed", "feed.limit", limit)
    reader.set("full_content", "feed.content", _truthy(option("content")))
    content_limit = option("content_limit")
    if _truthy(content_limit):
        reader.set(
            "summary_length",
            "feed.content_limit",
            reader.convert("feed.content_limit", _count, content_limit),
        )
    order = option("order_by")
    if order in ORDERS:
        reader.set("order_by", "feed.order_by", order)
    else:
        reader.settings.notes.append(
            f"{reader.path}: feed.order_by {order!r} is not supported; feeds are newest first"
        )
    icon = reader.get("feed.icon")
    if icon:
        path = reader.convert("feed.icon", _text)
        reader.set(
            "icon", "feed.icon", full_url_for(url, path, rules.trailing_index, rules.trailing_html)
        )
    hub = reader.get("feed.hub")
    if hub:
        reader.set("websub_hub", "feed.hub", reader.convert("feed.hub", _text))


def site_of_posts_dir(posts_dir: Path) -> Path | None:
    """The Hexo site a ``--posts`` folder belongs to: its root, or its ``source/_posts``."""
    if find_site(posts_dir) is not None:
        return posts_dir
    if posts_dir.name == POSTS_FOLDER and find_site(posts_dir.parent.parent) is not None:
        return posts_dir.parent.parent
    return None
