"""The mass-failure guard (issue 10): when most posts that built last time are still there but
unusable (a half-synced or damaged volume), the build keeps the previous feeds and exits 2,
unless --allow-shrink; deleting posts is not a failure."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from feedbuilder.config import Config
from feedbuilder.errors import MassFailureError
from feedbuilder.pipeline import build
from tests.conftest import make_post, run_feedbuilder

POSTS = 10


def cli(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_feedbuilder(site, "build", "--site-url", "https://e.com/", *args)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    for i in range(POSTS):
        make_post(tmp_path / "posts", f"p{i}.md", f"title: Post {i}\ndate: 2024-01-{i + 1:02d}")
    assert cli(tmp_path).returncode == 0
    return tmp_path


def feeds(site: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((site / "output" / "feeds").rglob("*.xml"))}


def test_a_half_synced_volume_keeps_the_previous_feeds(site: Path) -> None:
    before = feeds(site)
    for i in range(6):  # truncated to nothing, as a half-synced volume leaves them
        (site / "posts" / f"p{i}.md").write_bytes(b"")
    run = cli(site)
    assert run.returncode == 2, run.stderr
    assert "6 of the 10 posts" in run.stderr and "--allow-shrink" in run.stderr
    assert "Traceback" not in run.stderr
    assert feeds(site) == before
    assert cli(site).returncode == 2  # and again: the refusal left the cache as it was
    assert cli(site, "--quiet").returncode == 2
    assert feeds(site) == before
    run = cli(site, "--allow-shrink")
    assert run.returncode == 0, run.stderr
    assert b"Post 0" not in feeds(site)["all.atom.xml"]
    assert cli(site).returncode == 0  # the new normal: 4 posts


def test_broken_front_matter_and_unreadable_files_count_too(site: Path) -> None:
    for i in range(3):
        (site / "posts" / f"p{i}.md").write_text("---\ntitle: [\n---\n")  # no date any more
    for i in range(3, 6):
        (site / "posts" / f"p{i}.md").write_bytes(b"\x00\x01" * 2000)  # binary garbage
    assert cli(site).returncode == 2


def test_half_or_fewer_failing_is_an_ordinary_build(site: Path) -> None:
    for i in range(5):
        (site / "posts" / f"p{i}.md").write_bytes(b"")
    run = cli(site)
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("empty file") == 5


def test_deleting_posts_is_not_a_failure(site: Path) -> None:
    for i in range(8):
        (site / "posts" / f"p{i}.md").unlink()
    (site / "posts" / "p8.md").write_bytes(b"")
    run = cli(site)
    assert run.returncode == 0, run.stderr


def test_the_library_raises_and_leaves_the_feeds(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    for i in range(4):
        make_post(posts, f"p{i}.md", f"title: Post {i}\ndate: 2024-01-0{i + 1}")
    config = Config(posts_dir=posts, output_dir=tmp_path / "out")
    build(config)
    atom = (config.output_dir / "feeds" / "all.atom.xml").read_bytes()
    for i in range(3):
        (posts / f"p{i}.md").write_bytes(b"")
    with pytest.raises(MassFailureError):
        build(config)
    assert (config.output_dir / "feeds" / "all.atom.xml").read_bytes() == atom
    assert build(config, allow_shrink=True).posts_read == 1
