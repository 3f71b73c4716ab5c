"""One story once (issue 14.3): which posts are copies of one article, and each feed's items
with every story once.

Two posts are copies when they share an exact key (normalised title with the opening text)
or their SimHashes differ in at most :data:`MAX_DISTANCE` bits (see
:mod:`..normalise.fingerprint`). Found in linear time, never by comparing every pair: exact
keys by a dict, near SimHashes by locality-sensitive tables. Two prints within 4 bits of each
other differ in at most 4 of their 8 bytes, so they agree on 4, and every 4 byte positions
hold one of the 23 triples of :data:`_TRIPLES`: each table keys every print by one triple
(24 bits, so unrelated prints rarely meet), and only prints that meet are compared, each
with at most :data:`PEERS` others per table, so a crowd of equal prints (hostile input) costs
23 × :data:`PEERS` comparisons a post, not one per other post. The tables are made and
searched in NumPy, not a Python step per post per table. Copies of copies
join the story of their first (newest) copy only when near that one (see
:func:`find_stories`), so a story depends only on the posts and their order.

Which feeds merge copies is :func:`deduped_categories`' rule; the kept copy is the first of
the story in the feed's order, and its content ends with "Also in:" and links to the others.
"""

from __future__ import annotations

import hashlib
import html
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from heapq import merge
from itertools import combinations, groupby
from operator import itemgetter
from typing import TYPE_CHECKING, NamedTuple

from ..models import Post, PostRef
from ..normalise.fingerprint import StoryPrint

if TYPE_CHECKING:  # NumPy is imported when there are prints to compare
    import numpy as np
    import numpy.typing as npt

MAX_DISTANCE = 4  # bits; measured: copies with a word or two changed 95% within, real
# unrelated posts 10 and more apart
PEERS = 8  # prints a print is compared with, per table
NOTE_LINKS = 10  # copies an "Also in" note links to; the rest it counts


def _covering_triples() -> tuple[tuple[int, int, int], ...]:
    """Triples of byte positions such that any 4 of the 8 positions hold one (greedy)."""
    uncovered = set(combinations(range(8), 4))
    chosen: list[tuple[int, int, int]] = []
    while uncovered:
        best = max(
            combinations(range(8), 3), key=lambda t: sum(set(t) <= set(q) for q in uncovered)
        )
        chosen.append(best)
        uncovered = {q for q in uncovered if not set(best) <= set(q)}
    return tuple(chosen)


_TRIPLES = _covering_triples()

Stories = Mapping[str, tuple[PostRef, ...]]  # a copy's id → its story's copies, in order
Merged = tuple[tuple[PostRef, tuple[PostRef, ...]], ...]  # a kept post → its copies left out


def find_stories(refs: Sequence[PostRef]) -> dict[str, tuple[PostRef, ...]]:
    """The stories with more than one copy among ``refs`` (in the site's order): each copy's
    id → every copy, in that order (see :func:`story_groups`)."""
    groups = story_groups(ref.story for ref in refs)
    return stories_of([[refs[i] for i in group] for group in groups])


def stories_of(groups: Iterable[Sequence[PostRef]]) -> dict[str, tuple[PostRef, ...]]:
    """Each copy's id → its story's copies, from the stories' copies in order."""
    stories: dict[str, tuple[PostRef, ...]] = {}
    for group in groups:
        copies = tuple(group)
        stories.update((ref.id, copies) for ref in copies)
    return stories


class StoriesAt(Mapping[str, tuple[PostRef, ...]]):
    """Stories whose copies are known by number (a row of the build's database), each
    story's refs had only when a feed asks for one of its copies: in a big scraped corpus a
    third of the posts may be copies, hundreds of bytes each as refs, where the feeds walk a
    few thousand posts. Held per copy: its number, and its id's hash with its story's
    place (about 20 bytes)."""

    def __init__(
        self,
        groups: Iterable[Sequence[int]],
        ids: Callable[[Sequence[int]], Mapping[int, str]],
        refs: Callable[[Sequence[int]], Mapping[int, PostRef]],
    ) -> None:
        """``groups``: each story's copies' numbers, the first first; ``ids`` and ``refs``:
        the ids and the refs at some numbers, by number."""
        import numpy as np

        self._copies = array("q")  # every story's copies' numbers, a story after another
        self._starts = array("q", [0])  # where each story's begin in _copies, and the end
        for group in groups:
            self._copies.extend(group)
            self._starts.append(len(self._copies))
        hashes = array("q")
        for start in range(0, len(self._copies), _IDS_AT_ONCE):
            numbers = self._copies[start : start + _IDS_AT_ONCE]
            found = ids(numbers)
            hashes.extend(hash(found[number]) for number in numbers)
        story_of = np.repeat(
            np.arange(len(self._starts) - 1, dtype=np.int64), np.diff(np.asarray(self._starts))
        )
        unsorted = np.asarray(hashes)
        order = np.argsort(unsorted, kind="stable")
        self._hashes = unsorted[order]  # the copies' ids' hashes, sorted
        self._story_of = story_of[order]  # ... and their stories, in the same order
        self._refs = refs
        self._had: dict[int, tuple[PostRef, ...]] = {}  # the stories asked for so far

    def __getitem__(self, post_id: str) -> tuple[PostRef, ...]:
        import numpy as np

        wanted = hash(post_id)
        at = int(np.searchsorted(self._hashes, wanted))
        while at < len(self._hashes) and self._hashes[at] == wanted:  # a hash is not an id
            copies = self._story(int(self._story_of[at]))
            if any(ref.id == post_id for ref in copies):
                return copies
            at += 1
        raise KeyError(post_id)

    def _story(self, story: int) -> tuple[PostRef, ...]:
        if story not in self._had:
            numbers = self._copies[self._starts[story] : self._starts[story + 1]]
            found = self._refs(numbers)
            self._had[story] = tuple(found[number] for number in numbers)
        return self._had[story]

    def __iter__(self) -> Iterator[str]:
        for story in range(len(self._starts) - 1):
            yield from (ref.id for ref in self._story(story))

    def __len__(self) -> int:
        return len(self._copies)


_IDS_AT_ONCE = 10_000  # copies' ids read from the database at a time


def story_groups(prints: Iterable[str]) -> list[list[int]]:
    """The stories with more than one copy among posts with these packed ``prints`` (in the
    site's order): each as its copies' positions, the first (newest) first.

    A story is its first (newest) post and the later ones that share a key with one of its
    copies or whose SimHash is within the distance of the first one's: a star, not a chain,
    so texts that drift a few bits at a time (or a corpus made of the same phrases) never
    pile up into one story. A post near several stories joins the first of them.

    Held per post: machine integers in arrays (about 60 bytes), never an object, so a
    million posts' stories are found in bounded memory; the prints are read once, as they
    come, and the near pairs (sorted by their later post, the order posts are joined to
    stories in) are taken a slice at a time.
    """
    hashes = array("Q")  # the SimHashes, in order of the posts holding one
    hashed = array("q")  # ... and those posts' positions
    keys = array("Q")  # every exact key of every post, with its post's position
    keyed = array("q")
    count = 0
    for i, text in enumerate(prints):
        count = i + 1
        if not text:
            continue
        print_keys, simhash = StoryPrint.unpack(text)
        for key in print_keys:
            keys.append(_key_value(key))
            keyed.append(i)
        if simhash is not None:
            hashes.append(simhash)
            hashed.append(i)
    matches: dict[int, list[int]] = {}  # a post → the first posts sharing one of its keys
    for run in _runs(keys):
        first = keyed[run[0]]
        for index in run[1:]:
            matches.setdefault(keyed[index], []).append(first)
    keyed_posts = ((i, matches[i], ()) for i in sorted(matches))
    near_posts = (  # each post near earlier ones, ascending, with theirs: never all held
        (hashed[later], (), [hashed[earlier] for earlier, _ in pairs])
        for later, pairs in groupby(_near_pairs(hashes), key=itemgetter(1))
    )
    story = array("q", range(count))  # each post's story: the position of its first post
    heads: dict[int, int | None] = {}
    posts = merge(keyed_posts, near_posts, key=itemgetter(0))
    for i, entries in groupby(posts, key=itemgetter(0)):
        sharing: list[int] = []
        near: list[int] = []
        for _, firsts, earlier in entries:
            sharing += firsts
            near += earlier
        roots = [story[j] for j in sharing]
        mine = _hash_of(i, hashes, hashed)
        for j in near:
            root = story[j]
            if root not in heads:  # the story's first post's, looked up once per story
                heads[root] = _hash_of(root, hashes, hashed)
            head = heads[root]
            if mine is not None and head is not None and (mine ^ head).bit_count() <= MAX_DISTANCE:
                roots.append(story[j])
        if roots:
            story[i] = min(roots)
    groups: dict[int, list[int]] = {}
    for i, first in enumerate(story):
        if first != i:
            groups.setdefault(first, [first]).append(i)
    return list(groups.values())


def _key_value(key: str) -> int:
    """An exact key (16 hex digits) as a number; anything else (a damaged record) hashed."""
    try:
        return int(key, 16) & _KEY_MASK
    except ValueError:
        return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest())


_KEY_MASK = 2**64 - 1


def _hash_of(position: int, hashes: array[int], hashed: array[int]) -> int | None:
    """The SimHash of the post at ``position`` (``hashed`` is ascending), if it has one."""
    at = bisect_left(hashed, position)
    return hashes[at] if at < len(hashed) and hashed[at] == position else None


def _runs(keys: Sequence[int]) -> Iterator[list[int]]:
    """The positions of ``keys`` holding the same key, ascending, for each key held more
    than once. Sorted a 256th at a time (by the key's low byte), so the sort's
    transient lists are of a few thousand items, not one for every post."""
    buckets = [array("q") for _ in range(256)]
    for position, key in enumerate(keys):
        buckets[key & 255].append(position)
    for bucket in buckets:
        by_key = sorted(bucket, key=keys.__getitem__)  # stable: positions ascending
        for _, same in groupby(by_key, key=keys.__getitem__):
            run = list(same)
            if len(run) > 1:
                yield run


def _near_pairs(hashes: array[int]) -> Iterator[tuple[int, int]]:
    """Each pair of positions in ``hashes`` within :data:`MAX_DISTANCE` bits that meet in a
    table, once, as (earlier, later), ordered by the later then the earlier.

    A table at a time in NumPy: each print's key and position sorted as one number (so a
    crowd's positions ascend), and each print compared with the :data:`PEERS` after it, a
    slice of the table and a step at a time (so what is held beyond the table is bounded,
    however crowded). A pair met in several tables is kept once: the tables' pairs are
    merged into one sorted array as they pile up, so they never hold much more than the
    pairs found.
    """
    import numpy as np  # a tenth of a second: not for a rebuild with nothing to plan

    values = np.frombuffer(hashes, np.uint64)
    columns = values.view(np.uint8).reshape(-1, 8)
    table = np.zeros(len(values), np.uint64)  # a print's key << 32 | its position, sorted
    table_bytes = table.view(np.uint8).reshape(-1, 8)
    positions = np.arange(len(values), dtype=np.uint32)
    found = np.empty(0, np.uint64)  # pairs as (later << 32 | earlier), sorted, each once
    pending: list[npt.NDArray[np.uint64]] = []
    waiting = 0
    for triple in _TRIPLES:
        table_bytes[:, 4:7] = columns[:, triple]
        table.view(np.uint32)[0::2] = positions
        table.sort()  # by key, then position (no index array, no buffer: in place)
        for start in range(0, len(table) - 1, _SLICE):
            part = table[start : start + _SLICE + PEERS]
            keys, at = part >> 32, (part & 0xFFFFFFFF).astype(np.uint32)
            for step in range(1, min(PEERS + 1, len(keys))):
                here = min(_SLICE, len(keys) - step)  # this slice's, with one step after
                met = np.flatnonzero(keys[:here] == keys[step : step + here])
                earlier, later = at[met], at[met + step]
                near = np.bitwise_count(values[earlier] ^ values[later]) <= MAX_DISTANCE
                pair = later[near].astype(np.uint64) << 32 | earlier[near]
                pending.append(pair)
                waiting += len(pair)
        if waiting > len(found) + _MERGE_AFTER:
            found, pending, waiting = _merged(found, pending), [], 0
    found = _merged(found, pending)
    for start in range(0, len(found), _SLICE):  # as Python ints a slice at a time
        pairs = found[start : start + _SLICE]
        yield from zip((pairs & 0xFFFFFFFF).tolist(), (pairs >> 32).tolist(), strict=True)


_SLICE = 1 << 13  # prints compared at once, pairs made Python ints at once
_MERGE_AFTER = 1 << 20  # pairs waiting to be merged (8 MB)


def _merged(
    found: npt.NDArray[np.uint64], more: list[npt.NDArray[np.uint64]]
) -> npt.NDArray[np.uint64]:
    """``found`` and ``more`` as one sorted array, each value once (sorted in place: NumPy
    2's ``unique`` hashes, many times slower on these)."""
    import numpy as np

    merged = np.concatenate([found, *more])
    merged.sort()
    first = np.ones(len(merged), np.bool_)
    first[1:] = merged[1:] != merged[:-1]
    return merged[first]


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


def also_in(post: Post, copies: Sequence[Source], more: int, language: str) -> Post:
    """``post`` with "Also in: <links to the copies>" (and "+<more>", the copies not
    linked) at the end of its content."""
    label, comma = _ALSO_IN.get(language.split("-")[0].lower(), ("Also in: ", ", "))
    links = comma.join(
        f'<a href="{html.escape(c.link)}">{html.escape(c.name or c.link, quote=False)}</a>'
        for c in copies
    )
    rest = f" +{more}" if more else ""
    note = f'\n<p class="also-in">{label}{links}{rest}</p>'
    return Post(post.meta, replace(post.body, content_html=post.body.content_html + note))
