"""Run a command and measure it: wall time, and the peak memory of its whole process tree.

``os.wait4``'s ``ru_maxrss`` is only the largest single process (a pool's parent or one of
its workers), so a sampler thread also sums the tree's memory every ``interval`` seconds:
every descendant found through ``/proc/*/stat``, each counted by its proportional set size
(``Pss`` in ``/proc/PID/smaps_rollup``), which splits the pages forked workers share with
their parent between them instead of counting them once per process. The tree's peak is the
larger of that sampled sum and the largest single process (a peak between two samples).
Linux only; elsewhere the tree figure falls back to ``ru_maxrss``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Measured:
    """One finished command: wall seconds, MB of its tree's peak and of its largest process."""

    seconds: float
    tree_mb: float
    largest_mb: float
    killed: bool = False  # stopped for going over the memory limit


def _parents() -> dict[int, int]:
    """Every live process's parent pid."""
    parents: dict[int, int] = {}
    for entry in os.listdir(PROC):
        if not entry.isdigit():
            continue
        try:
            stat = (PROC / entry / "stat").read_bytes()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses
        fields = stat[stat.rindex(b")") + 2 :].split()
        parents[int(entry)] = int(fields[1])
    return parents


def descendants(root: int) -> list[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def pss_kb(pid: int) -> int:
    """A process's proportional set size in KiB (0 if it is gone)."""
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the summed PSS of ``root``'s tree until stopped; optionally kills it over a limit."""

    def __init__(self, root: int, interval: float, limit_mb: float | None) -> None:
        super().__init__(daemon=True)
        self.root, self.interval, self.limit_mb = root, interval, limit_mb
        self.peak_kb = 0
        self.killed = False
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            total = sum(pss_kb(pid) for pid in descendants(self.root))
            self.peak_kb = max(self.peak_kb, total)
            if self.limit_mb is not None and total / 1024 > self.limit_mb and not self.killed:
                self.killed = True
                for pid in descendants(self.root):
                    with contextlib.suppress(OSError):
                        os.kill(pid, 9)
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


def measure(
    command: Sequence[str],
    cwd: Path | None = None,
    interval: float = 0.05,
    limit_mb: float | None = None,
) -> tuple[Measured, str]:
    """Run ``command``; its measurements and its stderr. Raises if it fails (unless killed)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    sampler = TreeSampler(proc.pid, interval, limit_mb) if PROC.is_dir() else None
    if sampler is not None:
        sampler.start()
    assert proc.stderr is not None
    errors = proc.stderr.read().decode(errors="replace")  # until it closes: the tree is done
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    largest_mb = usage.ru_maxrss / 1024  # Linux: KiB
    tree_mb = largest_mb
    killed = False
    if sampler is not None:
        sampler.stop()
        tree_mb = max(tree_mb, sampler.peak_kb / 1024)
        killed = sampler.killed
    if proc.returncode != 0 and not killed:
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}):\n{errors}")
    return Measured(seconds, tree_mb, largest_mb, killed), errors
