"""The output dir and the posts folder stay apart, and nothing planted in the output dir as a
symlink makes a build write, lock or open a database outside it (issue 10)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedbuilder.cache import CACHE_NAME
from feedbuilder.config import Config
from feedbuilder.errors import ConfigError, OutputError
from feedbuilder.output.writer import LOCK_NAME, MANIFEST_NAME
from feedbuilder.pipeline import build

from .conftest import run_feedbuilder

NOW = datetime(2024, 6, 1, tzinfo=UTC)
POST = "---\ntitle: {title}\ndate: 2024-01-0{day}\ncategories: [News]\n---\n<p>Body {title}.</p>\n"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    posts = tmp_path / "posts"
    posts.mkdir()
    for day in (1, 2):
        (posts / f"p{day}.md").write_text(POST.format(title=f"Post {day}", day=day))
    (posts / "index.html").write_text(POST.format(title="An index post", day=3))
    return tmp_path


def run_cli(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_feedbuilder(site, "build", "--site-url", "https://e.com/", *args)


def tree(root: Path) -> dict[str, bytes | str]:
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        found[rel] = (
            os.readlink(path)
            if path.is_symlink()
            else (path.read_bytes() if path.is_file() else "dir")
        )
    return found


@pytest.mark.parametrize(
    ("posts", "output"),
    [
        ("posts", "posts"),  # the same folder: index.html would overwrite a post
        ("posts", "posts/out"),  # inside: every later build reads its own pages as posts
        ("posts", "posts/./deep/out"),
        ("posts/", "."),  # around it
        ("posts", "link-to-posts"),  # the same folder by another name
    ],
)
def test_output_and_posts_must_be_apart(site: Path, posts: str, output: str) -> None:
    (site / "link-to-posts").symlink_to(site / "posts", target_is_directory=True)
    before = tree(site)
    run = run_cli(site, "--posts", posts, "--output", output)
    assert run.returncode == 2, run.stderr
    assert "output_dir" in run.stderr and "posts folder" in run.stderr
    assert "Traceback" not in run.stderr
    assert tree(site) == before  # nothing created: no lock, no cache, no feeds


def test_output_beside_posts_is_fine(site: Path) -> None:
    run = run_cli(site, "--posts", "posts", "--output", "postsout")
    assert run.returncode == 0, run.stderr
    assert (site / "postsout" / "feeds" / "all.atom.xml").is_file()


def test_library_refuses_output_inside_posts(site: Path) -> None:
    config = Config(posts_dir=site / "posts", output_dir=site / "posts" / "o")
    with pytest.raises(ConfigError, match="output_dir"):
        build(config, now=NOW)
    assert not (site / "posts" / "o").exists()


def config_for(site: Path) -> Config:
    return Config(posts_dir=site / "posts", output_dir=site / "out", site_url="https://e.com/")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "victim.xml").write_text("precious")
    return folder


def test_planted_feed_file_symlink_is_replaced_not_followed(site: Path, outside: Path) -> None:
    build(config_for(site), now=NOW, cache=False)
    feed = site / "out" / "feeds" / "all.atom.xml"
    good = feed.read_bytes()
    feed.unlink()
    feed.symlink_to(outside / "victim.xml")
    build(config_for(site), now=NOW, cache=False)
    assert (outside / "victim.xml").read_text() == "precious"
    assert not feed.is_symlink() and feed.read_bytes() == good


def test_symlink_holding_the_feeds_own_bytes_is_still_replaced(site: Path, outside: Path) -> None:
    """Same bytes behind a symlink are not "unchanged": the file must be the output's own."""
    build(config_for(site), now=NOW, cache=False)
    feed = site / "out" / "feeds" / "all.rss.xml"
    copy = outside / "copy.xml"
    copy.write_bytes(feed.read_bytes())
    feed.unlink()
    feed.symlink_to(copy)
    build(config_for(site), now=NOW, cache=False)
    assert not feed.is_symlink()


def test_dangling_lock_symlink_creates_nothing_outside(site: Path, outside: Path) -> None:
    out = site / "out"
    out.mkdir()
    (out / LOCK_NAME).symlink_to(outside / "created-by-lock")
    report = build(config_for(site), now=NOW, cache=False)
    assert report.posts_read == 3
    assert not (outside / "created-by-lock").exists()
    assert not (out / LOCK_NAME).is_symlink()


def test_lock_symlink_to_an_existing_file_leaves_it_alone(site: Path, outside: Path) -> None:
    out = site / "out"
    out.mkdir()
    (out / LOCK_NAME).symlink_to(outside / "victim.xml")
    build(config_for(site), now=NOW, cache=False)
    assert (outside / "victim.xml").read_text() == "precious"


def test_cache_symlink_to_an_outside_file_is_not_opened(site: Path, outside: Path) -> None:
    out = site / "out"
    out.mkdir()
    (out / CACHE_NAME).symlink_to(outside / "victim.xml")
    report = build(config_for(site), now=NOW)
    assert report.posts_read == 3
    assert (outside / "victim.xml").read_text() == "precious"
    assert not (out / CACHE_NAME).is_symlink()


def test_cache_symlink_to_an_outside_database_adds_no_table(site: Path, outside: Path) -> None:
    database = outside / "app.sqlite"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE users (name TEXT)")
    db.close()
    before = database.read_bytes()
    out = site / "out"
    out.mkdir()
    (out / CACHE_NAME).symlink_to(database)
    for suffix in ("-wal", "-shm"):
        (out / f"{CACHE_NAME}{suffix}").symlink_to(outside / f"made{suffix}")
    build(config_for(site), now=NOW)
    build(config_for(site), now=NOW)
    assert database.read_bytes() == before
    assert sorted(p.name for p in outside.iterdir()) == ["app.sqlite", "victim.xml"]


def test_category_folder_symlink_is_refused_and_outside_untouched(
    site: Path, outside: Path
) -> None:
    build(config_for(site), now=NOW, cache=False)
    category = site / "out" / "feeds" / "category"
    for child in category.iterdir():
        child.unlink()
    category.rmdir()
    category.symlink_to(outside, target_is_directory=True)
    before = tree(outside)
    with pytest.raises(OutputError, match="symlink"):
        build(config_for(site), now=NOW, cache=False)
    assert tree(outside) == before
    run = run_cli(site, "--posts", "posts", "--output", "out", "--no-cache")
    assert run.returncode == 3 and "Traceback" not in run.stderr
    assert tree(outside) == before


def test_symlinked_manifest_is_not_read_or_written_through(site: Path, outside: Path) -> None:
    build(config_for(site), now=NOW, cache=False)
    manifest = site / "out" / MANIFEST_NAME
    manifest.unlink()
    manifest.symlink_to(outside / "victim.xml")
    build(config_for(site), now=NOW, cache=False)
    assert (outside / "victim.xml").read_text() == "precious"
    assert not manifest.is_symlink()
