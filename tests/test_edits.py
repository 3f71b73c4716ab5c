"""Edits show by date (issue 9 item 5): outside a Hexo site, a post without an update date of
its own is dated updated at the build that first sees its title or content changed, from
state kept beside the output, so a lost cache or a ``--no-cache`` rebuild dates the same."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from feedbuilder.cache import CACHE_NAME
from feedbuilder.config import Config
from feedbuilder.output.state import STATE_NAME
from feedbuilder.pipeline import build
from tests.conftest import make_post

DAY1 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
DAY2 = datetime(2024, 3, 2, 12, 0, tzinfo=UTC)
DAY3 = datetime(2024, 3, 3, 12, 0, tzinfo=UTC)
OLD = 1_700_000_000


def write(posts: Path, name: str, title: str, body: str, extra: str = "") -> None:
    path = make_post(posts, name, f"title: {title}\ndate: 2024-01-0{name[1]}\n{extra}", body)
    os.utime(path, (OLD, OLD))
    os.utime(posts, (OLD, OLD))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    posts = tmp_path / "posts"
    write(posts, "p1.md", "One", "<p>First.</p>")
    write(posts, "p2.md", "Two", "<p>Second.</p>")
    write(posts, "p3.md", "Three", "<p>Third.</p>", "updated: 2024-02-01")
    return Config(posts_dir=posts, output_dir=tmp_path / "out", site_url="https://e.com/")


def updated(config: Config) -> dict[str, str]:
    """Each entry's Atom <updated> and JSON date_modified, by title."""
    atom = feedparser.parse((config.output_dir / "feeds" / "all.atom.xml").read_bytes())
    items = json.loads((config.output_dir / "feeds" / "all.json").read_text())["items"]
    modified = {item["title"]: item["date_modified"] for item in items}
    found = {}
    for entry in atom.entries:
        found[entry.title] = entry.updated
        assert datetime.fromisoformat(entry.updated) == datetime.fromisoformat(
            modified[entry.title]
        )
    return found


@pytest.mark.parametrize("cache", [True, False])
def test_a_rewritten_body_moves_its_update_date(config: Config, cache: bool) -> None:
    build(config, now=DAY1, cache=cache)
    first = updated(config)
    assert first["One"] == "2024-01-01T00:00:00+00:00"  # a new output: updated = published
    write(config.posts_dir, "p1.md", "One", "<p>First, rewritten.</p>")
    build(config, now=DAY2, cache=cache)
    second = updated(config)
    assert second["One"] == "2024-03-02T12:00:00+00:00"
    assert second["Two"] == first["Two"] and second["Three"] == "2024-02-01T00:00:00+00:00"
    build(config, now=DAY3, cache=cache)  # nothing changed since: the edit keeps its date
    assert updated(config) == second


def test_a_retitled_post_moves_and_a_touched_one_does_not(config: Config) -> None:
    build(config, now=DAY1)
    write(config.posts_dir, "p2.md", "Two, retitled", "<p>Second.</p>")
    (config.posts_dir / "p1.md").touch()  # a new mtime, the same content: no edit
    build(config, now=DAY2)
    dates = updated(config)
    assert dates["Two, retitled"] == "2024-03-02T12:00:00+00:00"
    assert dates["One"] == "2024-01-01T00:00:00+00:00"


def test_a_post_with_its_own_update_date_keeps_it(config: Config) -> None:
    build(config, now=DAY1)
    write(config.posts_dir, "p3.md", "Three", "<p>Changed.</p>", "updated: 2024-02-01")
    build(config, now=DAY2)
    assert updated(config)["Three"] == "2024-02-01T00:00:00+00:00"


def test_a_lost_cache_and_a_no_cache_rebuild_give_the_same_dates(
    config: Config, tmp_path: Path
) -> None:
    build(config, now=DAY1)
    write(config.posts_dir, "p1.md", "One", "<p>Edited.</p>")
    build(config, now=DAY2)
    edited = updated(config)
    for path in config.output_dir.glob(f"{CACHE_NAME}*"):
        path.unlink()
    build(config, now=DAY3)  # the cache lost: nothing looks edited that was not
    assert updated(config) == edited
    build(config, now=DAY3, cache=False)
    assert updated(config) == edited
    fresh = config.replace(output_dir=tmp_path / "fresh")
    build(fresh, now=DAY3, cache=False)  # a brand-new output dir has no history
    assert updated(fresh)["One"] == "2024-01-01T00:00:00+00:00"


def test_incremental_equals_no_cache_into_the_same_output(config: Config, tmp_path: Path) -> None:
    build(config, now=DAY1)
    write(config.posts_dir, "p1.md", "One", "<p>Edited.</p>")
    write(config.posts_dir, "p4.md", "Four", "<p>New.</p>")
    build(config, now=DAY2)
    copy = config.replace(output_dir=tmp_path / "copy")
    shutil.copytree(config.output_dir, copy.output_dir)
    for path in copy.output_dir.glob(f"{CACHE_NAME}*"):
        path.unlink()
    build(copy, now=DAY2, cache=False)
    for name in ("all.atom.xml", "all.rss.xml", "all.json"):
        assert (copy.output_dir / "feeds" / name).read_bytes() == (
            config.output_dir / "feeds" / name
        ).read_bytes()
    assert (copy.output_dir / STATE_NAME).read_bytes() == (
        config.output_dir / STATE_NAME
    ).read_bytes()


def test_a_nothing_changed_rebuild_rewrites_no_file(config: Config) -> None:
    build(config, now=DAY1)
    before = {p: p.stat().st_mtime_ns for p in config.output_dir.rglob("*") if p.is_file()}
    build(config, now=DAY2, cache=False)
    after = {p: p.stat().st_mtime_ns for p in config.output_dir.rglob("*") if p.is_file()}
    assert after == before


def test_a_changed_setting_is_not_an_edit(config: Config) -> None:
    build(config, now=DAY1)
    build(config.replace(junk_selectors=("p.none",)), now=DAY2)
    assert updated(config)["One"] == "2024-01-01T00:00:00+00:00"


def test_a_damaged_state_file_is_a_new_output(config: Config) -> None:
    build(config, now=DAY1)
    (config.output_dir / STATE_NAME).write_text("{not json")
    write(config.posts_dir, "p1.md", "One", "<p>Edited.</p>")
    build(config, now=DAY2)
    assert updated(config)["One"] == "2024-01-01T00:00:00+00:00"
    assert json.loads((config.output_dir / STATE_NAME).read_text())["version"] == 1
