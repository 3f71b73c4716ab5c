"""Stage five: every feed that needs it, in each configured format, and the site files, as
bytes. ``check`` and ``build`` render by this one path; only ``build`` writes the bytes."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from functools import partial
from typing import NamedTuple

from ..config import Config
from ..feeds.stories import NOTE_LINKS, Source, also_in
from ..models import FeedSpec, Post
from ..pool import Workers, batches
from ..progress import stage

POOL_MIN_FEED_ITEMS = 500  # items over all feeds to render: below, a pool costs more


class RenderedFeed(NamedTuple):
    """A feed's files: each path inside the output dir with its bytes."""

    spec: FeedSpec
    files: dict[str, bytes]


class Rendered(NamedTuple):
    feeds: list[RenderedFeed]
    site: dict[str, bytes]  # the feeds page, OPML and the like: made from every feed


def feed_items(
    spec: FeedSpec, posts: Mapping[str, Post], sources: Mapping[str, Source], config: Config
) -> list[Post]:
    """The feed's posts, in order, as this feed shows them: the note is the feed's, not the
    post's (another feed holds other copies), so it is added here, never cached."""
    items = [posts[i] for i in spec.post_ids]
    if not spec.merged:
        return items
    notes = dict(spec.merged)
    return [
        _noted(post, notes[post.meta.id], sources, config) if post.meta.id in notes else post
        for post in items
    ]


def _noted(
    post: Post, copies: Sequence[str], sources: Mapping[str, Source], config: Config
) -> Post:
    linked = [sources[c] for c in copies[:NOTE_LINKS]]
    return also_in(post, linked, len(copies) - len(linked), config.language)


def render_feed(spec: FeedSpec, posts: Sequence[Post], config: Config) -> dict[str, bytes]:
    """Every file one feed is written as: its path and bytes in each format."""
    from ..feeds.formats import configured  # feedgen & co.: not needed by unchanged rebuilds

    return {fmt.path(spec): fmt.render(spec, posts, config) for fmt in configured(config)}


def _render_batch(
    items: Sequence[tuple[FeedSpec, list[Post]]], config: Config
) -> list[dict[str, bytes]]:
    return [render_feed(spec, posts, config) for spec, posts in items]


def render(
    todo: Sequence[FeedSpec],
    every: Sequence[FeedSpec],
    posts: Mapping[str, Post],
    config: Config,
    workers: Workers,
    sources: Mapping[str, Source] | None = None,
) -> Rendered:
    """The feeds of ``todo`` (their posts from ``posts``, by id), and the site files from
    ``every`` feed; an item that stands for copies of its story (``spec.merged``) ends
    with "Also in" and their ``sources``."""
    items = [(spec, feed_items(spec, posts, sources or {}, config)) for spec in todo]
    if items:  # imported before the pool forks, so the workers inherit it
        importlib.import_module("feedbuilder.feeds.formats")
    pool = workers.use_pool(sum(len(p) for _, p in items), POOL_MIN_FEED_ITEMS)
    size = max(1, -(-len(items) // (4 * workers.count)))  # a few batches each: even shares
    item_batches = batches(items, size)
    feeds: list[RenderedFeed] = []
    with stage("render", len(items) + 1) as advance, workers.map(pool) as map_:
        done = map_(partial(_render_batch, config=config), item_batches)
        for batch, files in zip(item_batches, done, strict=True):
            feeds.extend(RenderedFeed(spec, f) for (spec, _), f in zip(batch, files, strict=True))
            advance(len(batch))
        from ..site.page import site_files  # jinja2: not needed by unchanged rebuilds

        site = site_files(every, config)
        advance(1)
    return Rendered(feeds, site)
