"""Decide which feeds exist and which posts (newest first, capped) each one holds.

Planning needs only each post's :class:`PostRef`, so the bodies to clean are known before
any is parsed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..config import Config
from ..models import Category, FeedSpec, PostRef, Problem
from .slugs import SlugClash, assign_slugs, build_categories


def newest_first_key(ref: PostRef) -> tuple[int, str]:
    """Sort key: newest published first, ties broken by id so order never depends on input."""
    return (-ref.published, ref.id)


def _feed(
    key: str,
    title: str,
    description: str,
    category: Category | None,
    ordered: Sequence[PostRef],
    limit: int,
) -> FeedSpec:
    """A feed of the first ``limit`` of ``ordered``, its posts already sorted newest first."""
    return FeedSpec(
        key=key,
        title=title,
        description=description,
        category=category,
        post_ids=tuple(r.id for r in ordered[:limit]),
        post_count=len(ordered),
        newest=ordered[0].published_at() if ordered else None,
    )


@dataclass
class FeedPlan:
    """Every feed to write, in order (all, categories, tags), and what planning found wrong."""

    specs: list[FeedSpec]
    categories: dict[str, Category]
    problems: list[Problem] = field(default_factory=list)


def plan_feeds(refs: Sequence[PostRef], config: Config) -> FeedPlan:
    """The all-posts feed and one feed per category, each with its newest posts' ids."""
    # Posts share a few hundred category sets: each is looked at once, not once per post.
    names = {ref.categories: ref.category_names() for ref in refs}
    categories, clashes = build_categories(
        (p for paths in names for p in paths), config.category_map
    )
    refs = sorted(refs, key=newest_first_key)  # once: every member list is then in order
    members: dict[str, list[PostRef]] = {name: [] for name in categories}
    for ref in refs:
        for name in names[ref.categories]:
            members[name].append(ref)
    limit = config.items_per_feed
    site = config.site_title
    description = config.description or f"All posts from {site}"
    plan = FeedPlan([_feed("all", site, description, None, refs, limit)], categories)
    plan.problems.extend(_clash_problems(clashes, members, "category"))
    for name, category in categories.items():
        settings = config.category_settings(category)
        plan.specs.append(
            _feed(
                f"category/{category.slug}",
                settings.title or f"{site} – {name}",
                settings.description or f"Posts in {name} from {site}",
                category,
                members[name],
                settings.items_per_feed or limit,
            )
        )
    if config.tag_feeds:
        plan_tag_feeds(refs, config, plan)
    return plan


def _clash_problems(
    clashes: Sequence[SlugClash], members: dict[str, list[PostRef]], kind: str
) -> list[Problem]:
    """Each slug clash, reported at the newest post of the name that had to give way."""
    return [Problem(members[c.name][0].rel_path, c.reason(kind)) for c in clashes]


def plan_tag_feeds(refs: Sequence[PostRef], config: Config, plan: FeedPlan) -> None:
    """One feed per tag under ``feeds/tag/``; a tag is a flat :class:`Category` (no parents)."""
    members: dict[str, list[PostRef]] = {}
    for ref in sorted(refs, key=newest_first_key):
        for tag in ref.tags:
            members.setdefault(tag, []).append(ref)
    slugs, clashes = assign_slugs(members, {})
    plan.problems.extend(_clash_problems(clashes, members, "tag"))
    site = config.site_title
    plan.specs.extend(
        _feed(
            f"tag/{slugs[tag]}",
            f"{site} – #{tag}",
            f"Posts tagged {tag} from {site}",
            Category(tag, slugs[tag]),
            members[tag],
            config.items_per_feed,
        )
        for tag in sorted(members)
    )
