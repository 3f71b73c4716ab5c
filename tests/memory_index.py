"""The reference model of :class:`feedbuilder.feeds.index.PostIndex`: every ref held and
sorted in memory, each feed's members found by a plain pass. The build asks its database
(:class:`~feedbuilder.feeds.index.StoredIndex`); tests check it against this, and plan small
made-up sites with it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cached_property

from feedbuilder.feeds.index import ORDERS, FeedPosts, newest_first_key
from feedbuilder.feeds.stories import Stories, collapse, find_stories
from feedbuilder.models import PostRef


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
