"""The typed records passed between the pipeline stages.

collect → :class:`SourcePost` → normalise → :class:`PostMeta` (+ :class:`PostBody`)
→ feeds → :class:`Feed` → output.

Every record is a frozen, picklable dataclass made of plain values so it can cross a
process pool and be stored in the cache.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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
        """Every category the post belongs to, each level of each hierarchy, in order, once."""
        seen: dict[str, None] = {}
        for path in self.categories:
            for name in path:
                seen.setdefault(name, None)
        return list(seen)

    def replace(self, **changes: Any) -> PostMeta:
        return dataclasses.replace(self, **changes)


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
