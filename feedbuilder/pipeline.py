"""The library API: :func:`build` and :func:`check`, each the stages of :mod:`.stages` in order.

list → scan → plan → load bodies → render → health → write → remember. Front matter is read
for every post; bodies are read again and cleaned only for the posts that land in a feed, so
a build's cost is dominated by the cheap pass. Big passes run in a process pool (:mod:`.pool`), and
with a :class:`~.cache.Cache` only files whose size or mtime changed are read at all, and
only feeds whose inputs changed are rendered (:mod:`.incremental` decides).

The seams are parameters: ``now`` is the one clock every time decision uses, ``cache`` the
build cache (or none), ``workers`` the process pool's size and policy.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from .cache import Cache, cache_file, stamp
from .config import Config
from .edits import Edits, known_problems
from .errors import CacheError
from .incremental import Decider
from .models import BuildReport, Post, Problem
from .output.health import HEALTH_PATH, alerts, read_health
from .output.state import STATE_NAME, load_state, save_state
from .output.writer import OutputDir, build_lock
from .pool import Workers
from .stages.archive import Archived, write_archives
from .stages.bodies import load_posts, post_links
from .stages.health import keep_measured, measure
from .stages.listing import (
    Listing,
    list_posts,
    refuse_to_empty,
    require_apart,
    require_posts_dir,
)
from .stages.plan import Planned, plan
from .stages.remember import remember
from .stages.render import EntryKey, PostEntries, render
from .stages.scan import Scan, scan
from .stages.write import write

if TYPE_CHECKING:  # bodies' Hexo tags: imported when there are bodies to clean
    from .normalise.hexotags import PostLinkTarget


def build(
    config: Config,
    *,
    now: datetime | None = None,
    cache: Cache | bool = True,
    workers: Workers | None = None,
    wait_seconds: float = 0,
    tune_gc: bool = False,
    allow_shrink: bool = False,
) -> BuildReport:
    """Build every feed into the output dir.

    ``now``: the build's clock (default: the current time): which posts are due, and which
    files are too new to trust from the cache. ``cache``: True for the config's build cache,
    False for none, or an open :class:`~.cache.Cache` (the caller's to close).
    ``workers``: the process pool (default: every CPU, for passes big enough). ``tune_gc``:
    pause the cyclic garbage collector during the scan and freeze the scan's objects out of
    it after (process-wide, so off unless asked: the CLI asks).

    Raises:
        ConfigError: the posts folder is missing, or the output dir is, holds or sits in it
            (nothing is created).
        WouldEmptySiteError: it holds no post while the output dir holds a built site, or
            (MassFailureError) most posts the last build used are unusable now.
        OutputError: the output dir cannot be written; every file in it is whole.
        LockedError: another build holds the lock for longer than ``wait_seconds``.
        WorkerError: a worker process died; nothing was written.
    """
    decider = Decider(now or datetime.now(UTC))
    workers = workers or Workers()
    require_posts_dir(config.posts_dir)  # before the lock: a failed build creates nothing
    require_apart(config.posts_dir, config.output_dir)
    with build_lock(config.output_dir, wait_seconds):
        output = OutputDir(config.output_dir)
        listing = list_posts(config.posts_dir, config.follow_symlinks, config.hexo)
        if not allow_shrink:
            refuse_to_empty(listing, config.posts_dir, output)
        last = load_state(config.output_dir)
        listed = listing.files.stats()
        edits = Edits(last, stamp(config)[:16], decider.now, listed)
        with _opened(cache, config) as (store, warnings):
            key = decider.listing_key(listing.files, listing.problems) if store else None
            report = _last_build(store, key, decider, output) if store else None
            if report is not None:
                _save_state(config, edits, report)
            elif store is not None:
                try:
                    report = _build(
                        config,
                        decider,
                        listing,
                        output,
                        store,
                        key,
                        workers,
                        tune_gc,
                        edits,
                        allow_shrink,
                        store,
                    )
                except CacheError as exc:
                    warnings.append(Problem(str(store.path), f"cache failed ({exc}); not used"))
            if report is None:  # no cache, or it failed: nothing to guard against (allowed)
                report = _without_cache(
                    partial(
                        _build,
                        config,
                        decider,
                        listing,
                        output,
                        None,
                        None,
                        workers,
                        tune_gc,
                        edits,
                        True,
                    ),
                    warnings,
                )
            report.problems.extend(warnings)
        report.known = known_problems(report.problems, last, listed)
        report.problems.extend(_announce(config))
    return report


def _announce(config: Config) -> list[Problem]:
    """WebSub: ping the hub for the feeds not yet announced as they now are (the output is
    final; still under the lock, which guards the announcement state)."""
    from .output.websub import announce_changes  # returns at once without a hub

    return announce_changes(config.output_dir, config.websub_hub, config.feeds_url)


def _build(
    config: Config,
    decider: Decider,
    listing: Listing,
    output: OutputDir,
    cache: Cache | None,
    listing_key: str | None,
    workers: Workers,
    tune_gc: bool,
    edits: Edits,
    allow_shrink: bool,
    scan_store: Cache,
) -> BuildReport:
    """The stages of a build that has something to do; the scan's metadata kept in
    ``scan_store`` (the cache, or a temporary one)."""
    with _gc_paused() if tune_gc else contextlib.nullcontext():
        scanned = scan(listing, config, decider, scan_store, workers, allow_shrink)
    planned = plan(scanned, config, decider, cache, output)
    previous = read_health(output.root)
    keep_measured(planned, previous)
    needed = planned.needed()
    links = _links(scanned, config, bool(needed) or planned.archives is not None)
    posts, cleaned, cleaning_problems = load_posts(
        needed, scanned.files, config, decider, cache, workers, links
    )
    if config.hexo is None:  # a Hexo site's update dates follow its updated_option
        posts = edits.date(posts)
    rendered = render(planned.todo, planned.feeds.specs, posts, config, workers, planned.sources)
    archived = _archives(
        planned, scanned, config, decider, cache, output, workers, posts, links, rendered.entries
    )
    health = measure(planned, posts, rendered, config, previous)
    site = {**rendered.site, HEALTH_PATH: health.to_json()}
    written = write(rendered._replace(site=site), planned.kept, output)
    report = BuildReport(
        posts_read=scanned.posts_read,
        posts_skipped=scanned.posts_skipped,
        feeds_written=written.feeds_written,
        feeds_unchanged=written.feeds_unchanged,
        files_written=written.files_written,
        files_removed=written.files_removed,
        files_scanned=scanned.files_scanned,
        bodies_cleaned=cleaned + archived.cleaned,
        problems=[
            *scanned.problems,
            *planned.feeds.problems,
            *cleaning_problems,
            *archived.problems,
        ],
        alerts=alerts(health, previous, decider.now),
    )
    _save_state(config, edits, report)  # before the cache calls these feeds current
    if cache is not None:
        warning = remember(
            cache,
            output,
            listing_key,
            _soonest(scanned.next_due, planned.feeds.expires),
            report,
            {**planned.kept, **archived.records},
            planned.fingerprints,
            rendered.feeds,
            written,
        )
        if warning is not None:
            report.problems.append(warning)
    return report


def _soonest(*moments: datetime | None) -> datetime | None:
    """When the output next changes with no input changing: a future post falls due, or a
    post ages out of a ``max_age_days`` feed."""
    return min((m for m in moments if m is not None), default=None)


def _archives(
    planned: Planned,
    scanned: Scan,
    config: Config,
    decider: Decider,
    cache: Cache | None,
    output: OutputDir,
    workers: Workers,
    loaded: Mapping[str, Post],
    links: Mapping[str, PostLinkTarget] | None,
    entries: dict[EntryKey, PostEntries],
) -> Archived:
    """``archives = true``: the archive pages, written before the feeds that link to them
    (the feeds' posts, ``loaded``, are not read again, nor their ``entries`` rendered)."""
    if planned.archives is None:
        return Archived()
    return write_archives(
        planned.archives, scanned, config, decider, cache, output, workers, links, loaded, entries
    )


def _save_state(config: Config, edits: Edits, report: BuildReport) -> None:
    """The output's state after this build (see :mod:`.output.state`), saved once the feeds
    are written and before the cache records them as current: a build killed in between
    leaves feeds that the next build renders and dates again, never ones it keeps while
    the state has forgotten their edits."""
    try:
        save_state(config.output_dir, edits.state(report.problems))
    except OSError as exc:
        where = config.output_dir / STATE_NAME
        report.problems.append(Problem(str(where), f"not saved ({exc.strerror or exc})"))


def _without_cache(run: Callable[[Cache], BuildReport], warnings: list[Problem]) -> BuildReport:
    """``run`` with a temporary database for the scan's metadata, so a build without a cache
    does not hold every post's; when that fails (a full disk), with one in memory."""
    try:
        with Cache.scratch() as scratch:
            return run(scratch)
    except CacheError as exc:
        warnings.append(Problem("temporary database", f"failed ({exc}); kept in memory"))
    memory = Cache.in_memory()
    try:
        return run(memory)
    finally:
        memory.close()


def _links(scanned: Scan, config: Config, wanted: bool) -> dict[str, PostLinkTarget] | None:
    """Every post's link by slug and title, for a Hexo site's ``post_link`` tags (worked out
    once, and only when there are bodies to clean)."""
    if config.hexo is None or not wanted:
        return None
    return post_links(scanned.metas(scanned.refs))


def check(
    config: Config,
    *,
    now: datetime | None = None,
    workers: Workers | None = None,
    tune_gc: bool = False,
) -> BuildReport:
    """Read and render everything, write nothing (no lock, no cache): a dry run that reports
    every problem. The parameters are :func:`build`'s.

    Raises:
        ConfigError: the posts folder is missing.
        WorkerError: a worker process died.
    """
    decider = Decider(now or datetime.now(UTC))
    workers = workers or Workers()
    listing = list_posts(config.posts_dir, config.follow_symlinks, config.hexo)
    warnings: list[Problem] = []
    report = _without_cache(partial(_check, config, decider, listing, workers, tune_gc), warnings)
    report.problems.extend(warnings)
    return report


def _check(
    config: Config,
    decider: Decider,
    listing: Listing,
    workers: Workers,
    tune_gc: bool,
    scan_store: Cache,
) -> BuildReport:
    with _gc_paused() if tune_gc else contextlib.nullcontext():
        scanned = scan(listing, config, decider, scan_store, workers)
    planned = plan(scanned, config, decider)
    needed = planned.needed()
    posts, cleaned, cleaning_problems = load_posts(
        needed, scanned.files, config, decider, None, workers, _links(scanned, config, bool(needed))
    )
    render(planned.todo, planned.feeds.specs, posts, config, workers, planned.sources)
    return BuildReport(
        posts_read=scanned.posts_read,
        posts_skipped=scanned.posts_skipped,
        files_scanned=scanned.files_scanned,
        bodies_cleaned=cleaned,
        problems=[*scanned.problems, *planned.feeds.problems, *cleaning_problems],
    )


def scan_posts(
    config: Config, *, now: datetime | None = None, workers: Workers | None = None
) -> Scan:
    """Every post's front matter, read afresh (no cache), for callers of the library: e.g.
    ``scanned.metas(scanned.refs)`` is every usable post's metadata.

    Raises:
        ConfigError: the posts folder is missing.
    """
    listing = list_posts(config.posts_dir, config.follow_symlinks, config.hexo)
    store = Cache.in_memory()  # the scan's: it lives as long as the scan
    return scan(listing, config, Decider(now or datetime.now(UTC)), store, workers or Workers())


@contextlib.contextmanager
def _opened(cache: Cache | bool, config: Config) -> Iterator[tuple[Cache | None, list[Problem]]]:
    """The cache to build with and a warning if it had to be rebuilt or left out; closed
    after the build when it was opened here."""
    if not isinstance(cache, Cache):
        if not cache:
            yield None, []
            return
        path = cache_file(config.cache_dir, config.output_dir)
        opened, reason = Cache.open_or_reset(path, stamp(config))
        try:
            yield opened, [] if reason is None else [Problem(str(path), reason)]
        finally:
            if opened is not None:
                opened.close()
        return
    yield cache, []


def _last_build(
    cache: Cache, listing_key: str | None, decider: Decider, output: OutputDir
) -> BuildReport | None:
    """The last build's report when the decider finds nothing it depended on changed."""
    last = cache.snapshot()
    stats = output.stats(path for path, _, _ in last.outputs) if last else {}
    if last is None or not decider.build_unchanged(last, listing_key, stats):
        return None
    health = read_health(output.root)
    return BuildReport(
        posts_read=last.posts_read,
        posts_skipped=last.posts_skipped,
        feeds_unchanged=last.feeds,
        problems=list(last.problems),
        alerts=[] if health is None else alerts(health, None, decider.now),
    )


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic GC while the scan makes an object or three per post, then those are frozen
    out of it.

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
