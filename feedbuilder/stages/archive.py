"""Archives (``archives = true``): every feed's archive pages (:mod:`..feeds.archives`),
rendered and written before the subscription feeds that link to them.

A big site's history is far more than memory should hold at once, so pages are streamed:
the posts of the pages to render are read and cleaned in publication order, a chunk at a
time, and each page is rendered and written as soon as its last post is in, then let go
(at most one unfinished page per feed is held). Each post's entries are rendered once, a
slice of its chunk at a time (or taken from the feeds', :mod:`.render`), held until its last
page is written, and reused in every page holding it. With a cache, a page whose posts' files and
links are as they were is kept unread (its record says which files it wrote), like a feed.

A page has no page for people and no WebSub hub, as it is history, which no one subscribes to.
"""

from __future__ import annotations

import contextlib
from collections import ChainMap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..cache import Cache, FeedRecord
from ..config import Config
from ..feeds.archives import ArchivePlan, newest_marker
from ..incremental import Decider, page_fingerprint
from ..models import FeedSpec, Post, PostRef, Problem
from ..output.writer import OutputDir
from ..pool import Workers, batches
from ..progress import stage
from .bodies import load_posts
from .render import EntryKey, PostEntries, render_documents, render_entries
from .scan import Scan

if TYPE_CHECKING:  # bodies' Hexo tags
    from ..normalise.hexotags import PostLinkTarget

CHUNK_POSTS = 5000  # posts read and cleaned at a time
ENTRY_POSTS = 1000  # posts whose entries are rendered at a time (three formats: 15 KB a post)


@dataclass
class Archived:
    """What writing the archive pages did: every page's record (kept or written, for the
    cache), and the bodies cleaned for them with what cleaning found wrong."""

    records: dict[str, FeedRecord] = field(default_factory=dict)
    kept: int = 0  # pages the cache found current: not rendered
    rendered: int = 0
    written: int = 0  # rendered pages with a file rewritten
    cleaned: int = 0
    problems: list[Problem] = field(default_factory=list)


def write_archives(
    archives: ArchivePlan,
    scanned: Scan,
    config: Config,
    decider: Decider,
    cache: Cache | None,
    output: OutputDir,
    workers: Workers,
    links: Mapping[str, PostLinkTarget] | None = None,
    loaded: Mapping[str, Post] | None = None,
    rendered: dict[EntryKey, PostEntries] | None = None,
) -> Archived:
    """Write every page of ``archives`` that changed; keep the others. ``loaded``: posts
    whose bodies this build already has (by id: the feeds'), not read again; ``rendered``:
    entries this build already has (the feeds'), not rendered again.

    Raises:
        CacheError: the cache failed (the build then runs without it).
        OutputError: a file cannot be written; every file is whole, old or new.
    """
    done = Archived()
    records = cache.feeds() if cache is not None else {}
    stats = output.stats(path for r in records.values() for path, _, _ in r.outputs)
    todo: list[FeedSpec] = []
    fingerprints: dict[str, str] = {}
    for spec in archives.pages:
        fingerprint = page_fingerprint(spec, archives.posts[spec.key], scanned.files, decider)
        record = records.get(spec.key)
        if decider.feed_unchanged(record, fingerprint, stats):
            assert record is not None
            for rel_path, _, _ in record.outputs:
                output.keep(rel_path)
            done.records[spec.key] = record
            done.kept += 1
        else:
            fingerprints[spec.key] = fingerprint
            todo.append(spec)
    loaded = dict(loaded or {})
    rendered = rendered or {}
    chunks = _chunks(todo, archives)
    pages_left = (
        {post_id: len(pages) for post_id, pages in chunks[0].pages_of.items()} if chunks else {}
    )
    held: dict[EntryKey, PostEntries] = {}  # entries of posts with pages still to write
    for chunk in chunks:
        missing = [ref for ref in chunk.refs if ref.id not in loaded]
        posts, cleaned, problems = load_posts(
            scanned.metas(missing), scanned.files, config, decider, cache, workers, links
        )
        done.cleaned += cleaned
        done.problems.extend(problems)
        chunk_posts = ChainMap(posts, loaded)
        for refs in batches(chunk.refs, ENTRY_POSTS):
            new = {_plain(r.id): chunk_posts[r.id] for r in refs if _plain(r.id) not in rendered}
            held.update(render_entries(new, config, workers))
            ready = chunk.complete(refs, chunk_posts)
            with stage("archive pages", len(ready)) as advance:
                entries = ChainMap(held, rendered)
                _write_pages(ready, entries, config, workers, output, fingerprints, done)
                advance(len(ready))
            for spec, _ in ready:  # let go of the entries no page left needs
                for post_id in spec.post_ids:
                    pages_left[post_id] -= 1
                    if not pages_left[post_id]:
                        held.pop(_plain(post_id), None)
    for spec in archives.pages:
        if spec.archive is not None and not spec.archive.following:  # its feed's newest
            output.write(newest_marker(spec.archive.feed_key, spec.archive.page), b"")
    return done


@dataclass
class _Chunk:
    """Posts to read at once (``refs``), and the unfinished pages they belong to."""

    refs: list[PostRef]
    pages_of: Mapping[str, list[FeedSpec]]  # post id -> its pages to render
    pending: dict[str, dict[str, Post]]  # page key -> the posts it has so far

    def complete(
        self, refs: Sequence[PostRef], posts: Mapping[str, Post]
    ) -> list[tuple[FeedSpec, list[Post]]]:
        """The pages the posts ``refs`` of this chunk (in order, with their ``posts`` by id)
        finish, each with its posts in order."""
        ready = []
        for ref in refs:
            for spec in self.pages_of[ref.id]:
                held = self.pending.setdefault(spec.key, {})
                held[ref.id] = posts[ref.id]
                if len(held) == len(spec.post_ids):
                    del self.pending[spec.key]
                    ready.append((spec, [held[post_id] for post_id in spec.post_ids]))
        return ready


def _chunks(todo: Sequence[FeedSpec], archives: ArchivePlan) -> list[_Chunk]:
    """The posts of the pages ``todo``, each once, oldest first, in chunks: a page is done
    when the chunk holding its newest post is, so few pages are ever half held."""
    pages_of: dict[str, list[FeedSpec]] = {}
    refs: dict[str, PostRef] = {}
    for spec in todo:
        for ref in archives.posts[spec.key]:
            pages_of.setdefault(ref.id, []).append(spec)
            refs.setdefault(ref.id, ref)
    ordered = sorted(refs.values(), key=lambda ref: (ref.published, ref.id))
    pending: dict[str, dict[str, Post]] = {}
    return [_Chunk(chunk, pages_of, pending) for chunk in batches(ordered, CHUNK_POSTS)]


def _plain(post_id: str) -> EntryKey:
    """A post's entry as archive pages show it: without a note (they merge no copies)."""
    return post_id, ()


def _write_pages(
    ready: Sequence[tuple[FeedSpec, list[Post]]],
    entries: Mapping[EntryKey, PostEntries],
    config: Config,
    workers: Workers,
    output: OutputDir,
    fingerprints: Mapping[str, str],
    done: Archived,
) -> None:
    """Put ``ready`` pages together from their posts' ``entries`` and write them."""
    documents = [(spec, [_plain(post_id) for post_id in spec.post_ids]) for spec, _ in ready]
    posts = {_plain(post.meta.id): post for _, page_posts in ready for post in page_posts}
    history = config.replace(websub_hub="")
    made = render_documents(documents, posts, entries, history, workers, False)
    with contextlib.closing(made):  # a failed write stops the pool's workers at once
        for spec, page_files in made:
            changed = [output.write(path, data) for path, data in page_files.items()]
            done.rendered += 1
            done.written += any(changed)
            stats = output.stats(page_files)
            outputs = [(path, *stat) for path, stat in stats.items() if stat is not None]
            if len(outputs) == len(page_files):  # else not remembered: rendered again
                done.records[spec.key] = FeedRecord(fingerprints[spec.key], outputs)
