"""Saved-query feeds (``[feeds.<slug>]``) and ``exclude_from_all`` (issue 14.2)."""

from __future__ import annotations

import json
import os
import re
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from feedbuilder.cache import stamp
from feedbuilder.config import ConfigError, make_config
from feedbuilder.feeds.plan import plan_feeds
from feedbuilder.feeds.queries import (
    ExcludeFromAll,
    QueryFeed,
    in_all,
    memberships,
    searchable_text,
)
from feedbuilder.models import PostMeta, PostRef
from feedbuilder.pipeline import build

from .conftest import CORPORA, make_post
from .lineartime import assert_linear
from .memory_index import MemoryIndex
from .test_end_to_end import run_cli

NOW = datetime(2024, 6, 1, tzinfo=UTC)


def meta(
    title: str = "A post",
    categories: tuple[tuple[str, ...], ...] = (("Tech",),),
    tags: tuple[str, ...] = (),
    author: str | None = None,
) -> PostMeta:
    return PostMeta(
        rel_path="a.md",
        title=title,
        link="https://example.com/a/",
        id="https://example.com/a/",
        published=NOW,
        updated=NOW,
        author=author,
        categories=categories,
        tags=tags,
        thumbnail=None,
        given_summary=None,
        body_format="html",
    )


def member(query: QueryFeed, post: PostMeta, body: str = "<p>Body.</p>") -> bool:
    return memberships(post, body, {"q": query}, "Site author") == ("q",)


# --- selectors ------------------------------------------------------------------------


def test_categories_match_at_any_level() -> None:
    post = meta(categories=(("News", "Finance", "Banks"),))
    assert member(QueryFeed(categories=("Finance",)), post)
    assert member(QueryFeed(categories=("Sport", "Banks")), post)
    assert not member(QueryFeed(categories=("Sport",)), post)


def test_every_selector_must_hold() -> None:
    post = meta(tags=("ai", "chips"), author="Ann")
    assert member(QueryFeed(tags=("ai",), authors=("Ann",)), post)
    assert not member(QueryFeed(tags=("ai",), authors=("Bob",)), post)
    assert not member(QueryFeed(tags=("ai",), exclude_tags=("chips",)), post)
    assert not member(QueryFeed(tags=("ai",), exclude_categories=("Tech",)), post)
    assert member(QueryFeed(), post)  # no selector: every post


def test_a_post_without_author_has_the_sites() -> None:
    assert member(QueryFeed(authors=("Site author",)), meta(author=None))


def test_match_searches_title_and_text_not_markup() -> None:
    post = meta(title="Quarterly results")
    assert member(QueryFeed(match="(?i)quarterly"), post)
    assert member(QueryFeed(match="银行"), post, "<p>中国<b>银行</b>…</p>".replace("<b>", ""))
    assert member(QueryFeed(match="R&D"), post, "<p>R&amp;D spending</p>")
    assert not member(QueryFeed(match="class"), post, '<p class="lead">Text</p>')


def test_memberships_are_sorted_slugs() -> None:
    queries = {"zeta": QueryFeed(), "alpha": QueryFeed(), "never": QueryFeed(tags=("x",))}
    assert memberships(meta(), "", queries, "") == ("alpha", "zeta")


def test_exclude_from_all() -> None:
    exclude = ExcludeFromAll(tags=("ads",), categories=("Spam",))
    assert in_all(meta(), exclude)
    assert not in_all(meta(tags=("ads",)), exclude)
    assert not in_all(meta(categories=(("News", "Spam"),)), exclude)
    assert in_all(meta(tags=("ads",)), ExcludeFromAll())


names = st.sampled_from(["a", "b", "c", "d"])


@given(
    tags=st.lists(names, max_size=3, unique=True),
    cats=st.lists(names, max_size=3, unique=True),
    want_tags=st.lists(names, max_size=2, unique=True),
    want_cats=st.lists(names, max_size=2, unique=True),
    not_tags=st.lists(names, max_size=2, unique=True),
    not_cats=st.lists(names, max_size=2, unique=True),
)
def test_selectors_are_set_logic(
    tags: list[str],
    cats: list[str],
    want_tags: list[str],
    want_cats: list[str],
    not_tags: list[str],
    not_cats: list[str],
) -> None:
    query = QueryFeed(
        categories=tuple(want_cats),
        tags=tuple(want_tags),
        exclude_tags=tuple(not_tags),
        exclude_categories=tuple(not_cats),
    )
    post = meta(categories=tuple((c,) for c in cats) or (("z",),), tags=tuple(tags))
    held = set(cats) or {"z"}
    expected = (
        (not want_cats or bool(held & set(want_cats)))
        and (not want_tags or bool(set(tags) & set(want_tags)))
        and not set(tags) & set(not_tags)
        and not held & set(not_cats)
    )
    assert member(query, post) is expected


@given(st.text(alphabet=string.ascii_letters + "<>&;# ", max_size=200))
@settings(max_examples=200)
def test_searchable_text_never_fails(body: str) -> None:
    assert searchable_text("T", body).startswith("T\n")


def test_match_is_linear_on_hostile_input() -> None:
    """Catastrophic for a backtracking engine: (a+)+$ against a run of a's and one b; and
    markup that never closes a tag."""
    assert_linear(
        lambda text: member(QueryFeed(match="(a+)+$"), meta(title=""), text),
        lambda n: "a" * n + "b",
        sizes=(20_000, 80_000, 320_000),
    )
    for unit in ("<", "<a", "&#"):
        assert_linear(
            lambda text: searchable_text("", text),
            lambda n, unit=unit: unit * n,  # type: ignore[misc]
            sizes=(20_000, 80_000, 320_000),
        )
    assert_linear(
        lambda text: searchable_text("", text), lambda n: "<" + "a" * n, (20_000, 80_000, 320_000)
    )


# --- configuration --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("feeds", "key"),
    [
        ({"a b": {}}, "feeds.a b"),
        ({"../x": {}}, "feeds.../x"),
        ({"q": {"match": r"(a)\1"}}, "feeds.q.match"),
        ({"q": {"match": "(?=a)b"}}, "feeds.q.match"),
        ({"q": {"match": "(unclosed"}}, "feeds.q.match"),
        ({"q": {"tags": [1]}}, "feeds.q.tags"),
        ({"q": {"max_age_days": -1}}, "feeds.q.max_age_days"),
        ({"q": {"items_per_feed": "5"}}, "feeds.q.items_per_feed"),
        ({"q": {"colour": "red"}}, "feeds.q.colour"),
        ({"q": "tags"}, "feeds.q"),
    ],
)
def test_a_bad_query_names_its_key(feeds: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        make_config({"feeds": feeds})
    assert str(raised.value).startswith(f"{key}:")


def test_bad_exclude_from_all_names_its_key() -> None:
    with pytest.raises(ConfigError, match=r"^exclude_from_all\.authors:"):
        make_config({"exclude_from_all": {"authors": ["x"]}})


def test_a_single_string_is_a_list_of_one() -> None:
    config = make_config({"feeds": {"q": {"tags": "ai"}}})
    assert config.feeds["q"].tags == ("ai",)


def test_the_cache_stamp_covers_the_queries() -> None:
    """Membership is cached with each post: changing a query must reset the cache."""
    one = make_config({"feeds": {"q": {"tags": ["a"]}}})
    assert stamp(one) != stamp(make_config({"feeds": {"q": {"tags": ["b"]}}}))
    assert stamp(one) != stamp(make_config({"exclude_from_all": {"tags": ["a"]}}))


# --- planning -------------------------------------------------------------------------


def ref(n: int, queries: tuple[str, ...] = (), in_all: bool = True) -> PostRef:
    published = int((NOW - timedelta(days=n)).timestamp()) * 1_000_000
    return PostRef(
        f"{n}.md", f"id{n}", True, published, UTC, published, (("C",),), (), queries, in_all
    )


def test_plan_asks_the_index_by_query_and_age() -> None:
    refs = [ref(1, ("q",)), ref(10, ("q",)), ref(40, ("q",)), ref(2), ref(3, ("q",), in_all=False)]
    config = make_config({"feeds": {"q": {"max_age_days": 30, "title": "Q"}}})
    plan = plan_feeds(MemoryIndex(refs), config, NOW)
    specs = {spec.key: spec for spec in plan.specs}
    assert specs["query/q"].post_ids == ("id1", "id3", "id10")
    assert specs["query/q"].title == "Q"
    assert "id3" not in specs["all"].post_ids  # held out of the all-posts feed only
    assert "id3" in specs["category/c"].post_ids
    assert plan.expires == datetime.fromtimestamp(refs[1].published / 1e6, UTC) + timedelta(30)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 100),
            st.lists(st.sampled_from(["q", "r"]), unique=True),
            st.booleans(),
        ),
        max_size=30,
    ),
    st.integers(0, 5),
    st.none() | st.integers(0, 100),
)
def test_the_index_answers_queries_as_a_filter_would(
    posts: list[tuple[int, list[str], bool]], limit: int, max_days: int | None
) -> None:
    refs = [
        ref(days, tuple(sorted(queries)), held)._replace(id=f"id{i}")
        for i, (days, queries, held) in enumerate(posts)
    ]
    since = None
    if max_days is not None:
        since = int((NOW - timedelta(days=max_days)).timestamp()) * 1_000_000
    index = MemoryIndex(refs)
    newest = sorted(refs, key=lambda r: (-r.published, r.id))
    for query in ("q", "r"):
        members = [
            r for r in newest if query in r.queries and (since is None or r.published >= since)
        ]
        found = index.feed_posts(limit, query=query, published_since=since)
        assert found.newest == members[: limit or None]
        assert found.total == len(members)
    assert index.feed_posts(0).newest == [r for r in newest if r.in_all]


def test_no_query_no_query_feeds() -> None:
    plan = plan_feeds(MemoryIndex([ref(1), ref(2)]), make_config({}), NOW)
    assert [spec.key for spec in plan.specs] == ["all", "category/c"]
    assert plan.expires is None


# --- builds ---------------------------------------------------------------------------


def age_files(posts: Path) -> None:
    """Modified well before NOW: files the cache trusts at NOW's clock."""
    old = int((NOW - timedelta(days=30)).timestamp()) * 10**9
    for path in posts.iterdir():
        os.utime(path, ns=(old, old))


def site(tmp_path: Path, queries: str) -> Path:
    posts = tmp_path / "posts"
    make_post(posts, "a.md", "title: Chips\ndate: 2024-05-30\ntags: [ai]", "<p>GPU news</p>")
    make_post(posts, "b.md", "title: Banks\ndate: 2024-05-20\ntags: [ads]", "<p>Rates</p>")
    make_post(posts, "c.md", "title: Old\ndate: 2020-01-01\ntags: [ai]", "<p>GPU history</p>")
    age_files(posts)
    (tmp_path / "feedbuilder.toml").write_text(
        'site_title = "S"\nsite_url = "https://example.com/"\n' + queries, encoding="utf-8"
    )
    return tmp_path


QUERIES = """
[feeds.gpu]
title = "GPU posts"
match = "GPU"
max_age_days = 365
[exclude_from_all]
tags = ["ads"]
"""


def titles(path: Path) -> list[str]:
    return [entry.title for entry in feedparser.parse(path.read_bytes()).entries]


def test_query_feed_in_every_format_and_listing(tmp_path: Path) -> None:
    root = site(tmp_path, QUERIES + 'formats = ["rss", "atom", "json"]\n')
    config = make_config(
        {
            "site_title": "S",
            "site_url": "https://example.com/",
            "feeds": {"gpu": {"title": "GPU posts", "match": "GPU", "max_age_days": 365}},
            "exclude_from_all": {"tags": ["ads"]},
        },
        root,
    )
    build(config, now=NOW, cache=False)
    out = root / "output"
    for suffix in ("rss.xml", "atom.xml"):
        assert titles(out / f"feeds/query/gpu.{suffix}") == ["Chips"]
    feed = json.loads((out / "feeds/query/gpu.json").read_text(encoding="utf-8"))
    assert feed["title"] == "GPU posts"
    assert [item["title"] for item in feed["items"]] == ["Chips"]
    assert titles(out / "feeds/all.rss.xml") == ["Chips", "Old"]  # Banks held out
    assert "feeds/query/gpu.atom.xml" in (out / "feeds/index.opml").read_text(encoding="utf-8")
    assert 'data-key="query/gpu"' in (out / "index.html").read_text(encoding="utf-8")


def test_queries_leave_the_other_feeds_as_they_were(
    tmp_path: Path, atom_schema: etree.RelaxNG
) -> None:
    """Adding a query adds its files and its rows in the OPML and the feeds page; every
    other feed file keeps its bytes. The query's Atom feed is valid Atom."""
    root = site(tmp_path, "")
    base = {"site_title": "S", "site_url": "https://example.com/"}
    build(make_config(base, root), now=NOW, cache=False)
    out = root / "output"
    plain = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    queried = make_config({**base, "feeds": {"q": {"tags": ["ai"]}}}, root)
    build(queried.replace(output_dir=root / "q"), now=NOW, cache=False)
    for path, data in plain.items():
        if path.parts[0] == "feeds" and path.suffix in (".xml", ".json"):
            assert (root / "q" / path).read_bytes() == data, path
    atom = etree.parse(root / "q/feeds/query/q.atom.xml")
    assert atom_schema.validate(atom), atom_schema.error_log


def test_cli_builds_query_feeds_and_refuses_a_bad_one(tmp_path: Path) -> None:
    root = site(tmp_path, QUERIES)
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (root / "output/feeds/query/gpu.atom.xml").is_file()
    (root / "feedbuilder.toml").write_text(
        'site_title = "S"\n[feeds.bad]\nmatch = "(?<=x)y"\n', encoding="utf-8"
    )
    result = run_cli("build", cwd=root)
    assert result.returncode == 2
    assert "feeds.bad.match" in result.stderr


def test_a_changed_query_is_not_served_from_the_cache(tmp_path: Path) -> None:
    root = site(tmp_path, "")
    base = {"site_title": "S", "site_url": "https://example.com/"}
    first = make_config({**base, "feeds": {"q": {"match": "GPU"}}}, root)
    build(first, now=NOW)
    assert titles(root / "output/feeds/query/q.atom.xml") == ["Chips", "Old"]
    second = make_config({**base, "feeds": {"q": {"match": "Rates"}}}, root)
    build(second, now=NOW)
    assert titles(root / "output/feeds/query/q.atom.xml") == ["Banks"]


def test_memberships_come_back_from_the_cache(tmp_path: Path) -> None:
    root = site(tmp_path, "")
    config = make_config(
        {
            "site_title": "S",
            "site_url": "https://example.com/",
            "feeds": {"q": {"match": "GPU"}},
            "exclude_from_all": {"tags": ["ads"]},
        },
        root,
    )
    build(config, now=NOW)
    make_post(root / "posts", "d.md", "title: New\ndate: 2024-05-31", "<p>Other</p>")
    age_files(root / "posts")
    report = build(config, now=NOW)
    assert report.files_scanned == 1  # a, b and c from the cache
    assert titles(root / "output/feeds/query/q.atom.xml") == ["Chips", "Old"]
    assert titles(root / "output/feeds/all.atom.xml") == ["New", "Chips", "Old"]


def test_a_post_ageing_out_is_not_left_by_an_unchanged_build(tmp_path: Path) -> None:
    root = site(tmp_path, "")
    config = make_config(
        {
            "site_title": "S",
            "site_url": "https://example.com/",
            "feeds": {"q": {"max_age_days": 5}},
        },
        root,
    )
    build(config, now=NOW)
    assert titles(root / "output/feeds/query/q.atom.xml") == ["Chips"]
    unchanged = build(config, now=NOW + timedelta(days=2))  # nothing changed, nothing due
    assert unchanged.files_written == 0 and unchanged.feeds_written == 0
    assert titles(root / "output/feeds/query/q.atom.xml") == ["Chips"]
    build(config, now=NOW + timedelta(days=6))  # Chips (05-30) is now 8 days old
    assert titles(root / "output/feeds/query/q.atom.xml") == []


ROCK = CORPORA / "Rock-Candy-Tea+RSSHUB-PAGE"


def entries(path: Path) -> list[feedparser.FeedParserDict]:
    return list(feedparser.parse(path.read_bytes()).entries)


@pytest.mark.skipif(not ROCK.is_dir(), reason="shared corpus absent")
def test_queries_over_the_real_corpus(tmp_path: Path) -> None:
    """金融 posts that mention funds or shares; everything but 金融 and 二次元; 二次元 held out
    of the all-posts feed: the counts must add up, and each item must show what matched."""
    config = make_config(
        {
            "site_url": "https://example.com/",
            "items_per_feed": 0,
            "feeds": {
                "fin": {"categories": ["金融"], "match": "基金|股"},
                "rest": {"exclude_categories": ["金融", "二次元"]},
            },
            "exclude_from_all": {"categories": ["二次元"]},
            "dedupe": False,  # the corpus's two reposted stories would make the counts differ
        }
    )
    config = config.replace(posts_dir=ROCK, output_dir=tmp_path / "out")
    report = build(config, now=datetime(2026, 12, 1, tzinfo=UTC), cache=False)
    feeds = tmp_path / "out/feeds"
    finance = entries(feeds / "category/jin-rong.atom.xml")
    anime = entries(feeds / "category/er-ci-yuan.atom.xml")
    found = entries(feeds / "query/fin.atom.xml")
    assert found
    assert {e.id for e in found} <= {e.id for e in finance}
    assert all(re.search("基金|股", e.title + e.content[0].value) for e in found)
    every = len(entries(feeds / "all.atom.xml"))
    assert every == report.posts_read - len(anime)
    rest = len(entries(feeds / "query/rest.atom.xml"))
    assert rest == report.posts_read - len({e.id for e in finance + anime})
