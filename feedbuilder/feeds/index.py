"""The usable posts as planning asks about them: which categories and tags exist, and the
newest posts of each feed with its count.

:class:`PostIndex` is all planning sees of the posts, so the answers can come from wherever
the posts are: :class:`MemoryIndex` holds every :class:`~.models.PostRef`; an index backed by
the cache's SQLite (``ORDER BY published DESC LIMIT n`` per feed) could answer the same
without holding them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cached_property
from typing import NamedTuple, Protocol

from ..models import PostRef
from .stories import Merged, Stories, collapse, find_stories


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


class MemoryIndex:
    """A :class:`PostIndex` over refs held in memory: sorted once, each category's and
    tag's members found in one pass when first asked for."""

    def __init__(self, refs: Iterable[PostRef], order_by: str = "-date") -> None:
        self._by_date = order_by == "-date"
        self._refs = sorted(refs, key=ORDERS[order_by])  # every member list is then in order
        # Posts share a few hundred category sets: each is looked at once, not once per post.
        self._names = {ref.categories: ref.category_names() for ref in self._refs}

    def category_paths(self) -> Iterable[tuple[str, ...]]:
        return (path for paths in self._names for path in paths)

    def tags(self) -> Iterable[str]:
        return self._by_tag

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
        if category is not None:
            members = self._by_category.get(category, [])
        elif tag is not None:
            members = self._by_tag.get(tag, [])
        elif query is not None:
            members = self._by_query.get(query, [])
        else:
            members = self._in_all
        if published_since is not None:
            members = [ref for ref in members if ref.published >= published_since]
        published = self._published(members)
        if not stories:
            return FeedPosts(members[: limit or None], len(members), published)
        kept, merged = collapse(members, limit, stories, self._inside(category, tag, query))
        return FeedPosts(kept, len(members), published, merged)

    def stories(self) -> Stories:
        return find_stories(self._refs)

    def _inside(
        self, category: str | None, tag: str | None, query: str | None
    ) -> Callable[[PostRef], bool]:
        """Whether a post is in the feed of ``category``, ``tag`` or ``query`` (none: the
        all-posts feed)."""
        if category is not None:
            return lambda ref: category in self._names[ref.categories]
        if tag is not None:
            return lambda ref: tag in ref.tags
        if query is not None:
            return lambda ref: query in ref.queries
        return lambda ref: ref.in_all

    def _published(self, members: list[PostRef]) -> datetime | None:
        """The newest publication date: the first member's when the order is by date."""
        if not members:
            return None
        return (members[0] if self._by_date else min(members, key=newest_first_key)).published_at()

    @cached_property
    def _by_category(self) -> dict[str, list[PostRef]]:
        return self._grouped(lambda ref: self._names[ref.categories])

    @cached_property
    def _by_tag(self) -> dict[str, list[PostRef]]:
        return self._grouped(lambda ref: ref.tags)

    @cached_property
    def _by_query(self) -> dict[str, list[PostRef]]:
        return self._grouped(lambda ref: ref.queries)

    @cached_property
    def _in_all(self) -> list[PostRef]:
        held_out = any(not ref.in_all for ref in self._refs)
        return [ref for ref in self._refs if ref.in_all] if held_out else self._refs

    def _grouped(self, names: Callable[[PostRef], Iterable[str]]) -> dict[str, list[PostRef]]:
        """Each name's members, in order, found in one pass when first asked for."""
        groups: dict[str, list[PostRef]] = {}
        for ref in self._refs:
            for name in names(ref):
                groups.setdefault(name, []).append(ref)
        return groups
