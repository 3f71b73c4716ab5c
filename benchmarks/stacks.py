"""Summarise a py-spy raw profile: where the samples go, by function, self and inclusive.

py-spy samples every process of the build (``--subprocesses``), but labels a forked worker
with its parent's pid; a stack that runs through ``BaseProcess._bootstrap`` is a pool
worker's. Workers and the main process are reported apart, because the main process's time
is the one that does not split over cores. Samples are of non-idle
threads (py-spy's default), so they measure CPU, not waiting.

CLI::

    py-spy record --subprocesses --format raw --rate 100 -o stacks.txt -- \\
        python -m feedbuilder build --no-cache -v
    python benchmarks/stacks.py stacks.txt [--top 25] [--inclusive-only REGEX]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _function(frame: str) -> str:
    """``func (path/to/file.py:12)`` → ``file.py:func`` (lines dropped, so calls add up)."""
    match = _FRAME.match(frame)
    if match is None:
        return frame
    return f"{'/'.join(Path(match['file']).parts[-2:])}:{match['func']}"


def summarise(path: Path) -> dict[str, tuple[int, Counter[str], Counter[str]]]:
    """Per role ("main", "workers"): (samples, self samples, inclusive samples) by function."""
    roles: dict[str, tuple[int, Counter[str], Counter[str]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        functions = [_function(f) for f in frames if not f.startswith("process ")]
        role = (
            "workers"
            if "multiprocessing/process.py:BaseProcess._bootstrap" in functions
            else "main"
        )
        total, own, inclusive = roles.setdefault(role, (0, Counter(), Counter()))
        own[functions[-1] if functions else "?"] += count
        for function in set(functions):
            inclusive[function] += count
        roles[role] = (total + count, own, inclusive)
    return roles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--inclusive-only",
        default="",
        help="a regex: list only matching functions as inclusive (e.g. 'feedbuilder|bs4')",
    )
    args = parser.parse_args(argv)
    keep = re.compile(args.inclusive_only)
    for role, (total, own, inclusive) in sorted(summarise(args.raw).items()):
        print(f"\n## {role}: {total:,} samples")
        for title, counts in (("self", own), ("inclusive", inclusive)):
            print(f"### {title}")
            ranked = [(f, c) for f, c in counts.most_common() if title == "self" or keep.search(f)]
            for function, count in ranked[: args.top]:
                print(f"  {100 * count / total:5.1f}% {count:>8,}  {function}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
