"""The feed settings a Hexo site's `feed:` section brings: every post (items_per_feed = 0),
summaries only (full_content = false), newest update first (order_by), tag slugs (tag_map)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser

from feedbuilder.config import Config, make_config
from feedbuilder.pipeline import build

from .conftest import make_post

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def site(tmp_path: Path, **settings: Any) -> Config:
    posts = tmp_path / "posts"
    for day in range(1, 8):
        make_post(
            posts,
            f"p{day}.md",
            f"title: Post {day}\ndate: 2024-01-0{day}\nupdated: 2024-02-{10 - day:02d}\n"
            "tags: [C++]",
            f"Body of post {day}, long enough to be summarised.",
        )
    values = {
        "posts_dir": str(posts),
        "output_dir": str(tmp_path / "out"),
        "site_url": "https://e.com/",
        "tag_feeds": True,
        **settings,
    }
    config = make_config(values)
    build(config, now=NOW)
    return config


def titles(config: Config, name: str = "all") -> list[str]:
    feed = feedparser.parse((config.output_dir / "feeds" / f"{name}.atom.xml").read_bytes())
    return [entry.title for entry in feed.entries]


def test_items_per_feed_0_is_every_post(tmp_path: Path) -> None:
    assert len(titles(site(tmp_path, items_per_feed=0))) == 7
    assert len(titles(site(tmp_path / "b", items_per_feed=3))) == 3


def test_order_by_updated(tmp_path: Path) -> None:
    config = site(tmp_path, items_per_feed=3, order_by="-updated")
    assert titles(config) == ["Post 1", "Post 2", "Post 3"]  # updated Feb 9, 8, 7
    assert titles(site(tmp_path / "b", items_per_feed=3)) == ["Post 7", "Post 6", "Post 5"]


def test_summaries_only(tmp_path: Path) -> None:
    config = site(tmp_path, full_content=False)
    atom = (config.output_dir / "feeds" / "all.atom.xml").read_text(encoding="utf-8")
    rss = (config.output_dir / "feeds" / "all.rss.xml").read_text(encoding="utf-8")
    assert "<content" not in atom and "<summary" in atom
    assert "content:encoded" not in rss and "<description>" in rss
    items = json.loads((config.output_dir / "feeds" / "all.json").read_text())["items"]
    assert all("content_html" not in item and item["content_text"] for item in items)


def test_tag_map_names_tag_feeds(tmp_path: Path) -> None:
    config = site(tmp_path, tag_map={"C++": "cpp"})
    assert (config.output_dir / "feeds" / "tag" / "cpp.atom.xml").is_file()
