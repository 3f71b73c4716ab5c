"""The typed records passed between the pipeline stages.

collect → :class:`SourcePost` → normalise → :class:`PostMeta` (planned by its
:class:`PostRef`; + :class:`PostBody`) → feeds → :class:`FeedSpec` → output.

Every record is a frozen, picklable dataclass (or named tuple) made of plain values so it
can cross a process pool and be stored in the cache. :class:`PackedMeta` is a
:class:`PostMeta` as plain values only, for the places where 100k of them move.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from sys import intern
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo


class Severity(enum.Enum):
    """How bad a problem is: a warning keeps the post, an error skips it."""

    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one input, reported as ``path[:line]: reason``."""

    path: str
    reason: str
    severity: Severity = Severity.WARNING
    line: int | None = None

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.reason}".translate(_ESCAPES)


def _escape(code: int) -> str:
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a name that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# What could split a report line in two or stop it printing: controls (C0, DEL, C1), the
# line and paragraph separators, and lone surrogates (from undecodable file names).
_ESCAPES = {
    code: _escape(code)
    for code in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0xD800, 0xE000)]
}


@dataclass(frozen=True, slots=True)
class SourcePost:
    """A post file as read: front matter mapping and raw body text."""

    rel_path: str
    metadata: dict[str, Any]
    body: str
    mtime: float


@dataclass(frozen=True, slots=True)
class Thumbnail:
    url: str
    mime_type: str | None = None


@dataclass(frozen=True, slots=True)
class PostMeta:
    """Everything about a post except its cleaned body: cheap to compute for every post."""

    rel_path: str
    title: str
    link: str
    id: str
    published: datetime
    updated: datetime
    author: str | None
    categories: tuple[tuple[str, ...], ...]
    tags: tuple[str, ...]
    thumbnail: Thumbnail | None
    given_summary: str | None
    body_format: str
    mtime: float = 0.0

    def category_names(self) -> list[str]:
        return category_names(self.categories)

    def replace(self, **changes: Any) -> PostMeta:
        return dataclasses.replace(self, **changes)


def category_names(paths: tuple[tuple[str, ...], ...]) -> list[str]:
    """Every category of the hierarchies ``paths``, each level of each, in order, once."""
    seen: dict[str, None] = {}
    for path in paths:
        for name in path:
            seen.setdefault(name, None)
    return list(seen)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def epoch_micros(value: datetime) -> int:
    """An aware datetime as whole microseconds since the epoch: exact, and cheap to compare."""
    return (value - _EPOCH) // MICROSECOND


def from_epoch_micros(micros: int, zone: tzinfo) -> datetime:
    """The inverse of :func:`epoch_micros`, in ``zone``."""
    return (_EPOCH + timedelta(microseconds=micros)).astimezone(zone)


class PostRef(NamedTuple):
    """What planning needs of a post and no more: which feeds it is in, and where.

    A big corpus's every post is held as one of these; the full :class:`PostMeta` is
    decoded only for the few hundred posts that land in a feed. A named tuple, not a
    frozen dataclass: as immutable, and made four times faster (100k per build).
    """

    rel_path: str
    id: str
    declared_id: bool  # the id came from the front matter (else it is the link)
    published: int  # microseconds since the epoch: the newest-first sort key
    published_zone: tzinfo  # so the datetime can be had back, as written
    updated: int
    categories: tuple[tuple[str, ...], ...]
    tags: tuple[str, ...]
    queries: tuple[str, ...] = ()  # the saved queries (feeds.<slug>) it matches, by slug
    in_all: bool = True  # in the all-posts feed (False: exclude_from_all holds it out)
    story: str = ""  # the body's story print, packed (normalise/fingerprint.py; "": none)

    def published_at(self) -> datetime:
        return from_epoch_micros(self.published, self.published_zone)

    def category_names(self) -> list[str]:
        return category_names(self.categories)


_LEVEL, _PATH = "\x1f", "\x1e"  # separators clean_text never lets into a name


class PackedMeta(NamedTuple):
    """A :class:`PostMeta` as plain values: what a scan's workers send back (ten times cheaper
    to pickle than a PostMeta), what a build holds per post, and what the cache stores."""

    title: str
    link: str
    id: str | None  # None: the link
    published: int  # microseconds since the epoch
    published_zone: str | int  # a zone's key, or a fixed UTC offset in microseconds
    updated: int
    updated_zone: str | int
    author: str | None
    categories: str  # hierarchies joined by \x1e, their levels by \x1f
    tags: str  # joined by \x1e
    thumbnail: str | None
    thumbnail_type: str | None
    given_summary: str | None
    body_format: str
    mtime: float
    queries: str = ""  # PostRef.queries joined by \x1e
    in_all: int = 1  # PostRef.in_all as 0 or 1
    story: str = ""  # see PostRef.story: made from the raw body, which only the scan has

    @classmethod
    def of(
        cls,
        meta: PostMeta,
        queries: tuple[str, ...] = (),
        in_all: bool = True,
        story: str = "",
    ) -> PackedMeta:
        """``meta`` packed, with the scan's query memberships (see :mod:`.feeds.queries`)
        and story print (see :mod:`.normalise.fingerprint`)."""
        thumb = meta.thumbnail
        return cls(
            meta.title,
            meta.link,
            None if meta.id == meta.link else meta.id,
            epoch_micros(meta.published),
            zone_key(meta.published),
            epoch_micros(meta.updated),
            zone_key(meta.updated),
            meta.author,
            _PATH.join(_LEVEL.join(path) for path in meta.categories),
            _PATH.join(meta.tags),
            None if thumb is None else thumb.url,
            None if thumb is None else thumb.mime_type,
            meta.given_summary,
            meta.body_format,
            meta.mtime,
            _PATH.join(queries),
            int(in_all),
            story,
        )

    def unpack(self, rel_path: str) -> PostMeta:
        return PostMeta(
            rel_path=rel_path,
            title=self.title,
            link=self.link,
            id=self.link if self.id is None else self.id,
            published=from_epoch_micros(self.published, zone_of(self.published_zone)),
            updated=from_epoch_micros(self.updated, zone_of(self.updated_zone)),
            author=self.author,
            categories=unpack_categories(self.categories),
            tags=unpack_tags(self.tags),
            thumbnail=None
            if self.thumbnail is None
            else Thumbnail(self.thumbnail, self.thumbnail_type),
            given_summary=self.given_summary,
            body_format=intern(self.body_format),
            mtime=self.mtime,
        )

    def ref(self, rel_path: str) -> PostRef:
        return packed_ref(
            rel_path,
            self.link if self.id is None else self.id,
            self.id is not None,
            self.published,
            self.published_zone,
            self.updated,
            self.categories,
            self.tags,
            self.queries,
            self.in_all,
            self.story,
        )


def packed_ref(
    rel_path: str,
    post_id: str,
    declared_id: bool,
    published: int,
    published_zone: str | int,
    updated: int,
    categories: str,
    tags: str,
    queries: str = "",
    in_all: int = 1,
    story: str = "",
) -> PostRef:
    """A :class:`PostRef` from the packed fields it needs (see :class:`PackedMeta`)."""
    return PostRef(
        rel_path,
        post_id,
        declared_id,
        published,
        zone_of(published_zone),
        updated,
        unpack_categories(categories),
        unpack_tags(tags),
        unpack_tags(queries),
        bool(in_all),
        story,
    )


def zone_key(value: datetime) -> str | int:
    """An aware datetime's zone as plain data: its key, or its UTC offset in microseconds."""
    tz, offset = value.tzinfo, value.utcoffset()
    return tz.key if isinstance(tz, ZoneInfo) else (offset or timedelta()) // MICROSECOND


@lru_cache(maxsize=256)
def zone_of(key: str | int) -> tzinfo:
    """The inverse of :func:`zone_key`."""
    if isinstance(key, str):
        return ZoneInfo(key)
    return UTC if key == 0 else timezone(timedelta(microseconds=key))


@lru_cache(maxsize=4096)
def unpack_categories(text: str) -> tuple[tuple[str, ...], ...]:
    """Category hierarchies from their packed text; posts share a few hundred, so each is
    split once, and the posts holding it share one tuple."""
    return tuple(tuple(map(intern, p.split(_LEVEL))) for p in text.split(_PATH))


@lru_cache(maxsize=4096)
def unpack_tags(text: str) -> tuple[str, ...]:
    return tuple(map(intern, text.split(_PATH))) if text else ()


@dataclass(frozen=True, slots=True)
class PostBody:
    """The expensive part: cleaned, sanitised HTML, its summary and the body's own first image;
    ``problems`` are reasons found while cleaning (nesting flattened, a ``post_link`` to no
    post), for the build to report against the post's path."""

    content_html: str
    summary: str
    first_image: Thumbnail | None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Post:
    """A post ready for a feed."""

    meta: PostMeta
    body: PostBody

    @property
    def thumbnail(self) -> Thumbnail | None:
        return self.meta.thumbnail or self.body.first_image


@dataclass(frozen=True, slots=True)
class Category:
    """A category name, its file-safe slug and where it sits in the hierarchy."""

    name: str
    slug: str
    parents: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class ArchiveLinks:
    """Where a feed document sits in its feed's RFC 5005 archive chain (``archives = true``).

    ``page`` "" is the subscription document (the feed itself); an archive page is named
    after the post that ends the page before it ("first": none), so its name stays while its
    start does (see :mod:`.feeds.archives`).
    ``previous`` is the page ``prev-archive`` points at: from the subscription document the
    newest page ("": none, its subscription document holds its whole history, ``fh:complete``),
    from a page the next older one; ``following`` is the page ``next-archive`` points at, the
    next newer one ("": none, this is the newest page).
    """

    feed_key: str  # the subscription feed's key: "all", "category/<slug>", ...
    page: str = ""
    previous: str = ""
    following: str = ""

    @property
    def complete(self) -> bool:
        """Whether this is a subscription document holding its feed's whole history."""
        return not self.page and not self.previous


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One feed to write: which posts (newest first) under which name."""

    key: str  # "all", "category/<slug>", "tag/<slug>" or "query/<slug>"
    title: str
    description: str
    category: Category | None
    post_ids: tuple[str, ...]
    post_count: int = 0  # every post of the category, not just the newest ones in the feed
    newest: datetime | None = None
    archive: ArchiveLinks | None = None  # only with archives = true (issue 14.1)
    # One story once (issue 14.3): each item that stands for copies of its story left out of
    # the feed (its id, theirs); its content ends with "Also in" and links to them.
    merged: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def duplicates_merged(self) -> int:
        """How many posts the feed left out as copies of a story one of its items stands for."""
        return sum(len(copies) for _, copies in self.merged)


@dataclass(frozen=True, slots=True)
class HealthAlert:
    """A feed ``--fail-on`` can catch: ``kind`` is stale, shrink or oversize."""

    kind: str
    feed: str  # the feed's key
    reason: str

    def __str__(self) -> str:
        return f"{self.feed}: {self.kind}: {self.reason}"


@dataclass(slots=True)
class BuildReport:
    """What a build did, for the CLI's summary line and for tests."""

    posts_read: int = 0  # usable posts
    posts_skipped: int = 0
    feeds_written: int = 0  # feeds with at least one file rewritten
    feeds_unchanged: int = 0  # feeds whose files were all current
    files_written: int = 0  # every file rewritten: feeds, site files, the manifest
    files_removed: int = 0  # files of feeds that no longer exist
    files_scanned: int = 0  # post files read (the others' front matter came from the cache)
    bodies_cleaned: int = 0  # bodies cleaned (the other feed-bound ones came from the cache)
    problems: list[Problem] = field(default_factory=list)
    alerts: list[HealthAlert] = field(default_factory=list)  # from health.json (any kind)
    known: frozenset[Problem] = frozenset()  # of problems, those the last build reported too

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]
