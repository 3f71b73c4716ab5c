"""Saved-query feeds (``[feeds.<slug>]``) and ``exclude_from_all``: which posts each holds.

Membership is decided once per post, while it is scanned (its front matter and raw body are
at hand there, in the pool's workers), and stored with it (``PostRef.queries``,
``PostRef.in_all``), so planning asks the index for a query feed's posts as it does for a
tag's. Only ``max_age_days`` depends on the build's clock: planning applies it.

``match`` is a regular expression run by RE2, whose time is linear in the text whatever the
pattern: a pattern RE2 cannot run so (backreferences, lookarounds) is refused at load.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from ..errors import ConfigError
from ..models import PostMeta, category_names

QUERY_KEY_PREFIX = "query/"  # a query feed's FeedSpec key: "query/<slug>"
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_NAME_LISTS = ("categories", "tags", "exclude_categories", "exclude_tags", "authors")


@dataclass(frozen=True)
class QueryFeed:
    """One saved query: its feed's labels, and selectors that must all hold (an empty one
    holds for every post)."""

    title: str = ""  # "": "<site title> – <slug>"
    description: str = ""
    items_per_feed: int = 0  # 0: the site's items_per_feed
    categories: tuple[str, ...] = ()  # any of, at any level of a post's hierarchies
    tags: tuple[str, ...] = ()  # any of
    exclude_categories: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()  # any of (a post naming none has the site's author)
    match: str = ""  # a regular expression searched in the title and the text
    max_age_days: int = 0  # 0: no limit; else posts published within this many days of now

    def cutoff(self, now: datetime) -> datetime | None:
        """The oldest publication date the feed holds at ``now`` (None: no limit)."""
        return now - timedelta(days=self.max_age_days) if self.max_age_days else None


@dataclass(frozen=True)
class ExcludeFromAll:
    """``exclude_from_all``: posts with any of these tags or categories (at any level) are
    left out of the all-posts feed (their category, tag and query feeds still hold them)."""

    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.tags or self.categories)


def parse_queries(key: str, value: Any) -> dict[str, QueryFeed]:
    """``feeds``: a table of query tables, each checked whole (the ``match`` compiled).

    Raises:
        ConfigError: naming the key at fault.
    """
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a table of feed tables, got {value!r}")
    result: dict[str, QueryFeed] = {}
    for slug, table in value.items():
        if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
            raise ConfigError(
                f"{key}.{slug}: a feed's name must be letters, digits, '-' and '_' "
                "(it names the file feeds/query/<name>.*)"
            )
        result[slug] = table if isinstance(table, QueryFeed) else _query(f"{key}.{slug}", table)
    return result


def _query(key: str, table: Any) -> QueryFeed:
    if not isinstance(table, dict):
        raise ConfigError(f"{key}: expected a table, got {table!r}")
    values = _checked(key, table, QueryFeed())
    for name in ("items_per_feed", "max_age_days"):
        if values.get(name, 0) < 0:
            raise ConfigError(f"{key}.{name}: must be 0 (no limit) or more, got {values[name]}")
    if values.get("match"):
        compile_match(values["match"], f"{key}.match")
    return QueryFeed(**values)


def parse_exclude_from_all(key: str, value: Any) -> ExcludeFromAll:
    if isinstance(value, ExcludeFromAll):
        return value
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a table like {{tags = [...]}}, got {value!r}")
    return ExcludeFromAll(**_checked(key, value, ExcludeFromAll()))


def _checked(key: str, table: dict[str, Any], defaults: Any) -> dict[str, Any]:
    """A table's values, each of its default's type, under known names only."""
    known = {f.name for f in fields(defaults)}
    values: dict[str, Any] = {}
    for sub, value in table.items():
        name = str(sub).replace("-", "_")
        if name not in known:
            raise ConfigError(f"{key}.{sub}: unknown configuration key")
        default = getattr(defaults, name)
        if isinstance(default, tuple):
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{key}.{sub}: expected a list of strings, got {value!r}")
            value = tuple(value)
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{key}.{sub}: expected an integer, got {value!r}")
        elif not isinstance(value, str):
            raise ConfigError(f"{key}.{sub}: expected a string, got {value!r}")
        values[name] = value
    return values


@lru_cache(maxsize=64)
def compile_match(pattern: str, key: str = "match") -> Any:
    """``pattern`` compiled by RE2 (linear time in the text searched).

    Raises:
        ConfigError: RE2 cannot run it (a syntax error, a backreference, a lookaround).
    """
    import re2  # type: ignore[import-untyped]  # only for sites with a `match`

    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise ConfigError(
            f"{key}: {pattern!r} is not a linear-time regular expression ({reason}; "
            "backreferences and lookarounds are not supported)"
        ) from None


# An HTML tag, for the text ``match`` searches. No ``<`` inside, so each try stops at the next
# one: linear on any input (``<[^>]*>`` would rescan to the end from every ``<`` of "<<<<…"),
# and ten times faster than RE2's sub through Python.
_MARKUP = re.compile(r"<[^<>]*>")


def searchable_text(title: str, body: str) -> str:
    """What ``match`` searches: the title, then the body with its tags removed and its
    character references decoded."""
    return f"{title}\n{html.unescape(_MARKUP.sub(' ', body))}"


def memberships(
    meta: PostMeta, body: str, queries: Mapping[str, QueryFeed], site_author: str
) -> tuple[str, ...]:
    """The slugs (sorted) of the queries whose clock-free selectors ``meta`` and ``body``
    satisfy."""
    if not queries:
        return ()
    names = set(category_names(meta.categories))
    tags = set(meta.tags)
    author = meta.author or site_author
    text: str | None = None
    found = []
    for slug, query in queries.items():
        if not (
            _any(query.categories, names, True)
            and _any(query.tags, tags, True)
            and not _any(query.exclude_categories, names, False)
            and not _any(query.exclude_tags, tags, False)
            and (not query.authors or author in query.authors)
        ):
            continue
        if query.match:
            text = searchable_text(meta.title, body) if text is None else text
            if compile_match(query.match).search(text) is None:
                continue
        found.append(slug)
    return tuple(sorted(found))


def _any(wanted: Iterable[str], present: set[str], if_none: bool) -> bool:
    """Whether any of ``wanted`` is ``present`` (``if_none`` when nothing is wanted)."""
    wanted = tuple(wanted)
    return if_none if not wanted else not present.isdisjoint(wanted)


def in_all(meta: PostMeta, exclude: ExcludeFromAll) -> bool:
    """Whether a post belongs in the all-posts feed under ``exclude_from_all``."""
    if not exclude:
        return True
    return not (
        _any(exclude.tags, set(meta.tags), False)
        or _any(exclude.categories, set(category_names(meta.categories)), False)
    )
