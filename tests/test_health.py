"""Feed health: health.json, ``feedbuilder health`` and ``build --fail-on`` (issue 14.4)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.request import urlopen

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedbuilder.config import make_config
from feedbuilder.models import FeedSpec, PostMeta, Thumbnail
from feedbuilder.output.health import (
    HEALTH_PATH,
    FeedHealth,
    Health,
    alerts,
    feed_health,
    health_table,
    read_health,
)
from feedbuilder.pipeline import build
from feedbuilder.serve import OutputServer, media_type

from .conftest import make_post
from .test_end_to_end import run_cli

NOW = datetime(2024, 6, 1, tzinfo=UTC)
DAY = 86400


def meta(days_ago: float, image: bool = False, mtime: float = 0.0) -> PostMeta:
    published = NOW - timedelta(days=days_ago)
    return PostMeta(
        rel_path=f"{days_ago}.md",
        title="T",
        link=f"https://example.com/{days_ago}/",
        id=f"https://example.com/{days_ago}/",
        published=published,
        updated=published,
        author=None,
        categories=(("C",),),
        tags=(),
        thumbnail=Thumbnail("https://example.com/a.png") if image else None,
        given_summary=None,
        body_format="html",
        mtime=mtime,
    )


def spec(metas: list[PostMeta], key: str = "all", total: int | None = None) -> FeedSpec:
    return FeedSpec(
        key=key,
        title="Feed",
        description="",
        category=None,
        post_ids=tuple(m.id for m in metas),
        post_count=len(metas) if total is None else total,
        newest=max((m.published for m in metas), default=None),
    )


def health_of(metas: list[PostMeta], key: str = "all", **sizes: int) -> FeedHealth:
    images = [m.thumbnail is not None for m in metas]
    return feed_health(spec(metas, key), metas, images, sizes, undated_by_mtime=True)


# --- one feed's figures ---------------------------------------------------------------


def test_figures_of_a_feed() -> None:
    dated_by_mtime = meta(4, mtime=(NOW - timedelta(days=4)).timestamp())
    metas = [meta(1, image=True), meta(2), dated_by_mtime, meta(7, image=True)]
    health = health_of(metas, rss=10, atom=20)
    assert health.items == 4
    assert health.newest == "2024-05-31T00:00:00+00:00"
    assert health.interval_seconds == 2 * DAY  # 6 days over 3 gaps
    assert health.undated_share == 0.25
    assert health.imageless_share == 0.5
    assert health.duplicates_merged == 0
    assert health.bytes == {"rss": 10, "atom": 20}
    assert health.age_seconds(NOW) == DAY


def test_a_burst_does_not_make_the_interval_seconds() -> None:
    """Five posts within a minute each day for three days: the interval is hours, not
    the burst's seconds (a median gap would be)."""
    metas = [meta(day + minute / 1440) for day in range(3) for minute in range(5)]
    assert health_of(metas).interval_seconds is not None
    assert health_of(metas).interval_seconds > 3 * 3600  # type: ignore[operator]


@given(st.lists(st.floats(0, 3000), min_size=0, max_size=30), st.data())
def test_figures_stay_in_range(days: list[float], data: st.DataObject) -> None:
    metas = [meta(d, image=data.draw(st.booleans())) for d in days]
    health = health_of(metas)
    assert 0 <= health.imageless_share <= 1 and 0 <= health.undated_share <= 1
    if len(days) < 2:
        assert health.interval_seconds is None
    else:
        span = (max(days) - min(days)) * DAY
        assert health.interval_seconds is not None
        assert abs(health.interval_seconds * (len(days) - 1) - span) <= len(days) + 1
    again = Health.from_json(Health([health], 5).to_json())
    assert again == Health([health], 5)


# --- alerts ---------------------------------------------------------------------------


def test_stale_after_three_intervals() -> None:
    health = Health([health_of([meta(0), meta(1), meta(2)])], 100)  # interval: one day
    assert alerts(health, None, NOW + timedelta(days=3)) == []
    (alert,) = alerts(health, None, NOW + timedelta(days=3, seconds=1))
    assert (alert.kind, alert.feed) == ("stale", "all")
    assert "over 3× its usual interval of 1d" in alert.reason


def test_a_feed_with_one_post_or_one_instant_is_never_stale() -> None:
    health = Health([health_of([meta(100)]), health_of([meta(50), meta(50)], "x")], 100)
    assert alerts(health, None, NOW + timedelta(days=10_000)) == []


def test_oversize_names_the_format() -> None:
    health = Health([health_of([meta(0)], rss=100, atom=101)], 100)
    (alert,) = alerts(health, None, NOW)
    assert alert.kind == "oversize" and "atom file is 101 bytes" in alert.reason


def test_shrink_is_losing_over_half() -> None:
    before = Health([health_of([meta(i) for i in range(10)]), health_of([meta(0)], "gone")], 9)
    half = Health([health_of([meta(i) for i in range(5)])], 9)
    assert [a.feed for a in alerts(half, before, NOW) if a.kind == "shrink"] == ["gone"]
    fewer = Health([health_of([meta(i) for i in range(4)])], 9)
    shrunk = [str(a) for a in alerts(fewer, before, NOW) if a.kind == "shrink"]
    assert shrunk == [
        "all: shrink: 4 items, down from 10 last build",
        "gone: shrink: 0 items, down from 1 last build (the feed is gone)",
    ]


def test_the_table_shows_ages_at_its_clock() -> None:
    health = Health([health_of([meta(0), meta(1)], rss=50)], 40)
    table = health_table(health, NOW + timedelta(days=5))
    header, row = table.splitlines()
    assert header.split()[:3] == ["feed", "items", "posts"]
    expected = ["all", "2", "2", "5d", "ago", "1d", "0%", "100%", "0", "rss:50", "stale,oversize"]
    assert row.split() == expected


# --- builds ---------------------------------------------------------------------------


def site(tmp_path: Path, days_ago: list[int], extra: str = "") -> Path:
    posts = tmp_path / "posts"
    for n in days_ago:
        date = (NOW - timedelta(days=n)).strftime("%Y-%m-%d")
        body = '<p><img src="https://example.com/i.png"></p>' if n % 2 else "<p>Text</p>"
        category = "A" if n < 10 else "B"
        make_post(posts, f"p{n}.md", f"title: P{n}\ndate: {date}\ncategories: [{category}]", body)
    old = int((NOW - timedelta(days=60)).timestamp()) * 10**9
    for path in posts.iterdir():
        os.utime(path, ns=(old, old))
    (tmp_path / "feedbuilder.toml").write_text(
        f'site_title = "S"\nsite_url = "https://example.com/"\n{extra}', encoding="utf-8"
    )
    return tmp_path


def test_every_build_writes_health_in_the_manifest(tmp_path: Path) -> None:
    root = site(tmp_path, [1, 2, 3, 20])
    config = make_config({"site_title": "S", "site_url": "https://example.com/"}, root)
    build(config, now=NOW)
    out = root / "output"
    manifest = json.loads((out / ".feedbuilder-manifest.json").read_text(encoding="utf-8"))
    assert HEALTH_PATH in manifest["files"]
    health = read_health(out)
    assert health is not None
    by_key = health.by_key()
    assert [f.key for f in health.feeds] == ["all", "category/a", "category/b"]
    assert by_key["category/a"].items == 3
    assert by_key["all"].bytes["atom"] == (out / "feeds/all.atom.xml").stat().st_size
    assert set(by_key["all"].bytes) == {"rss", "atom", "json"}
    first = (out / HEALTH_PATH).read_bytes()
    assert by_key["category/a"].imageless_share == round(1 / 3, 4)  # p1, p3: images in the body
    again = build(config, now=NOW + timedelta(days=1), cache=False)  # every feed rendered
    assert again.files_written == 0 and (out / HEALTH_PATH).read_bytes() == first


def test_health_of_kept_feeds_is_that_of_a_cold_build(tmp_path: Path) -> None:
    """A new post in B re-renders B and all but keeps A unread: A's figures (its image
    share among them, which needs its bodies) must be what a cold build finds."""
    root = site(tmp_path, [1, 2, 3, 20])
    config = make_config({"site_title": "S", "site_url": "https://example.com/"}, root)
    build(config, now=NOW)
    make_post(root / "posts", "p15.md", "title: P15\ndate: 2024-05-17\ncategories: [B]")
    report = build(config, now=NOW)
    assert report.feeds_unchanged == 1  # category/a
    warm = (root / "output" / HEALTH_PATH).read_bytes()
    build(config.replace(output_dir=root / "cold"), now=NOW, cache=False)
    assert (root / "cold" / HEALTH_PATH).read_bytes() == warm


def test_a_deleted_health_file_renders_the_feeds_again(tmp_path: Path) -> None:
    root = site(tmp_path, [1, 2, 3, 20])
    config = make_config({"site_title": "S", "site_url": "https://example.com/"}, root)
    build(config, now=NOW)
    (root / "output" / HEALTH_PATH).unlink()
    report = build(config, now=NOW)
    assert report.feeds_unchanged == 3  # rendered again, to the same bytes
    build(config.replace(output_dir=root / "cold"), now=NOW, cache=False)
    cold = (root / "cold" / HEALTH_PATH).read_bytes()
    assert (root / "output" / HEALTH_PATH).read_bytes() == cold


def test_output_without_health_settings_is_unchanged_but_for_health(tmp_path: Path) -> None:
    root = site(tmp_path, [1, 2])
    config = make_config({"site_title": "S", "site_url": "https://example.com/"}, root)
    build(config, now=NOW, cache=False)
    assert (root / "output" / HEALTH_PATH).is_file()
    assert not (root / "output" / "feeds" / "query").exists()


def test_cli_fail_on_stale_exits_4(tmp_path: Path) -> None:
    root = site(tmp_path, [1, 2, 3])  # a day apart, and years ago by the real clock
    result = run_cli("build", "--fail-on", "stale", cwd=root)
    assert result.returncode == 4, result.stderr
    assert "feedbuilder: health: all: stale: no post for" in result.stderr
    assert run_cli("build", "--fail-on", "oversize,shrink", cwd=root).returncode == 0
    assert run_cli("build", cwd=root).returncode == 0  # not asked: not an error


def test_cli_fail_on_oversize_and_shrink(tmp_path: Path) -> None:
    root = site(tmp_path, [1, 2, 3, 4], "max_feed_bytes = 1000\n")
    result = run_cli("build", "--fail-on", "oversize", cwd=root)
    assert result.returncode == 4
    assert "all: oversize: its rss file is" in result.stderr
    for n in (2, 3, 4):
        (root / "posts" / f"p{n}.md").unlink()
    result = run_cli("build", "--fail-on", "shrink", cwd=root)
    assert result.returncode == 4
    assert "all: shrink: 1 items, down from 4 last build" in result.stderr


def test_cli_rejects_an_unknown_kind(tmp_path: Path) -> None:
    result = run_cli("build", "--fail-on", "stale,late", cwd=site(tmp_path, [1]))
    assert result.returncode == 2 and "unknown late" in result.stderr


def test_cli_health_prints_the_table(tmp_path: Path) -> None:
    root = site(tmp_path, [1, 2, 30])
    assert run_cli("health", cwd=root).returncode == 2  # no build yet
    assert run_cli("build", cwd=root).returncode == 0
    result = run_cli("health", cwd=root)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[0] == "feed"
    assert [line.split()[0] for line in lines[1:]] == ["all", "category/a", "category/b"]
    as_json = run_cli("health", "--json", cwd=root)
    assert as_json.stdout.encode() == (root / "output" / HEALTH_PATH).read_bytes()


def test_served_as_plain_json(tmp_path: Path) -> None:
    root = site(tmp_path, [1, 2])
    build(make_config({"site_title": "S", "site_url": "https://example.com/"}, root), now=NOW)
    with OutputServer(root / "output", port=0, quiet=True) as server:
        server.start()
        with urlopen(server.url + HEALTH_PATH) as response:
            assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        with urlopen(server.url + "feeds/all.json") as response:
            assert response.headers["Content-Type"].startswith("application/feed+json")
        server.shutdown()
    assert media_type("feeds/query/health.json").startswith("application/feed+json")


@pytest.mark.parametrize("damage", [b"", b"{", b'{"feeds": 3}', b"[]"])
def test_a_damaged_health_file_is_no_health(tmp_path: Path, damage: bytes) -> None:
    (tmp_path / HEALTH_PATH).write_bytes(damage)
    assert read_health(tmp_path) is None
