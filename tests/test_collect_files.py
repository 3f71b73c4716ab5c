"""Finding and opening post files: any folder tree, any file name, any swap after the listing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedbuilder.cache import Cache
from feedbuilder.collect.files import MAX_FOLDER_DEPTH, PostFile, PostFiles, find_post_files
from feedbuilder.config import Config
from feedbuilder.incremental import Decider
from feedbuilder.models import Severity
from feedbuilder.pipeline import build, scan_posts
from feedbuilder.pool import Workers
from feedbuilder.stages.listing import Listing
from feedbuilder.stages.scan import scan

from .conftest import all_metas, make_post, run_feedbuilder

NOW = datetime(2030, 1, 1, tzinfo=UTC)
GOOD = "title: {title}\ndate: 2022-01-02 03:04:05\ncategories: [Test]"
GBK_NAME = os.fsdecode("北京".encode("gbk") + b".md")  # as Linux lists it: lone surrogates


def config(posts: Path, **changes: object) -> Config:
    return Config(
        posts_dir=posts, output_dir=posts.parent / "out", site_url="https://e.com/"
    ).replace(**changes)


def good_post(folder: Path, name: str, title: str = "Good") -> Path:
    return make_post(folder, name, GOOD.format(title=title))


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    folder = tmp_path / "posts"
    good_post(folder, "good.md")
    return folder


# Deep folders.


@pytest.fixture
def deep_tree(posts: Path) -> Iterator[Callable[[int], Path]]:
    """Make ``posts/d/d/.../d`` (level by level: pathlib's and shutil's own walks recurse),
    and remove it the same way."""
    made: list[str] = []

    def make(depth: int) -> Path:
        path = str(posts)
        for _ in range(depth):
            path += "/d"
            os.mkdir(path)
            made.append(path)
        return Path(path)

    yield make
    for path in reversed(made):
        for name in os.listdir(path):
            if name != "d":
                os.unlink(os.path.join(path, name))
        os.rmdir(path)


@pytest.mark.parametrize("depth", [1_000, 1_500])
def test_a_very_deep_folder_is_reported_not_a_crash(
    posts: Path, deep_tree: Callable[[int], Path], depth: int
) -> None:
    good_post(deep_tree(depth), "deep.md")
    good_post(posts.joinpath(*["d"] * MAX_FOLDER_DEPTH), "kept.md", "Kept")  # the deepest read
    files, problems = find_post_files(posts)
    assert list(files) == ["d/" * MAX_FOLDER_DEPTH + "kept.md", "good.md"]
    (problem,) = problems
    assert problem.path == "/".join(["d"] * (MAX_FOLDER_DEPTH + 1))
    assert problem.severity is Severity.ERROR
    assert f"deeper than {MAX_FOLDER_DEPTH} levels" in problem.reason
    assert len(scan_posts(config(posts), now=NOW).refs) == 2


def test_problems_come_in_the_order_of_a_recursive_walk(posts: Path) -> None:
    (posts / "a").mkdir()
    (posts / "a" / "pipe.md").symlink_to(posts / "good.md")
    (posts / "b.md").symlink_to(posts / "good.md")
    _, problems = find_post_files(posts)
    assert [p.path for p in problems] == ["a/pipe.md", "b.md"]


# File names that are not UTF-8, or hold control characters.


def test_a_gbk_file_name_is_read_as_chinese_everywhere(posts: Path) -> None:
    good_post(posts, GBK_NAME, "GBK name")
    good_post(posts / os.fsdecode("新闻".encode("gbk")), "inner.md", "In a GBK folder")
    make_post(posts, os.fsdecode(b"caf\xe9.md"), "title: Latin-1 name")  # no date: a problem
    report = build(config(posts), now=NOW)  # with the cache: hashed, stored, written as JSON
    assert report.posts_read == 3
    problems = [str(p) for p in report.problems]
    assert problems == ["caf\\xe9.md: no date"]
    metas = {m.rel_path: m for m in all_metas(scan_posts(config(posts), now=NOW))}
    assert set(metas) == {"good.md", "北京.md", "新闻/inner.md"}
    assert metas["北京.md"].link == "https://e.com/2022/01/02/%E5%8C%97%E4%BA%AC/"
    feed = json.loads((posts.parent / "out" / "feeds" / "all.json").read_text())
    assert {item["title"] for item in feed["items"]} == {"Good", "GBK name", "In a GBK folder"}
    assert build(config(posts), now=NOW).feeds_written == 0  # the cached listing matches


def test_a_gbk_name_beside_its_utf8_twin_keeps_both(posts: Path) -> None:
    good_post(posts, "北京.md", "UTF-8")
    good_post(posts, GBK_NAME, "GBK")
    metas = {m.rel_path: m.title for m in all_metas(scan_posts(config(posts), now=NOW))}
    assert metas == {"good.md": "Good", "北京.md": "UTF-8", "\\xb1\\xb1\\xbe\\xa9.md": "GBK"}


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_feedbuilder(cwd, *args, "--posts", "posts", "--output", "out")


def test_the_cli_prints_odd_names_one_problem_a_line(posts: Path) -> None:
    for name in (GBK_NAME, "new\nline.md", "carriage\rreturn.md", "sep\u2028arator.md"):
        make_post(posts, name, "title: no date here")
    run = run_cli(posts.parent, "build")
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    *lines, summary = run.stderr.strip().split("\n")
    assert "posts read" in summary
    assert sorted(lines) == [
        "posts/carriage\\x0dreturn.md: no date",
        "posts/new\\x0aline.md: no date",
        "posts/sep\\u2028arator.md: no date",
        "posts/北京.md: no date",
    ]


# Swapped between the listing and the open.


def swapped(posts: Path, swap: str) -> tuple[list[object], list[str]]:
    """Scan ``posts`` after the post ``victim.md`` was swapped as ``swap`` says, once listed."""
    outside = posts.parent / "outside"
    good_post(outside, "victim.md", "SECRET")
    victim = good_post(posts, "victim.md", "Victim")
    listing = find_post_files(posts)
    if swap == "symlink":
        victim.unlink()
        victim.symlink_to(outside / "victim.md")
    elif swap == "fifo":
        victim.unlink()
        os.mkfifo(victim)
    elif swap == "folder":
        victim.unlink()
        victim.mkdir()
    elif swap == "parent symlink":
        (posts / "sub").mkdir()
        good_post(posts / "sub", "victim.md", "Victim in sub")
        listing = find_post_files(posts)
        shutil.rmtree(posts / "sub")
        (posts / "sub").symlink_to(outside, target_is_directory=True)
    elif swap == "editor save":
        replacement = posts / ".victim.md.swp"
        good_post(posts, replacement.name, "Victim, edited")
        replacement.replace(victim)
    result: list[object] = []
    thread = threading.Thread(
        target=lambda: result.append(
            scan(Listing(*listing), config(posts), Decider(NOW), Cache.in_memory(), Workers())
        ),
        daemon=True,
    )
    thread.start()
    thread.join(20)
    blocked = thread.is_alive()
    if swap == "fifo" and blocked:  # let the reader stuck in open() go, then fail
        with open(victim, "wb"):
            pass
    assert not blocked and result, f"the scan blocked on a {swap}"
    (outcome,) = result
    titles = [m.title for m in all_metas(outcome)]  # type: ignore[arg-type]
    return titles, [f"{p.path}: {p.reason}" for p in outcome.problems]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("swap", "reason"),
    [
        ("symlink", "victim.md: replaced by a symlink after it was listed; not followed"),
        ("fifo", "victim.md: not a regular file; skipped"),
        ("folder", "victim.md: not a file"),
        ("parent symlink", "sub/victim.md: replaced by a file outside the posts folder; skipped"),
    ],
)
def test_a_swap_after_the_listing_never_leaks_or_blocks(
    posts: Path, swap: str, reason: str
) -> None:
    titles, problems = swapped(posts, swap)
    assert "SECRET" not in titles
    assert "Good" in titles
    assert reason in problems


def test_a_file_saved_over_after_the_listing_is_read(posts: Path) -> None:
    titles, problems = swapped(posts, "editor save")
    assert sorted(titles) == ["Good", "Victim, edited"]
    assert problems == []


def test_followed_symlinks_inside_the_folder_still_open(posts: Path) -> None:
    (posts / "link.md").symlink_to(posts / "good.md")
    result = scan_posts(config(posts, follow_symlinks=True), now=NOW)
    assert sorted(m.rel_path for m in all_metas(result)) == ["good.md", "link.md"]
    assert result.problems == []


@given(
    st.lists(
        st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=6),
        unique=True,
        max_size=30,
    ),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=6),
)
def test_the_listing_columns_answer_as_a_dict_of_files(names: list[str], other: str) -> None:
    """The listing is held as columns (a million files in ~70 MB): lookups, order and
    every field are a plain list's."""
    made = [
        PostFile(f"/p/{name}" if i % 3 else f"/elsewhere/{i}", name, i, 10 * i, 1, i + 1, "/p")
        for i, name in enumerate(names)
    ]
    ordered = sorted(made, key=lambda file: file.rel_path)
    files = PostFiles(ordered, "/p/", "/p")
    assert list(files) == [file.rel_path for file in ordered]
    assert list(files.values()) == ordered
    assert all(files[file.rel_path] == file for file in made)
    assert (other in files) == (other in names)
    assert dict(files.stats()) == {f.rel_path: (f.size, f.mtime_ns) for f in made}
    assert list(files.only(lambda name: len(name) > 2).values()) == [
        file for file in ordered if len(file.rel_path) > 2
    ]


@given(
    st.lists(
        st.tuples(st.text(max_size=4), st.integers(0, 2**40), st.integers(0, 2**62)),
        unique_by=lambda entry: entry[0],
        max_size=12,
    ),
    st.data(),
)
def test_the_listing_digest_is_of_every_path_size_and_mtime(
    entries: list[tuple[str, int, int]], data: st.DataObject
) -> None:
    """A rebuild with nothing changed is skipped on this digest: any path, size or mtime
    changed changes it (also a path cut elsewhere: "ab", "c" against "a", "bc"); where and
    which file the system has does not."""

    def listing(rows: list[tuple[str, int, int]], device: int) -> PostFiles:
        made = [
            PostFile(f"/{device}/{p}", p, s, m, device, i, "/") for i, (p, s, m) in enumerate(rows)
        ]
        return PostFiles(sorted(made, key=lambda file: file.rel_path), "/p/", "/p")

    entries = sorted(entries)
    assert listing(entries, 1).digest() == listing(entries, 2).digest()
    assert listing(entries, 1).newest_mtime_ns() == max((m for _, _, m in entries), default=0)
    if not entries:
        return
    at = data.draw(st.integers(0, len(entries) - 1))
    path, size, mtime = entries[at]
    changed = data.draw(
        st.sampled_from(
            [
                (path + "x", size, mtime),
                (path, size + 1, mtime),
                (path, size, mtime + 1),
                *([(path[:-1], size, mtime)] if path else []),
            ]
        )
    )
    edited = [changed if i == at else entry for i, entry in enumerate(entries)]
    if len({p for p, _, _ in edited}) == len(edited):  # not renamed onto another file
        assert listing(sorted(edited), 1).digest() != listing(entries, 1).digest()
    if len(entries) >= 2 and entries[0][0] and entries[1][0]:  # a path cut elsewhere
        (first, *a), (second, *b) = entries[0], entries[1]
        recut = [(first + second[0], *a), (second[1:], *b), *entries[2:]]
        if len({p for p, _, _ in recut}) == len(recut):
            assert listing(sorted(recut), 1).digest() != listing(entries, 1).digest()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(["a", "a b", "a.d", "a-", "b", "ä", "中"]), max_size=3),
            st.sampled_from(["a.md", "a.txt", "a b.md", "z.md", "中.md", "a-.md"]),
        ),
        unique_by=lambda made: (tuple(made[0]), made[1]),
        max_size=12,
    )
)
def test_the_listing_is_in_path_order_whatever_the_tree(
    tmp_path_factory: pytest.TempPathFactory, layout: list[tuple[list[str], str]]
) -> None:
    """Folders named as files begin ("a" beside "a.txt", "a b"), walked in path order
    without a sort, or sorted when a walk cannot be (both give the paths sorted)."""
    posts = tmp_path_factory.mktemp("posts")
    made = set()
    for folders, name in layout:
        folder = posts.joinpath(*folders)
        if any(p.is_file() for p in [folder, *folder.parents]) or (folder / name).is_dir():
            continue  # a file where a folder would be
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("x", encoding="utf-8")
        made.add("/".join([*folders, name]))
    files, _ = find_post_files(posts)
    assert list(files) == sorted(made)
    assert all(files[path].rel_path == path for path in made)


def test_listing_a_big_tree_holds_its_columns_alone(tmp_path: Path) -> None:
    """A walk in path order makes the listing's columns as it goes: nothing more per file
    (a list of every path and a sort order: 238 bytes a file at 6,000 files before, 91 now)."""
    posts = tmp_path / "posts"
    for folder in range(60):
        (posts / f"{folder:03d}").mkdir(parents=True)
        for name in range(100):
            (posts / f"{folder:03d}" / f"{folder:03d}{name:03d}_0123456789abcdef.txt").touch()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        files, _ = find_post_files(posts)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert len(files) == 6000
    assert peak / len(files) < 120
