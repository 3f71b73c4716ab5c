"""A soak of cron cycles (issue 10): real ``feedbuilder build`` processes, their pools forced
on, the posts changing between cycles, and the build's main process alone (or its whole
group) SIGKILLed or SIGTERMed at random moments, with overlapping builds now and then.

After every cycle: no process of the build outlives it (``test_faults.ended``: a bound
generous for a loaded machine; the worst time is reported), the next build gets the lock at
once, no temporary file is left; at the end the output equals a ``--no-cache`` rebuild into
the same output dir, byte for byte.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from feedbuilder.cache import CACHE_NAME
from feedbuilder.output.writer import LOCK_NAME, build_lock
from tests.test_faults import children, ended

SITE = "https://soak.example/"
POSTS = 240
BUDGET_SECONDS = 45  # cycles start until then (the whole test stays near a minute)
MIN_CYCLES = 8


def post_text(i: int, version: int) -> str:
    return (
        f"---\ntitle: Post {i} v{version}\ndate: 2022-03-{i % 28 + 1:02d} {i % 24:02d}:00:00\n"
        f"categories: [c{i % 12}, g{i % 3}]\ntags: [t{i % 7}]\n---\n"
        f"<p>Post {i}, version {version}.</p><p>{'Some filler text. ' * 30}</p>\n"
    )


def command(*extra: str, output: str = "out") -> list[str]:
    return [
        sys.executable,
        "-m",
        "feedbuilder",
        "build",
        "--posts",
        "posts",
        "--output",
        output,
        "--site-url",
        SITE,
        *extra,
    ]


def start(root: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command(*extra),
        cwd=root,
        env={**os.environ, "FEEDBUILDER_POOL": "always"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,  # as cron captures it: a stray worker holding it blocks
        start_new_session=True,
    )


def watch(process: subprocess.Popen[bytes], until: float) -> set[int]:
    """The workers seen while ``process`` runs, until the time ``until`` (or its end)."""
    seen: set[int] = set()
    while time.monotonic() < until and process.poll() is None:
        seen |= children(process.pid)
        time.sleep(0.003)
    return seen


def output_files(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.startswith(CACHE_NAME) and p.name != LOCK_NAME
    }


def mutate(posts: Path, rng: random.Random, versions: dict[int, int], next_id: list[int]) -> None:
    """A cron interval's worth of changes: some posts edited, one added, one deleted."""
    for i in rng.sample(sorted(versions), 4):
        versions[i] += 1
        (posts / f"p{i:04d}.md").write_text(post_text(i, versions[i]))
    gone = rng.choice(sorted(versions))
    del versions[gone]
    (posts / f"p{gone:04d}.md").unlink()
    versions[next_id[0]] = 0
    (posts / f"p{next_id[0]:04d}.md").write_text(post_text(next_id[0], 0))
    next_id[0] += 1


def after_cycle(root: Path, temporaries_left: bool = False) -> None:
    """The checks once every process of a cycle's builds is gone. A SIGKILL between a
    write's open and its rename leaves the temporary (nothing can remove it then): allowed
    until a build completes, which removes it."""
    with build_lock(root / "out"):  # free at once: no process of the builds holds it
        pass
    if not temporaries_left:
        assert list((root / "out").rglob(".*.tmp")) == []


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_cron_cycles_with_the_main_process_killed_at_random(tmp_path: Path) -> None:
    root = tmp_path
    posts = root / "posts"
    posts.mkdir()
    versions = dict.fromkeys(range(POSTS), 0)
    for i in versions:
        (posts / f"p{i:04d}.md").write_text(post_text(i, 0))
    next_id = [POSTS]
    rng = random.Random(20261201)
    started = time.monotonic()
    first = subprocess.run(
        command(), cwd=root, env={**os.environ, "FEEDBUILDER_POOL": "always"}, timeout=120
    )
    assert first.returncode == 0
    # How long the last builds took (where kills aim): the first, whole, build is the
    # slowest, and a loaded machine slows them all; the recent ones say where this one ends.
    durations = [time.monotonic() - started]
    cycles = kills = overlaps = pooled = 0
    worst = 0.0
    killed_hard = False  # since the last build that completed
    while cycles < MIN_CYCLES or time.monotonic() - started < BUDGET_SECONDS:
        cycles += 1
        mutate(posts, rng, versions, next_id)
        if cycles % 5 == 0:  # two cron runs at once: one waits or gives way (75), none breaks
            overlaps += 1
            runs = [start(root), start(root, "--wait", "30")]
            codes = [run.wait(timeout=60) for run in runs]
            assert codes[1] == 0 and codes[0] in (0, 75), codes
            for run in runs:
                ended(run, time.monotonic())
            killed_hard = False
            after_cycle(root)
            continue
        t0 = time.monotonic()
        process = start(root, *(["--no-cache"] if rng.random() < 0.3 else []))
        kill_at = t0 + rng.uniform(0.0, 1.2 * statistics.median(durations[-3:]))
        workers = watch(process, kill_at)
        pooled += bool(workers)
        if process.poll() is None:
            kills += 1
            signum = rng.choice([signal.SIGKILL, signal.SIGTERM])
            killed_hard |= signum == signal.SIGKILL
            (os.killpg if rng.random() < 0.3 else os.kill)(process.pid, signum)
            stderr, _, gone = ended(process, time.monotonic())
            assert process.returncode in (0, -signal.SIGKILL, -signal.SIGTERM, 143), stderr
            assert b"Traceback" not in stderr
        else:
            stderr, _, gone = ended(process, time.monotonic())
            assert process.returncode == 0, stderr
            durations.append(time.monotonic() - t0)
            killed_hard = False
        worst = max(worst, gone)
        after_cycle(root, killed_hard)
    final = subprocess.run(command(), cwd=root, capture_output=True, timeout=120)
    assert final.returncode == 0, final.stderr
    after_cycle(root)
    reference = root / "reference"
    shutil.copytree(root / "out", reference, ignore=shutil.ignore_patterns(f"{CACHE_NAME}*"))
    rebuild = subprocess.run(
        command("--no-cache", output="reference"), cwd=root, capture_output=True, timeout=120
    )
    assert rebuild.returncode == 0, rebuild.stderr
    got, want = output_files(root / "out"), output_files(reference)
    assert got == want
    print(
        f"{cycles} cycles, {kills} kills, {overlaps} overlaps, pools seen in {pooled}; "
        f"every process of a build gone within {worst:.2f} s of its kill or end"
    )
