"""Normalise a :class:`SourcePost`'s front matter into a :class:`PostMeta`.

Only front matter is touched here, so it is cheap enough to run on every post; the body is
cleaned later (:mod:`.content`), and only for posts that land in a feed.
"""

from __future__ import annotations

import posixpath
import string
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from slugify import slugify

from ..config import Config
from ..hexo import HexoRules
from ..hexo.dates import filename_date, hexo_date, js_time
from ..hexo.permalink import (
    PostFacts,
    front_matter_path,
    is_hexo_pattern,
    parse_filename,
    post_path,
)
from ..hexo.urls import full_url_for
from ..models import PostMeta, Problem, Severity, SourcePost
from .categories import CategoryError, clean_name, parse_categories, parse_tags
from .dates import DateError, parse_date
from .hexotags import unknown_tag_warnings
from .markup import detect_format
from .text import clean_text
from .thumbnails import thumbnail_from_metadata
from .urls import BadURL, absolute_http_url, path_segment, unfit_id_scheme

DATE_KEYS = ("date", "pubDate", "published", "created")
UPDATED_KEYS = ("updated", "modified", "lastmod")
LINK_KEYS = ("link", "permalink", "url")
ID_KEYS = ("id", "guid")
SUMMARY_KEYS = ("description", "excerpt", "summary")
_FALSE = frozenset({"false", "False", "FALSE"})  # js-yaml's false: Hexo's `published: false`


class Keys(NamedTuple):
    """The front-matter keys a post's fields are read from."""

    date: tuple[str, ...]
    updated: tuple[str, ...]
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    ids: tuple[str, ...]


PLAIN_KEYS = Keys(DATE_KEYS, UPDATED_KEYS, ("categories", "category"), ("tags",), ID_KEYS)
# Hexo reads only these (lib/plugins/processor/post.ts); its feed's ids are the links.
HEXO_KEYS = Keys(("date",), ("updated",), ("categories", "category"), ("tags", "tag"), ())


class SkipPost(Exception):
    """The post cannot be used; the message says why."""


def _first(metadata: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str | None, Any]:
    for key in keys:
        value = metadata.get(key)
        if value is not None and value != "":
            return key, value
    return None, None


def _text_field(value: Any, key: str, clean: Callable[[str], str] = clean_text) -> str | None:
    """A scalar front-matter value as clean text (by ``clean``); lists and mappings are not
    text."""
    if type(value) is str:  # nearly always: no isinstance checks against ABCs
        return clean(value) or None
    if value is None:
        return None
    if isinstance(value, Mapping):
        value = value.get("name")
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, list | Mapping) or value is None:
        raise SkipPost(
            f"{key} must be text, not a {'list' if isinstance(value, list) else 'mapping'}"
        )
    return clean(str(value)) or None


def _pattern_link(
    config: Config,
    published: datetime,
    source: SourcePost,
    categories: tuple[tuple[str, ...], ...],
) -> tuple[str, list[str]]:
    """The link ``config.permalink`` gives a post (with notes on Hexo tokens it could not
    fill): Hexo's ``:token`` syntax as Hexo makes it, or feedbuilder's ``{field}`` one."""
    if is_hexo_pattern(config.permalink):
        rules = config.hexo or HexoRules()
        zone = ZoneInfo(rules.permalink_zone) if rules.permalink_zone else config.zone
        title = source.metadata.get("title")
        facts = PostFacts(
            source.rel_path,
            title if isinstance(title, str) else "",
            published,
            source.metadata,
            categories,
        )
        path, notes = post_path(
            config.permalink, facts, rules, zone, config.default_category, config.category_map
        )
        return full_url_for(config.base_url, path, rules.trailing_index, rules.trailing_html), notes
    local = published.astimezone(config.zone)
    without_suffix = posixpath.splitext(source.rel_path)[0]
    path = config.permalink.format_map(
        {name: _FIELDS[name](local, without_suffix) for name in _fields_of(config.permalink)}
    )
    # Every part is ASCII and escaped already: joining beats a urllib round trip.
    return config.base_url + path.lstrip("/"), []


# Each ``{field}`` of a permalink pattern, from the post's local date and its path without
# the suffix: a post's link makes only those its pattern names (escaping is the dear part).
_FIELDS: dict[str, Callable[[datetime, str], str]] = {
    "year": lambda local, _: f"{local.year:04d}",
    "month": lambda local, _: f"{local.month:02d}",
    "day": lambda local, _: f"{local.day:02d}",
    "i_month": lambda local, _: str(local.month),
    "i_day": lambda local, _: str(local.day),
    "hour": lambda local, _: f"{local.hour:02d}",
    "minute": lambda local, _: f"{local.minute:02d}",
    "second": lambda local, _: f"{local.second:02d}",
    "stem": lambda _, path: path_segment(posixpath.basename(path)),
    "slug": lambda _, path: slugify(posixpath.basename(path)) or "post",
    "path": lambda _, path: "/".join(path_segment(part) for part in path.split("/")),
}


@lru_cache(maxsize=16)
def _fields_of(pattern: str) -> frozenset[str]:
    """The field names ``pattern`` uses (config validated them at load)."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(pattern) if name)


def sample_link(config: Config) -> str:
    """The link a made-up post gets: how config checks a permalink pattern at load."""
    source = SourcePost(
        "folder/sample-post.md",
        {"title": "Sample post", "date": "2024-01-02 03:04:05", "id": "1"},
        "",
        0.0,
    )
    published = datetime(2024, 1, 2, 3, 4, 5, tzinfo=config.zone)
    return _pattern_link(config, published, source, (("Sample",),))[0]


def future_reason(published: datetime, config: Config, now: datetime | None) -> str | None:
    """Why a post dated ``published`` is held back at ``now``, or None when it is not."""
    if now is None or published <= now or config.future_posts != "skip":
        return None
    return f"dated in the future ({published.isoformat()}); skipped until then"


def normalise_meta(
    source: SourcePost, config: Config, now: datetime | None
) -> tuple[PostMeta | None, list[Problem]]:
    """Normalise one post's front matter; returns (None, problems) when it must be skipped.

    ``now=None`` keeps future posts, so the result can be cached and the check made later.
    In a Hexo site (``config.hexo``) fields are read as Hexo reads them (see :mod:`..hexo`).
    """
    problems: list[Problem] = []
    meta = source.metadata
    keys = PLAIN_KEYS if config.hexo is None else HEXO_KEYS

    def warn(reason: str) -> None:
        problems.append(Problem(source.rel_path, reason))

    if config.hexo is not None and meta.get("published") in _FALSE:
        return None, []  # a draft, as Hexo sees it: not a post, and no problem
    try:
        title = _text_field(meta.get("title"), "title")
        if not title and config.hexo is not None:  # Hexo publishes it all the same
            title = posixpath.basename(
                parse_filename(config.hexo.new_post_name, source.rel_path)["title"]
            )
            warn("no title; titled by its file name")
        if not title:
            raise SkipPost("no title")
        if config.hexo is None:
            published = _published(source, config, warn)
        else:
            published = _hexo_published(source, config, config.hexo, warn)
        too_new = future_reason(published, config, now)
        if too_new:
            raise SkipPost(too_new)
        updated = _updated(source, config, published, warn)
        try:
            categories = parse_categories(_aliased(meta, keys.categories, config), warn)
        except CategoryError as exc:
            warn(f"categories: {exc}; using the default category")
            categories = ()
        tags = parse_tags(_aliased(meta, keys.tags, config), warn)
        try:
            author = _text_field(meta.get("author"), "author", clean_name)
        except SkipPost as exc:
            warn(f"{exc}; ignored")
            author = None
        link = _link(source, config, published, categories, warn)
        if not categories:
            categories = ((config.default_category,),)
        id_key, id_value = _first(meta, keys.ids)
        post_id = clean_text(str(id_value)) if isinstance(id_value, str) else ""
        if id_key is not None and not post_id:
            warn(f"{id_key} must be text; using the link")
        elif post_id and (scheme := unfit_id_scheme(post_id)) is not None:
            warn(f"{id_key}: the scheme {scheme + ':'!r} is not fit for an id; using the link")
            post_id = ""
        summary_key, summary = _first(meta, SUMMARY_KEYS)
        if summary is not None and not isinstance(summary, str):
            warn(f"{summary_key} must be text; ignored")
            summary = None
        fmt = meta.get("format")
        body_format = detect_format(
            source.body,
            fmt if isinstance(fmt, str) else None,
            posixpath.splitext(source.rel_path)[1],
        )
        for reason in unknown_tag_warnings(source.body, body_format, meta):
            warn(reason)  # here, not when cleaning, so that every post's are reported
    except SkipPost as exc:
        problems.append(Problem(source.rel_path, str(exc), Severity.ERROR))
        return None, problems

    return PostMeta(
        rel_path=source.rel_path,
        title=title,
        link=link,
        id=post_id or link,
        published=published,
        updated=updated,
        author=author,
        categories=categories,
        tags=tags,
        thumbnail=thumbnail_from_metadata(meta, link, warn),
        given_summary=summary,
        body_format=body_format,
        mtime=source.mtime,
    ), problems


def _aliased(meta: Mapping[str, Any], keys: tuple[str, ...], config: Config) -> Any:
    """``categories`` (or ``category``...): Hexo takes the alias when the first is empty."""
    if config.hexo is None:
        return meta.get(keys[0], meta.get(keys[1])) if len(keys) > 1 else meta.get(keys[0])
    return next((meta[key] for key in keys if meta.get(key) not in (None, "", [])), None)


def _published(source: SourcePost, config: Config, warn: Callable[[str], None]) -> datetime:
    key, value = _first(source.metadata, DATE_KEYS)
    if key is None:
        reason = "no date"
    else:
        try:
            return parse_date(value, config.zone)
        except DateError as exc:
            reason = f"{key}: {exc} ({str(value)[:60]!r})"
    if config.missing_date == "mtime":
        warn(f"{reason}; dated by the file's modification time")
        return datetime.fromtimestamp(source.mtime, config.zone)
    raise SkipPost(reason)


def _machine(config: Config, rules: HexoRules) -> ZoneInfo:
    return ZoneInfo(rules.permalink_zone) if rules.permalink_zone else config.zone


def _hexo_published(
    source: SourcePost, config: Config, rules: HexoRules, warn: Callable[[str], None]
) -> datetime:
    """Hexo's date: the front matter's, else the file name's (through new_post_name), else
    the file's time (Hexo takes its creation time; Python has only the modification time)."""
    value = source.metadata.get("date")
    machine = _machine(config, rules)
    if value not in (None, ""):
        try:
            return hexo_date(value, config.zone, machine)
        except DateError as exc:
            warn(f"date: {exc} ({str(value)[:60]!r}); dated by the file's modification time")
    else:
        info = parse_filename(rules.new_post_name, source.rel_path)
        from_name = filename_date(info, config.zone, machine)
        if from_name is not None:
            return from_name
        warn("no date; dated by the file's modification time")
    return js_time(datetime.fromtimestamp(source.mtime, config.zone))


def _updated(
    source: SourcePost, config: Config, published: datetime, warn: Callable[[str], None]
) -> datetime:
    """The front matter's update date; in a Hexo site without one, Hexo's updated_option:
    the file's modification time (``mtime``) or the date (``date``; ``empty``, as Hexo's
    feed then shows the date)."""
    rules = config.hexo
    key, value = _first(source.metadata, UPDATED_KEYS if rules is None else ("updated",))
    if key is not None:
        try:
            if rules is None:
                updated = parse_date(value, config.zone)
            else:
                updated = hexo_date(value, config.zone, _machine(config, rules))
        except DateError as exc:
            warn(f"{key}: {exc} ({str(value)[:60]!r}); using the date")
        else:
            if updated >= published:
                return updated
            warn(f"{key} is before the date; using the date")
        return published
    if rules is not None and rules.updated_option == "mtime":
        return max(published, js_time(datetime.fromtimestamp(source.mtime, config.zone)))
    return published


def _link(
    source: SourcePost,
    config: Config,
    published: datetime,
    categories: tuple[tuple[str, ...], ...],
    warn: Callable[[str], None],
) -> str:
    """The front matter's link (in a Hexo site: its ``permalink``, a site path, as Hexo
    reads it), else the permalink pattern's."""
    rules = config.hexo
    key, value = _first(source.metadata, LINK_KEYS if rules is None else ("permalink",))
    if key is not None:
        try:
            if rules is not None and isinstance(value, str | int | float):
                path = front_matter_path(str(value), rules)
                value = full_url_for(
                    config.base_url, path, rules.trailing_index, rules.trailing_html
                )
            if not isinstance(value, str):
                raise BadURL(f"not a URL: {type(value).__name__}")
            return absolute_http_url(value, config.base_url)
        except BadURL as exc:
            warn(f"{key}: {exc}; using the permalink pattern")
    link, notes = _pattern_link(config, published, source, categories)
    for note in notes:
        warn(f"permalink: {note}")
    if not is_hexo_pattern(config.permalink):
        return link
    try:  # a Hexo path that is a URL of its own (`//host/...`) is Hexo's link as it is
        return absolute_http_url(link, config.base_url)
    except BadURL as exc:
        raise SkipPost(f"permalink: {exc}") from None
