"""Normalise a :class:`SourcePost`'s front matter into a :class:`PostMeta`.

Only front matter is touched here, so it is cheap enough to run on every post; the body is
cleaned later (:mod:`.content`), and only for posts that land in a feed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from slugify import slugify

from ..config import Config
from ..models import PostMeta, Problem, Severity, SourcePost
from .categories import CategoryError, parse_categories, parse_tags
from .dates import DateError, parse_date
from .hexotags import unknown_tag_warnings
from .markup import detect_format
from .text import clean_text
from .thumbnails import thumbnail_from_metadata
from .urls import BadURL, absolute_http_url, path_segment

DATE_KEYS = ("date", "pubDate", "published", "created")
UPDATED_KEYS = ("updated", "modified", "lastmod")
LINK_KEYS = ("link", "permalink", "url")
ID_KEYS = ("id", "guid")
SUMMARY_KEYS = ("description", "excerpt", "summary")


class SkipPost(Exception):
    """The post cannot be used; the message says why."""


def _first(metadata: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str | None, Any]:
    for key in keys:
        value = metadata.get(key)
        if value is not None and value != "":
            return key, value
    return None, None


def _text_field(value: Any, key: str) -> str | None:
    """A scalar front-matter value as clean text; lists and mappings are not text."""
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
    return clean_text(str(value)) or None


def _permalink(config: Config, published: datetime, rel_path: str) -> str:
    local = published.astimezone(config.zone)
    stem = posixpath.splitext(posixpath.basename(rel_path))[0]
    path = config.permalink.format(
        year=f"{local.year:04d}",
        month=f"{local.month:02d}",
        day=f"{local.day:02d}",
        i_month=str(local.month),
        i_day=str(local.day),
        hour=f"{local.hour:02d}",
        minute=f"{local.minute:02d}",
        second=f"{local.second:02d}",
        stem=path_segment(stem),
        slug=(slugify(stem) or "post") if "{slug}" in config.permalink else "",
    )
    # Every part is ASCII and escaped already: joining beats a urllib round trip.
    return config.base_url + path.lstrip("/")


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
    """
    problems: list[Problem] = []
    meta = source.metadata

    def warn(reason: str) -> None:
        problems.append(Problem(source.rel_path, reason))

    try:
        title = _text_field(meta.get("title"), "title")
        if not title:
            raise SkipPost("no title")
        published = _published(source, config, warn)
        too_new = future_reason(published, config, now)
        if too_new:
            raise SkipPost(too_new)
        updated = published
        upd_key, upd_value = _first(meta, UPDATED_KEYS)
        if upd_key is not None:
            try:
                updated = parse_date(upd_value, config.zone)
            except DateError as exc:
                warn(f"{upd_key}: {exc} ({str(upd_value)[:60]!r}); using the date")
            if updated < published:
                warn(f"{upd_key} is before the date; using the date")
                updated = published
        try:
            categories = parse_categories(meta.get("categories", meta.get("category")), warn)
        except CategoryError as exc:
            warn(f"categories: {exc}; using the default category")
            categories = ()
        if not categories:
            categories = ((config.default_category,),)
        tags = parse_tags(meta.get("tags"), warn)
        try:
            author = _text_field(meta.get("author"), "author")
        except SkipPost as exc:
            warn(f"{exc}; ignored")
            author = None
        link = _link(source, config, published, warn)
        id_key, id_value = _first(meta, ID_KEYS)
        post_id = clean_text(str(id_value)) if isinstance(id_value, str) else ""
        if id_key is not None and not post_id:
            warn(f"{id_key} must be text; using the link")
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


def _link(
    source: SourcePost, config: Config, published: datetime, warn: Callable[[str], None]
) -> str:
    key, value = _first(source.metadata, LINK_KEYS)
    if key is not None:
        try:
            if not isinstance(value, str):
                raise BadURL(f"not a URL: {type(value).__name__}")
            return absolute_http_url(value, config.base_url)
        except BadURL as exc:
            warn(f"{key}: {exc}; using the permalink pattern")
    return _permalink(config, published, source.rel_path)
