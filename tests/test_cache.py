"""The build cache: incremental output is the cold output, and nothing stale ever survives."""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

from feedbuilder import cache as cache_module
from feedbuilder import pipeline
from feedbuilder.cache import CACHE_NAME
from feedbuilder.cli import main
from feedbuilder.config import Config, make_config
from feedbuilder.pipeline import build

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
    """Every output file's bytes, the cache left out."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(CACHE_NAME)
    }


def mtimes(root: Path) -> dict[str, int]:
    return {
        p.relative_to(root).as_posix(): p.stat().st_mtime_ns
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(CACHE_NAME)
    }


def cold(config: Config, tmp_path: Path, now: datetime = NOW) -> dict[str, bytes]:
    reference = config.replace(output_dir=tmp_path / "reference")
    build(reference, now, use_cache=False)
    result = tree(reference.output_dir)
    assert not (reference.output_dir / CACHE_NAME).exists()
    return result


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The posts read by the next builds (small corpora: no process pool)."""
    seen: list[str] = []
    real = pipeline.read_post

    def counting(file: Any, *args: Any) -> Any:
        seen.append(file.rel_path)
        return real(file, *args)

    monkeypatch.setattr(pipeline, "read_post", counting)
    return seen


@pytest.fixture
def site(tmp_path: Path) -> Config:
    corpus.generate(tmp_path / "posts", POSTS, seed=7)
    age(tmp_path / "posts")
    return make(tmp_path)


def test_rebuild_with_nothing_changed_reads_and_writes_nothing(
    site: Config, reads: list[str]
) -> None:
    first = build(site, NOW)
    assert first.feeds_written > 0 and len(reads) > POSTS  # every post, then the feed-bound bodies
    before = mtimes(site.output_dir)
    reads.clear()
    report = build(site, NOW)
    assert reads == []
    assert report.feeds_written == 0
    assert report.posts_read == first.posts_read
    assert mtimes(site.output_dir) == before


@pytest.mark.parametrize("step", ["add", "edit", "delete", "all"])
def test_incremental_build_is_byte_identical_to_cold(
    site: Config, tmp_path: Path, reads: list[str], step: str
) -> None:
    build(site, NOW)
    posts = site.posts_dir
    if step in ("edit", "all"):
        corpus.edit_posts(posts, 0.1, seed=11)
    if step in ("delete", "all"):
        corpus.delete_posts(posts, 0.1, seed=12)
    if step in ("add", "all"):
        corpus.add_posts(posts, 0.1, seed=13)
    reads.clear()
    report = build(site, NOW)
    assert report.feeds_written > 0
    assert len(set(reads)) < POSTS  # the changed posts and new feed entries, not everything
    assert step == "delete" or reads
    assert tree(site.output_dir) == cold(site, tmp_path)


def test_posts_changed_within_the_same_mtime_are_read_again(site: Config, tmp_path: Path) -> None:
    """A file edited twice inside one mtime tick, keeping its size, is not trusted from cache."""
    path = sorted(site.posts_dir.rglob("*.txt"))[0]
    build(site, NOW)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: ", "title: X", 1), encoding="utf-8")
    build(site, NOW)  # the edit is too new: cached with an mtime that never matches
    stat = path.stat()
    swapped = text.replace("title: ", "title: Y", 1)
    assert len(swapped.encode()) == stat.st_size
    path.write_text(swapped, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    build(site, NOW)
    assert tree(site.output_dir) == cold(site, tmp_path)


def test_config_change_invalidates(site: Config, tmp_path: Path, reads: list[str]) -> None:
    build(site, NOW)
    changed = site.replace(site_title="Another title", summary_length=40)
    reads.clear()
    build(changed, NOW)
    assert len(set(reads)) == POSTS
    assert tree(site.output_dir) == cold(changed, tmp_path)


def test_version_change_invalidates(
    site: Config, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    build(site, NOW)
    monkeypatch.setattr(cache_module, "__version__", "999.0")
    reads.clear()
    build(site, NOW)
    assert len(set(reads)) == POSTS


@pytest.mark.parametrize(
    "damage",
    [b"garbage, not a database" * 100, b"SQLite format 3\x00" + b"\xff" * 5000, b""],
)
def test_corrupt_cache_is_rebuilt_with_a_warning(
    site: Config, tmp_path: Path, damage: bytes
) -> None:
    build(site, NOW)
    expected = tree(site.output_dir)
    cache_file = site.output_dir / CACHE_NAME
    for suffix in ("-wal", "-shm"):
        Path(f"{cache_file}{suffix}").unlink(missing_ok=True)
    cache_file.write_bytes(damage)
    corpus.edit_posts(site.posts_dir, 0.1, seed=21)
    report = build(site, NOW)
    assert tree(site.output_dir) == cold(site, tmp_path)
    assert tree(site.output_dir) != expected
    if damage:
        assert any("cache" in p.reason for p in report.problems)
    again = build(site, NOW)  # the rebuilt cache works
    assert not any("cache" in p.reason for p in again.problems)


@pytest.mark.parametrize(
    "damage",
    [
        "published = 'not a number', categories = NULL",  # read by every build
        "updated_zone = 'No/Such_Zone', thumbnail = 7",  # read only for feed-bound posts
    ],
)
def test_damaged_records_are_not_trusted(site: Config, tmp_path: Path, damage: str) -> None:
    build(site, NOW)
    db = sqlite3.connect(site.output_dir / CACHE_NAME)
    db.execute(f"UPDATE posts SET {damage}")
    db.execute("UPDATE bodies SET body = '[1, 2'")
    db.commit()
    db.close()
    corpus.edit_posts(site.posts_dir, 0.2, seed=31)
    build(site, NOW)
    assert tree(site.output_dir) == cold(site, tmp_path)


def test_deleted_or_touched_output_is_rewritten(site: Config, tmp_path: Path) -> None:
    build(site, NOW)
    feeds = sorted((site.output_dir / "feeds").rglob("*.xml"))
    feeds[0].unlink()
    feeds[1].write_bytes(b"<rss/>")
    report = build(site, NOW)
    assert report.feeds_written == 2
    assert tree(site.output_dir) == cold(site, tmp_path)


def test_future_posts_appear_when_due_without_rereading(tmp_path: Path, reads: list[str]) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    for day in (1, 10, 20):
        (posts / f"p{day}.md").write_text(
            f"---\ntitle: Day {day}\ndate: 2024-06-{day:02d} 12:00:00\n---\nBody {day}.\n",
            encoding="utf-8",
        )
    age(posts)
    config = make(tmp_path)
    early = build(config, datetime(2024, 6, 5, tzinfo=UTC))
    assert early.posts_read == 1 and early.posts_skipped == 2
    assert sum("in the future" in p.reason for p in early.problems) == 2
    reads.clear()
    late = datetime(2024, 6, 15, tzinfo=UTC)
    report = build(config, late)
    assert report.posts_read == 2
    assert "p1.md" not in reads and "p20.md" not in reads
    assert tree(config.output_dir) == cold(config, tmp_path, late)


def test_pool_and_in_process_give_identical_output(
    site: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 7)
    monkeypatch.setattr(pipeline, "POOL_MIN_FILES", 10**9)
    monkeypatch.setattr(pipeline, "POOL_MIN_BODIES", 10**9)
    in_process = cold(site, tmp_path)
    monkeypatch.setattr(pipeline, "POOL_MIN_FILES", 1)
    monkeypatch.setattr(pipeline, "POOL_MIN_BODIES", 1)
    monkeypatch.setattr(pipeline, "_workers", lambda: 2)
    pooled = site.replace(output_dir=tmp_path / "pooled")
    build(pooled, NOW)
    assert tree(pooled.output_dir) == in_process


def test_cache_dir_setting_and_no_cache_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus.generate(tmp_path / "posts", 5, seed=3)
    config = make(tmp_path, cache_dir=str(tmp_path / "state"))
    build(config, NOW)
    assert (tmp_path / "state" / CACHE_NAME).is_file()
    assert not (config.output_dir / CACHE_NAME).exists()
    (tmp_path / "feedbuilder.toml").write_text('site_url = "https://example.com/"\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "--output", "o", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o/feeds/all.rss.xml").is_file()
    assert not (tmp_path / "o" / CACHE_NAME).exists()


def test_unchanged_listing_skips_planning_but_reports_the_same(
    site: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    (site.posts_dir / "0000" / "zz_broken.md").write_text("no front matter\n", encoding="utf-8")
    age(site.posts_dir)
    first = build(site, NOW)
    before = mtimes(site.output_dir)

    def no_plan(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an unchanged rebuild must not plan")

    monkeypatch.setattr(pipeline, "plan", no_plan)
    again = build(site, NOW)
    assert (again.posts_read, again.posts_skipped) == (first.posts_read, first.posts_skipped)
    assert again.problems == first.problems and any(
        "front matter" in str(p) for p in again.problems
    )
    assert again.feeds_written == 0
    assert again.feeds_unchanged == first.feeds_written + first.feeds_unchanged
    assert mtimes(site.output_dir) == before


def test_unchanged_listing_with_a_touched_output_or_too_new_file_builds(
    site: Config, tmp_path: Path
) -> None:
    build(site, NOW)
    (site.output_dir / "index.html").write_text("vandalised", encoding="utf-8")
    assert build(site, NOW).feeds_written == 1
    assert tree(site.output_dir) == cold(site, tmp_path)
    newest = sorted(site.posts_dir.rglob("*.txt"))[0]
    newest.write_text(newest.read_text(encoding="utf-8").replace("title:", "title: 新"), "utf-8")
    report = build(site, NOW)  # just edited: the listing is in doubt, so no snapshot is kept
    assert report.feeds_written > 0
    assert tree(site.output_dir) == cold(site, tmp_path)
