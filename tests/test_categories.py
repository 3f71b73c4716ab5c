"""Categories: hierarchies, and slugs that are safe, distinct and deterministic."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedbuilder.feeds.slugs import assign_slugs as slugs_and_clashes
from feedbuilder.feeds.slugs import build_categories
from feedbuilder.normalise.categories import (
    MAX_CATEGORIES,
    MAX_TAGS,
    CategoryError,
    parse_categories,
    parse_tags,
)

SAFE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def assign_slugs(names: list[str], category_map: dict[str, str]) -> dict[str, str]:
    return slugs_and_clashes(names, category_map)[0]


def test_list_is_one_hierarchy() -> None:
    assert parse_categories(["金融", "新浪财经", "新浪财经－国內"], print) == (
        ("金融", "新浪财经", "新浪财经－国內"),
    )


def test_list_of_lists_is_several() -> None:
    assert parse_categories([["金融", "股市"], ["科技"]], print) == (("金融", "股市"), ("科技",))


def test_string_and_number() -> None:
    assert parse_categories("生活", print) == (("生活",),)
    assert parse_categories("2022", print) == (("2022",),)
    assert parse_categories(None, print) == ()


def test_names_are_unescaped_and_trimmed() -> None:
    assert parse_categories(["  A &#123;B&#125; ", "x\u0001y"], print) == (("A {B}", "xy"),)


@pytest.mark.parametrize("value", [{"a": "b"}, [[["deep"]]], ["a"] * 20])
def test_unreadable_shapes_raise(value: object) -> None:
    with pytest.raises(CategoryError):
        parse_categories(value, print)


def test_tags() -> None:
    warnings: list[str] = []
    assert parse_tags(["a", "b", "a", {"x": 1}], warnings.append) == ("a", "b")
    assert warnings


def test_transliterated_slugs() -> None:
    slugs = assign_slugs(["金融", "Open Source", "新浪财经－国內"], {})
    assert slugs["金融"] == "jin-rong"
    assert slugs["Open Source"] == "open-source"
    assert SAFE.match(slugs["新浪财经－国內"])


def test_category_map_overrides() -> None:
    assert assign_slugs(["金融"], {"金融": "Finance"}) == {"金融": "finance"}


def test_colliding_names_get_distinct_slugs() -> None:
    slugs = assign_slugs(["Open Source", "open-source", "OPEN SOURCE"], {})
    assert len(set(slugs.values())) == 3
    assert sorted(slugs.values())[0] == "open-source"


@given(st.lists(st.text(min_size=1, max_size=20), max_size=15))
def test_slugs_safe_distinct_and_order_independent(names: list[str]) -> None:
    slugs = assign_slugs(names, {})
    assert len(set(slugs.values())) == len(set(names))
    for slug in slugs.values():
        assert SAFE.match(slug), slug
        assert "/" not in slug and "\\" not in slug and ".." not in slug
    assert assign_slugs(list(reversed(names)), {}) == slugs


def test_build_categories_records_parents() -> None:
    cats, _ = build_categories([("金融", "新浪财经", "国内"), ("金融", "股市")], {})
    assert cats["国内"].parents == (("金融", "新浪财经"),)
    assert cats["金融"].parents == ()
    assert cats["股市"].slug == "gu-shi"


def test_at_most_max_categories_and_tags_per_post() -> None:
    warnings: list[str] = []
    paths = parse_categories([[f"c{i}", "shared"] for i in range(500)], warnings.append)
    assert paths == tuple((f"c{i}", "shared") for i in range(MAX_CATEGORIES - 1))
    tags = parse_tags([f"t{i % 300}" for i in range(3_000)], warnings.append)
    assert tags == tuple(f"t{i}" for i in range(MAX_TAGS))
    assert warnings == [
        f"categories: more than {MAX_CATEGORIES} in one post; only the first {MAX_CATEGORIES} kept",
        f"tags: more than {MAX_TAGS} in one post; only the first {MAX_TAGS} kept",
    ]


def test_repeated_names_do_not_count_against_the_limits() -> None:
    warnings: list[str] = []
    paths = parse_categories([["a", "b"]] * 5_000 + [["c"]], warnings.append)
    assert paths == (("a", "b"), ("c",))
    assert parse_tags(["x", "y"] * 5_000, warnings.append) == ("x", "y")
    assert warnings == []
