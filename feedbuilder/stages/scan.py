"""Stage two: read every post's front matter (the one pass that touches every file), or take
it from the cache when the file has not changed.

Files are read in batches, in a process pool when there are enough (see :mod:`..pool`); each
result comes back as a :class:`~.models.PackedMeta` and goes straight into the cache, so a
big scan never holds every post's full metadata unless there is no cache to keep it. What
planning needs of every post is its :class:`~.models.PostRef`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import NamedTuple, Protocol

from ..cache import Cache, FileKey, PlannedScan
from ..collect.files import PostFile, read_post
from ..config import Config
from ..feeds.dedupe import dedupe
from ..feeds.index import MemoryIndex, PostIndex
from ..feeds.queries import in_all, memberships
from ..guard import failed_posts, refuse_mass_failure
from ..incremental import Decider
from ..models import (
    PackedMeta,
    PostMeta,
    PostRef,
    Problem,
    Severity,
    epoch_micros,
    from_epoch_micros,
)
from ..normalise import future_reason, normalise_meta
from ..normalise.fingerprint import story_print
from ..pool import Workers, batches
from ..progress import stage
from .listing import Listing

POOL_MIN_FILES = 2000  # below this a process pool costs more than it saves


class ScannedPost(NamedTuple):
    """One file's scan: its metadata (None: it cannot be used) and what went wrong."""

    meta: PackedMeta | None
    problems: list[Problem]


def scan_post(file: PostFile, config: Config) -> ScannedPost:
    """Read one file and normalise its front matter, and decide which saved queries it
    matches (see :mod:`..feeds.queries`). Future posts are kept: the result is cached, and
    whether a post is due is decided at each build's clock."""
    source, problems = read_post(file, config.max_file_bytes, config.max_front_matter_bytes)
    if source is None:
        return ScannedPost(None, problems)
    meta, more = normalise_meta(source, config, None)
    if meta is None:
        return ScannedPost(None, problems + more)
    queries = memberships(meta, source.body, config.feeds, config.site_author)
    story = story_print(meta.title, source.body).pack() if config.dedupe else ""
    packed = PackedMeta.of(meta, queries, in_all(meta, config.exclude_from_all), story)
    return ScannedPost(packed, problems + more)


def _scan_batch(files: Sequence[PostFile], config: Config) -> list[ScannedPost]:
    return [scan_post(file, config) for file in files]


class MetaSource(Protocol):
    """Where the full metadata of scanned posts is kept: the cache, or this build's memory."""

    def metas(self, rel_paths: Sequence[str]) -> dict[str, PostMeta]: ...


@dataclass
class HeldMetas:
    """The metadata of the posts a build without a cache scanned, packed."""

    packed: dict[str, PackedMeta] = field(default_factory=dict)

    def metas(self, rel_paths: Sequence[str]) -> dict[str, PostMeta]:
        return {path: self.packed[path].unpack(path) for path in rel_paths}


@dataclass
class Scan:
    """Every usable post's :class:`PostRef` (ids made unique), and what went wrong with the
    rest; the full metadata is had from :meth:`metas`, only for the posts that need it."""

    refs: list[PostRef]
    problems: list[Problem]
    files: dict[str, PostFile]  # every listed file, by rel_path
    source: MetaSource
    posts_read: int = 0
    posts_skipped: int = 0
    files_scanned: int = 0  # read in this build (the others' scans came from the cache)
    next_due: datetime | None = None  # when the first post skipped as future becomes due

    def index(self, order_by: str = "-date") -> PostIndex:
        return MemoryIndex(self.refs, order_by)

    def metas(self, refs: Sequence[PostRef]) -> list[PostMeta]:
        """The full metadata of ``refs``, in order, each with the id the scan gave it.

        Raises:
            CacheError: the cache cannot give them (the build then runs without it).
        """
        found = self.source.metas([ref.rel_path for ref in refs])
        return [_as_ref(found[ref.rel_path], ref) for ref in refs]


def _as_ref(meta: PostMeta, ref: PostRef) -> PostMeta:
    """``meta`` with what the build decided for its ref: a unique id, and no update date
    when the one it gives is after the build's time."""
    if meta.id != ref.id:
        meta = meta.replace(id=ref.id)
    if ref.updated == ref.published and meta.updated != meta.published:
        meta = meta.replace(updated=meta.published)
    return meta


def scan(
    listing: Listing,
    config: Config,
    decider: Decider,
    cache: Cache | None,
    workers: Workers,
    allow_shrink: bool = True,
) -> Scan:
    """Every listed file's scan: from the cache when the file is unchanged, else read (and
    stored in the cache); posts that are not due yet at the decider's clock are held back.

    Raises:
        CacheError: the cache failed (the build then runs without it).
        MassFailureError: with a cache and not ``allow_shrink``, most posts the last build
            used are unusable now (see :mod:`..guard`); the cache is left as it was.
    """
    files = {file.rel_path: file for file in listing.files}
    found, gone = cache.scans(files) if cache is not None else ({}, [])
    todo = [file for file in listing.files if file.rel_path not in found]
    held: HeldMetas | None = None
    source: MetaSource
    if cache is None:  # this build keeps the metadata itself
        source = held = HeldMetas()
    else:
        source = cache
    pool = workers.use_pool(len(todo), POOL_MIN_FILES)
    with stage("scan", len(todo)) as advance, workers.map(pool) as map_:
        todo_batches = batches(todo, workers.batch_size)
        results = map_(partial(_scan_batch, config=config), todo_batches)
        if pool:
            _import_later_stages()
        scanned = _received(todo_batches, results, found, held, decider, advance)
        if cache is None:
            for _ in scanned:  # each lands in found and held
                pass
        else:
            with cache.transaction():  # a refused build leaves the cache as it was
                usable_before, was_usable = cache.usable([file.rel_path for file in todo])
                cache.delete_posts(gone)
                cache.put_scans(scanned)
                if not allow_shrink:
                    failed = failed_posts(was_usable, found)
                    refuse_mass_failure(usable_before, failed, config.posts_dir)
    result = Scan([], list(listing.problems), files, source, files_scanned=len(todo))
    result.posts_skipped = sum(1 for p in listing.problems if p.severity is Severity.ERROR)
    _hold_back_future_posts(result, listing.files, found, config, decider.now)
    result.refs, duplicates = dedupe(result.refs)
    result.problems.extend(duplicates)
    result.posts_skipped += sum(1 for p in duplicates if p.severity is Severity.ERROR)
    return result


def _received(
    todo_batches: Sequence[Sequence[PostFile]],
    results: Iterable[list[ScannedPost]],
    found: dict[str, PlannedScan],
    held: HeldMetas | None,
    decider: Decider,
    advance: Callable[[int], None],
) -> Iterator[tuple[FileKey, PackedMeta | None, list[Problem]]]:
    """Each scan just read into ``found`` (and ``held``), and out for the cache: streamed, so
    100k scans are never all held at once."""
    for batch, scanned in zip(todo_batches, results, strict=True):
        for file, (meta, problems) in zip(batch, scanned, strict=True):
            ref = None if meta is None else meta.ref(file.rel_path)
            found[file.rel_path] = (ref, problems or ())  # one shared empty, not a list each
            if held is not None and meta is not None:
                held.packed[file.rel_path] = meta
            yield decider.file_key(file), meta, problems
        advance(len(batch))


def _hold_back_future_posts(
    result: Scan,
    files: Sequence[PostFile],
    found: dict[str, PlannedScan],
    config: Config,
    now: datetime,
) -> None:
    """Every file's scan into ``result``, posts dated after ``now`` skipped (unless kept),
    update dates after ``now`` ignored (with a warning) until then."""
    now_us = epoch_micros(now)
    for file in files:
        ref, problems = found[file.rel_path]
        if ref is not None and ref.published > now_us:
            due = ref.published_at()
            reason = future_reason(due, config, now)
            if reason:
                result.next_due = due if result.next_due is None else min(result.next_due, due)
                ref, problems = None, [*problems, Problem(file.rel_path, reason, Severity.ERROR)]
        elif ref is not None and ref.updated > now_us:  # not updated yet: ignored till then
            when = from_epoch_micros(ref.updated, ref.published_zone)
            result.next_due = when if result.next_due is None else min(result.next_due, when)
            reason = f"updated date {when.isoformat()} is after the build's time; ignored"
            ref, problems = (
                ref._replace(updated=ref.published),
                [
                    *problems,
                    Problem(file.rel_path, reason),
                ],
            )
        result.problems.extend(problems)
        if ref is None:
            if problems:  # no problem: not a post at all (a Hexo draft, `published: false`)
                result.posts_skipped += 1
        else:
            result.posts_read += 1
            result.refs.append(ref)


def _import_later_stages() -> None:
    """Import what cleaning and rendering need while the scan's workers are busy: a third
    of a second that would otherwise leave a core idle (their pools fork from here)."""
    importlib.import_module("feedbuilder.normalise.content")
    importlib.import_module("feedbuilder.feeds.formats")
