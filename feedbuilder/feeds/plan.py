"""Decide which feeds exist and which posts (newest first, capped) each one holds.

Planning asks a :class:`~.index.PostIndex` for each feed's newest posts, so the bodies to
clean are known before any is parsed, and it never needs every post at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..config import Config
from ..models import Category, FeedSpec, PostRef, Problem, epoch_micros, from_epoch_micros
from .index import FeedPosts, PostIndex
from .queries import QUERY_KEY_PREFIX
from .slugs import SlugClash, assign_slugs, build_categories
from .stories import NOTE_LINKS, deduped_categories


@dataclass
class FeedPlan:
    """Every feed to write, in order (all, categories, tags), the posts they hold, and what
    planning found wrong."""

    specs: list[FeedSpec] = field(default_factory=list)
    categories: dict[str, Category] = field(default_factory=dict)
    posts: dict[str, PostRef] = field(default_factory=dict)  # every feed-bound post, by id
    copies: dict[str, PostRef] = field(default_factory=dict)  # the copies they stand for
    problems: list[Problem] = field(default_factory=list)
    expires: datetime | None = None  # when a post first ages out of a max_age_days feed

    def add(
        self, key: str, title: str, description: str, category: Category | None, posts: FeedPosts
    ) -> None:
        for ref in posts.newest:
            self.posts.setdefault(ref.id, ref)
        for _, copies in posts.merged:
            for ref in copies[:NOTE_LINKS]:  # the ones its note links to
                self.copies.setdefault(ref.id, ref)
        self.specs.append(
            FeedSpec(
                key=key,
                title=title,
                description=description,
                category=category,
                post_ids=tuple(ref.id for ref in posts.newest),
                post_count=posts.total,
                newest=posts.published,
                merged=tuple(
                    (kept.id, tuple(c.id for c in copies)) for kept, copies in posts.merged
                ),
            )
        )


def plan_feeds(index: PostIndex, config: Config, now: datetime | None = None) -> FeedPlan:
    """The all-posts feed, one feed per category, (``tag_feeds``) one per tag, and one per
    saved query (``feeds``); ``now`` is the clock of their ``max_age_days``. With ``dedupe``,
    the all-posts feed and each category with categories below it show every story once
    (see :mod:`.stories`)."""
    limit = config.items_per_feed
    site = config.site_title
    plan = FeedPlan()
    stories = index.stories() if config.dedupe else {}
    plan.add(
        "all",
        site,
        config.description or f"All posts from {site}",
        None,
        index.feed_posts(limit, stories=stories),
    )
    deduped = deduped_categories(index.category_paths()) if stories else set()
    plan.categories, clashes = build_categories(index.category_paths(), config.category_map)
    for name, category in plan.categories.items():
        settings = config.category_settings(category)
        plan.add(
            f"category/{category.slug}",
            settings.title or f"{site} – {name}",
            settings.description or f"Posts in {name} from {site}",
            category,
            index.feed_posts(
                settings.items_per_feed or limit,
                category=name,
                stories=stories if name in deduped else None,
            ),
        )
    plan.problems.extend(
        _clash(c, index.feed_posts(1, category=c.name).newest, "category") for c in clashes
    )
    if config.tag_feeds:
        _plan_tag_feeds(index, config, plan)
    if config.feeds:
        _plan_query_feeds(index, config, plan, now)
    return plan


def _plan_tag_feeds(index: PostIndex, config: Config, plan: FeedPlan) -> None:
    """One feed per tag under ``feeds/tag/``; a tag is a flat :class:`Category` (no parents)."""
    slugs, clashes = assign_slugs(index.tags(), config.tag_map)
    site = config.site_title
    for tag in sorted(slugs):
        plan.add(
            f"tag/{slugs[tag]}",
            f"{site} – #{tag}",
            f"Posts tagged {tag} from {site}",
            Category(tag, slugs[tag]),
            index.feed_posts(config.items_per_feed, tag=tag),
        )
    plan.problems.extend(_clash(c, index.feed_posts(1, tag=c.name).newest, "tag") for c in clashes)


def _plan_query_feeds(
    index: PostIndex, config: Config, plan: FeedPlan, now: datetime | None
) -> None:
    """One feed per saved query under ``feeds/query/``, in the config's order."""
    site = config.site_title
    for slug, query in config.feeds.items():
        cutoff = None if now is None else query.cutoff(now)
        since = None if cutoff is None else epoch_micros(cutoff)
        limit = query.items_per_feed or config.items_per_feed
        plan.add(
            QUERY_KEY_PREFIX + slug,
            query.title or f"{site} – {slug}",
            query.description or f"Posts of the saved query {slug} from {site}",
            None,
            index.feed_posts(limit, query=slug, published_since=since),
        )
        if since is not None:
            members = index.feed_posts(0, query=slug, published_since=since).newest
            if members:
                oldest = from_epoch_micros(min(ref.published for ref in members), UTC)
                expires = oldest + timedelta(days=query.max_age_days)
                plan.expires = expires if plan.expires is None else min(plan.expires, expires)


def _clash(clash: SlugClash, newest: Sequence[PostRef], kind: str) -> Problem:
    """A slug clash, reported at the newest post of the name that had to give way."""
    return Problem(newest[0].rel_path, clash.reason(kind))
