"""Stage four: read and clean the bodies of the posts that land in a feed (the expensive
part, so only those), or take them from the cache when the file has not changed."""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..cache import Cache
from ..collect.files import PostFile, read_post
from ..config import Config
from ..incremental import Decider
from ..models import Post, PostBody, PostMeta, Problem
from ..pool import Workers, batches
from ..progress import stage

if TYPE_CHECKING:  # imported with the cleaning itself: not needed by unchanged rebuilds
    from ..normalise.hexotags import PostLinkTarget, TagContext

POOL_MIN_BODIES = 200  # below this a process pool costs more than it saves


@dataclass(frozen=True)
class Cleaning:
    """The settings reading and cleaning a body depends on; in a Hexo site, also what its
    tag plugins need (``links``: every post's source slug and title → its link)."""

    max_file_bytes: int
    max_front_matter_bytes: int
    junk_selectors: tuple[str, ...]
    summary_length: int
    image_proxy: str = ""
    referrer_policy: str = "no-referrer"
    hexo_site: bool = False
    posts_dir: Path = Path()
    post_asset_folder: bool = False
    site_root: str = ""
    links: Mapping[str, PostLinkTarget] = field(default_factory=dict)

    @classmethod
    def of(cls, config: Config, links: Mapping[str, PostLinkTarget]) -> Cleaning:
        hexo = config.hexo
        parts = urlsplit(config.base_url)
        return cls(
            config.max_file_bytes,
            config.max_front_matter_bytes,
            config.all_junk_selectors,
            config.summary_length,
            config.image_proxy,
            config.image_referrer_policy,
            hexo_site=hexo is not None,
            posts_dir=config.posts_dir,
            post_asset_folder=hexo is not None and hexo.post_asset_folder,
            site_root="" if hexo is None else f"{parts.scheme}://{parts.netloc}{hexo.root}",
            links=links,
        )

    def tags(self, meta: PostMeta, front_matter: Mapping[str, object]) -> TagContext:
        """What the tag plugins of this post need (outside a Hexo site: the defaults)."""
        from ..normalise.hexotags import TagContext

        if not self.hexo_site:
            return TagContext(permalink=meta.link)
        return TagContext(
            render_tags=front_matter.get("disableNunjucks") is not True,
            post_asset_folder=self.post_asset_folder,
            permalink=meta.link,
            site_root=self.site_root,
            resolve_post=self.links.get,
            assets=self._assets(meta) if self.post_asset_folder else None,
            strip_code_indent=True,
        )

    def _assets(self, meta: PostMeta) -> frozenset[str]:
        """The file names in the post's asset folder (beside it, named as it is)."""
        folder = self.posts_dir / os.path.splitext(meta.rel_path)[0]
        try:
            return frozenset(entry.name for entry in os.scandir(folder) if entry.is_file())
        except OSError:
            return frozenset()


def post_links(metas: Sequence[PostMeta]) -> dict[str, PostLinkTarget]:
    """What ``{% post_link %}`` finds, as Hexo looks: a post's source slug (its path under
    ``_posts`` without the extension), else its title."""
    from ..normalise.hexotags import PostLinkTarget

    links: dict[str, PostLinkTarget] = {}
    for meta in sorted(metas, key=lambda m: m.rel_path):
        links.setdefault(meta.title, PostLinkTarget(meta.link, meta.title))
    for meta in metas:
        links[os.path.splitext(meta.rel_path)[0]] = PostLinkTarget(meta.link, meta.title)
    return links


def load_body(meta: PostMeta, file: PostFile, cleaning: Cleaning) -> PostBody:
    """Read a post's body again and clean it."""
    source, _ = read_post(file, cleaning.max_file_bytes, cleaning.max_front_matter_bytes)
    raw = source.body if source is not None else ""
    from ..normalise.content import clean_body  # bs4 & co.: not needed by unchanged rebuilds

    return clean_body(
        raw,
        meta.body_format,
        meta.link,
        cleaning.junk_selectors,
        cleaning.summary_length,
        meta.given_summary,
        tags=cleaning.tags(meta, source.metadata if source is not None else {}),
        image_proxy=cleaning.image_proxy,
        referrer_policy=cleaning.referrer_policy,
    )


def _clean_batch(items: Sequence[tuple[PostMeta, PostFile]], cleaning: Cleaning) -> list[PostBody]:
    return [load_body(meta, file, cleaning) for meta, file in items]


def load_posts(
    metas: Sequence[PostMeta],
    files: Mapping[str, PostFile],
    config: Config,
    decider: Decider,
    cache: Cache | None,
    workers: Workers,
    links: Mapping[str, PostLinkTarget] | None = None,
) -> tuple[dict[str, Post], int, list[Problem]]:
    """Each post of ``metas`` with its cleaned body, by id, how many bodies were cleaned
    (the others came from the cache) and what cleaning them found wrong. ``links``: see
    :func:`post_links` (a Hexo site's).

    Raises:
        CacheError: the cache failed (the build then runs without it).
    """
    keys = {m.rel_path: decider.file_key(files[m.rel_path]) for m in metas}
    bodies = cache.bodies(keys.values()) if cache is not None else {}
    todo = [(m, files[m.rel_path]) for m in metas if m.rel_path not in bodies]
    if todo:  # imported before the pool forks, so the workers inherit it
        importlib.import_module("feedbuilder.normalise.content")
    clean = partial(_clean_batch, cleaning=Cleaning.of(config, links or {}))
    size = max(1, min(workers.batch_size, len(todo) // (4 * workers.count)))  # even shares
    todo_batches = batches(todo, size)
    cleaned: list[tuple[str, PostBody]] = []
    pool = workers.use_pool(len(todo), POOL_MIN_BODIES)
    with stage("clean", len(todo)) as advance, workers.map(pool) as map_:
        for batch, done in zip(todo_batches, map_(clean, todo_batches), strict=True):
            cleaned.extend(
                (meta.rel_path, body) for (meta, _), body in zip(batch, done, strict=True)
            )
            advance(len(batch))
    bodies.update(cleaned)
    if cache is not None and cleaned:
        with cache.transaction():
            cache.put_bodies((keys[rel_path], body) for rel_path, body in cleaned)
    problems = [Problem(rel_path, reason) for rel_path, body in cleaned for reason in body.problems]
    return {meta.id: Post(meta, bodies[meta.rel_path]) for meta in metas}, len(todo), problems
