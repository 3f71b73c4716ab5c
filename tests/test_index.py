"""The stored index answers planning as the in-memory one does (issue 13): the build's
database gives each feed's first posts, counts and names, with the scan's decisions (future
posts held back, future updates ignored, shared ids merged or renamed) applied."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from feedbuilder.cache import Cache
from feedbuilder.feeds.dedupe import dedupe
from feedbuilder.feeds.index import PostIndex, StoredIndex
from feedbuilder.feeds.stories import Stories
from feedbuilder.models import PackedMeta, PostRef

from .memory_index import MemoryIndex

NOW = 1_000_000
HIERARCHIES = [("A",), ("A", "B"), ("A", "C"), ("D",), ("D", "B")]
WORDS = ["x", "y", "z"]
PRINTS = ["", "- 0a", "- 0b", "00000000000000ff 0c", "00000000000000fe", "ff00000000000000", "- k"]


@st.composite
def packed_posts(draw: st.DrawFn) -> tuple[str, PackedMeta]:
    published = draw(st.integers(0, 12)) * 100_000  # few distinct dates: many ties
    updated = published + draw(st.sampled_from([0, 0, 50_000, 2_000_000]))
    paths = draw(st.lists(st.sampled_from(HIERARCHIES), min_size=1, max_size=2, unique=True))
    packed = PackedMeta(
        title="T",
        link=f"https://example.com/{draw(st.integers(0, 30))}/",
        id=draw(st.one_of(st.none(), st.sampled_from(["u:1", "u:2", "u:3"]))),
        published=published,
        published_zone="UTC",
        updated=updated,
        updated_zone="UTC",
        author=None,
        categories="\x1e".join("\x1f".join(path) for path in paths),
        tags="\x1e".join(draw(st.lists(st.sampled_from(WORDS), max_size=2, unique=True))),
        thumbnail=None,
        thumbnail_type=None,
        given_summary=None,
        body_format="html",
        mtime=0.0,
        queries="\x1e".join(draw(st.lists(st.sampled_from(["q1", "q2"]), max_size=2, unique=True))),
        in_all=draw(st.sampled_from([1, 1, 0])),
        story=draw(st.sampled_from(PRINTS)),
    )
    return draw(st.text("abc/", min_size=1, max_size=4)) + ".md", packed


def _as_decided(refs: list[PostRef], due: int | None) -> tuple[list[PostRef], list[PostRef]]:
    """What the scan decides in memory: the due posts, updates after NOW ignored, ids made
    unique; and the posts merged away."""
    due_refs = [
        ref if ref.updated <= NOW else ref._replace(updated=ref.published)
        for ref in refs
        if due is None or ref.published <= due
    ]
    kept, _ = dedupe(due_refs)
    paths = {ref.rel_path for ref in kept}
    return kept, [ref for ref in due_refs if ref.rel_path not in paths]


def _answers(index: PostIndex, limit: int, stories: Stories | None) -> dict[str, Any]:
    feeds: dict[str, Any] = {"all": index.feed_posts(limit, stories=stories)}
    feeds["since"] = index.feed_posts(limit, published_since=500_000)
    for name in ["A", "B", "C", "D"]:
        feeds[f"c:{name}"] = index.feed_posts(limit, category=name, stories=stories)
    for name in [*WORDS, "w"]:
        feeds[f"t:{name}"] = index.feed_posts(limit, tag=name)
    for name in ["q1", "q2"]:
        feeds[f"q:{name}"] = index.feed_posts(limit, query=name)
    return {
        "categories": sorted(set(index.category_paths())),
        "tags": sorted(set(index.tags())),
        "feeds": feeds,
    }


@settings(max_examples=150, deadline=None)
@given(
    st.lists(packed_posts(), max_size=25, unique_by=lambda post: post[0]),
    st.sampled_from([None, 900_000]),
    st.sampled_from(["-date", "-updated"]),
    st.integers(0, 4),
    st.booleans(),
)
def test_the_stored_index_answers_as_the_memory_one(
    posts: list[tuple[str, PackedMeta]],
    due: int | None,
    order_by: str,
    limit: int,
    with_stories: bool,
) -> None:
    store = Cache.in_memory()
    with store.transaction():
        store.put_scans(((path, 1, 2), packed, []) for path, packed in posts)
    refs = [packed.ref(path) for path, packed in posts]
    kept, merged = _as_decided(refs, due)
    original = {ref.rel_path: ref.id for ref in refs}
    renamed = {ref.rel_path: ref.id for ref in kept if ref.id != original[ref.rel_path]}
    memory = MemoryIndex(kept, order_by)
    stored = StoredIndex(store, NOW, due, order_by, {ref.rel_path: ref for ref in merged}, renamed)
    assert stored.stories() == memory.stories()
    stories = memory.stories() if with_stories else None
    assert _answers(stored, limit, stories) == _answers(memory, limit, stories)
    store.close()
