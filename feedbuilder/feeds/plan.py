"""Decide which feeds exist and which posts (newest first, capped) each one holds.

Planning needs only each post's :class:`PostRef`, so the bodies to clean are known before
any is parsed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime

from ..config import Config
from ..models import Category, FeedSpec, PostRef, Problem, Severity
from ..normalise.categories import assign_slugs, build_categories


def newest_first_key(ref: PostRef) -> tuple[int, str]:
    """Sort key: newest published first, ties broken by id so order never depends on input."""
    return (-ref.published, ref.id)


def newest_updated_key(ref: PostRef) -> tuple[int, str]:
    """Sort key for ``order_by = "-updated"``: newest update first, ties as above."""
    return (-ref.updated * 2**64 - ref.published, ref.id)  # (-updated, -published) as one int


def feed_order(config: Config) -> Callable[[PostRef], tuple[int, str]]:
    return newest_updated_key if config.order_by == "-updated" else newest_first_key


def dedupe(refs: Sequence[PostRef]) -> tuple[list[PostRef], list[Problem]]:
    """Make ids unique, deterministically.

    Two posts that declare the same ``id``/``guid`` are the same item: the later-updated one
    wins (ties: the first path). Two posts whose *derived* ids (permalinks) collide are
    different items: both stay, the later paths get a suffixed id.
    """
    problems: list[Problem] = []
    ordered = sorted(refs, key=lambda r: r.rel_path)
    if len({ref.id for ref in ordered}) == len(ordered):  # the usual case, cheap to see
        return ordered, problems
    by_id: dict[str, list[PostRef]] = {}
    for ref in ordered:
        by_id.setdefault(ref.id, []).append(ref)
    result: list[PostRef] = []
    for post_id, group in by_id.items():
        if len(group) == 1:
            result.append(group[0])
            continue
        declared = [r for r in group if r.declared_id]
        if declared:
            keep = min(group, key=lambda r: (-r.updated, r.rel_path))
            result.append(keep)
            for other in group:
                if other is not keep:
                    problems.append(
                        Problem(
                            other.rel_path,
                            f"duplicate id {post_id!r} (also in {keep.rel_path}); skipped",
                            Severity.ERROR,
                        )
                    )
            continue
        result.append(group[0])
        for other in group[1:]:
            suffix = hashlib.sha1(other.rel_path.encode()).hexdigest()[:8]
            problems.append(
                Problem(
                    other.rel_path,
                    f"same permalink as {group[0].rel_path}; given the id {post_id}#{suffix}",
                )
            )
            result.append(other._replace(id=f"{post_id}#{suffix}"))
    return result, problems


def _feed(
    key: str,
    title: str,
    description: str,
    category: Category | None,
    ordered: Sequence[PostRef],
    limit: int,
    by_date: bool = True,
) -> FeedSpec:
    """A feed of the first ``limit`` (0: all) of ``ordered``, its posts already in order."""
    return FeedSpec(
        key=key,
        title=title,
        description=description,
        category=category,
        post_ids=tuple(r.id for r in ordered[: limit or None]),
        post_count=len(ordered),
        newest=_newest(ordered, by_date),
    )


def _newest(ordered: Sequence[PostRef], by_date: bool) -> datetime | None:
    """The newest published date: the first post's when the feed is newest first."""
    if not ordered:
        return None
    return (ordered[0] if by_date else min(ordered, key=newest_first_key)).published_at()


def plan_feeds(
    refs: Sequence[PostRef], config: Config
) -> tuple[list[FeedSpec], dict[str, Category]]:
    """The all-posts feed and one feed per category, each with its newest posts' ids."""
    # Posts share a few hundred category sets: each is looked at once, not once per post.
    names = {ref.categories: ref.category_names() for ref in refs}
    categories = build_categories((p for paths in names for p in paths), config.category_map)
    refs = sorted(refs, key=feed_order(config))  # once: every member list is then in order
    members: dict[str, list[PostRef]] = {name: [] for name in categories}
    for ref in refs:
        for name in names[ref.categories]:
            members[name].append(ref)
    limit = config.items_per_feed
    site = config.site_title
    description = config.description or f"All posts from {site}"
    by_date = config.order_by == "-date"
    specs = [_feed("all", site, description, None, refs, limit, by_date)]
    for name, category in categories.items():
        settings = config.category_settings(category)
        specs.append(
            _feed(
                f"category/{category.slug}",
                settings.title or f"{site} – {name}",
                settings.description or f"Posts in {name} from {site}",
                category,
                members[name],
                settings.items_per_feed or limit,
                by_date,
            )
        )
    if config.tag_feeds:
        specs.extend(plan_tag_feeds(refs, config))
    return specs, categories


def plan_tag_feeds(refs: Sequence[PostRef], config: Config) -> list[FeedSpec]:
    """One feed per tag under ``feeds/tag/``; a tag is a flat :class:`Category` (no parents)."""
    members: dict[str, list[PostRef]] = {}
    for ref in sorted(refs, key=feed_order(config)):
        for tag in ref.tags:
            members.setdefault(tag, []).append(ref)
    slugs = assign_slugs(members, config.tag_map)
    site = config.site_title
    return [
        _feed(
            f"tag/{slugs[tag]}",
            f"{site} – #{tag}",
            f"Posts tagged {tag} from {site}",
            Category(tag, slugs[tag]),
            members[tag],
            config.items_per_feed,
            config.order_by == "-date",
        )
        for tag in sorted(members)
    ]
