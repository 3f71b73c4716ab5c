"""The typed records passed between the pipeline stages.

collect → :class:`SourcePost` → normalise → :class:`PostMeta` (planned by its
:class:`PostRef`; + :class:`PostBody`) → feeds → :class:`FeedSpec` → output.

Every record is a frozen, picklable dataclass (or named tuple) made of plain values so it
can cross a process pool and be stored in the cache.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, NamedTuple


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
        return f"{where}: {self.reason}"


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

    def published_at(self) -> datetime:
        return from_epoch_micros(self.published, self.published_zone)

    def category_names(self) -> list[str]:
        return category_names(self.categories)


@dataclass(frozen=True, slots=True)
class PostBody:
    """The expensive part: cleaned, sanitised HTML, its summary and the body's own first image."""

    content_html: str
    summary: str
    first_image: Thumbnail | None


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
class FeedSpec:
    """One feed to write: which posts (newest first) under which name."""

    key: str  # "all" or "category/<slug>"
    title: str
    description: str
    category: Category | None
    post_ids: tuple[str, ...]
    post_count: int = 0  # every post of the category, not just the newest ones in the feed
    newest: datetime | None = None


@dataclass(slots=True)
class BuildReport:
    """What a build did, for the CLI's summary line and for tests."""

    posts_read: int = 0
    posts_skipped: int = 0
    feeds_written: int = 0
    feeds_unchanged: int = 0
    files_removed: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]
