"""Limits on what one post's front matter may ask of a build, each reported as it is applied."""

from __future__ import annotations

from pathlib import Path

from feedbuilder.collect.frontmatter import MAX_SCALAR_CHARS, split_post
from feedbuilder.collect.lenient import MAX_NESTING
from feedbuilder.normalise.categories import MAX_CATEGORIES, MAX_TAGS
from feedbuilder.pipeline import build

from .conftest import all_metas
from .test_ids import NOW, config, one_post, reasons


def test_a_thousand_categories_and_tags_keep_the_post_with_the_first_hundred(
    tmp_path: Path,
) -> None:
    front = "categories:\n" + "".join(f"  - [c{i}]\n" for i in range(1_000))
    front += "tags:\n" + "".join(f"  - t{i}\n" for i in range(1_000))
    result = one_post(tmp_path, front, tag_feeds=True)
    (meta,) = all_metas(result)
    assert meta.categories == tuple((f"c{i}",) for i in range(MAX_CATEGORIES))
    assert meta.tags == tuple(f"t{i}" for i in range(MAX_TAGS))
    assert reasons(result) == [
        f"post.md: categories: more than {MAX_CATEGORIES} in one post; only the first "
        f"{MAX_CATEGORIES} kept",
        f"post.md: tags: more than {MAX_TAGS} in one post; only the first {MAX_TAGS} kept",
    ]
    report = build(config(tmp_path / "posts", tag_feeds=True, formats=("rss",)), now=NOW)
    feeds = list((tmp_path / "out" / "feeds").rglob("*.rss.xml"))
    assert len(feeds) == 1 + MAX_CATEGORIES + MAX_TAGS
    assert (
        sum(f.stat().st_size for f in feeds) < 15_000_000
    )  # 1,000 of each wrote 99 MB in 3 formats
    assert report.posts_read == 1


def test_a_hierarchy_crossing_the_limit_is_left_out_whole(tmp_path: Path) -> None:
    front = "categories:\n" + "".join(f"  - [a{i}, b{i}]\n" for i in range(60))
    (meta,) = all_metas(one_post(tmp_path, front))
    assert len(meta.categories) == MAX_CATEGORIES // 2
    assert len(meta.category_names()) == MAX_CATEGORIES


def test_an_overlong_value_is_cut_with_its_line(tmp_path: Path) -> None:
    result = one_post(tmp_path, "description: " + "x" * 100_000)
    (meta,) = all_metas(result)
    assert meta.given_summary == "x" * MAX_SCALAR_CHARS
    assert reasons(result) == [
        f"post.md:4: description: a value of 100000 characters, cut to the first {MAX_SCALAR_CHARS}"
    ]


def test_values_nested_too_deep_are_left_out_with_their_key_line() -> None:
    deep = "[" * 900 + "]" * 900  # YAML itself reads up to 1,000 levels
    split = split_post(f"---\ntitle: T\nx: {deep}\ny: kept\n---\n", 10**6)
    assert split.metadata["y"] == "kept"
    value = split.metadata["x"]
    for _ in range(MAX_NESTING - 1):
        (value,) = value
    assert value == [None]
    assert split.notes == [(3, f"x: nested deeper than {MAX_NESTING} levels; left out")]
