"""Real feed readers against ``feedbuilder serve`` on loopback: lemon24/reader (PyPI) and
Debian's newsboat. Every format updates with no error; adds, edits and deletes come through
a rebuild; a poll with nothing changed costs a 304 for every feed."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedbuilder.config import Config
from feedbuilder.pipeline import build

from .sitecorpus import NOW, build_corpus

NEWSBOAT = shutil.which("newsboat")
LOG_LINE = re.compile(r'"GET (\S+) HTTP/1\.1" (\d{3})')


class Served:
    """``feedbuilder serve`` in a subprocess, its access log collected from stderr."""

    def __init__(self, output: Path, cwd: Path):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "feedbuilder", "serve", "--output", str(output), "--port", "0"],
            cwd=cwd,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stderr is not None
        first = self.process.stderr.readline()
        found = re.search(r"at (http://\S+/) ", first)
        assert found, first
        self.url = found.group(1)
        self.log: list[tuple[str, int]] = []
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()

    def _collect(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            match = LOG_LINE.search(line)
            if match:
                self.log.append((match.group(1), int(match.group(2))))

    def logged(self, count: int, timeout: float = 20) -> list[tuple[str, int]]:
        """The access log once it holds ``count`` requests: the server logs each request
        after answering it, so the client can be done before its last line is read here."""
        deadline = time.monotonic() + timeout
        while len(self.log) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.log)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._reader.join(timeout=10)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Config, Served]]:
    config = build_corpus(tmp_path)
    served = Served(config.output_dir, tmp_path)
    try:
        yield config, served
    finally:
        served.stop()


def feed_paths(config: Config, suffixes: tuple[str, ...]) -> list[str]:
    out = config.output_dir
    return sorted(
        p.relative_to(out).as_posix()
        for p in (out / "feeds").rglob("*")
        if p.name.endswith(suffixes)
    )


def rewrite(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_reader_follows_every_format_through_changes_and_gets_304s(
    site: tuple[Config, Served], tmp_path: Path
) -> None:
    reader_module = pytest.importorskip("reader")
    config, served = site
    paths = feed_paths(config, (".rss.xml", ".atom.xml", ".json"))
    reader = reader_module.make_reader(str(tmp_path / "reader.sqlite"))
    try:
        for path in paths:
            reader.add_feed(served.url + path)
        reader.update_feeds(scheduled=False)  # every feed, now
        for path in paths:
            feed = reader.get_feed(served.url + path)
            assert feed.last_exception is None and feed.title, (path, feed.last_exception)
            assert reader.get_entry_counts(feed=feed).total > 0, path

        # nothing changed: every feed answers 304 (checked here, before the edits: reader
        # keeps a feed's old ETag when a new version brought it nothing new, e.g. a deletion)
        served.log.clear()
        reader.update_feeds(scheduled=False)  # every feed, now
        polled = dict(served.logged(len(paths)))
        assert sorted(polled) == sorted("/" + p for p in paths)
        assert set(polled.values()) == {304}, {p: s for p, s in polled.items() if s != 304}

        posts = tmp_path / "posts"
        new_post = "title: 新文章 added\ndate: 2024-03-05 08:00\ncategories: [金融]"
        (posts / "a5.md").write_text(f"---\n{new_post}\n---\n<p>New.</p>\n", encoding="utf-8")
        rewrite(posts / "a1.md", "央行维持利率不变", "央行维持利率不变（更新）")
        (posts / "a3.md").unlink()
        build(config, now=NOW)
        reader.update_feeds(scheduled=False)  # every feed, now
        for path in feed_paths(config, (".rss.xml", ".atom.xml", ".json")):  # still written
            feed = reader.get_feed(served.url + path)
            assert feed.last_exception is None, (path, feed.last_exception)
        for fmt in ("rss.xml", "atom.xml", "json"):
            for key in ("all", "category/jin-rong"):
                url = f"{served.url}feeds/{key}.{fmt}"
                feed = reader.get_feed(url)
                assert feed.last_exception is None, (url, feed.last_exception)
                titles = {e.title for e in reader.get_entries(feed=url)}
                assert {"新文章 added", "央行维持利率不变（更新）"} <= titles, (url, titles)
    finally:
        reader.close()


@pytest.mark.skipif(NEWSBOAT is None, reason="newsboat is not installed")
def test_newsboat_reloads_rss_and_atom_with_no_error(
    site: tuple[Config, Served], tmp_path: Path
) -> None:
    config, served = site
    assert NEWSBOAT is not None
    paths = feed_paths(config, (".rss.xml", ".atom.xml"))
    urls = tmp_path / "urls"
    urls.write_text("".join(f"{served.url}{p}\n" for p in paths), encoding="utf-8")
    (tmp_path / "newsboat.conf").write_text("", encoding="utf-8")
    cache, log = tmp_path / "newsboat.db", tmp_path / "newsboat.log"
    command = [NEWSBOAT, "-u", str(urls), "-c", str(cache), "-C", str(tmp_path / "newsboat.conf")]
    done = subprocess.run(
        [*command, "-x", "reload", "-l", "4", "-d", str(log)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    errors = [line for line in log.read_text(encoding="utf-8").splitlines() if "ERROR" in line]
    assert not errors and not done.stderr.strip(), (errors, done.stderr)
    with sqlite3.connect(cache) as db:
        titles = dict(db.execute("SELECT rssurl, title FROM rss_feed"))
        guids = {row[0] for row in db.execute("SELECT guid FROM rss_item")}
    assert sorted(titles) == sorted(served.url + p for p in paths) and all(titles.values())
    # newsboat keeps one item per guid across feeds: each post once, whichever feed had it first
    assert len(guids) == len(list((tmp_path / "posts").glob("*.md")))
    assert {status for _, status in served.logged(len(paths))} == {200}
