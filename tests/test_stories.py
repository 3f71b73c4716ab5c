"""One story once (issue 14.3): copies found in linear time, merged in the all-posts feed
and in parent categories, kept in each source's own feed, and an "Also in" note that follows
its copies through incremental builds."""

from __future__ import annotations

import random
import tracemalloc
from array import array
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedbuilder.cache import CACHE_NAME
from feedbuilder.config import Config, load_settings, make_config
from feedbuilder.feeds.plan import plan_feeds
from feedbuilder.feeds.stories import (
    _SLICE,
    _TRIPLES,
    MAX_DISTANCE,
    PEERS,
    Collapsed,
    _near_pairs,
    collapse,
    deduped_categories,
    find_stories,
    story_groups,
)
from feedbuilder.models import PostRef
from feedbuilder.normalise.fingerprint import story_print
from feedbuilder.output.state import STATE_NAME
from feedbuilder.pipeline import build, scan_posts

from .conftest import CORPORA, make_post
from .lineartime import assert_linear
from .test_fingerprint import HAN, WORDS, article, lightly_edited

NOW = datetime(2024, 6, 1, tzinfo=UTC)


def ref(name: str, published: int, story: str, categories: tuple[str, ...] = ("c",)) -> PostRef:
    return PostRef(name, name, False, published, UTC, published, (categories,), (), story=story)


def newest_first(refs: list[PostRef]) -> list[PostRef]:
    return sorted(refs, key=lambda r: (-r.published, r.id))


def merge_duplicates(refs: Sequence[PostRef], limit: int = 0) -> Collapsed:
    """The whole decision for one feed of ``refs`` (in its order), every post inside it."""
    return collapse(refs, limit, find_stories(refs), lambda ref: True)


# --- deciding -------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(400, 1500),
    edits=st.integers(0, 1),
    han=st.booleans(),
    retitled=st.booleans(),
)
def test_a_text_and_a_lightly_edited_copy_merge(
    seed: int, size: int, edits: int, han: bool, retitled: bool
) -> None:
    rng = random.Random(seed)
    vocabulary, joiner = (HAN, "") if han else (WORDS, " ")
    original = article(rng, size, vocabulary, joiner)
    copy = lightly_edited(rng, original, vocabulary, edits)
    others = [article(rng, size, vocabulary, joiner) for _ in range(3)]
    refs = [
        ref("a", 5, story_print("A story", original).pack()),
        *(ref(f"o{i}", 4 - i, story_print("A story", t).pack()) for i, t in enumerate(others)),
        ref("b", 1, story_print("Retold" if retitled else "A story", copy).pack()),
    ]
    stories = find_stories(refs)
    assert [r.id for r in stories["a"]] == ["a", "b"]
    assert set(stories) == {"a", "b"}  # the unrelated ones stand alone
    kept, merged = merge_duplicates(refs)
    assert [r.id for r in kept] == ["a", "o0", "o1", "o2"]
    assert [(k.id, [c.id for c in copies]) for k, copies in merged] == [("a", ["b"])]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(2, 40), han=st.booleans())
def test_unrelated_texts_do_not_merge(seed: int, count: int, han: bool) -> None:
    rng = random.Random(seed)
    vocabulary, joiner = (HAN, "") if han else (WORDS, " ")
    refs = [
        ref(f"p{i}", i, story_print(f"Title {i}", article(rng, 200, vocabulary, joiner)).pack())
        for i in range(count)
    ]
    assert find_stories(newest_first(refs)) == {}


def test_the_newest_copy_is_kept_and_the_limit_counts_stories() -> None:
    same = story_print("Story", article(random.Random(1), 300, WORDS, " ")).pack()
    refs = newest_first(
        [
            ref("old-copy", 1, same),
            ref("new-copy", 9, same),
            ref("mid-copy", 5, same),
            ref("x", 8, ""),
            ref("y", 4, ""),
        ]
    )
    kept, merged = merge_duplicates(refs, limit=3)
    assert [r.id for r in kept] == ["new-copy", "x", "y"]  # three stories, not three posts
    assert [c.id for c in merged[0][1]] == ["mid-copy", "old-copy"]


def test_a_feed_lists_only_its_own_copies() -> None:
    same = story_print("Story", article(random.Random(2), 300, WORDS, " ")).pack()
    refs = newest_first(
        [ref("a", 3, same, ("g", "s1")), ref("b", 2, same, ("g", "s2")), ref("c", 1, same, ("h",))]
    )
    stories = find_stories(refs)
    in_g = [r for r in refs if "g" in r.categories[0]]
    kept, merged = collapse(in_g, 0, stories, lambda r: "g" in r.categories[0])
    assert [r.id for r in kept] == ["a"]
    assert [c.id for c in merged[0][1]] == ["b"]  # c is a copy, but not in this feed


def test_a_story_is_a_star_not_a_chain() -> None:
    """b is near a, c near b but 8 bits from a: c is a story of its own, so texts that
    drift a few bits at a time (or are made of the same phrases) never pile up."""
    a = 0x0123456789ABCDEF
    b, c, d = a ^ 0b1111, a ^ 0b1111_1111, a ^ 0b1_0000_0001
    refs = [
        ref(n, 4 - i, f"{h:016x}")
        for i, (n, h) in enumerate(zip("abcd", [a, b, c, d], strict=True))
    ]
    stories = find_stories(newest_first(refs))
    assert [r.id for r in stories["a"]] == ["a", "b", "d"]
    assert "c" not in stories
    assert [r.id for r in merge_duplicates(newest_first(refs)).kept] == ["a", "c"]


def test_a_note_links_ten_copies_and_counts_the_rest(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    for i in range(14):
        make_post(
            posts,
            f"p{i:02d}.html",
            f"title: Same\ndate: 2024-05-{i + 1:02d}\ncategories: [G, S{i}]",
            STORY,
        )
    config = site(tmp_path)
    build(config, now=NOW, cache=False)
    content = entries(config.output_dir, "all")[0].content[0].value
    assert content.count("<a href=") == 10 and content.endswith(" +3</p>")


def test_deduped_categories_are_those_with_categories_below() -> None:
    paths = [("金融", "新浪财经", "新浪财经－国內"), ("金融", "网易财经"), ("科技",)]
    assert deduped_categories(paths) == {"金融", "新浪财经"}


def _prints(count: int, kind: str) -> list[PostRef]:
    rng = random.Random(count)
    if kind == "equal":  # one crowd: every bucket full, every key the same
        story = story_print("t", article(rng, 100, WORDS, " ")).pack()
        return [ref(f"p{i:07d}", -i, story) for i in range(count)]
    if kind == "chain":  # each one bit from the last: one long story
        return [ref(f"p{i:07d}", -i, f"{(1 << (i % 64)) - 1:016x}") for i in range(count)]
    return [ref(f"p{i:07d}", -i, f"{rng.getrandbits(64):016x} {i:x}") for i in range(count)]


@pytest.mark.parametrize("kind", ["random", "equal", "chain"])
def test_finding_stories_takes_linear_time(kind: str) -> None:
    prepared = {n: _prints(n, kind) for n in (2_000, 8_000, 32_000)}
    assert PEERS * 23 < 2_000  # the crowd is larger than what one post is compared with
    assert_linear(
        lambda size: merge_duplicates(prepared[int(size)], 50),
        str,
        sizes=tuple(prepared),
        budget_seconds=10,
    )


# --- building -------------------------------------------------------------------------


def site(tmp_path: Path, **extra: Any) -> Config:
    values: dict[str, Any] = {
        "site_url": "https://example.com/",
        "items_per_feed": 10,
        "posts_dir": str(tmp_path / "posts"),
        "output_dir": str(tmp_path / "out"),
        **extra,
    }
    return make_config(values)


STORY = article(random.Random(11), 500, HAN, "")


def write_story_site(posts: Path) -> None:
    """One story from two sources under 金融, an unrelated post, and one in another group."""
    make_post(
        posts,
        "sina.html",
        "title: 银保监局印发意见\ndate: 2024-05-03 10:00:00\n"
        "categories: [金融, 新浪财经]\nlink: https://sina.example/a",
        f"<p>原标题：银保监局印发意见</p>{STORY}",
    )
    make_post(
        posts,
        "netease.html",
        "title: 监管部门印发意见\ndate: 2024-05-02 09:00:00\n"
        "categories: [金融, 网易财经]\nlink: https://163.example/b",
        lightly_edited(random.Random(12), STORY, HAN, 1),
    )
    make_post(
        posts,
        "other.html",
        "title: 另一篇\ndate: 2024-05-01\ncategories: [金融, 新浪财经]",
        article(random.Random(13), 300, HAN, ""),
    )


def entries(out: Path, key: str) -> list[Any]:
    return list(feedparser.parse((out / "feeds" / f"{key}.atom.xml").read_bytes()).entries)


def test_a_story_shows_once_where_sources_meet_and_in_each_source_feed(tmp_path: Path) -> None:
    write_story_site(tmp_path / "posts")
    config = site(tmp_path)
    build(config, now=NOW, cache=False)
    out = config.output_dir
    for key in ("all", "category/jin-rong"):
        found = entries(out, key)
        assert [e.title for e in found] == ["银保监局印发意见", "另一篇"]
        content = found[0].content[0].value
        assert content.endswith(
            '<p class="also-in">Also in: <a href="https://163.example/b">网易财经</a></p>'
        )
    assert [e.title for e in entries(out, "category/xin-lang-cai-jing")] == [
        "银保监局印发意见",
        "另一篇",
    ]
    assert [e.title for e in entries(out, "category/wang-yi-cai-jing")] == ["监管部门印发意见"]
    assert "also-in" not in (out / "feeds/category/wang-yi-cai-jing.atom.xml").read_text()
    assert "also-in" not in (out / "feeds/category/xin-lang-cai-jing.atom.xml").read_text()

    plan = plan_feeds(scan_posts(config, now=NOW).index(), config)
    merged = {spec.key: spec.duplicates_merged for spec in plan.specs}
    assert merged == {
        "all": 1,
        "category/jin-rong": 1,
        "category/xin-lang-cai-jing": 0,
        "category/wang-yi-cai-jing": 0,
    }


def test_the_note_speaks_the_site_language(tmp_path: Path) -> None:
    write_story_site(tmp_path / "posts")
    config = site(tmp_path, language="zh-CN")
    build(config, now=NOW, cache=False)
    content = entries(config.output_dir, "all")[0].content[0].value
    assert content.endswith('另见：<a href="https://163.example/b">网易财经</a></p>')


def test_dedupe_off_keeps_every_copy(tmp_path: Path) -> None:
    write_story_site(tmp_path / "posts")
    config = site(tmp_path, dedupe=False)
    build(config, now=NOW, cache=False)
    assert len(entries(config.output_dir, "all")) == 3
    assert "also-in" not in (config.output_dir / "feeds/all.atom.xml").read_text()


def test_without_copies_dedupe_changes_no_byte(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    for i in range(6):
        make_post(
            posts,
            f"p{i}.html",
            f"title: Post {i}\ndate: 2024-05-0{i + 1}\ncategories: [G, S{i % 2}]",
            article(random.Random(i), 200, WORDS, " "),
        )
    on, off = site(tmp_path), site(tmp_path, dedupe=False, output_dir=str(tmp_path / "off"))
    build(on, now=NOW, cache=False)
    build(off, now=NOW, cache=False)
    assert tree(on.output_dir) == tree(off.output_dir)


def tree(root: Path) -> dict[str, bytes]:
    """Every output file but the cache and the state file (which records the settings)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith((CACHE_NAME, STATE_NAME))
    }


def test_feeds_follow_a_copy_that_comes_and_goes(tmp_path: Path) -> None:
    """The note depends on other posts: an incremental build matches a cold one when a
    copy appears, changes or goes, although the kept post's file never changed."""
    write_story_site(tmp_path / "posts")
    netease = tmp_path / "posts" / "netease.html"
    copy_text = netease.read_text(encoding="utf-8")
    netease.unlink()
    config = site(tmp_path)

    def same_as_cold() -> str:
        build(config, now=NOW)
        cold = config.replace(output_dir=tmp_path / "cold")
        build(cold, now=NOW, cache=False)
        assert tree(config.output_dir) == tree(cold.output_dir)
        return (config.output_dir / "feeds/all.atom.xml").read_text()

    assert "also-in" not in same_as_cold()
    netease.write_text(copy_text, encoding="utf-8")
    assert "https://163.example/b" in same_as_cold()
    netease.write_text(copy_text.replace("https://163.example/b", "https://163.example/c"))
    assert "https://163.example/c" in same_as_cold()
    netease.unlink()
    assert "also-in" not in same_as_cold()


def test_stories_hold_a_few_bytes_a_copy_until_a_feed_asks_for_one(tmp_path: Path) -> None:
    """In a big scraped corpus a third of the posts may be copies: their refs (hundreds of
    bytes each) are had only for the stories a feed asks for. Measured on 2,000 copies:
    602 bytes held a copy when every story's refs were had at once, 82 since."""
    posts = tmp_path / "posts"
    rng = random.Random(3)
    for story in range(1000):
        text = article(rng, 60, HAN, "")
        for source in ("sina", "163"):
            make_post(
                posts,
                f"{source}/{story}.html",
                f"title: 故事{story}\ndate: 2024-05-03 10:{story % 60:02d}:00\n"
                f"categories: [金融, {source}]\nlink: https://{source}.example/{story}",
                text,
            )
    index = scan_posts(site(tmp_path), now=NOW).index()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        stories = index.stories()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(stories) == 2000
    assert held / len(stories) < 100
    copies = stories["https://163.example/7"]
    assert sorted(ref.rel_path for ref in copies) == ["163/7.html", "sina/7.html"]
    assert "https://163.example/nope" not in stories


def reference_near_pairs(hashes: Sequence[int]) -> list[tuple[int, int]]:
    """The near pairs the plain way: each table's crowds in a dict, each print compared
    with the PEERS after it in its crowd."""
    pairs: set[tuple[int, int]] = set()
    for triple in _TRIPLES:
        crowds: dict[tuple[int, ...], list[int]] = {}
        for position, value in enumerate(hashes):
            crowds.setdefault(tuple(value >> 8 * b & 255 for b in triple), []).append(position)
        for crowd in crowds.values():
            for at, p in enumerate(crowd):
                for q in crowd[at + 1 : at + 1 + PEERS]:
                    if (hashes[p] ^ hashes[q]).bit_count() <= MAX_DISTANCE:
                        pairs.add((p, q))
    return sorted(pairs, key=lambda pair: (pair[1], pair[0]))


def crowded_hashes(count: int, templates: int, flips: int, seed: int) -> list[int]:
    """SimHashes of copies of a few templates, each with up to ``flips`` bits changed."""
    rng = random.Random(seed)
    bases = [rng.getrandbits(64) for _ in range(templates)]
    hashes = []
    for _ in range(count):
        value = rng.choice(bases)
        for _ in range(rng.randint(0, flips)):
            value ^= 1 << rng.randrange(64)
        hashes.append(value)
    return hashes


@settings(max_examples=200, deadline=None)
@given(
    count=st.integers(0, 120),
    templates=st.integers(1, 6),
    flips=st.integers(0, 8),
    seed=st.integers(0, 2**32),
)
def test_near_pairs_are_those_the_plain_search_finds(
    count: int, templates: int, flips: int, seed: int
) -> None:
    hashes = crowded_hashes(count, templates, flips, seed)
    assert list(_near_pairs(array("Q", hashes))) == reference_near_pairs(hashes)


def test_near_pairs_are_found_across_the_slices_of_a_crowded_table() -> None:
    """Crowds far longer than the slice the search compares at once."""
    hashes = crowded_hashes(3 * _SLICE, 2, 3, seed=5)
    found = list(_near_pairs(array("Q", hashes)))
    assert found == reference_near_pairs(hashes)
    assert len(found) > len(hashes)


def test_finding_stories_holds_little_per_post_in_crowded_corpora() -> None:
    """A scraper's posts come from a few templates, so their prints crowd the tables: the
    search's transient lists and the pairs it finds stay bounded per post (a million posts'
    stories in the build's memory budget). Measured on 20,000 such prints: 277 bytes a post
    before the tables were sorted a 256th at a time and pairs kept once, 135 after."""
    rng = random.Random(1)
    templates = [rng.getrandbits(64) for _ in range(50)]
    prints = []
    for _ in range(20_000):
        simhash = rng.choice(templates)
        for _ in range(rng.randint(3, 12)):
            simhash ^= 1 << rng.randrange(64)
        prints.append(f"{simhash:016x} {rng.getrandbits(64):016x}")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        groups = story_groups(iter(prints))
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert groups  # the templates' near copies are found
    assert peak / len(prints) < 180


# --- the real corpora -----------------------------------------------------------------


def corpus_plan(config: Config) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """Each feed's merged stories: the kept post's path and its copies' paths."""
    scanned = scan_posts(config, now=NOW)
    paths = {r.id: r.rel_path for r in scanned.refs}
    plan = plan_feeds(scanned.index(config.order_by), config)
    return {
        spec.key: [(paths[k], tuple(paths[c] for c in copies)) for k, copies in spec.merged]
        for spec in plan.specs
        if spec.merged
    }


ROCK = CORPORA / "Rock-Candy-Tea+RSSHUB-PAGE"
DAI = CORPORA / "daichangya+hexo-blog"


@pytest.mark.skipif(not ROCK.is_dir(), reason="the shared corpora are not here")
def test_the_seed_site_corpus_merges_its_two_rescraped_posts(tmp_path: Path) -> None:
    """Two DT 财经 posts scraped twice: one into both of the site's layouts (post/ and
    source/_posts), one again under a title the scraper wrapped in quotes."""
    merged = corpus_plan(site(tmp_path, posts_dir=str(ROCK), items_per_feed=0))
    ai = "AI戒毒：被机器监控的毒品_心瘾_.md"
    who = "post__金融__DT 财经 - 数据侠专栏__"
    pairs = [
        ("post__金融__" + ai, ("source___posts__金融__DT 财经__数据侠专栏__" + ai,)),
        (who + '"""""""""""\'谁发明了AI？\'""""""""""".md', (who + "谁发明了AI？.md",)),
    ]
    assert merged == {"all": pairs, "category/jin-rong": pairs}  # 金融 gathers sources


@pytest.mark.skipif(not DAI.is_dir(), reason="the shared corpora are not here")
def test_the_hexo_blog_corpus_merges_its_one_repost(tmp_path: Path) -> None:
    """The same translation of "How Browsers Work", posted twice under two titles, with
    another opening and layout; not the Redis series, whose posts open with the same table
    of contents."""
    overrides = {"site_dir": DAI, "output_dir": tmp_path / "out", "items_per_feed": 0}
    merged = corpus_plan(load_settings(cwd=tmp_path, overrides=overrides).config)
    pair = (
        "xian-dai-liu-lan-qi-de-gong-zuo-yuan-li.md",
        ("qian-duan-bi-du-liu-lan-qi-nei-bu-gong.md",),
    )
    assert merged == {"all": [pair]}  # its categories are flat: each is a leaf
