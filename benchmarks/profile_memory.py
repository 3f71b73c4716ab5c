"""Where a build's memory goes: tracemalloc snapshots at the end of every stage.

Runs ``feedbuilder.pipeline.build`` in this process with :mod:`tracemalloc` on, and at the end
of each stage (the ``-v`` stage log lines are the hook, so nothing in feedbuilder changes)
prints the traced memory, its peak so far, the process's RSS, and the allocation sites
holding the most, with their block counts and bytes per block. Tracing stops in the pool's
forked workers (it would make them many times slower): only this process is reported, the
one whose memory grows with N. tracemalloc slows allocation-heavy code 2-3x here too: use it
for bytes, not for seconds.

CLI (in a benchmark site: a folder with feedbuilder.toml, posts/ and output/)::

    python benchmarks/profile_memory.py SITE [--no-cache] [--top 12] [--frames 1]
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path


def _rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def report(label: str, top: int, key: str) -> None:
    """One snapshot: totals, then the ``top`` allocation sites."""
    current, peak = tracemalloc.get_traced_memory()
    snapshot = tracemalloc.take_snapshot().filter_traces(
        (tracemalloc.Filter(False, tracemalloc.__file__),)
    )
    stats = snapshot.statistics(key)
    print(
        f"\n## after {label}: traced {current / 2**20:.1f} MB (peak so far "
        f"{peak / 2**20:.1f} MB), RSS {_rss_mb():.0f} MB",
        flush=True,
    )
    for stat in stats[:top]:
        frame = stat.traceback[-1]
        where = f"{'/'.join(Path(frame.filename).parts[-2:])}:{frame.lineno}"
        print(
            f"  {stat.size / 2**20:8.1f} MB {stat.count:>9,} blocks "
            f"{stat.size / max(stat.count, 1):6.0f} B each  {where}",
            flush=True,
        )


class StageSnapshots(logging.Handler):
    """Takes a snapshot whenever feedbuilder logs the end of a stage."""

    def __init__(self, top: int, key: str) -> None:
        super().__init__()
        self.top, self.key, self.pid = top, key, os.getpid()

    def emit(self, record: logging.LogRecord) -> None:
        if os.getpid() == self.pid:  # not in a forked worker
            report(record.getMessage(), self.top, self.key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--frames", type=int, default=1, help="traceback depth (1: by line)")
    args = parser.parse_args(argv)
    os.chdir(args.site)
    tracemalloc.start(args.frames)
    os.register_at_fork(after_in_child=tracemalloc.stop)
    from feedbuilder.config import load_config
    from feedbuilder.pipeline import build
    from feedbuilder.progress import log

    log.addHandler(StageSnapshots(args.top, "traceback" if args.frames > 1 else "lineno"))
    log.setLevel(logging.INFO)
    started = time.perf_counter()
    result = build(load_config(), cache=not args.no_cache, tune_gc=True)
    peak = tracemalloc.get_traced_memory()[1]
    print(
        f"\nbuilt in {time.perf_counter() - started:.1f} s (traced): {result.posts_read} posts; "
        f"traced peak {peak / 2**20:.1f} MB, "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
