"""Faults: builds killed at random moments, full disks, unwritable output dirs, overlapping
builds and categories that disappear. A previous feed is never lost or left half-written."""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lxml import etree

import feedbuilder.output.writer as writer
from feedbuilder.config import Config
from feedbuilder.output.state import STATE_NAME
from feedbuilder.output.writer import LOCK_NAME, MANIFEST_NAME, build_lock
from feedbuilder.pipeline import build

SITE = "https://example.com/"
KILLS = 50


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


def feedbuilder(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "feedbuilder", *args, "--site-url", SITE],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedbuilder", *args, "--site-url", SITE],
        cwd=cwd,
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


@pytest.mark.slow
def test_sigkill_at_random_moments_never_leaves_a_broken_feed(tmp_path: Path) -> None:
    for version in ("v1", "v2"):
        write_posts(tmp_path / f"posts-{version}", 80, version, categories=40)
    refs = {}
    for version in ("v1", "v2"):
        done = run(
            "build", "--posts", f"posts-{version}", "--output", f"ref-{version}", cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
        refs[version] = feed_files(tmp_path / f"ref-{version}")
    assert refs["v1"].keys() == refs["v2"].keys() and len(refs["v1"]) > 90
    assert all(refs["v1"][n] != refs["v2"][n] for n in refs["v1"] if n.endswith(".xml"))
    # Time one build, and when its first feed lands, so the kills can aim at the write phase.
    started = time.monotonic()
    process = feedbuilder("build", "--posts", "posts-v1", "--output", "out-0", cwd=tmp_path)
    first_write = None
    while process.poll() is None:
        if first_write is None and (tmp_path / "out-0" / "feeds").is_dir():
            first_write = time.monotonic() - started
        time.sleep(0.005)
    duration = time.monotonic() - started
    assert process.returncode == 0 and first_write is not None
    shutil.copytree(tmp_path / "out-0", tmp_path / "out-1")

    def kill_builds(lane: int) -> tuple[int, int]:
        """Kill builds into out-<lane> (two lanes at once: two cores); returns (kills, mixed)."""
        rng = random.Random(20220125 + lane)
        out = tmp_path / f"out-{lane}"
        mixed = 0
        for kill in range(KILLS // 2):
            version = ("v2", "v1")[kill % 2]
            process = feedbuilder(
                "build", "--posts", f"posts-{version}", "--output", out.name, cwd=tmp_path
            )
            time.sleep(rng.uniform(first_write * 0.8, duration * 1.1))
            process.send_signal(signal.SIGKILL)
            process.wait()
            files = feed_files(out)
            assert files.keys() == refs["v1"].keys()
            seen = set()
            for name, data in files.items():
                if name.endswith((".xml", ".xsl", ".opml")):
                    etree.fromstring(data)  # parses completely
                elif name.endswith(".json"):
                    json.loads(data)  # JSON Feeds and the manifest
                else:
                    assert name.endswith(".html") and data.rstrip().endswith(b"</html>")
                matches = {v for v in refs if refs[v][name] == data}
                assert matches, f"lane {lane} kill {kill}: {name} is neither old nor new"
                seen |= matches if len(matches) == 1 else set()  # the manifest is in both
            mixed += len(seen) == 2
        return KILLS // 2, mixed

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(kill_builds, (0, 1)))
    assert sum(kills for kills, _ in results) == KILLS
    # Enough kills must have landed mid-write (some feeds old, some new) to mean anything.
    mixed = sum(mixed for _, mixed in results)
    print(f"{KILLS} kills, {mixed} left a mix of old and new feeds")  # shown by pytest -s
    assert mixed >= 5, results
    for lane in (0, 1):
        done = run("build", "--posts", "posts-v2", "--output", f"out-{lane}", cwd=tmp_path)
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


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Running (a zombie left for an init that does not reap is dead enough)."""
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


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
    pause = time.monotonic() + rng.uniform(0, 1.5)  # into the scan, cleaning or render pool
    while time.monotonic() < pause and process.poll() is None:
        workers |= children(process.pid)
        time.sleep(0.005)
    sent = time.monotonic()
    (os.killpg if whom == "group" else os.kill)(process.pid, signum)
    _, stderr = process.communicate(timeout=3)  # no worker holds the pipe
    stopped = time.monotonic() - sent
    while any(alive(pid) for pid in workers) and time.monotonic() - sent < 5:
        time.sleep(0.01)
    assert not any(alive(pid) for pid in workers), "a worker outlived the build"
    assert time.monotonic() - sent < 2.5
    if process.returncode == 0:  # it had finished: nothing to check but the next build
        assert signum != signal.SIGKILL or whom == "main"
    elif signum == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
    else:
        assert process.returncode == STOPS[signal.Signals(signum)], stderr
        assert stopped < 2
        assert b"Traceback" not in stderr
        assert stderr.decode().strip() == f"feedbuilder: stopped by {signal.Signals(signum).name}"
        assert list(out.rglob(".*.tmp")) == []
    with build_lock(out):  # free at once: no survivor holds it
        pass
    files = feed_files(out)
    assert files.keys() == refs["v1"].keys()
    for name, data in files.items():  # each file whole: the old one, or the new one
        assert data in (refs["v1"][name], refs["v2"][name]), name
    done = run("build", "--posts", "posts-v2", "--output", out.name, cwd=root)
    assert done.returncode == 0, done.stderr
    assert feed_files(out) == refs["v2"]
    assert list(out.rglob(".*.tmp")) == []
