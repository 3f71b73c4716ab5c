"""Stage three: decide the feeds and the newest posts each holds (:mod:`..feeds.plan`), then,
with a cache, which of them are unchanged since the last build and need not be rendered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..cache import Cache, FeedRecord
from ..collect.files import PostFile
from ..config import Config
from ..feeds.archives import ArchivePlan, plan_archives
from ..feeds.plan import FeedPlan, plan_feeds
from ..feeds.stories import NOTE_LINKS, Source, source_name
from ..incremental import Decider, feed_fingerprint, post_fingerprint
from ..models import FeedSpec, PostMeta
from ..output.writer import OutputDir
from ..progress import stage
from .scan import Scan


@dataclass
class Planned:
    """The feed plan, the metadata of every feed-bound post (by id), and the feeds the last
    build left current (by key) with every feed's input fingerprint."""

    feeds: FeedPlan
    metas: dict[str, PostMeta]  # the feed-bound posts' and the copies they stand for
    kept: dict[str, FeedRecord] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    archives: ArchivePlan | None = None  # archives = true: every feed's archive pages
    sources: dict[str, Source] = field(default_factory=dict)  # each copy's, for "Also in"

    @property
    def todo(self) -> list[FeedSpec]:
        """The feeds to render."""
        return [spec for spec in self.feeds.specs if spec.key not in self.kept]

    def needed(self) -> list[PostMeta]:
        """The posts of the feeds to render, each once."""
        ids = dict.fromkeys(post_id for spec in self.todo for post_id in spec.post_ids)
        return [self.metas[post_id] for post_id in ids]


def plan(
    scan: Scan,
    config: Config,
    decider: Decider,
    cache: Cache | None = None,
    output: OutputDir | None = None,
) -> Planned:
    """The feeds of ``scan``'s posts; with a ``cache`` (and the ``output`` it describes),
    those left as the last build wrote them.

    Raises:
        CacheError: the cache failed (the build then runs without it).
    """
    with stage("plan"):
        index = scan.index(config.order_by)
        feeds = plan_feeds(index, config, decider.now)
        archives = plan_archives(index, feeds, config) if config.archives else None
        refs = {**feeds.copies, **feeds.posts}
        planned = Planned(feeds, dict(zip(refs, scan.metas(list(refs.values())), strict=True)))
        planned.archives = archives
        planned.sources = {
            i: Source(source_name(ref), planned.metas[i].link) for i, ref in feeds.copies.items()
        }
        if cache is not None and output is not None:
            _keep_unchanged(planned, scan.files, decider, cache, output)
    return planned


def _keep_unchanged(
    planned: Planned,
    files: Mapping[str, PostFile],
    decider: Decider,
    cache: Cache,
    output: OutputDir,
) -> None:
    records = cache.feeds()
    stats = output.stats(path for r in records.values() for path, _, _ in r.outputs)
    posts = {i: post_fingerprint(m, files[m.rel_path]) for i, m in planned.metas.items()}
    for spec in planned.feeds.specs:
        inputs = [posts[post_id] for post_id in spec.post_ids]
        # "Also in" notes: a copy that comes, goes or changes re-renders the feed.
        inputs.extend(
            f"{k} {len(copies)} " + " ".join(posts[c] for c in copies[:NOTE_LINKS])
            for k, copies in spec.merged
        )
        fingerprint = feed_fingerprint(spec, inputs)
        planned.fingerprints[spec.key] = fingerprint
        record = records.get(spec.key)
        if decider.feed_unchanged(record, fingerprint, stats):
            assert record is not None
            planned.kept[spec.key] = record
