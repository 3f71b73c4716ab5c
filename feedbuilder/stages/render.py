"""Stage five: every feed that needs it, in each configured format, and the site files, as
bytes. ``check`` and ``build`` render by this one path; only ``build`` writes the bytes.

Each post's entry is rendered once per format (issue 13), over the pool, and every feed
holding it is put together from the bytes (:mod:`..feeds.entries`): an entry is the same in
every feed but for an "Also in" note, which makes another :data:`EntryKey`. The archive
pages (:mod:`.archive`) reuse the entries rendered here and render the rest the same way.
"""

from __future__ import annotations

import importlib
from collections.abc import Generator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

from ..config import Config
from ..feeds.stories import NOTE_LINKS, Source, also_in
from ..models import FeedSpec, Post
from ..pool import Workers, batches
from ..progress import stage

if TYPE_CHECKING:
    from ..feeds.items import Entry

POOL_MIN_FEED_ITEMS = 500  # items over all feeds to render: below, a pool costs more

EntryKey = tuple[str, tuple[str, ...]]
"""A post's entry: the post's id and the copies its "Also in" note names (none: the post as
it is), as one feed may show a post with a note and another without."""
PostEntries = dict[str, "Entry"]  # a post's entry in each feed format, by format name
Document = tuple[FeedSpec, list[EntryKey]]  # a feed or archive page and its items, in order


class RenderedFeed(NamedTuple):
    """A feed's files: each path inside the output dir with its bytes."""

    spec: FeedSpec
    files: dict[str, bytes]


class Rendered(NamedTuple):
    feeds: list[RenderedFeed]
    site: dict[str, bytes]  # the feeds page, OPML and the like: made from every feed
    entries: dict[EntryKey, PostEntries]  # the feeds' items, for the archive pages (if any)


def feed_items(
    spec: FeedSpec, posts: Mapping[str, Post], sources: Mapping[str, Source], config: Config
) -> list[tuple[EntryKey, Post]]:
    """The feed's posts, in order, as this feed shows them: the note is the feed's, not the
    post's (another feed holds other copies), so it is added here, never cached."""
    notes = dict(spec.merged)
    items = []
    for post_id in spec.post_ids:
        copies = notes.get(post_id, ())
        post = posts[post_id]
        items.append(((post_id, copies), _noted(post, copies, sources, config) if copies else post))
    return items


def _noted(
    post: Post, copies: Sequence[str], sources: Mapping[str, Source], config: Config
) -> Post:
    linked = [sources[c] for c in copies[:NOTE_LINKS]]
    return also_in(post, linked, len(copies) - len(linked), config.language)


def render_entries(
    posts: Mapping[EntryKey, Post], config: Config, workers: Workers
) -> dict[EntryKey, PostEntries]:
    """Each of ``posts``' entries in every configured feed format, each rendered once, in
    batches (over the pool when they are many; the workers inherit ``posts``)."""
    if not posts:
        return {}
    importlib.import_module("feedbuilder.feeds.formats")  # before the pool forks
    keys = list(posts)
    pool = workers.use_pool(len(keys), POOL_MIN_FEED_ITEMS)
    size = max(1, min(workers.batch_size, -(-len(keys) // (4 * workers.count))))
    key_batches = batches(keys, size)
    entries: dict[EntryKey, PostEntries] = {}
    with workers.map(pool) as map_:
        done = map_(partial(_entries_batch, posts=posts, config=config), key_batches)
        for batch, made in zip(key_batches, done, strict=True):
            entries.update(zip(batch, made, strict=True))
    return entries


def _entries_batch(
    keys: Sequence[EntryKey], posts: Mapping[EntryKey, Post], config: Config
) -> list[PostEntries]:
    from ..feeds.formats import feed_formats

    batch = [posts[key] for key in keys]
    formats = feed_formats(config)
    names = [fmt.name for fmt in formats]
    made = [fmt.entries(batch, config) for fmt in formats]
    return [dict(zip(names, each, strict=True)) for each in zip(*made, strict=True)]


def render_documents(
    documents: Sequence[Document],
    posts: Mapping[EntryKey, Post],
    entries: Mapping[EntryKey, PostEntries],
    config: Config,
    workers: Workers,
    pages: bool,
) -> Generator[tuple[FeedSpec, dict[str, bytes]], None, None]:
    """Each document's files, in order, from its posts' ``entries`` (over the pool when they
    are many: the workers inherit ``posts`` and ``entries``, and send back the files);
    ``pages``: with the feed's page for people."""
    importlib.import_module("feedbuilder.feeds.formats")  # before the pool forks
    pool = workers.use_pool(sum(len(keys) for _, keys in documents), POOL_MIN_FEED_ITEMS)
    size = max(1, -(-len(documents) // (4 * workers.count)))  # a few batches each: even shares
    document_batches = batches(list(documents), size)
    render_batch = partial(
        _documents_batch, posts=posts, entries=entries, config=config, pages=pages
    )
    with workers.map(pool) as map_:
        for batch, files in zip(
            document_batches, map_(render_batch, document_batches), strict=True
        ):
            yield from zip((spec for spec, _ in batch), files, strict=True)


def _documents_batch(
    documents: Sequence[Document],
    posts: Mapping[EntryKey, Post],
    entries: Mapping[EntryKey, PostEntries],
    config: Config,
    pages: bool,
) -> list[dict[str, bytes]]:
    from ..feeds.formats import PAGE, feed_formats

    made = []
    for spec, keys in documents:
        items = [posts[key] for key in keys]
        files = {
            fmt.path(spec): fmt.assemble(spec, items, [entries[k][fmt.name] for k in keys], config)
            for fmt in feed_formats(config)
        }
        if pages:
            files[PAGE.path(spec)] = PAGE.render(spec, items, config)
        made.append(files)
    return made


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
    documents: list[Document] = []
    shown: dict[EntryKey, Post] = {}
    for spec in todo:
        items = feed_items(spec, posts, sources or {}, config)
        shown.update(items)
        documents.append((spec, [key for key, _ in items]))
    feeds: list[RenderedFeed] = []
    with stage("render", len(documents) + 1) as advance:
        entries = render_entries(shown, config, workers)
        made = render_documents(documents, shown, entries, config, workers, config.feed_pages)
        for spec, files in made:
            feeds.append(RenderedFeed(spec, files))
            advance(1)
        from ..site.page import site_files  # jinja2: not needed by unchanged rebuilds

        site = site_files(every, config)
        advance(1)
    return Rendered(feeds, site, entries if config.archives else {})  # else let go
