"""The usable posts as planning asks about them: which categories and tags exist, and the
newest posts of each feed with its count.

:class:`PostIndex` is all planning sees of the posts, so the answers can come from wherever
the posts are: :class:`StoredIndex` asks the build's database (the cache, or a temporary
one), feed by feed, so a build holds a feed's first posts, never every post's record (the
tests hold a reference model over refs in memory: tests/memory_index.py).
"""

from __future__ import annotations

import contextlib
from array import array
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from itertools import groupby, islice
from typing import NamedTuple, Protocol

from ..cache import Cache, FeedQuery
from ..models import PostRef, category_names
from .stories import Merged, Stories, StoriesAt, collapse, stories_of, story_groups


def newest_first_key(ref: PostRef) -> tuple[int, str]:
    """Sort key: newest published first, ties broken by id so order never depends on input."""
    return (-ref.published, ref.id)


def newest_updated_key(ref: PostRef) -> tuple[int, str]:
    """Sort key for ``order_by = "-updated"``: newest update first, ties as above."""
    return (-ref.updated * 2**64 - ref.published, ref.id)  # (-updated, -published) as one int


ORDERS: dict[str, Callable[[PostRef], tuple[int, str]]] = {
    "-date": newest_first_key,
    "-updated": newest_updated_key,
}


class FeedPosts(NamedTuple):
    """A feed's first posts (in the site's order, at most the limit asked), how many it has,
    and its newest publication date (a feed's date even when it is ordered by updates)."""

    newest: list[PostRef]
    total: int  # every post of the feed, not just the newest
    published: datetime | None = None
    merged: Merged = ()  # with stories: each kept post and its copies in the feed


class PostIndex(Protocol):
    """The questions planning asks about the usable posts."""

    def category_paths(self) -> Iterable[tuple[str, ...]]:
        """Every category hierarchy some post names (each at least once)."""
        ...

    def tags(self) -> Iterable[str]:
        """Every tag some post names (each at least once)."""
        ...

    def feed_posts(
        self,
        limit: int,
        *,
        category: str | None = None,
        tag: str | None = None,
        query: str | None = None,
        published_since: int | None = None,
        stories: Stories | None = None,
    ) -> FeedPosts:
        """The first ``limit`` (0: all) posts of the all-posts feed (no category, tag or
        query: every post with ``in_all``), of a category (at any level of a post's
        hierarchies), of a tag, or of a saved query (the posts whose ``queries`` name it);
        with ``published_since`` (epoch microseconds) only those published then or later;
        with ``stories``, each story once (see :func:`.stories.collapse`)."""
        ...

    def stories(self) -> Stories:
        """The stories with several copies among the posts (:func:`.stories.find_stories`
        over every post in the site's order)."""
        ...


@lru_cache(maxsize=4096)
def _names(categories: tuple[tuple[str, ...], ...]) -> frozenset[str]:
    return frozenset(category_names(categories))


class StoredIndex:
    """A :class:`PostIndex` the build's database answers (see :meth:`.Cache.feed_refs`).

    The scan's decisions that the database does not hold are applied to what it gives:
    posts dated after ``due`` are left out (None: none is), an update after ``now`` counts
    as none, and of the posts sharing an id (:mod:`.dedupe`) those ``merged`` away are left
    out and those told apart carry their ``renamed`` id (both by rel_path; a few at most).
    """

    def __init__(
        self,
        store: Cache,
        now: int,
        due: int | None,
        order_by: str = "-date",
        merged: Mapping[str, PostRef] | None = None,
        renamed: Mapping[str, str] | None = None,
    ) -> None:
        self._store = store
        self._now = now
        self._due = due
        self._by_date = order_by == "-date"
        self._key = ORDERS[order_by]
        self._merged = merged or {}
        self._renamed = renamed or {}

    def category_paths(self) -> Iterable[tuple[str, ...]]:
        counts = dict(self._store.category_sets(self._due))
        for ref in self._merged.values():
            counts[ref.categories] -= 1
        return (path for paths, count in counts.items() if count > 0 for path in paths)

    def tags(self) -> Iterable[str]:
        counts = dict(self._store.member_names("t", self._due))
        for ref in self._merged.values():
            for tag in ref.tags:
                counts[tag] -= 1
        return [tag for tag, count in counts.items() if count > 0]

    def feed_posts(
        self,
        limit: int,
        *,
        category: str | None = None,
        tag: str | None = None,
        query: str | None = None,
        published_since: int | None = None,
        stories: Stories | None = None,
    ) -> FeedPosts:
        kind, name = _feed(category, tag, query)
        feed = FeedQuery(kind, name, self._due, published_since)
        total = self._store.feed_count(feed)
        total -= sum(1 for ref in self._merged.values() if _holds(feed, ref))
        with contextlib.closing(self._members(feed, self._by_date)) as members:
            if stories:
                inside = lambda ref: _holds(feed, ref)  # noqa: E731
                kept, merged = collapse(members, limit, stories, inside)
            else:
                kept, merged = list(islice(members, limit or None)), ()
        if self._by_date or not kept:
            newest = kept[0] if kept else None
        else:  # ordered by updates: the newest publication is asked for on its own
            with contextlib.closing(self._members(feed, True)) as by_date:
                newest = next(by_date, None)
        published = None if newest is None else newest.published_at()
        return FeedPosts(kept, total, published, merged)

    def stories(self) -> Stories:
        """Found over the prints as the store gives them (see :func:`.stories.story_groups`),
        then only the copies' refs are had, by a second read: beyond the search's own
        arrays, a post costs its row number (8 bytes), never an object."""
        if self._merged or self._renamed:  # the scan's decisions move some: refs in hand
            with contextlib.closing(self._printed()) as printed:
                groups = story_groups(ref.story for ref in printed)
            if not groups:
                return {}
            wanted = {i for group in groups for i in group}
            with contextlib.closing(self._printed()) as printed:
                found = {i: ref for i, ref in enumerate(printed) if i in wanted}
            return stories_of([[found[i] for i in group] for group in groups])
        updated_before = None if self._by_date else self._now
        rowids = array("q")  # each print's row, to read the copies' refs alone after
        groups = story_groups(_noting_rows(self._store.prints(self._due, updated_before), rowids))
        return StoriesAt(
            ([rowids[i] for i in group] for group in groups), self._store.ids_at, self._refs_at
        )

    def _refs_at(self, rowids: Sequence[int]) -> dict[int, PostRef]:
        """The refs at these rows of the store, by row, as this build decided them."""
        at = self._store.refs_at(rowids)
        return dict(zip(at, self.adjusted(at.values()), strict=True))

    def _printed(self) -> Generator[PostRef, None, None]:
        """The posts with a story print, in the site's order."""
        updated_before = None if self._by_date else self._now
        rows = self._store.refs(
            self._due, by_date=True, updated_before=updated_before, stories=True
        )
        yield from self._in_order(self.adjusted(rows), self._key)

    def _members(self, feed: FeedQuery, by_date: bool) -> Generator[PostRef, None, None]:
        """The feed's posts in order (by publication, else the site's order)."""
        rows = self._store.feed_refs(feed, None if by_date else self._now)
        yield from self._in_order(self.adjusted(rows), newest_first_key if by_date else self._key)

    def _in_order(
        self, refs: Iterator[PostRef], key: Callable[[PostRef], tuple[int, str]]
    ) -> Iterator[PostRef]:
        """``refs`` (in the store's order) in the order of ``key``: a renamed id can move a
        post among those dated the same, never further."""
        if not self._renamed:
            return refs
        return (
            ref
            for _, same in groupby(refs, key=lambda r: key(r)[0])
            for ref in sorted(same, key=key)
        )

    def adjusted(self, refs: Iterable[PostRef]) -> Iterator[PostRef]:
        """``refs`` with the scan's decisions applied (see the class)."""
        now, merged, renamed = self._now, self._merged, self._renamed
        for ref in refs:
            if ref.updated > now:
                ref = ref._replace(updated=ref.published)
            if merged or renamed:
                if ref.rel_path in merged:
                    continue
                new_id = renamed.get(ref.rel_path)
                if new_id is not None:
                    ref = ref._replace(id=new_id)
            yield ref


def _noting_rows(prints: Iterable[tuple[int, str]], rowids: array[int]) -> Iterator[str]:
    """The prints alone, each one's row noted in ``rowids`` as it passes."""
    for rowid, text in prints:
        rowids.append(rowid)
        yield text


def _feed(category: str | None, tag: str | None, query: str | None) -> tuple[str | None, str]:
    """The feed's kind and name in the database (see :class:`.FeedQuery`)."""
    if category is not None:
        return "c", category
    if tag is not None:
        return "t", tag
    if query is not None:
        return "q", query
    return None, ""


def _holds(feed: FeedQuery, ref: PostRef) -> bool:
    """Whether the feed has ``ref`` among its members."""
    if feed.due is not None and ref.published > feed.due:
        return False
    if feed.since is not None and ref.published < feed.since:
        return False
    if feed.kind == "c":
        return feed.name in _names(ref.categories)
    if feed.kind == "t":
        return feed.name in ref.tags
    if feed.kind == "q":
        return feed.name in ref.queries
    return ref.in_all
