"""Configuration: ``[tool.feedbuilder]`` in pyproject.toml or a ``feedbuilder.toml``, over
a Hexo site's ``_config.yml`` when there is one (see :mod:`.hexo.site`).

Every key is optional. Unknown keys and bad values raise :class:`ConfigError` naming the key,
so a typo in a cron job's config fails loudly instead of being ignored; every value is
checked whole at load (selectors compiled, the permalink tried on a sample post), so no
setting can fail a build later.
"""

from __future__ import annotations

import dataclasses
import re
import string
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError as ConfigError  # where callers have always found it
from .feeds.queries import ExcludeFromAll, QueryFeed, parse_exclude_from_all, parse_queries
from .hexo import HexoRules
from .hexo.site import HexoConfigError, SiteSettings, find_site, site_of_posts_dir, site_settings
from .models import Category

CONFIG_FILE_NAMES = ("feedbuilder.toml", "pyproject.toml")
PERMALINK_FIELDS = frozenset(
    {"year", "month", "day", "i_month", "i_day", "hour", "minute", "second", "stem", "slug", "path"}
)
ORDERS = ("-date", "-updated")  # feed order: newest published first, or newest updated first
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
    icon: str = ""  # "": the site's icon
    logo: str = ""  # "": the site's logo


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
    # What people and their readers see around the feeds (issue 12):
    accent_color: str = ""  # webfeeds:accentColor, 6 hex digits ("" = none)
    cover_image: str = ""  # webfeeds:cover, a wide header image URL ("" = none)
    opml_format: str = "atom"  # the one format index.opml lists (else the first of formats)
    feed_pages: bool = True  # feeds/<key>.html: each feed as a page, for browsers
    feed_xsl: bool = False  # feeds/feed.xsl and an xml-stylesheet line in RSS and Atom
    # Hexo sites and the settings they brought (issue 9):
    site_dir: Path | None = None  # a Hexo site's root, whose _config.yml is read
    hexo: HexoRules | None = None  # that site's rules for posts (from _config.yml only)
    tag_map: dict[str, str] = field(default_factory=dict)  # tag name -> slug, like Hexo's
    full_content: bool = True  # whole posts in the feeds (Hexo's feed.content)
    order_by: str = "-date"  # or "-updated": which posts a feed holds, in which order
    # Saved-query feeds and feed health (issue 14.2, 14.4):
    feeds: dict[str, QueryFeed] = field(default_factory=dict)  # slug -> feeds/query/<slug>.*
    exclude_from_all: ExcludeFromAll = field(default_factory=ExcludeFromAll)
    max_feed_bytes: int = 5 * 1024 * 1024  # a feed file over this: `--fail-on oversize`
    # Full-history archives, RFC 5005 (issue 14.1):
    archives: bool = False  # every feed's whole history as feeds/archive/<key>/<page>.* pages
    archive_page_size: int = 100  # posts per archive page, on average (a quarter to 4x)
    # One story once (issue 14.3):
    dedupe: bool = True  # copies of one story appear once in the all-posts and parent feeds

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
    def opml_feed_format(self) -> str:
        """``opml_format`` when it is written, else the first of ``formats``."""
        return self.opml_format if self.opml_format in self.formats else self.formats[0]

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


_DIR_KEYS = ("posts_dir", "output_dir", "cache_dir", "site_dir")
_OPTIONAL_PATHS = {"cache_dir", "site_dir"}
_CHOICES = {
    "missing_date": ("skip", "mtime"),
    "future_posts": ("skip", "keep"),
    "order_by": ORDERS,
    "opml_format": FORMAT_NAMES,
}
_POSITIVE = (
    "summary_length",
    "max_file_bytes",
    "max_front_matter_bytes",
    "max_feed_bytes",
    "archive_page_size",
)


def _coerce(key: str, value: Any, default: Any) -> Any:
    """Check one value against the type of its default."""
    if key.replace("-", "_") == "hexo":
        if value is not None and not isinstance(value, HexoRules):
            raise ConfigError(f"{key}: set from a Hexo site's _config.yml (site_dir), not here")
        return value
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
    if config.items_per_feed < 0:
        raise ConfigError(
            f"items_per_feed: must be 0 (every post) or more, got {config.items_per_feed}"
        )
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
    _validate_text(config)
    _validate_urls(config)
    if config.accent_color and not re.fullmatch(r"[0-9A-Fa-f]{6}", config.accent_color):
        raise ConfigError(
            f"accent_color: expected 6 hex digits like 'c2410c', got {config.accent_color!r}"
        )
    _validate_image_settings(config)
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone: unknown IANA time zone {config.timezone!r}") from None
    if config.hexo is not None and config.hexo.permalink_zone:
        try:
            ZoneInfo(config.hexo.permalink_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"hexo: unknown IANA time zone {config.hexo.permalink_zone!r}"
            ) from None
    if not re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", config.language):
        raise ConfigError(
            f"language: expected a language tag like 'en' or 'zh-CN', got {config.language!r}"
        )
    _validate_selectors(config.junk_selectors)
    _validate_permalink(config)


# Never in any value: what XML 1.0 forbids, DEL and the C1 controls; and in one-line labels
# (titles, names, URLs) no line breaks or tabs either.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BAD_IN_LABELS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_MULTI_LINE = {"description"}


def _check_text(key: str, value: str, multi_line: bool = False) -> None:
    bad = (_BAD_CHARS if multi_line else _BAD_IN_LABELS).search(value)
    if bad is not None:
        raise ConfigError(
            f"{key}: control character {bad.group(0)!r} at position {bad.start()} "
            f"(not allowed in {'text' if multi_line else 'a one-line value'})"
        )


def _strings(key: str, value: Any) -> Iterator[tuple[str, str]]:
    """Every string in a setting's value, with the key to name it by."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _strings(key, item)
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _strings(f"{key}[{name!r}]", name)
            yield from _strings(f"{key}[{name!r}]", item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(f"{key}.{f.name}", getattr(value, f.name))


def _validate_text(config: Config) -> None:
    for f in dataclasses.fields(config):
        for key, text in _strings(f.name, getattr(config, f.name)):
            _check_text(key, text, key.rsplit(".", 1)[-1] in _MULTI_LINE)
    if not config.site_title.strip():
        raise ConfigError("site_title: must not be empty")
    if not config.default_category.strip().strip("."):
        raise ConfigError(f"default_category: must be a name, got {config.default_category!r}")


# What a URL setting may hold: RFC 3986 characters, or letters of other scripts (an IRI).
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%\u00a0-\U0010ffff]*")


def _check_url(key: str, url: str, query: bool) -> None:
    """An absolute http(s) URL with a host, nothing a reader would misread; a site's own URL
    also without a query or fragment (every link is made from it)."""
    problem = ""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts, problem = urlsplit(""), "an unparseable URL"
    if not problem:
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problem = "an absolute http(s) URL"
        elif not _URL_CHARS.fullmatch(url):
            problem = "a URL without spaces, quotes or angle brackets"
        elif parts.fragment or url.endswith("#"):
            problem = "a URL without a #fragment"
        elif not query and (parts.query or "?" in url):
            problem = "a URL without a ?query (every link is made from it)"
        elif not query and parts.username is not None:
            problem = "a URL without user:password@"
    if problem:
        raise ConfigError(f"{key}: expected {problem}, got {url!r}")


def _validate_urls(config: Config) -> None:
    _check_url("site_url", config.site_url, query=False)
    if config.feed_base_url:
        _check_url("feed_base_url", config.feed_base_url, query=False)
    for key in ("websub_hub", "icon", "logo", "cover_image"):
        if getattr(config, key):
            _check_url(key, getattr(config, key), query=True)
    for name, settings in config.categories.items():
        for key in ("icon", "logo"):
            if getattr(settings, key):
                _check_url(f"categories.{name}.{key}", getattr(settings, key), query=True)


def _validate_selectors(selectors: tuple[str, ...]) -> None:
    """Compile every junk selector now: a bad one would otherwise fail a build, and only once
    a body holds the text it names."""
    if not selectors:
        return
    import soupsieve  # only for sites that name selectors: startup stays cheap

    for selector in selectors:
        try:
            soupsieve.compile(selector)
        except (soupsieve.SelectorSyntaxError, ValueError, TypeError) as exc:
            reason = str(exc).splitlines()[0]
            raise ConfigError(
                f"junk_selectors: invalid CSS selector {selector!r}: {reason}"
            ) from None


def _validate_permalink(config: Config) -> None:
    """Only bare ``{field}`` names (a format spec like ``{year:d}`` could fail or allocate
    gigabytes) or Hexo's ``:tokens``; then the pattern must make a usable link for a sample
    post, as every post's link is made the same way."""
    pattern = config.permalink
    if not pattern.strip():
        raise ConfigError("permalink: must not be empty")
    from .hexo.permalink import is_hexo_pattern

    if not is_hexo_pattern(pattern):
        try:
            parsed = list(string.Formatter().parse(pattern))
        except ValueError as exc:
            raise ConfigError(f"permalink: {exc}") from None
        for _, name, spec, conversion in parsed:
            if name is None:
                continue
            if name not in PERMALINK_FIELDS:
                raise ConfigError(
                    f"permalink: unknown field {{{name}}}; "
                    f"known: {', '.join(sorted(PERMALINK_FIELDS))}"
                )
            if spec or conversion:
                raise ConfigError(
                    f"permalink: {{{name}{'!' + conversion if conversion else ''}"
                    f"{':' + spec if spec else ''}}} has a format spec; write {{{name}}}"
                )
    from .normalise import sample_link  # the very code every post's link goes through

    link = sample_link(config)
    if not _URL_CHARS.fullmatch(link) or not urlsplit(link).hostname:
        raise ConfigError(f"permalink: {pattern!r} makes unusable links like {link!r}")


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


_TABLE_PARSERS = {"feeds": parse_queries, "exclude_from_all": parse_exclude_from_all}


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
        elif norm_key in _TABLE_PARSERS:
            checked[norm_key] = _TABLE_PARSERS[norm_key](key, value)
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


@dataclass
class Settings:
    """A loaded configuration, with where each setting came from (for ``--verbose``)."""

    config: Config
    sources: dict[str, str]  # setting -> the file (and key) or "command line"
    notes: list[str]  # site settings with no meaning here


def load_config(
    config_file: Path | None = None,
    overrides: dict[str, Any] | None = None,
    cwd: Path | None = None,
) -> Config:
    """Read the config file (given, or found in ``cwd``) and apply ``overrides`` on top."""
    return load_settings(config_file, overrides, cwd).config


def load_settings(
    config_file: Path | None = None,
    overrides: dict[str, Any] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Merge, lowest first: a Hexo site's ``_config.yml`` (``site_dir``, or ``cwd`` or the
    posts folder when it is a Hexo site), the config file (given, or found in ``cwd``), and
    ``overrides`` (the command line). Relative folders are taken relative to the file that
    names them; overrides' relative to ``cwd``.
    """
    cwd = cwd or Path.cwd()
    base_dir = cwd
    file_values: dict[str, Any] = {}
    path = config_file if config_file is not None else find_config_file(cwd)
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"{path}: configuration file not found")
        file_values = _normalised(_read_table(path) or {})
        base_dir = path.resolve().parent
    cli = _normalised({k: v for k, v in (overrides or {}).items() if v is not None})
    explicit = {**_resolved(file_values, base_dir), **_resolved(cli, cwd)}
    root = _hexo_site(explicit, cwd)
    site = SiteSettings()
    if root is not None:
        try:
            site = site_settings(root)
        except HexoConfigError as exc:
            raise ConfigError(str(exc), key=exc.key) from None
    try:
        config = make_config({**site.values, **explicit}, base_dir)
    except ConfigError as exc:
        setting = exc.key.split(".", 1)[0].split("[", 1)[0]
        if setting in site.keys and setting not in explicit:
            raise ConfigError(
                f"{site.path}: {site.keys[setting]} (as {exc.key}): {exc.reason}", key=exc.key
            ) from None
        raise
    if root is not None and "output_dir" not in explicit:
        _check_hexo_output(config)
    sources = {key: site.sources[key] for key in site.values}
    sources.update((key, str(path)) for key in file_values if key in explicit)
    sources.update((key, "command line") for key in cli if key in explicit)
    return Settings(config, sources, site.notes)


def _normalised(values: dict[str, Any]) -> dict[str, Any]:
    return {str(key).replace("-", "_"): value for key, value in values.items()}


def _resolved(values: dict[str, Any], base: Path) -> dict[str, Any]:
    """Relative folders made absolute against ``base``."""
    return {
        key: base / value if key in _DIR_KEYS and isinstance(value, str | Path) else value
        for key, value in values.items()
    }


def _hexo_site(explicit: dict[str, Any], cwd: Path) -> Path | None:
    """The Hexo site to read: ``site_dir``; else the posts folder's site (its root or its
    source/_posts, then taken from the site); else ``cwd`` when no posts folder is named."""
    site_dir = explicit.get("site_dir")
    if isinstance(site_dir, Path):
        if find_site(site_dir) is None and not (site_dir / "_config.yml").is_file():
            raise ConfigError(f"site_dir: {site_dir} is not a Hexo site (no _config.yml)")
        return site_dir
    posts_dir = explicit.get("posts_dir")
    if isinstance(posts_dir, Path):
        root = site_of_posts_dir(posts_dir)
        if root is not None:
            del explicit["posts_dir"]  # it named the site: its posts are in source/_posts
        return root
    return find_site(cwd)


def _check_hexo_output(config: Config) -> None:
    """The default output (public/feedbuilder) must not be a folder Hexo generates too."""
    source = config.posts_dir.parent / config.output_dir.name
    if source.exists():
        raise ConfigError(
            f"output_dir: {config.output_dir} would mix with the pages Hexo makes from "
            f"{source}; set output_dir"
        )
