"""Memory flat in N (issue 13): a build holds the listing's columns and each feed's first
posts, never an object per post; the rest waits in the build's database.

Measured with tracemalloc (Python's own allocations: SQLite's pages are the database's, on
disk) as the growth between two sizes, so the interpreter's fixed costs cancel out. The
old scan held a ref, its id and a dict entry per post: about 1 kB a post.
"""

from __future__ import annotations

import gc
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

from feedbuilder.cache import Cache
from feedbuilder.config import make_config
from feedbuilder.feeds.plan import plan_feeds
from feedbuilder.incremental import Decider
from feedbuilder.pool import Workers
from feedbuilder.stages.listing import list_posts
from feedbuilder.stages.scan import scan

from .conftest import make_post

NOW = datetime(2024, 6, 1, tzinfo=UTC)
PER_POST_BYTES = 150  # the listing's columns (a path and five integers) and slack


def _retained(tmp_path: Path, count: int) -> int:
    """Bytes still held once ``count`` posts are listed, scanned and planned."""
    posts = tmp_path / f"posts-{count}"
    for i in range(count):
        make_post(
            posts / f"{i % 7}",
            f"post-{i:05}.md",
            f"title: Post {i} about topic {i * 7919 % 10007}\n"
            f"date: 2024-01-{1 + i % 28:02} 10:{i % 60:02}\n"
            f"categories: [[Group {i % 3}, Source {i % 5}]]\ntags: [t{i % 11}]",
            f"<p>Words {i} {i * 31} {i * 977} differ in every post.</p>",
        )
    config = make_config({"posts_dir": posts, "output_dir": tmp_path / f"out-{count}"})
    with Cache.scratch() as store:
        gc.collect()
        tracemalloc.start()
        try:
            listing = list_posts(config.posts_dir, False)
            scanned = scan(listing, config, Decider(NOW), store, Workers(count=1))
            plan = plan_feeds(scanned.index(), config, NOW)
            gc.collect()
            held, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert scanned.posts_read == count and plan.specs  # the posts are all there
    return held


def test_a_scan_and_plan_hold_nothing_per_post_but_the_listing(tmp_path: Path) -> None:
    small, big = 500, 2500
    growth = (_retained(tmp_path, big) - _retained(tmp_path, small)) / (big - small)
    assert growth < PER_POST_BYTES, f"{growth:.0f} bytes held per post"
