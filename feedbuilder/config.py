"""Configuration: ``[tool.feedbuilder]`` in pyproject.toml or a ``feedbuilder.toml``.

Every key is optional. Unknown keys and bad values raise :class:`ConfigError` naming the key,
so a typo in a cron job's config fails loudly instead of being ignored.
"""

from __future__ import annotations

import dataclasses
import re
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError as ConfigError  # where callers have always found it
from .models import Category

CONFIG_FILE_NAMES = ("feedbuilder.toml", "pyproject.toml")
PERMALINK_FIELDS = frozenset(
    {"year", "month", "day", "i_month", "i_day", "hour", "minute", "second", "stem", "slug"}
)
DEFAULT_JUNK_SELECTORS = (
    ".appendQr_wrap",
    "[class*='appendQr']",
    "[class*='qrcode']",
    "[id*='qrcode']",
)


FORMAT_NAMES = ("rss", "atom", "json")


@dataclass(frozen=True)
class CategorySettings:
    """Per-category overrides from ``[tool.feedbuilder.categories."<name or slug>"]``."""

    title: str = ""
    description: str = ""
    items_per_feed: int = 0  # 0: the site's items_per_feed


@dataclass(frozen=True)
class Config:
    """Every setting, with the default a new site would want."""

    site_title: str = "My site"
    site_url: str = "http://localhost:8000/"
    feed_base_url: str = ""  # where output/ is served; defaults to site_url
    language: str = "en"
    description: str = ""
    author: str = ""  # site author, the fallback for posts that name none
    timezone: str = "UTC"
    items_per_feed: int = 50
    permalink: str = "{year}/{month}/{day}/{stem}/"
    posts_dir: Path = Path("posts")
    output_dir: Path = Path("output")
    category_map: dict[str, str] = field(default_factory=dict)
    default_category: str = "Uncategorized"
    junk_selectors: tuple[str, ...] = ()
    summary_length: int = 200
    missing_date: str = "skip"  # or "mtime"
    future_posts: str = "skip"  # or "keep"
    thumbnail_in_content: bool = True
    max_file_bytes: int = 10 * 1024 * 1024
    max_front_matter_bytes: int = 256 * 1024
    follow_symlinks: bool = False
    formats: tuple[str, ...] = FORMAT_NAMES
    tag_feeds: bool = False
    categories: dict[str, CategorySettings] = field(default_factory=dict)
    websub_hub: str = ""
    refresh_minutes: int = 0  # 0: no ttl / sy:update* hints
    cache_dir: Path | None = None  # where the build cache lives; default: the output dir
    image_proxy: str = ""  # URL template with {url} or {url_encoded}: every image through it
    image_referrer_policy: str = "no-referrer"  # on every image and media element; "" = none
    icon: str = ""  # square feed icon URL (Atom <icon>, JSON icon, webfeeds:icon)
    logo: str = ""  # wide feed logo URL (Atom <logo>, RSS <image>, webfeeds:logo)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def base_url(self) -> str:
        """The site URL with exactly one trailing slash."""
        return self.site_url.rstrip("/") + "/"

    @property
    def feeds_url(self) -> str:
        """URL of the output dir as served."""
        return (self.feed_base_url or self.site_url).rstrip("/") + "/"

    @property
    def site_author(self) -> str:
        return self.author or self.site_title

    @property
    def all_junk_selectors(self) -> tuple[str, ...]:
        return DEFAULT_JUNK_SELECTORS + self.junk_selectors

    def category_settings(self, category: Category) -> CategorySettings:
        """The overrides for a category, looked up by name, then by slug."""
        found = self.categories.get(category.name) or self.categories.get(category.slug)
        return found or CategorySettings()

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)

    def output_fingerprint(self) -> dict[str, Any]:
        """The settings that change what is written (for cache invalidation)."""
        values = dataclasses.asdict(self)
        for key in _DIR_KEYS:
            values.pop(key)
        values["junk_selectors"] = list(self.all_junk_selectors)
        return values


_DIR_KEYS = ("posts_dir", "output_dir", "cache_dir")
_OPTIONAL_PATHS = {"cache_dir"}
_CHOICES = {"missing_date": ("skip", "mtime"), "future_posts": ("skip", "keep")}
_POSITIVE = ("items_per_feed", "summary_length", "max_file_bytes", "max_front_matter_bytes")


def _coerce(key: str, value: Any, default: Any) -> Any:
    """Check one value against the type of its default."""
    if key.replace("-", "_") in _OPTIONAL_PATHS:
        if value is None:
            return None
        default = Path()
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        return value
    if isinstance(default, Path):
        if not isinstance(value, str | Path) or not str(value):
            raise ConfigError(f"{key}: expected a path, got {value!r}")
        return Path(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key}: expected a list of strings, got {value!r}")
        return tuple(value)
    if isinstance(default, dict):
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ConfigError(f"{key}: expected a table of strings, got {value!r}")
        return dict(value)
    raise AssertionError(f"no coercion for {key}")  # pragma: no cover


def _category_settings(key: str, value: Any) -> dict[str, CategorySettings]:
    """``categories``: a table of tables, each with known keys of the right type only."""
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a table of category tables, got {value!r}")
    defaults = CategorySettings()
    known = {f.name for f in dataclasses.fields(CategorySettings)}
    result: dict[str, CategorySettings] = {}
    for name, table in value.items():
        if isinstance(table, CategorySettings):
            result[name] = table
            continue
        if not isinstance(table, dict):
            raise ConfigError(f"{key}.{name}: expected a table, got {table!r}")
        checked: dict[str, Any] = {}
        for sub, sub_value in table.items():
            norm = sub.replace("-", "_")
            if norm not in known:
                raise ConfigError(f"{key}.{name}.{sub}: unknown configuration key")
            checked[norm] = _coerce(f"{key}.{name}.{sub}", sub_value, getattr(defaults, norm))
        if checked.get("items_per_feed", 1) < 1:
            raise ConfigError(f"{key}.{name}.items_per_feed: must be at least 1")
        result[name] = CategorySettings(**checked)
    return result


def _validate(config: Config) -> None:
    for key in _POSITIVE:
        if getattr(config, key) < 1:
            raise ConfigError(f"{key}: must be at least 1, got {getattr(config, key)}")
    for key, choices in _CHOICES.items():
        if getattr(config, key) not in choices:
            raise ConfigError(f"{key}: must be one of {', '.join(choices)}")
    unknown_formats = [f for f in config.formats if f not in FORMAT_NAMES]
    if unknown_formats or not config.formats or len(set(config.formats)) < len(config.formats):
        raise ConfigError(
            f"formats: expected distinct names from {', '.join(FORMAT_NAMES)}, "
            f"got {list(config.formats)!r}"
        )
    if config.refresh_minutes < 0:
        raise ConfigError(f"refresh_minutes: must be 0 or more, got {config.refresh_minutes}")
    for key in ("site_url", "feed_base_url", "websub_hub"):
        url = getattr(config, key)
        if url or key == "site_url":  # the others are optional
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(f"{key}: expected an absolute http(s) URL, got {url!r}")
    _validate_image_settings(config)
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone: unknown IANA time zone {config.timezone!r}") from None
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(config.permalink) if name}
    except ValueError as exc:
        raise ConfigError(f"permalink: {exc}") from None
    unknown = fields - PERMALINK_FIELDS
    if unknown:
        raise ConfigError(
            f"permalink: unknown field {{{sorted(unknown)[0]}}}; "
            f"known: {', '.join(sorted(PERMALINK_FIELDS))}"
        )
    if not re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", config.language):
        raise ConfigError(
            f"language: expected a language tag like 'en' or 'zh-CN', got {config.language!r}"
        )


REFERRER_POLICIES = (
    "",
    "no-referrer",
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
)


def _validate_image_settings(config: Config) -> None:
    if config.image_referrer_policy not in REFERRER_POLICIES:
        raise ConfigError(
            f"image_referrer_policy: must be one of {', '.join(p for p in REFERRER_POLICIES if p)}"
            f" or empty, got {config.image_referrer_policy!r}"
        )
    template = config.image_proxy
    if not template:
        return
    if "{url}" not in template and "{url_encoded}" not in template:
        raise ConfigError(
            f"image_proxy: expected a URL template with {{url}} or {{url_encoded}}, "
            f"got {template!r}"
        )
    from .normalise.urls import proxy_image_url

    sample = urlsplit(proxy_image_url("https://example.com/a.png?b=1", template))
    if sample.scheme not in ("http", "https") or not sample.netloc:
        raise ConfigError(
            f"image_proxy: expected an absolute http(s) URL template, got {template!r}"
        )


def make_config(values: dict[str, Any], base_dir: Path | None = None) -> Config:
    """Build a :class:`Config` from a mapping, checking every key and value.

    Relative directories are resolved against ``base_dir`` (the config file's folder).
    """
    defaults = Config()
    known = {f.name: f for f in dataclasses.fields(Config)}
    checked: dict[str, Any] = {}
    for key, value in values.items():
        norm_key = key.replace("-", "_")
        if norm_key not in known:
            raise ConfigError(f"{key}: unknown configuration key")
        if norm_key == "categories":
            checked[norm_key] = _category_settings(key, value)
        else:
            checked[norm_key] = _coerce(key, value, getattr(defaults, norm_key))
    config = Config(**checked)
    if base_dir is not None:
        config = config.replace(
            posts_dir=base_dir / config.posts_dir,
            output_dir=base_dir / config.output_dir,
            cache_dir=None if config.cache_dir is None else base_dir / config.cache_dir,
        )
    _validate(config)
    return config


def find_config_file(start: Path) -> Path | None:
    """The first of feedbuilder.toml or a pyproject.toml with [tool.feedbuilder] in ``start``."""
    for name in CONFIG_FILE_NAMES:
        candidate = start / name
        if candidate.is_file() and (name != "pyproject.toml" or _read_table(candidate) is not None):
            return candidate
    return None


def _read_table(path: Path) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("feedbuilder")
    if table is None and path.name != "pyproject.toml":
        table = data
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.feedbuilder] must be a table")
    return table


def load_config(
    config_file: Path | None = None,
    overrides: dict[str, Any] | None = None,
    cwd: Path | None = None,
) -> Config:
    """Read the config file (given, or found in ``cwd``) and apply ``overrides`` on top.

    Overrides (from the command line) with relative paths are taken relative to ``cwd``.
    """
    cwd = cwd or Path.cwd()
    values: dict[str, Any] = {}
    base_dir = cwd
    path = config_file if config_file is not None else find_config_file(cwd)
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"{path}: configuration file not found")
        values = _read_table(path) or {}
        base_dir = path.resolve().parent
    config = make_config(values, base_dir)
    if overrides:
        cleaned = {k: v for k, v in overrides.items() if v is not None}
        resolved = {k: (cwd / v if k in _DIR_KEYS else v) for k, v in cleaned.items()}
        config = make_config({**_as_values(config), **resolved})
    return config


def _as_values(config: Config) -> dict[str, Any]:
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
