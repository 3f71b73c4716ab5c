"""Stage two: read every post's front matter (the one pass that touches every file), or take
it from the cache when the file has not changed.

Files are read in batches, in a process pool when there are enough (see :mod:`..pool`); each
result comes back as a :class:`~.models.PackedMeta` and goes straight into the build's
database (the cache, or a temporary one), which then answers for every post: the scan holds
nothing per post but the listing's columns.
"""

from __future__ import annotations

import importlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import NamedTuple

from ..cache import Cache, FileKey
from ..collect.files import PostFile, PostFiles, read_post
from ..config import Config
from ..feeds.dedupe import dedupe
from ..feeds.index import StoredIndex
from ..feeds.queries import in_all, memberships
from ..guard import refuse_mass_failure
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
from ..pool import Workers
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


@dataclass
class Scan:
    """Every listed file's scan, as the build's database (``store``: the cache, or a
    temporary one) holds it, and what this build decided over them: posts dated after ``due``
    held back (None: future posts kept), an update after ``now`` ignored, and of the posts
    sharing an id those ``merged`` away and those ``renamed`` (by rel_path: a few at most).

    Nothing is held per post: :meth:`index` asks the store for each feed's first posts, and
    :meth:`metas` gives the full metadata of the few that need it.
    """

    store: Cache
    files: PostFiles  # every listed file, by rel_path
    problems: list[Problem]
    now: int  # epoch microseconds
    due: int | None
    merged: dict[str, PostRef] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)
    posts_read: int = 0
    posts_skipped: int = 0
    files_scanned: int = 0  # read in this build (the others' scans came from the cache)
    next_due: datetime | None = None  # when the first post skipped as future becomes due

    def index(self, order_by: str = "-date") -> StoredIndex:
        return StoredIndex(self.store, self.now, self.due, order_by, self.merged, self.renamed)

    @property
    def refs(self) -> list[PostRef]:
        """Every usable post's ref, in path order: all at once, for small sites and tests."""
        return list(self.index().adjusted(self.store.refs(self.due)))

    def metas(self, refs: Sequence[PostRef]) -> list[PostMeta]:
        """The full metadata of ``refs``, in order, each with the id the scan gave it.

        Raises:
            CacheError: the store cannot give them (the build then runs without the cache).
        """
        found = self.store.metas([ref.rel_path for ref in refs])
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
    store: Cache,
    workers: Workers,
    allow_shrink: bool = True,
) -> Scan:
    """Every listed file's scan: the store's when the file is unchanged, else read and
    stored; posts that are not due yet at the decider's clock are held back.

    Raises:
        CacheError: the store failed (a build then runs without the cache).
        MassFailureError: not ``allow_shrink``, and most posts the last build used are
            unusable now (see :mod:`..guard`); the store is left as it was.
    """
    files = listing.files
    todo, gone = store.changed(files.listed())
    pool = workers.use_pool(len(todo), POOL_MIN_FILES)
    with stage("scan", len(todo)) as advance, workers.map(pool) as map_:
        sent: deque[list[PostFile]] = deque()
        todo_batches = _batches(files, todo, workers.batch_size, sent)
        results = map_(partial(_scan_batch, config=config), todo_batches)
        if pool:
            _import_later_stages()
        with store.transaction():  # a refused build leaves the store as it was
            usable_before = 0
            if not allow_shrink:
                usable_before = store.note_usable(files.at(row).rel_path for row in todo)
            store.delete_posts(gone)
            store.put_scans(_received(sent, results, decider, advance))
            if usable_before:
                refuse_mass_failure(usable_before, store.failed_since(), config.posts_dir)
    now = epoch_micros(decider.now)
    due = now if config.future_posts == "skip" else None
    result = Scan(store, files, list(listing.problems), now, due, files_scanned=len(todo))
    result.posts_skipped = sum(1 for p in listing.problems if p.severity is Severity.ERROR)
    _hold_back_future_posts(result, config, decider.now)
    result.posts_read = store.usable_count(due)
    _make_ids_unique(result)
    return result


def _batches(
    files: PostFiles, rows: Sequence[int], size: int, sent: deque[list[PostFile]]
) -> Iterator[list[PostFile]]:
    """The files at ``rows`` in batches, made as the pool takes them (a cold scan of a
    million files never holds them all), each also queued on ``sent`` for its result."""
    for start in range(0, len(rows), size):
        batch = [files.at(row) for row in rows[start : start + size]]
        sent.append(batch)
        yield batch


def _received(
    sent: deque[list[PostFile]],
    results: Iterable[list[ScannedPost]],
    decider: Decider,
    advance: Callable[[int], None],
) -> Iterator[tuple[FileKey, PackedMeta | None, list[Problem]]]:
    """Each scan just read, with its file's key, out for the store: streamed, so a big scan
    is never all held at once (results come in the order the batches went out)."""
    for scanned in results:
        batch = sent.popleft()
        for file, (meta, problems) in zip(batch, scanned, strict=True):
            yield decider.file_key(file), meta, problems
        advance(len(batch))


def _hold_back_future_posts(result: Scan, config: Config, now: datetime) -> None:
    """Every problem the scans found into ``result``, in path order, with posts dated after
    ``now`` skipped (unless kept) and update dates after ``now`` ignored (with a warning)
    until then."""
    now_us = result.now
    for rel_path, found, ref in result.store.scan_problems(now_us):
        problems = list(found)
        if ref is not None and ref.published > now_us:
            due = ref.published_at()
            reason = future_reason(due, config, now)
            if reason:
                result.next_due = due if result.next_due is None else min(result.next_due, due)
                problems.append(Problem(rel_path, reason, Severity.ERROR))
                ref = None
        elif ref is not None and ref.updated > now_us:  # not updated yet: ignored till then
            when = from_epoch_micros(ref.updated, ref.published_zone)
            result.next_due = when if result.next_due is None else min(result.next_due, when)
            reason = f"updated date {when.isoformat()} is after the build's time; ignored"
            problems.append(Problem(rel_path, reason))
        result.problems.extend(problems)
        if ref is None and problems:
            result.posts_skipped += 1


def _make_ids_unique(result: Scan) -> None:
    """Of the posts sharing an id (see :mod:`..feeds.dedupe`), which are merged away and
    which renamed, with the problems that says."""
    store, due = result.store, result.due
    shared = list(result.index().adjusted(store.shared_id_refs(due)))
    if not shared:
        return
    kept, duplicates = dedupe(shared, lambda post_id: store.has_id(post_id, due))
    ids = {ref.rel_path: ref.id for ref in kept}
    result.merged = {ref.rel_path: ref for ref in shared if ref.rel_path not in ids}
    result.renamed = {
        ref.rel_path: ids[ref.rel_path] for ref in shared if ids.get(ref.rel_path, ref.id) != ref.id
    }
    result.problems.extend(duplicates)
    result.posts_skipped += sum(1 for p in duplicates if p.severity is Severity.ERROR)


def _import_later_stages() -> None:
    """Import what cleaning and rendering need while the scan's workers are busy: a third
    of a second that would otherwise leave a core idle (their pools fork from here)."""
    importlib.import_module("feedbuilder.normalise.content")
    importlib.import_module("feedbuilder.feeds.formats")
