"""Stage seven: what the next build may skip, into the cache: each feed's fingerprint with
the stat of its files, and a snapshot of the whole build (see :mod:`..incremental`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from ..cache import Cache, FeedRecord, Output, Snapshot
from ..errors import CacheError
from ..models import BuildReport, Problem
from ..output.writer import OutputDir
from ..progress import stage
from .render import RenderedFeed
from .write import Written


def remember(
    cache: Cache,
    output: OutputDir,
    listing_key: str | None,
    next_due: datetime | None,
    report: BuildReport,
    records: Mapping[str, FeedRecord],
    fingerprints: Mapping[str, str],
    rendered: Sequence[RenderedFeed],
    written: Written,
) -> Problem | None:
    """Store the records of the feeds just written beside those ``records`` kept, and the
    build's snapshot (none when the listing is in doubt: ``listing_key`` None); a warning
    when the cache cannot take them (the next build then does more work, never wrong work).
    """
    with stage("remember"):
        stats = output.stats(written.outputs)
        try:
            feeds = dict(records)
            for feed in rendered:
                feeds[feed.spec.key] = FeedRecord(
                    fingerprints[feed.spec.key], _outputs(feed.files, stats)
                )
            snapshot = None
            if listing_key is not None:
                snapshot = Snapshot(
                    listing_key,
                    next_due.timestamp() if next_due else None,
                    report.posts_read,
                    report.posts_skipped,
                    report.feeds_written + report.feeds_unchanged,
                    list(report.problems),
                    _outputs(written.outputs, stats),
                )
            with cache.transaction():
                cache.put_feeds(feeds)
                cache.put_snapshot(snapshot)
        except (CacheError, LookupError) as exc:
            return Problem(str(cache.path), f"cache not updated ({exc})")
    return None


def _outputs(
    rel_paths: Sequence[str] | Mapping[str, bytes], stats: Mapping[str, tuple[int, int] | None]
) -> list[Output]:
    """(path, size, mtime_ns) of each file; raises LookupError for one that is gone."""
    found: list[Output] = []
    for rel_path in rel_paths:
        stat = stats[rel_path]
        if stat is None:
            raise LookupError(f"{rel_path} vanished")
        found.append((rel_path, *stat))
    return found
