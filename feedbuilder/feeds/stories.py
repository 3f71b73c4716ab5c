"""One story once (issue 14.3): which posts are copies of one article, and each feed's items
with every story once.

Two posts are copies when they share an exact key (normalised title with the opening text)
or their SimHashes differ in at most :data:`MAX_DISTANCE` bits (see
:mod:`..normalise.fingerprint`). Found in linear time, never by comparing every pair: exact
keys by a dict, near SimHashes by locality-sensitive buckets. The 64 bits are cut into 8
blocks of 8; two prints within 6 bits of each other differ in at most 6 blocks, so they agree
on at least 2 blocks, and so share one of the 28 keys (a pair of blocks, 16 bits). Each post
is compared with at most :data:`PEERS` posts per key, so a crowd of equal prints (hostile
input) costs 28 × :data:`PEERS` comparisons a post, not one per other post. Copies of copies
are one story (union-find, whose root is the newest copy), so groups never depend on the
order buckets are met in, only on the posts' order.

Which feeds merge copies is :func:`deduped_categories`' rule; the kept copy is the first of
the story in the feed's order, and its content ends with "Also in:" and links to the others.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from itertools import combinations
from typing import NamedTuple

from ..models import Post, PostRef
from ..normalise.fingerprint import StoryPrint

MAX_DISTANCE = 5  # bits; measured: a true copy at 5, the nearest unrelated real posts at 10+
PEERS = 8  # posts remembered per bucket
_BLOCK_PAIRS = tuple(
    (pair << 16, first * 8, second * 8)
    for pair, (first, second) in enumerate(combinations(range(8), 2))
)

Stories = Mapping[str, tuple[PostRef, ...]]  # a copy's id → its story's copies, in order
Merged = tuple[tuple[PostRef, tuple[PostRef, ...]], ...]  # a kept post → its copies left out


def find_stories(refs: Sequence[PostRef]) -> dict[str, tuple[PostRef, ...]]:
    """The stories with more than one copy among ``refs`` (in the site's order): each copy's
    id → every copy, in that order."""
    root = list(range(len(refs)))

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    def union(i: int, j: int) -> None:
        a, b = find(i), find(j)
        if a != b:
            root[max(a, b)] = min(a, b)

    by_key: dict[str, int] = {}
    buckets: dict[int, list[tuple[int, int]]] = {}
    for i, ref in enumerate(refs):
        if not ref.story:
            continue
        keys, simhash = StoryPrint.unpack(ref.story)
        for key in keys:
            union(i, by_key.setdefault(key, i))
        if simhash is None:
            continue
        for pair, first, second in _BLOCK_PAIRS:
            bucket = buckets.setdefault(
                pair | (simhash >> first & 255) << 8 | (simhash >> second & 255), []
            )
            for j, other in bucket:
                if (simhash ^ other).bit_count() <= MAX_DISTANCE:
                    union(i, j)
            if len(bucket) < PEERS:
                bucket.append((i, simhash))
    groups: dict[int, list[PostRef]] = {}
    for i, ref in enumerate(refs):
        if ref.story:
            groups.setdefault(find(i), []).append(ref)
    stories: dict[str, tuple[PostRef, ...]] = {}
    for group in groups.values():
        if len(group) > 1:
            copies = tuple(group)
            stories.update((ref.id, copies) for ref in copies)
    return stories


class Collapsed(NamedTuple):
    """A feed's first posts with each story once, and the copies each kept post stands for
    (those in the feed; later ones than the limit included)."""

    kept: list[PostRef]
    merged: Merged


def collapse(
    members: Iterable[PostRef],
    limit: int,
    stories: Stories,
    inside: Callable[[PostRef], bool],
) -> Collapsed:
    """The first ``limit`` (0: all) of a feed's ``members`` (in its order), a story's later
    copies left out; ``inside`` tells whether a copy is in the feed."""
    kept: list[PostRef] = []
    merged: list[tuple[PostRef, tuple[PostRef, ...]]] = []
    seen: set[str] = set()
    for ref in members:
        if limit and len(kept) == limit:
            break
        copies = stories.get(ref.id)
        if copies is not None:
            if copies[0].id in seen:
                continue
            seen.add(copies[0].id)
            others = tuple(c for c in copies if c.id != ref.id and inside(c))
            if others:
                merged.append((ref, others))
        kept.append(ref)
    return Collapsed(kept, tuple(merged))


def merge_duplicates(refs: Sequence[PostRef], limit: int = 0) -> Collapsed:
    """The whole decision for one feed of ``refs`` (in its order), every post inside it."""
    return collapse(refs, limit, find_stories(refs), lambda ref: True)


def deduped_categories(paths: Iterable[tuple[str, ...]]) -> set[str]:
    """The categories whose feeds merge copies: those with a category below them.

    A scraped corpus files each post as ``group > source > ...`` (the seed: 金融 > 新浪财经 >
    新浪财经－国內), and a leaf is one source's own feed: it keeps every post it has, copies
    included, so a reader of that source misses nothing. A category above others gathers
    several sources, so there, as in the all-posts feed, a story shows once.
    """
    return {name for path in paths for name in path[:-1]}


class Source(NamedTuple):
    """Where a copy of a story is: its source (the deepest category) and its link."""

    name: str
    link: str


def source_name(ref: PostRef) -> str:
    """A copy's source, as "Also in" names it: the deepest level of its first category."""
    return ref.categories[0][-1] if ref.categories and ref.categories[0] else ""


_ALSO_IN = {"zh": ("另见：", "、"), "ja": ("他の掲載先：", "、")}


def also_in(post: Post, copies: Sequence[Source], language: str) -> Post:
    """``post`` with "Also in: <links to the copies>" at the end of its content."""
    label, comma = _ALSO_IN.get(language.split("-")[0].lower(), ("Also in: ", ", "))
    links = comma.join(
        f'<a href="{html.escape(c.link)}">{html.escape(c.name or c.link, quote=False)}</a>'
        for c in copies
    )
    note = f'\n<p class="also-in">{label}{links}</p>'
    return Post(post.meta, replace(post.body, content_html=post.body.content_html + note))
