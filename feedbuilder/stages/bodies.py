"""Stage four: read and clean the bodies of the posts that land in a feed (the expensive
part, so only those), or take them from the cache when the file has not changed."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from ..cache import Cache
from ..collect.files import PostFile, read_post
from ..config import Config
from ..incremental import Decider
from ..models import Post, PostBody, PostMeta
from ..pool import Workers, batches
from ..progress import stage

POOL_MIN_BODIES = 200  # below this a process pool costs more than it saves


@dataclass(frozen=True)
class Cleaning:
    """The settings reading and cleaning a body depends on."""

    max_file_bytes: int
    max_front_matter_bytes: int
    junk_selectors: tuple[str, ...]
    summary_length: int

    @classmethod
    def of(cls, config: Config) -> Cleaning:
        return cls(
            config.max_file_bytes,
            config.max_front_matter_bytes,
            config.all_junk_selectors,
            config.summary_length,
        )


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
) -> tuple[dict[str, Post], int]:
    """Each post of ``metas`` with its cleaned body, by id, and how many bodies were cleaned
    (the others came from the cache).

    Raises:
        CacheError: the cache failed (the build then runs without it).
    """
    keys = {m.rel_path: decider.file_key(files[m.rel_path]) for m in metas}
    bodies = cache.bodies(keys.values()) if cache is not None else {}
    todo = [(m, files[m.rel_path]) for m in metas if m.rel_path not in bodies]
    if todo:  # imported before the pool forks, so the workers inherit it
        importlib.import_module("feedbuilder.normalise.content")
    clean = partial(_clean_batch, cleaning=Cleaning.of(config))
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
    return {meta.id: Post(meta, bodies[meta.rel_path]) for meta in metas}, len(todo)
