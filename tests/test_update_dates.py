"""An update date after the build's time, or before the post's date, is not an update date
(issue 10): the post's date stands, with a warning, until the update date has come."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedbuilder.cache import CACHE_NAME
from feedbuilder.config import Config
from feedbuilder.pipeline import build
from tests.conftest import make_post

NOW = datetime(2024, 6, 1, tzinfo=UTC)
LATER = datetime(2200, 1, 2, tzinfo=UTC)
OLD = 1_700_000_000


@pytest.fixture
def config(tmp_path: Path) -> Config:
    posts = tmp_path / "posts"
    for name, updated in [
        ("far.md", "2199-01-01"),
        ("soon.md", "2024-06-02 10:00"),
        ("before.md", "2023-01-01"),
        ("fine.md", "2024-05-01"),
    ]:
        path = make_post(posts, name, f"title: {name}\ndate: 2024-02-01\nupdated: {updated}")
        os.utime(path, (OLD, OLD))
    return Config(posts_dir=posts, output_dir=tmp_path / "out", site_url="https://e.com/")


def dates(config: Config) -> tuple[str, dict[str, str]]:
    feed = json.loads((config.output_dir / "feeds" / "all.json").read_text())
    atom = (config.output_dir / "feeds" / "all.atom.xml").read_text()
    feed_updated = atom.split("<updated>", 1)[1].split("<", 1)[0]
    return feed_updated, {item["title"]: item["date_modified"] for item in feed["items"]}


@pytest.mark.parametrize("cache", [True, False])
def test_future_and_earlier_update_dates_are_ignored(config: Config, cache: bool) -> None:
    report = build(config, now=NOW, cache=cache)
    feed_updated, items = dates(config)
    assert items["far.md"] == items["soon.md"] == items["before.md"] == "2024-02-01T00:00:00+00:00"
    assert items["fine.md"] == "2024-05-01T00:00:00+00:00"
    assert feed_updated == "2024-05-01T00:00:00+00:00"  # not 2199
    reasons = {p.path: p.reason for p in report.problems}
    assert "after the build's time" in reasons["far.md"]
    assert "after the build's time" in reasons["soon.md"]
    assert "before the date" in reasons["before.md"]
    assert "fine.md" not in reasons


def test_an_update_date_counts_once_it_has_come(config: Config, tmp_path: Path) -> None:
    build(config, now=NOW)
    then = datetime(2024, 6, 3, tzinfo=UTC)
    build(config, now=then)  # incremental: the cache must not keep the earlier answer
    assert dates(config)[1]["soon.md"] == "2024-06-02T10:00:00+00:00"
    cold = config.replace(output_dir=tmp_path / "cold")
    shutil.copytree(
        config.output_dir, cold.output_dir, ignore=shutil.ignore_patterns(f"{CACHE_NAME}*")
    )
    build(cold, now=then, cache=False)
    for name in ("all.atom.xml", "all.rss.xml", "all.json"):
        assert (cold.output_dir / "feeds" / name).read_bytes() == (
            config.output_dir / "feeds" / name
        ).read_bytes()
    build(config, now=LATER)
    assert dates(config)[1]["far.md"] == "2199-01-01T00:00:00+00:00"
