"""The feeds as people choose among them: post counts, newest dates and the category tree.

Counts (made by the plan) cover every post of a category, not just the ones in its feed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..models import FeedSpec


@dataclass
class FeedEntry:
    """One feed with what its page row shows; ``children`` are its sub-categories."""

    spec: FeedSpec
    children: list[FeedEntry] = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.spec.post_count

    @property
    def newest(self) -> datetime | None:
        return self.spec.newest

    @property
    def name(self) -> str:
        return self.spec.category.name if self.spec.category else self.spec.title

    @property
    def kind(self) -> str:
        """``all``, ``category``, ``tag`` or ``query``: the first part of the feed's key."""
        return self.spec.key.split("/", 1)[0]

    @property
    def hierarchy(self) -> list[tuple[str, ...]]:
        """Each path from a root category down to this one."""
        if self.spec.category is None:
            return []
        name = self.spec.category.name
        return [(*parents, name) for parents in self.spec.category.parents] or [(name,)]


@dataclass
class Catalog:
    """Every feed's entry, by kind, and the categories arranged as a tree: ``tree`` shows a
    category under each of its parents, ``outline`` under its first only (each feed once, to
    subscribe to)."""

    all: FeedEntry
    categories: list[FeedEntry]
    tags: list[FeedEntry]
    tree: list[FeedEntry]
    outline: list[FeedEntry]
    queries: list[FeedEntry] = field(default_factory=list)  # saved-query feeds


def catalog(specs: Sequence[FeedSpec]) -> Catalog:
    """Every feed by kind, and the category feeds arranged by their hierarchy."""
    entries = [FeedEntry(spec) for spec in specs]
    by_kind: dict[str, list[FeedEntry]] = {"all": [], "category": [], "tag": [], "query": []}
    for entry in entries:
        by_kind[entry.kind].append(entry)
    (everything,) = by_kind["all"]
    categories = by_kind["category"]
    tags = by_kind["tag"]
    tree, outline = _tree(categories), _tree(categories, once=True)
    return Catalog(everything, categories, tags, tree, outline, by_kind["query"])


def has_parent(entry: FeedEntry) -> bool:
    """Whether a category has a parent (so is not a root of the tree)."""
    return bool(entry.spec.category and entry.spec.category.parents)


def _tree(categories: Sequence[FeedEntry], once: bool = False) -> list[FeedEntry]:
    """Categories under their parents (under each parent it has, or with ``once`` its first).

    Tree nodes are copies, so one category may sit in several places; a cycle in the
    front matter (``A/B`` in one post, ``B/A`` in another) is cut where it would repeat.
    """
    by_name = {entry.name: entry for entry in categories}
    children: dict[str, list[str]] = {}
    for entry in categories:
        assert entry.spec.category is not None
        parents = entry.spec.category.parents
        for path in parents[:1] if once else parents:
            children.setdefault(path[-1], []).append(entry.name)
    placed: set[str] = set()

    def node(name: str, ancestors: frozenset[str]) -> FeedEntry:
        placed.add(name)
        entry = by_name[name]
        kids = [
            node(kid, ancestors | {name})
            for kid in sorted(set(children.get(name, ())))
            if kid not in ancestors and kid != name
        ]
        return FeedEntry(entry.spec, kids)

    roots = [node(e.name, frozenset()) for e in categories if not has_parent(e)]
    for entry in categories:
        if entry.name not in placed:  # only in a cycle: show it at the top
            roots.append(node(entry.name, frozenset()))
    return roots
