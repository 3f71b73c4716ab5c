"""The library API: collect → normalise → plan feeds → clean feed-bound bodies → write.

Front matter is read for every post; bodies are read again and cleaned only for the posts
that land in at least one feed, so a build's cost is dominated by the cheap pass. Big
passes run in a process pool over batches of files, and with a :class:`~.cache.Cache` only
files whose size or mtime changed are read at all, and only feeds whose inputs changed are
rendered.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib
import itertools
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from .cache import (
    Cache,
    FeedRecord,
    MetaRow,
    Snapshot,
    cache_path,
    meta_from_row,
    meta_row,
    problems_from_json,
    problems_to_json,
    ref_from_row,
    ref_row,
    stamp,
)
from .collect.files import PostFile, find_post_files, read_post
from .config import Config
from .errors import CacheError, ConfigError, WouldEmptySiteError
from .feeds.dedupe import dedupe
from .feeds.plan import plan_feeds
from .models import (
    BuildReport,
    Category,
    FeedSpec,
    Post,
    PostBody,
    PostMeta,
    PostRef,
    Problem,
    Severity,
    epoch_micros,
)
from .normalise import future_reason, normalise_meta
from .output.writer import MANIFEST_NAME, OutputDir, build_lock
from .progress import stage

# Below these counts a process pool costs more than it saves.
POOL_MIN_FILES = 2000
POOL_MIN_BODIES = 200
POOL_MIN_FEED_ITEMS = 500  # items over all feeds to render
BATCH_SIZE = 250
# A file modified this close to a scan may change again within the same mtime: not cached.
DOUBT_NS = 2_000_000_000

T = TypeVar("T")
R = TypeVar("R")
Scanned = tuple[MetaRow | None, list[Problem]]  # a post's metadata row, or None: skipped


@dataclass
class Scan:
    """Every usable post's :class:`PostRef`, and what went wrong with the rest.

    ``rows`` holds the full metadata rows of the posts read in this scan when there is no
    cache to keep them; with one, they are in the cache (see :func:`post_metas`).
    """

    refs: list[PostRef] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: dict[str, PostFile] = field(default_factory=dict)
    rows: dict[str, MetaRow] = field(default_factory=dict)
    posts_read: int = 0
    posts_skipped: int = 0
    next_due: datetime | None = None  # when the first post skipped as future becomes due


Listing = tuple[list[PostFile], list[Problem]]


def scan_file(
    file: PostFile, config: Config, now: datetime | None
) -> tuple[PostMeta | None, list[Problem]]:
    """Read one file and normalise its front matter (``now=None``: keep future posts)."""
    source, problems = read_post(file, config.max_file_bytes, config.max_front_matter_bytes)
    if source is None:
        return None, problems
    meta, more = normalise_meta(source, config, now)
    return meta, problems + more


def _scan_batch(files: Sequence[PostFile], config: Config) -> list[Scanned]:
    """Rows, not PostMeta objects: what the cache stores, and far cheaper to send back."""
    scanned = []
    for file in files:
        meta, problems = scan_file(file, config, None)
        scanned.append((None if meta is None else meta_row(meta), problems))
    return scanned


def _workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def iter_batches(
    func: Callable[[Sequence[T], Config], list[R]],
    items: Sequence[T],
    config: Config,
    pool_min: int,
    batch_size: int = BATCH_SIZE,
    meanwhile: Callable[[], object] | None = None,
) -> Iterator[R]:
    """``func`` over ``items`` in batches, in a process pool when there are enough; in order,
    each result as soon as its batch is done (so a big pass never holds all its results).

    ``meanwhile`` runs in this process while the pool's workers start on the batches.
    """
    batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
    workers = _workers()
    if len(items) < pool_min or workers < 2:
        for batch in batches:
            yield from func(batch, config)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        done = pool.map(func, batches, itertools.repeat(config))
        if meanwhile is not None:
            meanwhile()
        for results in done:
            yield from results


def _cache_key(file: PostFile, doubt_after: int) -> tuple[str, int, int]:
    """(rel_path, size, mtime_ns), with an mtime that never matches for files too new to trust."""
    return file.rel_path, file.size, (file.mtime_ns if file.mtime_ns < doubt_after else -1)


ScanResult = tuple[PostRef | None, list[Problem]]


def _cached_scans(
    cache: Cache, files: dict[str, PostFile]
) -> tuple[dict[str, ScanResult], list[str]]:
    """The cached results still current for ``files``, and the cached paths now gone."""
    found: dict[str, ScanResult] = {}
    gone: list[str] = []
    for rel_path, size, mtime_ns, problems_json, ref_columns in cache.posts():
        file = files.get(rel_path)
        if file is None:
            gone.append(rel_path)
        elif size == file.size and mtime_ns == file.mtime_ns:
            try:
                ref = None if ref_columns is None else ref_from_row(rel_path, ref_columns)
                problems = problems_from_json(problems_json)
                found[rel_path] = ref, problems
            except (ValueError, TypeError, IndexError, KeyError, AttributeError):
                continue  # a damaged record: read the file again
    return found, gone


def list_posts(config: Config) -> Listing:
    """Every post file; a missing posts folder is an error, never an empty site.

    (An unmounted volume must not empty every feed and delete the category ones.)
    """
    if not config.posts_dir.is_dir():
        raise ConfigError(f"posts_dir: {config.posts_dir} is not a folder")
    return find_post_files(config.posts_dir, config.follow_symlinks)


def scan(
    config: Config, now: datetime, cache: Cache | None = None, listing: Listing | None = None
) -> Scan:
    """Read every post's front matter (the pass that touches every file), or its cached result."""
    doubt_after = time.time_ns() - DOUBT_NS
    files, problems = listing or list_posts(config)
    result = Scan(problems=problems, files={f.rel_path: f for f in files})
    result.posts_skipped = sum(1 for p in problems if p.severity is Severity.ERROR)
    found, gone = _cached_scans(cache, result.files) if cache is not None else ({}, [])
    todo = [f for f in files if f.rel_path not in found]
    with stage("scan", len(todo)):
        fresh = _fresh_scans(todo, config, found, result.rows if cache is None else None)
        if cache is None:
            for _ in fresh:  # each lands in found and result.rows
                pass
        else:
            with cache.transaction():
                cache.delete_posts(gone)
                cache.put_posts((_cache_key(f, doubt_after), row, ps) for f, row, ps in fresh)
    now_us = epoch_micros(now)
    for file in files:
        ref, file_problems = found[file.rel_path]
        if ref is not None and ref.published > now_us:
            due = ref.published_at()
            reason = future_reason(due, config, now)
            if reason:
                result.next_due = due if result.next_due is None else min(result.next_due, due)
                problem = Problem(file.rel_path, reason, Severity.ERROR)
                ref, file_problems = None, [*file_problems, problem]
        _collect(result, ref, file_problems)
    result.refs, duplicates = dedupe(result.refs)
    result.problems.extend(duplicates)
    result.posts_skipped += sum(1 for p in duplicates if p.severity is Severity.ERROR)
    return result


def _fresh_scans(
    todo: Sequence[PostFile],
    config: Config,
    found: dict[str, ScanResult],
    rows: dict[str, MetaRow] | None,
) -> Iterator[tuple[PostFile, MetaRow | None, list[Problem]]]:
    """Scan ``todo``, each result into ``found`` as a ref (its row into ``rows``, if given),
    and yielded for the cache: streamed, so 100k rows are never all held at once."""
    results = iter_batches(
        _scan_batch, todo, config, POOL_MIN_FILES, meanwhile=_import_later_stages
    )
    for file, (row, problems) in zip(todo, results, strict=True):
        found[file.rel_path] = (
            None if row is None else ref_from_row(file.rel_path, ref_row(row)),
            problems,
        )
        if rows is not None and row is not None:
            rows[file.rel_path] = row
        yield file, row, problems


def _collect(result: Scan, ref: PostRef | None, problems: list[Problem]) -> None:
    result.problems.extend(problems)
    if ref is None:
        result.posts_skipped += 1
    else:
        result.posts_read += 1
        result.refs.append(ref)


def _import_later_stages() -> None:
    """Import what cleaning and rendering need while the scan's workers are busy: a third
    of a second that would otherwise leave a core idle (their pools fork from here)."""
    importlib.import_module("feedbuilder.normalise.content")
    importlib.import_module("feedbuilder.feeds.formats")


def load_body(meta: PostMeta, file: PostFile, config: Config) -> PostBody:
    """Read a post's body again and clean it (only for posts that land in a feed)."""
    source, _ = read_post(file, config.max_file_bytes, config.max_front_matter_bytes)
    raw = source.body if source is not None else ""
    from .normalise.content import clean_body  # bs4 & co.: not needed by unchanged rebuilds

    return clean_body(
        raw,
        meta.body_format,
        meta.link,
        config.all_junk_selectors,
        config.summary_length,
        meta.given_summary,
    )


def _body_batch(items: Sequence[tuple[PostMeta, PostFile]], config: Config) -> list[PostBody]:
    return [load_body(meta, file, config) for meta, file in items]


def feed_bound_ids(specs: Iterable[FeedSpec]) -> list[str]:
    seen: dict[str, None] = {}
    for spec in specs:
        for post_id in spec.post_ids:
            seen.setdefault(post_id, None)
    return list(seen)


def feed_fingerprint(
    spec: FeedSpec, refs: Sequence[PostRef], rows: dict[str, MetaRow], files: dict[str, PostFile]
) -> str:
    """A hash of everything a feed's bytes depend on but the config and version (the stamp)."""
    category = spec.category
    data = [
        spec.key,
        spec.title,
        spec.description,
        None if category is None else [category.name, category.slug, category.parents],
        [
            [ref.id, rows[ref.rel_path], files[ref.rel_path].size, files[ref.rel_path].mtime_ns]
            for ref in refs
        ],
    ]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


def meta_rows(scan_: Scan, refs: Iterable[PostRef], cache: Cache | None) -> dict[str, MetaRow]:
    """The full metadata rows of ``refs``: kept by the scan, or else read back from the cache."""
    rows: dict[str, MetaRow] = {}
    missing: list[str] = []
    for ref in refs:
        row = scan_.rows.get(ref.rel_path)
        if row is None:
            missing.append(ref.rel_path)
        else:
            rows[ref.rel_path] = row
    if missing:
        found = cache.meta_rows(missing) if cache is not None else {}
        if len(found) < len(missing):
            raise CacheError("post records missing")
        rows.update(found)
    return rows


def post_meta(ref: PostRef, row: MetaRow) -> PostMeta:
    """A post's full metadata, with the id planning gave it (see :func:`.dedupe`)."""
    meta = meta_from_row(ref.rel_path, row)
    return meta if meta.id == ref.id else meta.replace(id=ref.id)


def post_metas(scan_: Scan, cache: Cache | None = None) -> list[PostMeta]:
    """Every usable post's full metadata, in the scan's order: for callers of the library
    (a build decodes only the feed-bound posts')."""
    rows = meta_rows(scan_, scan_.refs, cache)
    return [post_meta(ref, rows[ref.rel_path]) for ref in scan_.refs]


def _outputs_intact(outputs: Iterable[tuple[str, int, int]], config: Config) -> bool:
    """Whether every (path, size, mtime_ns) output is still there, as written (by its stat)."""
    for rel_path, size, mtime_ns in outputs:
        try:
            info = os.stat(config.output_dir / rel_path)
        except OSError:
            return False
        if info.st_size != size or info.st_mtime_ns != mtime_ns:
            return False
    return True


@dataclass
class Plan:
    """A scan turned into feeds with their posts, ready to render.

    With a cache, ``fresh`` maps the keys of feeds whose inputs and files are unchanged to
    their records (their posts are not loaded); ``fingerprints`` holds every feed's.
    """

    scan: Scan
    specs: list[FeedSpec]
    categories: dict[str, Category]
    posts: dict[str, Post]
    fingerprints: dict[str, str] = field(default_factory=dict)
    fresh: dict[str, FeedRecord] = field(default_factory=dict)


def plan(
    config: Config,
    now: datetime | None = None,
    cache: Cache | None = None,
    listing: Listing | None = None,
) -> Plan:
    """Scan, plan the feeds and clean the bodies they need."""
    with _gc_paused():
        result = scan(config, now or datetime.now(UTC), cache, listing)
    with stage("plan"):
        feed_plan = plan_feeds(result.refs, config)
    specs, categories = feed_plan.specs, feed_plan.categories
    result.problems.extend(feed_plan.problems)
    by_id = {ref.id: ref for ref in result.refs}
    bound = [by_id[i] for i in feed_bound_ids(specs)]
    rows = meta_rows(result, bound, cache)
    try:
        metas = {ref.id: post_meta(ref, rows[ref.rel_path]) for ref in bound}
    except (ValueError, TypeError, IndexError, KeyError) as exc:  # only a tampered cache can
        raise CacheError(f"a damaged post record ({exc})") from None
    fingerprints: dict[str, str] = {}
    fresh: dict[str, FeedRecord] = {}
    if cache is not None:
        records = cache.feeds()
        for spec in specs:
            refs = [by_id[i] for i in spec.post_ids]
            fingerprint = feed_fingerprint(spec, refs, rows, result.files)
            fingerprints[spec.key] = fingerprint
            record = records.get(spec.key)
            if (
                record
                and record.fingerprint == fingerprint
                and _outputs_intact(record.outputs, config)
            ):
                fresh[spec.key] = record
    needed = [metas[i] for i in feed_bound_ids(s for s in specs if s.key not in fresh)]
    bodies = _load_bodies(needed, result.files, config, cache)
    posts = {meta.id: Post(meta, bodies[meta.rel_path]) for meta in needed}
    return Plan(result, specs, categories, posts, fingerprints, fresh)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic GC while the scan makes a PostMeta per post, then those are frozen out of it.

    With 100k long-lived objects the collector rescans them again and again: 2 s of a 10 s
    incremental rebuild. They hold no reference cycles, so pausing it frees nothing late;
    BeautifulSoup's cyclic trees come after, with the collector back on. The last build's
    frozen objects are unfrozen first, so a long-lived process does not keep them all.
    """
    enabled = gc.isenabled()
    gc.unfreeze()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _load_bodies(
    metas: Sequence[PostMeta], files: dict[str, PostFile], config: Config, cache: Cache | None
) -> dict[str, PostBody]:
    """Each post's cleaned body by path: from the cache when current, else cleaned now."""
    doubt_after = time.time_ns() - DOUBT_NS
    keys = {m.rel_path: _cache_key(files[m.rel_path], doubt_after) for m in metas}
    bodies = cache.bodies(keys.values()) if cache is not None else {}
    todo = [(m, files[m.rel_path]) for m in metas if m.rel_path not in bodies]
    if todo:  # imported before the pool forks, so the workers inherit it
        importlib.import_module("feedbuilder.normalise.content")
    with stage("clean", len(todo)):
        batch_size = max(1, min(BATCH_SIZE, len(todo) // (4 * _workers())))  # even shares
        cleaned = list(iter_batches(_body_batch, todo, config, POOL_MIN_BODIES, batch_size))
    bodies.update(zip((m.rel_path for m, _ in todo), cleaned, strict=True))
    if cache is not None and todo:
        with cache.transaction():
            cache.put_bodies(
                (*keys[m.rel_path], body) for (m, _), body in zip(todo, cleaned, strict=True)
            )
    return bodies


def render_feed(spec: FeedSpec, posts: Sequence[Post], config: Config) -> dict[str, bytes]:
    """Every file one feed is written as: its path and bytes in each format."""
    from .feeds.formats import configured  # feedgen & co.: not needed by unchanged rebuilds

    return {fmt.path(spec): fmt.render(spec, posts, config) for fmt in configured(config)}


def _render_batch(
    items: Sequence[tuple[FeedSpec, list[Post]]], config: Config
) -> list[dict[str, bytes]]:
    return [render_feed(spec, posts, config) for spec, posts in items]


def _rendered(plan_: Plan, config: Config) -> list[tuple[FeedSpec, dict[str, bytes]]]:
    """Every feed not fresh in the cache, rendered (on both cores when there are many)."""
    todo = [
        (spec, [plan_.posts[i] for i in spec.post_ids])
        for spec in plan_.specs
        if spec.key not in plan_.fresh
    ]
    items = sum(len(posts) for _, posts in todo)
    if todo:  # imported before the pool forks, so the workers inherit it
        importlib.import_module("feedbuilder.feeds.formats")
    per_worker = -(-len(todo) // _workers()) or 1
    with stage("render", len(todo)):
        pool_min = len(todo) if items >= POOL_MIN_FEED_ITEMS else len(todo) + 1
        rendered = list(iter_batches(_render_batch, todo, config, pool_min, per_worker))
    return [(spec, files) for (spec, _), files in zip(todo, rendered, strict=True)]


def render_all(plan_: Plan, config: Config) -> dict[str, bytes]:
    """Every output file's path and bytes (but the fresh feeds': those are on disk already)."""
    files = {
        path: data for _, rendered in _rendered(plan_, config) for path, data in rendered.items()
    }
    files.update(_site(plan_, config))
    return files


def _site(plan_: Plan, config: Config) -> dict[str, bytes]:
    """The feeds page, OPML and stylesheet: from every feed, so made on every build (cheap)."""
    from .site.page import site_files  # jinja2: not needed by unchanged rebuilds

    with stage("site"):
        return site_files(plan_.specs, config)


def check(config: Config, now: datetime | None = None) -> BuildReport:
    """Read and render everything, write nothing: a dry run that reports every problem."""
    plan_ = plan(config, now)
    render_all(plan_, config)
    return _report(plan_)


def open_cache(config: Config) -> tuple[Cache | None, Problem | None]:
    """The build cache for ``config``; a warning when it had to be rebuilt or left out."""
    path = cache_path(config)
    cache, reason = Cache.open_or_reset(path, stamp(config, config.formats))
    return cache, None if reason is None else Problem(str(path), reason)


def build(
    config: Config, now: datetime | None = None, wait_seconds: float = 0, use_cache: bool = True
) -> BuildReport:
    """Build every feed into the output dir.

    Raises:
        ConfigError: the posts folder is missing.
        WouldEmptySiteError: it holds no post while the output dir holds a built site.
        OutputError: the output dir cannot be written.
        LockedError: another build holds the lock.
    """
    now = now or datetime.now(UTC)
    with build_lock(config.output_dir, wait_seconds):
        cache, warning = open_cache(config) if use_cache else (None, None)
        warnings = [warning] if warning else []
        try:
            listing = list_posts(config)
            if not listing[0] and OutputDir(config.output_dir).previous_manifest():
                # An empty mount point looks just like this: never empty a live site.
                raise WouldEmptySiteError(
                    f"posts_dir: no post files in {config.posts_dir}; refusing to empty the "
                    f"feeds in {config.output_dir} (delete its {MANIFEST_NAME} to allow it)"
                )
            key = listing_key(listing, time.time_ns() - DOUBT_NS) if cache else None
            try:
                unchanged = _unchanged(cache, key, now, config) if cache and key else None
                if unchanged is not None:
                    unchanged.problems.extend(warnings)
                    return unchanged
                plan_ = plan(config, now, cache, listing)
            except CacheError as exc:
                warnings.append(Problem(str(cache_path(config)), f"cache failed ({exc}); not used"))
                if cache is not None:
                    cache.close()
                cache = None
                plan_ = plan(config, now, None, listing)
            report, outputs = _write(plan_, config, cache, warnings)
            if cache is not None:
                _remember(cache, key, plan_, outputs, config, report)
        finally:
            if cache is not None:
                cache.close()
    return report


def listing_key(listing: Listing, doubt_after: int) -> str | None:
    """A hash of every post file's path, size and mtime; None when a file is too new to trust."""
    files, problems = listing
    digest = hashlib.sha256()
    for file in files:
        if file.mtime_ns >= doubt_after:
            return None
        digest.update(f"{file.rel_path}\0{file.size}\0{file.mtime_ns}\n".encode())
    digest.update(problems_to_json(problems).encode())
    return digest.hexdigest()


def _stat_outputs(config: Config, rel_paths: Iterable[str]) -> list[tuple[str, int, int]]:
    stats = []
    for rel_path in rel_paths:
        info = os.stat(config.output_dir / rel_path)
        stats.append((rel_path, info.st_size, info.st_mtime_ns))
    return stats


def _unchanged(cache: Cache, key: str, now: datetime, config: Config) -> BuildReport | None:
    """The last build's report when nothing it depends on changed: no post, no output, no due
    future post (the config and version are in the cache's stamp)."""
    snapshot = cache.snapshot()
    if snapshot is None or snapshot.listing != key:
        return None
    if snapshot.due is not None and now.timestamp() >= snapshot.due:
        return None
    if not _outputs_intact(snapshot.outputs, config):
        return None
    return BuildReport(
        posts_read=snapshot.posts_read,
        posts_skipped=snapshot.posts_skipped,
        feeds_unchanged=len(snapshot.outputs) - 1,  # the manifest is not a feed
        problems=list(snapshot.problems),
    )


def _remember(
    cache: Cache,
    key: str | None,
    plan_: Plan,
    outputs: list[str],
    config: Config,
    report: BuildReport,
) -> None:
    """Store this build's snapshot so an unchanged rebuild can skip everything."""
    due = plan_.scan.next_due.timestamp() if plan_.scan.next_due else None
    try:
        with cache.transaction():
            cache.put_snapshot(
                None
                if key is None
                else Snapshot(
                    key,
                    due,
                    report.posts_read,
                    report.posts_skipped,
                    list(plan_.scan.problems),
                    _stat_outputs(config, outputs),
                )
            )
    except (CacheError, OSError) as exc:
        report.problems.append(Problem(str(cache_path(config)), f"cache not updated ({exc})"))


def _write(
    plan_: Plan, config: Config, cache: Cache | None, warnings: list[Problem]
) -> tuple[BuildReport, list[str]]:
    """Write every output; returns the report and the paths of all outputs, manifest included."""
    output = OutputDir(config.output_dir)
    records = dict(plan_.fresh)
    for record in plan_.fresh.values():
        for rel_path, _, _ in record.outputs:
            output.keep(rel_path)
    for spec, files in _rendered(plan_, config):
        for rel_path, data in files.items():
            output.write(rel_path, data)
        if spec.key in plan_.fingerprints:
            outputs = _stat_outputs(config, files)
            records[spec.key] = FeedRecord(plan_.fingerprints[spec.key], outputs)
    site = _site(plan_, config)
    with stage("write", len(site)) as advance:
        for rel_path, data in site.items():
            output.write(rel_path, data)
            advance(1)
        report = _report(plan_)
        report.problems.extend(warnings)
        report.feeds_written = len(output.written)
        report.feeds_unchanged = len(output.unchanged)
        report.files_removed = len(output.finish())
    if cache is not None and len(plan_.fresh) < len(plan_.specs):
        try:
            with cache.transaction():
                cache.put_feeds(records)
        except CacheError as exc:
            report.problems.append(Problem(str(cache_path(config)), f"cache not updated ({exc})"))
    return report, sorted({*output.written, *output.unchanged})


def _report(plan_: Plan) -> BuildReport:
    return BuildReport(
        posts_read=plan_.scan.posts_read,
        posts_skipped=plan_.scan.posts_skipped,
        problems=list(plan_.scan.problems),
    )
