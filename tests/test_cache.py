"""The build cache: incremental output is the cold output, and nothing stale ever survives."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sqlite3
import sys
from array import array
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

from feedbuilder.cache import CACHE_NAME, Cache, FeedQuery, cache_file, stamp
from feedbuilder.cli import main
from feedbuilder.config import Config, make_config
from feedbuilder.models import BuildReport, PackedMeta
from feedbuilder.output.state import STATE_NAME
from feedbuilder.pipeline import build
from feedbuilder.pool import Workers
from feedbuilder.progress import showing

from .recording import Recording

NOW = datetime(2024, 6, 1, tzinfo=UTC)
OLD = 1_600_000_000  # a file mtime well outside the "too new to trust" window
POSTS = 40
BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


corpus = _load("generate_corpus")


def age(posts: Path) -> None:
    """Date every post file in the past, as a corpus is between two cron runs."""
    for path in posts.rglob("*.*"):
        os.utime(path, ns=(OLD * 10**9, OLD * 10**9))


def make(tmp_path: Path, output: str = "out", **extra: Any) -> Config:
    values: dict[str, Any] = {
        "site_url": "https://example.com/",
        "timezone": "Asia/Shanghai",
        "items_per_feed": 8,
        "posts_dir": str(tmp_path / "posts"),
        "output_dir": str(tmp_path / output),
        **extra,
    }
    return make_config(values)


def tree(root: Path) -> dict[str, bytes]:
    """Every output file's bytes, the cache left out (and the output's state, which holds
    the problems reported, the cache's own warnings too)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(CACHE_NAME) and p.name != STATE_NAME
    }


def mtimes(root: Path) -> dict[str, int]:
    return {
        p.relative_to(root).as_posix(): p.stat().st_mtime_ns
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(CACHE_NAME)
    }


def cold(config: Config, tmp_path: Path, now: datetime = NOW) -> dict[str, bytes]:
    """A build without the cache into the same output dir as it stands (a copy: the state
    that remembers edits is the output's; only the cache is left behind)."""
    reference = config.replace(output_dir=tmp_path / "reference")
    shutil.rmtree(reference.output_dir, ignore_errors=True)
    if config.output_dir.is_dir():
        shutil.copytree(config.output_dir, reference.output_dir, ignore=_cache_files)
    build(reference, now=now, cache=False)
    result = tree(reference.output_dir)
    assert not (reference.output_dir / CACHE_NAME).exists()
    return result


def _cache_files(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name.startswith(CACHE_NAME)]


def reads(report: BuildReport) -> int:
    """How many times the build read a post file: its front matter, then its body."""
    return report.files_scanned + report.bodies_cleaned


@pytest.fixture
def site(tmp_path: Path) -> Config:
    corpus.generate(tmp_path / "posts", POSTS, seed=7)
    age(tmp_path / "posts")
    return make(tmp_path)


def test_rebuild_with_nothing_changed_reads_and_writes_nothing(site: Config) -> None:
    first = build(site, now=NOW)
    assert first.feeds_written > 0 and first.files_scanned == POSTS and first.bodies_cleaned > 0
    before = mtimes(site.output_dir)
    report = build(site, now=NOW)
    assert reads(report) == 0
    assert report.feeds_written == report.files_written == 0
    assert report.feeds_unchanged == first.feeds_written
    assert report.posts_read == first.posts_read
    assert mtimes(site.output_dir) == before


@pytest.mark.parametrize("step", ["add", "edit", "delete", "all"])
def test_incremental_build_is_byte_identical_to_cold(
    site: Config, tmp_path: Path, step: str
) -> None:
    build(site, now=NOW)
    posts = site.posts_dir
    if step in ("edit", "all"):
        corpus.edit_posts(posts, 0.1, seed=11)
    if step in ("delete", "all"):
        corpus.delete_posts(posts, 0.1, seed=12)
    if step in ("add", "all"):
        corpus.add_posts(posts, 0.1, seed=13)
    report = build(site, now=NOW)
    assert report.feeds_written > 0
    assert report.files_scanned < POSTS // 4  # the changed posts, not everything
    assert reads(report) < POSTS  # and the bodies of new feed entries
    assert step == "delete" or reads(report)
    assert tree(site.output_dir) == cold(site, tmp_path)


def test_posts_changed_within_the_same_mtime_are_read_again(site: Config, tmp_path: Path) -> None:
    """A file edited twice inside one mtime tick, keeping its size, is not trusted from cache."""
    path = sorted(site.posts_dir.rglob("*.txt"))[0]
    build(site, now=NOW)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: ", "title: X", 1), encoding="utf-8")
    build(site, now=NOW)  # the edit is too new: cached with an mtime that never matches
    stat = path.stat()
    swapped = text.replace("title: ", "title: Y", 1)
    assert len(swapped.encode()) == stat.st_size
    path.write_text(swapped, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    build(site, now=NOW)
    assert tree(site.output_dir) == cold(site, tmp_path)


def test_config_change_invalidates(site: Config, tmp_path: Path) -> None:
    build(site, now=NOW)
    changed = site.replace(site_title="Another title", summary_length=40)
    assert build(changed, now=NOW).files_scanned == POSTS
    assert tree(site.output_dir) == cold(changed, tmp_path)


def test_version_change_invalidates(site: Config) -> None:
    build(site, now=NOW)
    assert build(site, now=NOW).files_scanned == 0
    path = cache_file(site.cache_dir, site.output_dir)
    assert stamp(site, version="999.0") != stamp(site)
    newer = Cache.open(path, stamp(site, version="999.0"))  # as the next release opens it
    try:
        assert build(site, now=NOW, cache=newer).files_scanned == POSTS
    finally:
        newer.close()


@pytest.mark.parametrize(
    "damage",
    [b"garbage, not a database" * 100, b"SQLite format 3\x00" + b"\xff" * 5000, b""],
)
def test_corrupt_cache_is_rebuilt_with_a_warning(
    site: Config, tmp_path: Path, damage: bytes
) -> None:
    build(site, now=NOW)
    expected = tree(site.output_dir)
    cache_file = site.output_dir / CACHE_NAME
    for suffix in ("-wal", "-shm"):
        Path(f"{cache_file}{suffix}").unlink(missing_ok=True)
    cache_file.write_bytes(damage)
    corpus.edit_posts(site.posts_dir, 0.1, seed=21)
    report = build(site, now=NOW)
    assert tree(site.output_dir) == cold(site, tmp_path)
    assert tree(site.output_dir) != expected
    if damage:
        assert any("cache" in p.reason for p in report.problems)
    again = build(site, now=NOW)  # the rebuilt cache works
    assert not any("cache" in p.reason for p in again.problems)


@pytest.mark.parametrize(
    "damage",
    [
        "published = 'not a number', categories = NULL",  # read by every build
        "updated_zone = 'No/Such_Zone', thumbnail = 7",  # read only for feed-bound posts
    ],
)
def test_damaged_records_are_not_trusted(site: Config, tmp_path: Path, damage: str) -> None:
    build(site, now=NOW)
    db = sqlite3.connect(site.output_dir / CACHE_NAME)
    db.execute(f"UPDATE posts SET {damage}")
    db.execute("UPDATE bodies SET body = '[1, 2'")
    db.commit()
    db.close()
    corpus.edit_posts(site.posts_dir, 0.2, seed=31)
    build(site, now=NOW)
    assert tree(site.output_dir) == cold(site, tmp_path)


def test_deleted_or_touched_output_is_rewritten(site: Config, tmp_path: Path) -> None:
    build(site, now=NOW)
    feeds = sorted((site.output_dir / "feeds").rglob("*.xml"))
    feeds[0].unlink()
    feeds[-1].write_bytes(b"<rss/>")
    report = build(site, now=NOW)
    assert (report.feeds_written, report.files_written) == (2, 2)
    assert tree(site.output_dir) == cold(site, tmp_path)


def test_future_posts_appear_when_due_without_rereading(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    for day in (1, 10, 20):
        (posts / f"p{day}.md").write_text(
            f"---\ntitle: Day {day}\ndate: 2024-06-{day:02d} 12:00:00\n---\nBody {day}.\n",
            encoding="utf-8",
        )
    age(posts)
    config = make(tmp_path)
    early = build(config, now=datetime(2024, 6, 5, tzinfo=UTC))
    assert early.posts_read == 1 and early.posts_skipped == 2
    assert sum("in the future" in p.reason for p in early.problems) == 2
    late = datetime(2024, 6, 15, tzinfo=UTC)
    report = build(config, now=late)
    assert report.posts_read == 2
    assert report.files_scanned == 0  # p10's front matter was cached while it was future
    assert report.bodies_cleaned == 1  # p10's body, now in the feeds; p1's came from the cache
    assert tree(config.output_dir) == cold(config, tmp_path, late)


def test_pool_and_in_process_give_identical_output(site: Config, tmp_path: Path) -> None:
    in_process = cold(site.replace(output_dir=tmp_path / "alone"), tmp_path)
    recording = Recording()
    pooled = site.replace(output_dir=tmp_path / "pooled")
    with showing(recording):
        build(pooled, now=NOW, cache=False, workers=Workers(count=2, always=True, batch_size=7))
    assert tree(pooled.output_dir) == in_process
    assert recording.steps("scan") == [7] * (POSTS // 7) + [POSTS % 7]  # batch by batch
    small = site.replace(output_dir=tmp_path / "small-batches")
    build(small, now=NOW, cache=False, workers=Workers(count=1, batch_size=3))
    assert tree(small.output_dir) == in_process


def test_cache_dir_setting_and_no_cache_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus.generate(tmp_path / "posts", 5, seed=3)
    config = make(tmp_path, cache_dir=str(tmp_path / "state"))
    build(config, now=NOW)
    assert (tmp_path / "state" / CACHE_NAME).is_file()
    assert not (config.output_dir / CACHE_NAME).exists()
    (tmp_path / "feedbuilder.toml").write_text('site_url = "https://example.com/"\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "--output", "o", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o/feeds/all.rss.xml").is_file()
    assert not (tmp_path / "o" / CACHE_NAME).exists()


def test_unchanged_listing_skips_planning_but_reports_the_same(site: Config) -> None:
    (site.posts_dir / "0000" / "zz_broken.md").write_text("no front matter\n", encoding="utf-8")
    age(site.posts_dir)
    first = build(site, now=NOW)
    before = mtimes(site.output_dir)
    recording = Recording()
    with showing(recording):
        again = build(site, now=NOW)
    assert recording.stages() == ["list"]  # an unchanged rebuild neither scans nor plans
    assert (again.posts_read, again.posts_skipped) == (first.posts_read, first.posts_skipped)
    assert again.problems == first.problems and any(
        "front matter" in str(p) for p in again.problems
    )
    assert again.feeds_written == again.files_written == 0
    assert again.feeds_unchanged == first.feeds_written + first.feeds_unchanged
    assert mtimes(site.output_dir) == before


def test_unchanged_listing_with_a_touched_output_or_too_new_file_builds(
    site: Config, tmp_path: Path
) -> None:
    build(site, now=NOW)
    (site.output_dir / "index.html").write_text("vandalised", encoding="utf-8")
    report = build(site, now=NOW)
    assert (report.feeds_written, report.files_written) == (0, 1)
    assert tree(site.output_dir) == cold(site, tmp_path)
    newest = sorted(site.posts_dir.rglob("*.txt"))[0]
    newest.write_text(newest.read_text(encoding="utf-8").replace("title:", "title: 新"), "utf-8")
    report = build(site, now=NOW)  # just edited: the listing is in doubt, so no snapshot is kept
    assert report.feeds_written > 0
    assert tree(site.output_dir) == cold(site, tmp_path)


def test_scratch_cache_is_a_cache_and_leaves_nothing_behind() -> None:
    """A build without a cache keeps its scan in a temporary database, deleted after."""
    with Cache.scratch() as scratch:
        folder = scratch.path.parent
        assert scratch.path.exists()
        with scratch.transaction():
            scratch.put_scans([(("a.md", 1, 2), None, [])])
        assert scratch.changed([("a.md", 1, 2)]) == (array("q"), [])
    assert not folder.exists()


def test_changed_files_are_found_by_one_merge_of_the_listing_and_the_cache() -> None:
    """Missing, resized, retouched and damaged records are read again; gone ones deleted."""
    packed = PackedMeta(
        *("T", "https://example.com/a", None, 0, "UTC", 0, "UTC", None, "c", "", None, None),
        *(None, "html", 0.0),
    )
    cache = Cache.in_memory()
    with cache.transaction():
        cache.put_scans(
            [((name, 1, 2), packed, []) for name in ("a.md", "b.md", "c.md", "d/e.md", "z.md")]
        )
        cache._db.execute("UPDATE posts SET published = 'x' WHERE rel_path = 'd/e.md'")
    listed = [("a.md", 1, 2), ("b.md", 9, 2), ("b2.md", 1, 2), ("c.md", 1, 3), ("d/e.md", 1, 2)]
    todo, gone = cache.changed(listed)
    assert [listed[row][0] for row in todo] == ["b.md", "b2.md", "c.md", "d/e.md"]
    assert gone == ["z.md"]


def test_a_scan_into_an_empty_cache_makes_the_indexes_after_its_rows() -> None:
    """A cold scan inserts its rows unindexed and indexes them once, sorted; an aborted one
    leaves the indexes as they were; a later scan keeps them up to date row by row."""
    packed = PackedMeta(
        *("T", "https://example.com/a", None, 0, "UTC", 0, "UTC", None, "c\x1fd", "t", None, None),
        *(None, "html", 0.0),
    )
    cache = Cache.in_memory()
    seen: list[str] = []
    cache._db.set_trace_callback(seen.append)

    def indexes() -> set[str]:
        rows = cache._db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        return {name for (name,) in rows if not name.startswith("sqlite_")}

    made = {
        *("posts_by_date", "members_by_feed", "members_by_post"),
        *("usable_by_date", "usable_by_categories", "prints_by_date"),
    }
    assert indexes() == made
    with pytest.raises(RuntimeError), cache.transaction():
        cache.put_scans([(("a.md", 1, 2), packed, [])])
        raise RuntimeError("refused")
    assert indexes() == made
    with cache.transaction():
        cache.put_scans([((f"{n}.md", 1, 2), packed, []) for n in range(3)])
    drops = [s for s in seen if s.startswith(("DROP INDEX", "CREATE INDEX"))]
    assert [s.split()[0] for s in drops] == (["DROP"] * 6 + ["CREATE"] * 6) * 2
    assert indexes() == made
    seen.clear()
    with cache.transaction():
        cache.put_scans([(("3.md", 1, 2), packed, [])])
    assert not [s for s in seen if "INDEX" in s]
    assert cache._db.execute("SELECT count(*) FROM members").fetchone() == (4 * 3,)
    plan = cache._db.execute(
        "EXPLAIN QUERY PLAN SELECT rel_path FROM members WHERE kind = 'c' AND name = 'c'"
        " ORDER BY published DESC"
    ).fetchall()
    assert "members_by_feed" in str(plan)


def test_planning_asks_its_questions_of_every_post_of_indexes_alone() -> None:
    """Counting the usable posts, their category sets and the all-posts feed, finding shared
    ids, reading the prints in feed order: each once walked the posts by date and looked up
    every post's row (5 to 12 s at 1M posts); each is answered by an index made for it."""
    cache = Cache.in_memory()
    with cache.transaction():
        cache.put_scans(
            [
                (
                    (f"{n}.md", 1, 2),
                    PackedMeta(
                        *(f"T{n}", f"https://example.com/{n % 3}", None, n, "UTC", n, "UTC"),
                        *(None, f"c{n % 2}", "t", None, None, None, "html", 0.0, "", 1),
                        f"{n:016x} {n:016x}",
                    ),
                    [],
                )
                for n in range(6)
            ]
        )
    asked: list[str] = []
    cache._db.set_trace_callback(asked.append)
    assert cache.usable_count(None) == 6
    assert [count for _, count in cache.category_sets(None)] == [3, 3]
    assert cache.feed_count(FeedQuery()) == 6
    assert len(cache.shared_id_refs(None)) == 6
    assert cache.has_id("https://example.com/1", None)
    assert len(list(cache.prints(None))) == 6
    cache._db.set_trace_callback(None)
    answering = ("usable_by_date", "usable_by_categories", "prints_by_date")
    for sql in asked:
        steps = [row[3] for row in cache._db.execute("EXPLAIN QUERY PLAN " + sql)]
        reads = [step for step in steps if step.startswith(("SCAN p", "SEARCH p"))]
        assert reads and all(any(f"INDEX {i} " in f"{r} " for i in answering) for r in reads), (
            sql,
            steps,
        )
