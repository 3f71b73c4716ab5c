"""Quiet means quiet: a problem the last build reported (same file, size, mtime and reason)
is not printed again by ``build``; new ones are; ``check`` lists every one (issue 10)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_post, run_feedbuilder


def cli(site: Path, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_feedbuilder(site, command, "--site-url", "https://e.com/", *args)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    posts = tmp_path / "posts"
    make_post(posts, "good.md", "title: Good\ndate: 2024-01-01")
    make_post(posts, "undated.md", "title: Undated")
    (posts / "empty.md").write_text("")
    old = 1_700_000_000  # files well older than the build: trusted by the cache
    for path in posts.iterdir():
        os.utime(path, (old, old))
    return tmp_path


def problem_lines(run: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("posts/")]


@pytest.mark.parametrize("cache", [[], ["--no-cache"]])
def test_quiet_prints_a_known_problem_once(site: Path, cache: list[str]) -> None:
    first = cli(site, "build", "--quiet", *cache)
    assert first.returncode == 0
    assert problem_lines(first) == ["posts/empty.md: empty file", "posts/undated.md: no date"]
    again = cli(site, "build", "--quiet", *cache)
    assert again.returncode == 0 and again.stderr == ""


def test_a_new_problem_is_printed_and_the_known_ones_counted(site: Path) -> None:
    cli(site, "build")
    make_post(site / "posts", "broken.md", "title: [unclosed")
    (site / "posts" / "undated.md").write_text("---\ntitle: Still undated\n---\nchanged\n")
    quiet = cli(site, "build", "--quiet")
    assert problem_lines(quiet) == [
        "posts/broken.md: no date",
        "posts/undated.md: no date",  # the same reason for a file that changed: news
    ]
    loud = cli(site, "build")
    assert problem_lines(loud) == []
    summary = loud.stderr.splitlines()[-1]
    assert summary.startswith("1 posts read, 3 skipped")
    listed = cli(site, "check").stderr.splitlines()
    count = listed[-1].rsplit(", ", 1)[1].split()[0]  # check's "N problems": every one
    assert f"; {count} known problems not repeated" in summary
    assert len(listed) - 1 == int(count) > 3  # the lenient reader's warnings too


def test_a_touched_file_is_news_again(site: Path) -> None:
    cli(site, "build", "--quiet")
    os.utime(site / "posts" / "empty.md", (1_700_000_100, 1_700_000_100))
    assert problem_lines(cli(site, "build", "--quiet")) == ["posts/empty.md: empty file"]


def test_a_mended_then_broken_again_file_is_news(site: Path) -> None:
    cli(site, "build", "--quiet")
    (site / "posts" / "empty.md").write_text("---\ntitle: Mended\ndate: 2024-02-02\n---\nx\n")
    assert cli(site, "build", "--quiet").stderr == ""
    (site / "posts" / "empty.md").write_text("")
    assert problem_lines(cli(site, "build", "--quiet")) == ["posts/empty.md: empty file"]


def test_check_still_lists_every_problem(site: Path) -> None:
    cli(site, "build")
    cli(site, "build")
    run = cli(site, "check")
    assert run.returncode == 1
    assert problem_lines(run) == ["posts/empty.md: empty file", "posts/undated.md: no date"]


def test_a_lost_state_file_reports_everything_again(site: Path) -> None:
    cli(site, "build", "--quiet")
    (site / "output" / ".feedbuilder-state.json").unlink()
    assert len(problem_lines(cli(site, "build", "--quiet", "--no-cache"))) == 2
