"""Benchmark feedbuilder against the floor: cold, unchanged and incremental builds.

For each size N: generate (once, cached in the work dir) a seed-like corpus, copy it to a
scratch posts folder, then measure, each build in its own process (its peak RSS read from
``os.wait4``):

- the floor (benchmarks/floor.py: read every file, CSafeLoader its front matter),
- a cold build (empty output dir, no cache; the cache is written),
- the same with ``--no-cache``,
- a rebuild with nothing changed (and how many output files it rewrote: should be 0),
- an incremental rebuild after adding 1%, editing 1% and deleting 1% of the posts,
  whose output is then compared with a cold ``--no-cache`` build of the same posts.

Times are medians of ``--repeat`` runs (one run from 50k posts up) and include starting
Python, as a cron job pays it. Each build's ratio is to a floor measured just before it: on a
shared machine whose speed drifts, a floor taken minutes earlier would skew the ratio either
way. The floor row shows the median of all of them. Prints a Markdown table.

CLI::

    python benchmarks/run.py --sizes 10000 100000 [--work-dir DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from floor import measure_floor
from generate_corpus import add_posts, delete_posts, edit_posts, generate

CONFIG = """\
site_title = "Benchmark"
site_url = "https://example.com/"
timezone = "Asia/Shanghai"
language = "zh-CN"
items_per_feed = 50
posts_dir = "posts"
output_dir = "output"
"""
CACHE_PREFIX = ".feedbuilder-cache"
SINGLE_RUN_FROM = 50_000


@dataclass
class Row:
    size: int
    step: str
    seconds: float
    floor: float
    peak_mb: float | None = None
    written: int | None = None


def corpus(work_dir: Path, size: int, seed: int) -> Path:
    """The pristine corpus of ``size`` posts, generated on first use."""
    path = work_dir / f"corpus-{size}-{seed}"
    done = path / ".complete"
    if not done.exists():
        shutil.rmtree(path, ignore_errors=True)
        generate(path, size, seed)
        done.touch()
    return path


def run_build(site: Path, *args: str) -> tuple[float, float]:
    """One ``feedbuilder build`` in a child process: (wall seconds, peak RSS in MB)."""
    command = [sys.executable, "-m", "feedbuilder", "build", "--quiet", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=site, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    errors = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}):\n{errors}")
    return seconds, usage.ru_maxrss / 1024  # Linux: KiB


def output_state(output: Path) -> dict[str, int]:
    """Every output file (but the cache) with its mtime, to count what a build rewrote."""
    return {
        str(p.relative_to(output)): p.stat().st_mtime_ns
        for p in output.rglob("*")
        if p.is_file() and not p.name.startswith(CACHE_PREFIX)
    }


def same_trees(left: Path, right: Path) -> list[str]:
    """Relative paths that differ between two output trees (the cache left out)."""
    names = set(output_state(left)) | set(output_state(right))
    return sorted(
        n
        for n in names
        if not (left / n).is_file()
        or not (right / n).is_file()
        or not filecmp.cmp(left / n, right / n, shallow=False)
    )


def bench_size(work_dir: Path, size: int, repeat: int, seed: int, verify: bool) -> list[Row]:
    runs = 1 if size >= SINGLE_RUN_FROM else repeat
    site = work_dir / f"site-{size}"
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    (site / "feedbuilder.toml").write_text(CONFIG, encoding="utf-8")
    posts, output = site / "posts", site / "output"
    shutil.copytree(corpus(work_dir, size, seed), posts)  # copy2 keeps the mtimes
    floors: list[float] = []
    rows: list[Row] = []

    def measure(step: str, args: tuple[str, ...], before: object = None, times: int = runs) -> None:
        timings, step_floors, peaks, written = [], [], [], []
        for attempt in range(times):
            if callable(before):
                before(attempt)
            step_floors.append(measure_floor(posts))
            state = output_state(output) if output.exists() else {}
            seconds, peak = run_build(site, *args)
            after = output_state(output)
            written.append(sum(1 for k, v in after.items() if state.get(k) != v))
            timings.append(seconds)
            peaks.append(peak)
        floors.extend(step_floors)
        floor = statistics.median(step_floors)
        rows.append(Row(size, step, statistics.median(timings), floor, max(peaks), max(written)))

    def empty_output(_: int) -> None:
        shutil.rmtree(output, ignore_errors=True)

    measure("cold build, no cache (--no-cache)", ("--no-cache",), empty_output)
    measure("cold build, writing the cache", (), empty_output)
    measure("rebuild, nothing changed", ())

    def change(attempt: int) -> None:
        edit_posts(posts, 0.01, seed=100 + attempt)
        delete_posts(posts, 0.01, seed=200 + attempt)
        add_posts(posts, 0.01, seed=300 + attempt)

    measure("incremental: +1% added, 1% edited, 1% deleted", (), change)
    floor = statistics.median(floors)
    rows.insert(0, Row(size, "floor (read + CSafeLoader front matter)", floor, floor))
    if verify:
        reference = site / "reference"
        run_build(site, "--no-cache", "--output", str(reference))
        differ = same_trees(output, reference)
        if differ:
            raise AssertionError(f"incremental output differs from a cold build: {differ[:5]}")
    return rows


def table(rows: list[Row]) -> str:
    lines = [
        "| posts | step | seconds | × floor | peak RSS MB | files written |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        peak = "" if r.peak_mb is None else f"{r.peak_mb:.0f}"
        written = "" if r.written is None else str(r.written)
        lines.append(
            f"| {r.size:,} | {r.step} | {r.seconds:.2f} | {r.seconds / r.floor:.2f} "
            f"| {peak} | {written} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "feedbuilder-bench",
        help="where corpora are generated (and kept for the next run)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per step (median)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-verify", action="store_true", help="skip comparing incremental and cold output"
    )
    args = parser.parse_args(argv)
    rows: list[Row] = []
    for size in args.sizes:
        rows.extend(bench_size(args.work_dir, size, args.repeat, args.seed, not args.no_verify))
        print(f"N={size} done", file=sys.stderr)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
