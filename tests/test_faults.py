"""Faults: builds killed at random moments, full disks, unwritable output dirs, overlapping
builds and categories that disappear. A previous feed is never lost or left half-written."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import etree

import feedbuilder.output.writer as writer
from feedbuilder.config import Config
from feedbuilder.output.state import STATE_NAME
from feedbuilder.output.writer import LOCK_NAME, MANIFEST_NAME, build_lock
from feedbuilder.pipeline import build

SITE = "https://example.com/"


def write_posts(folder: Path, count: int, version: str, categories: int) -> None:
    """Small posts spread over many categories, so a build writes many feed files. Each has
    its own update date, so that its entries depend on the version alone (an edit of a post
    without one is dated by the build that first sees it: see test_edits)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"post-{i:04d}.md").write_text(
            f"---\ntitle: Post {i} {version}\ndate: 2022-01-01 {i // 60 % 24:02d}:{i % 60:02d}:00\n"
            "updated: 2022-06-01\n"
            f"categories: [cat{i % categories}, group{i % 5}]\n---\n"
            f"<p>Paragraph one of post {i}, {version}.</p><p>{'Filler text. ' * 20}</p>\n",
            encoding="utf-8",
        )


POOLS_ON = {**os.environ, "FEEDBUILDER_POOL": "always"}  # real workers on small corpora


def feedbuilder(*args: str, cwd: Path, pooled: bool = False) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "feedbuilder", *args, "--site-url", SITE],
        cwd=cwd,
        env=POOLS_ON if pooled else None,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def run(*args: str, cwd: Path, pooled: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedbuilder", *args, "--site-url", SITE],
        cwd=cwd,
        env=POOLS_ON if pooled else None,
        capture_output=True,
        text=True,
        timeout=120,
    )


def feed_files(out: Path) -> dict[str, bytes]:
    """The files a reader would fetch (and the manifest): not temporaries, the lock or the cache."""
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file()
        and path.name != LOCK_NAME
        and not path.name.endswith(".tmp")
        and not path.name.startswith(".feedbuilder-cache")
        and path.name != STATE_NAME  # the problems each build reported
    }


def file_stats(out: Path) -> dict[str, tuple[int, int, int]]:
    """Each file under ``out`` by its inode, size and mtime: whatever way a writer changes a
    file (a new inode for one renamed over it), one of them changes."""
    found: dict[str, tuple[int, int, int]] = {}
    folders = [str(out)]
    while folders:
        folder = folders.pop()
        with contextlib.suppress(FileNotFoundError), os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                    continue
                with contextlib.suppress(FileNotFoundError):
                    info = entry.stat(follow_symlinks=False)
                    name = entry.path[len(str(out)) + 1 :]
                    found[name] = (info.st_ino, info.st_size, info.st_mtime_ns)
    return found


@dataclass
class WriteWatch:
    """How far a running build has got in changing the files it must change, watched in the
    output dir itself (the kills aim by this, not by the clock: a loaded machine stretches
    every phase of a build, and no earlier build's timing says where this one is)."""

    out: Path
    pending: set[str]  # files whose bytes this build changes
    before: dict[str, tuple[int, int, int]] = field(init=False)

    def __post_init__(self) -> None:
        self.before = file_stats(self.out)

    def changed(self) -> int:
        now = file_stats(self.out)
        return sum(now.get(name) != self.before[name] for name in self.pending)


# Where each lane's kills aim: at a random file of its write phase, before the build writes
# (anywhere from its start), or once every changed file is in place (the manifest, state
# and cache follow). The first stays first; the others are shuffled.
AIMS = ["during"] * 13 + ["before"] * 6 + ["after"] * 6
KILLS = 2 * len(AIMS)  # two lanes
MID_WRITE_KILLS = 10  # of the 26 aimed there, at least: killed between two files' writes


def kill_outcome(changed: int, pending: int) -> str:
    """What a killed build left: every file it had to change still "old", "mixed", or "new"."""
    return "old" if not changed else "new" if changed == pending else "mixed"


@pytest.mark.slow
def test_sigkill_at_random_moments_never_leaves_a_broken_feed(tmp_path: Path) -> None:
    for version in ("v1", "v2"):
        write_posts(tmp_path / f"posts-{version}", 80, version, categories=40)
    refs = {}
    for version in ("v1", "v2"):
        done = run(
            "build",
            *("--posts", f"posts-{version}", "--output", f"ref-{version}"),
            cwd=tmp_path,
            pooled=True,
        )
        assert done.returncode == 0, done.stderr
        refs[version] = feed_files(tmp_path / f"ref-{version}")
    assert refs["v1"].keys() == refs["v2"].keys() and len(refs["v1"]) > 90
    assert all(refs["v1"][n] != refs["v2"][n] for n in refs["v1"] if n.endswith(".xml"))
    for lane in (0, 1):  # each lane starts from a finished build's feeds and cache
        shutil.copytree(tmp_path / "ref-v1", tmp_path / f"out-{lane}")

    def kill_builds(lane: int) -> Counter[tuple[str, str]]:
        """Kill builds into out-<lane> (two lanes at once: two cores); counts each kill by
        (aim, outcome): the outcome is what the files show, whatever the aim."""
        rng = random.Random(20220125 + lane)
        out = tmp_path / f"out-{lane}"
        # The first kill aims at the write phase, and so times its start for the first
        # "before" kill; each later build it is seen in times it again.
        aims = [AIMS[0], *rng.sample(AIMS[1:], len(AIMS) - 1)]
        write_start = 0.0  # seconds from a build's start to the first file it changed
        outcomes: Counter[tuple[str, str]] = Counter()
        for kill, aim in enumerate(aims):
            before = feed_files(out)
            # The version that changes more files: a build of what is there changes none.
            version = max(refs, key=lambda v: sum(before[n] != refs[v][n] for n in before))
            watch = WriteWatch(
                out, {name for name in before if before[name] != refs[version][name]}
            )
            target = {  # files changed when the kill is sent
                "before": 0,
                "during": rng.randint(1, max(1, len(watch.pending) - 1)),
                "after": len(watch.pending),
            }[aim]
            started = time.monotonic()
            kill_at = started + rng.uniform(0, write_start)  # "before" only
            process = feedbuilder(
                "build",
                *("--posts", f"posts-{version}", "--output", out.name),
                cwd=tmp_path,
                pooled=True,
            )
            first_seen = None
            while process.poll() is None:
                if aim == "before" and time.monotonic() >= kill_at:
                    break
                progress = watch.changed()
                if progress and first_seen is None:
                    first_seen = time.monotonic() - started
                if aim != "before" and progress >= target:
                    break
                time.sleep(0.003)
            write_start = first_seen or write_start
            if aim == "after":  # into the manifest, state or cache, or after the exit
                time.sleep(rng.uniform(0, 0.05))
            process.send_signal(signal.SIGKILL)
            process.wait()
            after = feed_files(out)
            assert after.keys() == refs["v1"].keys()
            for name, data in after.items():
                assert data in (before[name], refs[version][name]), (
                    f"lane {lane} kill {kill} ({aim}): {name} is neither old nor new"
                )
                if name.endswith((".xml", ".xsl", ".opml")):
                    etree.fromstring(data)  # parses completely
                elif name.endswith(".json"):
                    json.loads(data)  # JSON Feeds and the manifest
                else:
                    assert name.endswith(".html") and data.rstrip().endswith(b"</html>")
            changed = sum(after[name] != before[name] for name in watch.pending)
            if process.returncode == 0:  # it had finished
                assert changed == len(watch.pending)
                outcomes[aim, "exited"] += 1
            else:
                assert process.returncode == -signal.SIGKILL
                outcomes[aim, kill_outcome(changed, len(watch.pending))] += 1
        return outcomes

    with ThreadPoolExecutor(2) as pool:
        outcomes = sum(pool.map(kill_builds, (0, 1)), Counter[tuple[str, str]]())
    print(f"{KILLS} kills by (aim, outcome): {dict(sorted(outcomes.items()))}")  # pytest -s
    assert outcomes.total() == KILLS
    ends = Counter(outcome for _, outcome in outcomes.elements())
    # Kills landed everywhere, and enough of them between two files' writes to mean anything.
    assert ends["old"] and ends["new"] and ends["mixed"] >= MID_WRITE_KILLS, outcomes
    for lane in (0, 1):
        done = run(
            "build",
            *("--posts", "posts-v2", "--output", f"out-{lane}"),
            cwd=tmp_path,
            pooled=True,
        )
        assert done.returncode == 0, done.stderr
        assert feed_files(tmp_path / f"out-{lane}") == refs["v2"]
        leftovers = list((tmp_path / f"out-{lane}").rglob(".*.tmp"))
        assert leftovers == [], "a finished build removes temporaries that killed builds left"


# Full disk and permission errors, simulated (root writes through chmod).


@pytest.fixture
def site(tmp_path: Path) -> tuple[Config, dict[str, bytes]]:
    write_posts(tmp_path / "posts", 20, "v1", categories=4)
    config = Config(posts_dir=tmp_path / "posts", output_dir=tmp_path / "out", site_url=SITE)
    build(config)
    before = feed_files(config.output_dir)
    write_posts(tmp_path / "posts", 20, "v2", categories=4)  # the next build changes every feed
    return config, before


FAULTS = {
    "ENOSPC": OSError(errno.ENOSPC, "No space left on device"),
    "EACCES": PermissionError(errno.EACCES, "Permission denied"),
    "EROFS": OSError(errno.EROFS, "Read-only file system"),
}


@pytest.mark.parametrize("where", ["write", "replace", "create"])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_write_fault_leaves_previous_feeds_alone(
    site: tuple[Config, dict[str, bytes]],
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    where: str,
) -> None:
    config, before = site
    calls = {"n": 0}

    def failing(*args: object, **kwargs: object) -> object:
        if where == "create" and not str(args[0]).startswith(str(config.output_dir)):
            return real(*args, **kwargs)  # os.open is global: reading the posts must work
        calls["n"] += 1
        if calls["n"] > 3:  # fail part-way through, after some feeds were written
            raise FAULTS[fault]
        return real(*args, **kwargs)

    if where == "write":
        real = os.fsync
        monkeypatch.setattr(writer.os, "fsync", failing)
    elif where == "replace":
        real = os.replace
        monkeypatch.setattr(writer.os, "replace", failing)
    else:
        real = os.open
        monkeypatch.setattr(writer.os, "open", failing)
    with pytest.raises(writer.OutputError) as raised:
        build(config)
    expected = {"ENOSPC": "no space left", "EACCES": "permission denied", "EROFS": "permission"}
    assert expected[fault] in str(raised.value)
    after = feed_files(config.output_dir)
    assert after.keys() == before.keys()
    for name, data in after.items():  # each file whole: the old one, or the new one if renamed
        if name.endswith(".xml"):
            etree.fromstring(data)
    assert after[MANIFEST_NAME] == before[MANIFEST_NAME]
    assert list(config.output_dir.rglob(".*.tmp")) == []


def test_cli_reports_an_unwritable_output_dir_with_exit_3(tmp_path: Path) -> None:
    write_posts(tmp_path / "posts", 5, "v1", categories=2)
    (tmp_path / "out").write_text("a file where the output dir should be")
    done = run("build", "--posts", "posts", "--output", "out", cwd=tmp_path)
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("feedbuilder: cannot write output: ")
    assert len(done.stderr.strip().splitlines()) == 1


# Two builds at once.


def test_second_build_exits_75_or_waits(tmp_path: Path) -> None:
    write_posts(tmp_path / "posts", 5, "v1", categories=2)
    out = tmp_path / "out"
    with build_lock(out):
        busy = run("build", "--posts", "posts", "--output", "out", cwd=tmp_path)
        assert busy.returncode == 75
        assert "another feedbuilder build is running" in busy.stderr
        assert "Traceback" not in busy.stderr
        assert not (out / "feeds").exists()
        waiting = feedbuilder(
            "build", "--posts", "posts", "--output", "out", "--wait", "60", cwd=tmp_path
        )
        time.sleep(1.0)
        assert waiting.poll() is None  # still waiting for the lock
    assert waiting.wait(timeout=60) == 0
    assert (out / "feeds" / "all.atom.xml").is_file()


def test_lock_is_released_when_the_holder_is_killed(tmp_path: Path) -> None:
    write_posts(tmp_path / "posts", 5, "v1", categories=2)
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from feedbuilder.output.writer import build_lock\n"
            "with build_lock(Path(sys.argv[1])):\n"
            "    print('locked', flush=True); time.sleep(600)",
            str(out),
        ],
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
    assert run("build", "--posts", "posts", "--output", "out", cwd=tmp_path).returncode == 75
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (out / LOCK_NAME).exists()  # the file stays; the kernel dropped the lock
    done = run("build", "--posts", "posts", "--output", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr


# A category that no longer has posts.


def test_stale_category_feeds_removed_only_after_the_new_set_and_only_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts = tmp_path / "posts"
    write_posts(posts, 6, "v1", categories=3)
    config = Config(posts_dir=posts, output_dir=tmp_path / "out", site_url=SITE)
    build(config)
    out = config.output_dir
    cat2 = [name for name in feed_files(out) if "cat2" in name or "group2" in name]
    # posts 2 and 5 are the only ones in cat2; post 2 alone in group2; three formats and a page each
    assert len(cat2) == 8
    (out / "feeds" / "category" / "hand-made.xml").write_text("<rss/>")
    (out / "robots.txt").write_text("User-agent: *")
    for i in (2, 5):
        (posts / f"post-{i:04d}.md").unlink()

    events: list[str] = []
    real_write, real_unlink = writer.write_atomic, Path.unlink

    def recording_write(target: Path, data: bytes) -> None:
        events.append(f"write {target.name}")
        real_write(target, data)

    def recording_unlink(self: Path, missing_ok: bool = False) -> None:
        events.append(f"unlink {self.name}")
        real_unlink(self, missing_ok)

    monkeypatch.setattr(writer, "write_atomic", recording_write)
    monkeypatch.setattr(Path, "unlink", recording_unlink)
    report = build(config)
    monkeypatch.undo()
    assert report.files_removed == 8
    unlinks = [i for i, e in enumerate(events) if e.startswith("unlink")]
    writes = [i for i, e in enumerate(events) if e.startswith("write")]
    assert sorted(events[i].split()[1] for i in unlinks) == sorted(Path(n).name for n in cat2)
    assert max(writes) < min(unlinks)  # every new feed and the manifest first
    assert events[max(writes)] == f"write {MANIFEST_NAME}"
    assert not any((out / name).exists() for name in cat2)
    assert (out / "feeds" / "category" / "hand-made.xml").read_text() == "<rss/>"
    assert (out / "robots.txt").read_text() == "User-agent: *"


# Killed while its process pools run: a worker never outlives the build, nothing stays locked.

POOLED = 2500  # over the scan's pool size (2000): the scan, the cleaning and rendering pool
STOPS = {signal.SIGTERM: 143, signal.SIGINT: 130, signal.SIGHUP: 129}


@pytest.fixture(scope="module")
def pooled_site(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, dict[str, bytes]]]:
    """Posts big enough for every pool, in two versions, and each version's output."""
    root = tmp_path_factory.mktemp("pooled")
    refs = {}
    for version in ("v1", "v2"):
        write_posts(root / f"posts-{version}", POOLED, version, categories=40)
        done = run("build", "--posts", f"posts-{version}", "--output", f"ref-{version}", cwd=root)
        assert done.returncode == 0, done.stderr
        refs[version] = feed_files(root / f"ref-{version}")
    return root, refs


def processes() -> Iterator[tuple[int, list[str]]]:
    """Each process's PID and the fields of its /proc stat after the name: state, parent,
    process group, session..."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            yield int(entry.name), stat.rsplit(")", 1)[1].split()


def children(pid: int) -> set[int]:
    return {child for child, fields in processes() if int(fields[1]) == pid}


def session(sid: int) -> set[int]:
    """The processes of session ``sid`` still running: a build started in a session of its
    own and every worker it forked, wherever a worker was re-parented to (a zombie left for
    an init that does not reap is dead enough: it holds no file)."""
    return {pid for pid, fields in processes() if int(fields[3]) == sid and fields[0] != "Z"}


# How long a killed build's processes may take to end on a machine loaded past its cores:
# they end in tenths of a second (each test prints its times); one that never ends fails.
OUTLIVE_SECONDS = 30.0


def ended(process: subprocess.Popen[bytes], since: float) -> tuple[bytes, float, float]:
    """Wait for a signalled build started with ``start_new_session`` to end: its stderr, the
    seconds from ``since`` until its pipe closed (no worker holds it) and until the last
    process of its session was gone. One still there after ``OUTLIVE_SECONDS`` fails the
    test, killed first so that nothing is left running."""
    try:
        _, stderr = process.communicate(timeout=OUTLIVE_SECONDS)
    except subprocess.TimeoutExpired:
        stderr = b""
    stopped = time.monotonic() - since
    while (left := session(process.pid)) and time.monotonic() - since < OUTLIVE_SECONDS:
        time.sleep(0.01)
    if left or process.returncode is None:
        for pid in left | {process.pid}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"the build or its workers {sorted(left)} outlived it by {OUTLIVE_SECONDS} s")
    return stderr, stopped, time.monotonic() - since


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize(
    ("signum", "whom"),
    [
        (signal.SIGKILL, "main"),  # an OOM kill, or kill -9 of the PID cron knows
        (signal.SIGKILL, "group"),
        (signal.SIGTERM, "main"),  # timeout, a cron wrapper
        (signal.SIGTERM, "group"),  # systemd stopping the unit
        (signal.SIGINT, "main"),
        (signal.SIGINT, "group"),  # Ctrl-C in a terminal
        (signal.SIGHUP, "main"),
        (signal.SIGHUP, "group"),  # the terminal closed
    ],
)
def test_a_killed_build_leaves_no_worker_no_lock_and_whole_feeds(
    pooled_site: tuple[Path, dict[str, dict[str, bytes]]], signum: int, whom: str
) -> None:
    root, refs = pooled_site
    out = root / f"out-{signum}-{whom}"
    shutil.copytree(root / "ref-v1", out)  # the last build's feeds, and its cache
    rng = random.Random(f"{signum}{whom}")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "feedbuilder",
            "build",
            "--posts",
            "posts-v2",
            "--output",
            out.name,
            "--site-url",
            SITE,
        ],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,  # as cron captures it: held open by a stray worker, it blocks
        start_new_session=True,
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while not workers and process.poll() is None and time.monotonic() < deadline:
        workers = children(process.pid)
        time.sleep(0.005)
    assert workers, f"no pool started: {process.poll()} {process.communicate()[1]!r}"
    time.sleep(rng.uniform(0, 1.5))  # into the scan, cleaning or render pool
    sent = time.monotonic()
    (os.killpg if whom == "group" else os.kill)(process.pid, signum)
    stderr, stopped, gone = ended(process, sent)
    signame = signal.Signals(signum).name
    print(f"{signame} to {whom}: stopped in {stopped:.2f} s, every worker gone in {gone:.2f} s")
    if process.returncode == 0:  # it had finished: nothing to check but the next build
        assert signum != signal.SIGKILL or whom == "main"
    elif signum == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
    else:
        assert process.returncode == STOPS[signal.Signals(signum)], stderr
        assert b"Traceback" not in stderr
        assert stderr.decode().strip() == f"feedbuilder: stopped by {signame}"
        assert list(out.rglob(".*.tmp")) == []
    with build_lock(out):  # free at once: no process of the build is left to hold it
        pass
    files = feed_files(out)
    assert files.keys() == refs["v1"].keys()
    for name, data in files.items():  # each file whole: the old one, or the new one
        assert data in (refs["v1"][name], refs["v2"][name]), name
    done = run("build", "--posts", "posts-v2", "--output", out.name, cwd=root)
    assert done.returncode == 0, done.stderr
    assert feed_files(out) == refs["v2"]
    assert list(out.rglob(".*.tmp")) == []
