"""Full-history archives (RFC 5005, issue 14.1): every feed's history as archive pages
numbered from the oldest, chained from the subscription feed, and left alone by new posts."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import feedparser
import jsonschema
import pytest
from lxml import etree

from feedbuilder import build
from feedbuilder.cache import Cache, cache_file, stamp
from feedbuilder.config import Config, ConfigError, make_config
from feedbuilder.feeds.archives import FH_NS, document_path, page_key
from feedbuilder.feeds.jsonfeed import json_path
from feedbuilder.feeds.render import feed_path
from feedbuilder.incremental import Decider
from feedbuilder.models import ArchiveLinks, FeedSpec
from feedbuilder.output.websub import announce_changes
from feedbuilder.output.writer import OutputDir
from feedbuilder.pipeline import scan_posts
from feedbuilder.pool import Workers
from feedbuilder.serve import OutputServer
from feedbuilder.stages.archive import write_archives
from feedbuilder.stages.listing import list_posts
from feedbuilder.stages.plan import plan
from feedbuilder.stages.scan import scan

from .conftest import ROOT, make_post

NOW = datetime(2030, 1, 1, tzinfo=UTC)
START = datetime(2024, 1, 1, tzinfo=UTC)
FEEDS_URL = "https://example.com/"
JSON_SCHEMA = json.loads((ROOT / "tests/schemas/jsonfeed-1.1.schema.json").read_text("utf-8"))
ATOM = "{http://www.w3.org/2005/Atom}"
CATEGORIES = ("Alpha", "Beta")  # post i is in CATEGORIES[i % 2]; every third post in Gamma


def write_post(posts: Path, i: int, body: str = "") -> Path:
    categories = [CATEGORIES[i % 2], *(["Gamma"] if i % 3 == 0 else [])]
    date = (START + timedelta(hours=i)).isoformat()
    return make_post(
        posts,
        f"p{i:03}.md",
        f"title: Post {i}\ndate: {date}\ncategories: {json.dumps(categories)}",
        body or f"Body of post {i}.",
    )


def site(tmp_path: Path, count: int, **settings: Any) -> Config:
    posts = tmp_path / "posts"
    for i in range(count):
        write_post(posts, i)
    values = {
        "site_url": FEEDS_URL,
        "posts_dir": str(posts),
        "output_dir": str(tmp_path / "out"),
        "items_per_feed": 4,
        "archives": True,
        "archive_page_size": 5,
        **settings,
    }
    return make_config(values)


def snapshot(out: Path) -> dict[str, tuple[bytes, int]]:
    """Every feed file's bytes and mtime (not the newest pages' markers, for web servers)."""
    return {
        str(p.relative_to(out)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted((out / "feeds").rglob("*"))
        if p.is_file() and not p.name.startswith(".newest-")
    }


def local(out: Path, url: str) -> Path:
    assert url.startswith(FEEDS_URL), url
    return out / url.removeprefix(FEEDS_URL)


def walk_xml(out: Path, subscription: str) -> tuple[list[str], list[list[str]]]:
    """The subscription document's entry ids, and each archive page's, following
    ``prev-archive`` with feedparser as a reader would."""
    parsed = feedparser.parse(out / subscription)
    assert not parsed.bozo, parsed.get("bozo_exception")
    first = [e.id for e in parsed.entries]
    pages: list[list[str]] = []
    seen: set[str] = set()
    links = parsed.feed.get("links", [])
    while prev := [link.href for link in links if link.rel == "prev-archive"]:
        assert prev[0] not in seen, "a loop in the chain"
        seen.add(prev[0])
        page = feedparser.parse(local(out, prev[0]))
        assert not page.bozo, (prev[0], page.get("bozo_exception"))
        pages.append([e.id for e in page.entries])
        links = page.feed.get("links", [])
    return first, pages


def walk_json(out: Path, subscription: str) -> tuple[list[str], list[list[str]]]:
    """The same by JSON Feed's ``next_url``."""
    document = json.loads((out / subscription).read_text("utf-8"))
    first = [item["id"] for item in document["items"]]
    pages: list[list[str]] = []
    while "next_url" in document:
        document = json.loads(local(out, document["next_url"]).read_text("utf-8"))
        jsonschema.validate(document, JSON_SCHEMA)
        pages.append([item["id"] for item in document["items"]])
    return first, pages


def post_ids(config: Config, category: str | None = None) -> set[str]:
    metas = scan_posts(config, now=NOW).metas(scan_posts(config, now=NOW).refs)
    return {m.id for m in metas if category is None or category in m.category_names()}


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_the_chain_from_each_feed_reaches_every_post_once(tmp_path: Path, fmt: str) -> None:
    config = site(tmp_path, 23)
    build(config, now=NOW, cache=False)
    out = config.output_dir
    walk = walk_json if fmt == "json" else walk_xml
    for key, category in (("all", None), ("category/alpha", "Alpha"), ("category/gamma", "Gamma")):
        first, pages = walk(out, document_path(key, fmt))
        history = [post_id for page in pages for post_id in page]
        assert len(history) == len(set(history)), "a post in two pages"
        assert set(history) == post_ids(config, category), key
        assert set(first) <= set(history)  # the overlap RFC 5005 section 4 allows
        assert len(pages[0]) <= 5 and all(len(page) == 5 for page in pages[1:]), key


def test_pages_are_numbered_from_the_oldest_and_marked(tmp_path: Path) -> None:
    config = site(tmp_path, 12)
    build(config, now=NOW, cache=False)
    out = config.output_dir / "feeds"
    titles = [
        [e.title for e in feedparser.parse(out / f"archive/all/{n}.atom.xml").entries]
        for n in (1, 2, 3)
    ]
    assert titles == [
        [f"Post {i}" for i in (4, 3, 2, 1, 0)],
        [f"Post {i}" for i in (9, 8, 7, 6, 5)],
        ["Post 11", "Post 10"],
    ]
    assert not (out / "archive/all/4.atom.xml").exists()
    for fmt in ("rss", "atom"):
        page = etree.parse(str(out / f"archive/all/2.{fmt}.xml")).getroot()
        rels = {
            link.get("rel"): link.get("href")
            for link in page.iter(f"{ATOM}link")
            if link.get("rel")
        }
        assert rels["current"] == f"{FEEDS_URL}feeds/all.{fmt}.xml"
        assert rels["prev-archive"] == f"{FEEDS_URL}feeds/archive/all/1.{fmt}.xml"
        assert rels["next-archive"] == f"{FEEDS_URL}feeds/archive/all/3.{fmt}.xml"
        assert len(page.findall(f".//{{{FH_NS}}}archive")) == 1
        newest = etree.parse(str(out / f"archive/all/3.{fmt}.xml")).getroot()
        assert "next-archive" not in {link.get("rel") for link in newest.iter(f"{ATOM}link")}
        subscription = etree.parse(str(out / f"all.{fmt}.xml")).getroot()
        assert not subscription.findall(f".//{{{FH_NS}}}archive")
    atom_page = etree.parse(str(out / "archive/all/2.atom.xml")).getroot()
    assert atom_page.findtext(f"{ATOM}id") == f"{FEEDS_URL}feeds/all.atom.xml"  # the same feed


def test_a_feed_that_holds_its_whole_history_is_complete_and_has_no_pages(
    tmp_path: Path,
) -> None:
    config = site(tmp_path, 12)  # Gamma: posts 0, 3, 6, 9: fits in items_per_feed = 4
    build(config, now=NOW, cache=False)
    out = config.output_dir / "feeds"
    for fmt in ("rss", "atom"):
        root = etree.parse(str(out / f"category/gamma.{fmt}.xml")).getroot()
        assert len(root.findall(f".//{{{FH_NS}}}complete")) == 1
        assert "prev-archive" not in {link.get("rel") for link in root.iter(f"{ATOM}link")}
        alpha = etree.parse(str(out / f"category/alpha.{fmt}.xml")).getroot()
        assert not alpha.findall(f".//{{{FH_NS}}}complete")
    assert "next_url" not in json.loads((out / "category/gamma.json").read_text("utf-8"))
    assert not (out / "archive/category/gamma").exists()


def test_every_page_is_valid(tmp_path: Path, atom_schema: etree.RelaxNG) -> None:
    config = site(tmp_path, 23, tag_feeds=True)
    build(config, now=NOW, cache=False)
    pages = sorted((config.output_dir / "feeds/archive").rglob("*.*"))
    assert len(pages) > 9
    for path in pages:
        if path.name.endswith(".json"):
            jsonschema.validate(json.loads(path.read_text("utf-8")), JSON_SCHEMA)
            continue
        parsed = feedparser.parse(path)
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        if path.name.endswith(".atom.xml"):
            assert atom_schema.validate(etree.parse(str(path))), (path, atom_schema.error_log)


def changed_files(
    before: dict[str, tuple[bytes, int]], after: dict[str, tuple[bytes, int]]
) -> set[str]:
    return {path for path in {*before, *after} if before.get(path) != after.get(path)}


def test_new_posts_rewrite_only_the_newest_page_and_the_feed(tmp_path: Path) -> None:
    config = site(tmp_path, 12)  # all: pages 1-2 full, 3 holds 2; Alpha: 5 + 1; Gamma: 4
    build(config, now=NOW)
    before = snapshot(config.output_dir)
    write_post(config.posts_dir, 12)  # Alpha and Gamma (which no longer fits its feed)
    build(config, now=NOW)
    changed = changed_files(before, snapshot(config.output_dir))
    formats = ("rss.xml", "atom.xml", "json")
    pages = (("all", 3), ("category/alpha", 2), ("category/gamma", 1))
    assert {p for p in changed if p.startswith("feeds/archive/")} == {
        f"feeds/archive/{key}/{page}.{ext}" for key, page in pages for ext in formats
    }
    touched = {f"feeds/{key}.{ext}" for key, _ in pages for ext in (*formats, "html")}
    assert {p for p in changed if not p.startswith("feeds/archive/")} == touched


def test_a_new_page_changes_only_the_page_before_it(tmp_path: Path) -> None:
    config = site(tmp_path, 10)  # all: pages 1 and 2, both full
    build(config, now=NOW)
    before = snapshot(config.output_dir)
    write_post(config.posts_dir, 10)
    build(config, now=NOW)
    after = snapshot(config.output_dir)
    archive_changes = {p for p in changed_files(before, after) if "archive/all/" in p}
    assert archive_changes == {
        "feeds/archive/all/2.rss.xml",  # gained next-archive
        "feeds/archive/all/2.atom.xml",
        *(f"feeds/archive/all/3.{ext}" for ext in ("rss.xml", "atom.xml", "json")),
    }
    assert before["feeds/archive/all/2.json"] == after["feeds/archive/all/2.json"]  # no newer link


def test_editing_an_old_post_rewrites_only_its_page(tmp_path: Path) -> None:
    config = site(tmp_path, 23)
    build(config, now=NOW)
    before = snapshot(config.output_dir)
    write_post(config.posts_dir, 7, body="An edited, longer body.")  # Beta; all page 2
    build(config, now=NOW)
    after = snapshot(config.output_dir)
    changed = {path for path in after if before.get(path) != after[path]}
    assert changed == {
        f"feeds/archive/{key}/{page}.{ext}"
        for key, page in (("all", 2), ("category/beta", 1))
        for ext in ("rss.xml", "atom.xml", "json")
    }


def test_incremental_builds_write_what_a_cold_build_writes(tmp_path: Path) -> None:
    config = site(tmp_path, 23)
    build(config, now=NOW)
    write_post(config.posts_dir, 23)
    write_post(config.posts_dir, 5, body="Edited.")
    (config.posts_dir / "p002.md").unlink()  # every later page of its feeds changes
    build(config, now=NOW)
    cold = config.replace(output_dir=tmp_path / "cold")
    build(cold, now=NOW, cache=False)
    assert {p: b for p, (b, _) in snapshot(config.output_dir).items()} == {
        p: b for p, (b, _) in snapshot(cold.output_dir).items()
    }
    manifest = json.loads((config.output_dir / ".feedbuilder-manifest.json").read_text("utf-8"))
    assert "feeds/archive/all/5.atom.xml" in manifest["files"]


def test_fewer_pages_remove_the_stale_ones(tmp_path: Path) -> None:
    config = site(tmp_path, 11)
    build(config, now=NOW)
    assert (config.output_dir / "feeds/archive/all/3.json").exists()
    (config.posts_dir / "p010.md").unlink()
    build(config, now=NOW)
    assert not (config.output_dir / "feeds/archive/all/3.json").exists()
    parsed = feedparser.parse(config.output_dir / "feeds/all.atom.xml")
    prev = [link.href for link in parsed.feed.links if link.rel == "prev-archive"]
    assert prev == [f"{FEEDS_URL}feeds/archive/all/2.atom.xml"]


def test_the_cache_keeps_unchanged_pages_unrendered(tmp_path: Path) -> None:
    config = site(tmp_path, 23)
    build(config, now=NOW)
    write_post(config.posts_dir, 23)  # Beta: the newest page of all (5) and of Beta (3)
    decider, workers, output = Decider(NOW), Workers(count=1), OutputDir(config.output_dir)
    cache, _ = Cache.open_or_reset(cache_file(config.cache_dir, config.output_dir), stamp(config))
    assert cache is not None
    try:
        listing = list_posts(config.posts_dir, False, None)
        scanned = scan(listing, config, decider, cache, workers)
        planned = plan(scanned, config, decider, cache, output)
        assert planned.archives is not None
        archived = write_archives(
            planned.archives, scanned, config, decider, cache, output, workers
        )
    finally:
        cache.close()
    assert (archived.rendered, archived.written) == (2, 2)
    assert archived.kept == len(planned.archives.pages) - 2 > 0
    assert set(archived.records) == set(planned.archives.posts)


def test_archives_are_off_by_default_and_checked(tmp_path: Path) -> None:
    config = site(tmp_path, 12, archives=False)
    assert not Config().archives and Config().archive_page_size == 100
    build(config, now=NOW, cache=False)
    assert not (config.output_dir / "feeds/archive").exists()
    assert FH_NS.encode() not in (config.output_dir / "feeds/all.atom.xml").read_bytes()
    assert "next_url" not in json.loads((config.output_dir / "feeds/all.json").read_text())
    for bad in (0, -1, "5", True):
        with pytest.raises(ConfigError, match="archive_page_size"):
            make_config({"archive_page_size": bad})
    with pytest.raises(ConfigError, match="archives"):
        make_config({"archives": "yes"})


def test_links_and_paths() -> None:
    assert ArchiveLinks("all", 0, 3).previous == 3 and ArchiveLinks("all", 0, 3).following == 0
    assert ArchiveLinks("all", 0, 0).previous == 0
    assert ArchiveLinks("all", 1, 3).previous == 0 and ArchiveLinks("all", 1, 3).following == 2
    assert ArchiveLinks("all", 3, 3).following == 0
    spec = FeedSpec(page_key("category/x", 2), "t", "d", None, ())
    assert document_path(spec.key, "json") == json_path(spec)
    for fmt in ("rss", "atom"):
        assert document_path(spec.key, fmt) == feed_path(spec, fmt)


def test_serve_caches_every_page_but_the_newest_for_a_year(tmp_path: Path) -> None:
    config = site(tmp_path, 12)
    build(config, now=NOW, cache=False)
    markers = sorted(p.name for p in (config.output_dir / "feeds/archive/all").glob(".*"))
    assert markers == [".newest-3"]
    with OutputServer(config.output_dir, port=0, quiet=True) as server:
        server.start()
        try:
            controls = {
                path: _cache_control(server.url + path)
                for path in (
                    "feeds/archive/all/1.atom.xml",
                    "feeds/archive/all/2.json",
                    "feeds/archive/all/3.rss.xml",
                    "feeds/all.atom.xml",
                )
            }
            for i in range(12, 16):
                write_post(config.posts_dir, i)
            build(config, now=NOW, cache=False)  # page 3 is full, page 4 begins
            controls["then 3"] = _cache_control(server.url + "feeds/archive/all/3.rss.xml")
            controls["then 4"] = _cache_control(server.url + "feeds/archive/all/4.rss.xml")
        finally:
            server.shutdown()
    assert controls == {
        "feeds/archive/all/1.atom.xml": "public, max-age=31536000",
        "feeds/archive/all/2.json": "public, max-age=31536000",
        "feeds/archive/all/3.rss.xml": "no-cache",
        "feeds/all.atom.xml": "no-cache",
        "then 3": "public, max-age=31536000",
        "then 4": "no-cache",
    }


def _cache_control(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.headers["Cache-Control"])


def test_pages_are_not_announced_to_a_websub_hub_nor_carry_one(tmp_path: Path) -> None:
    config = site(tmp_path, 12, websub_hub="http://127.0.0.1:9/")  # down: a warning
    build(config, now=NOW, cache=False)
    topics: list[str] = []

    def send(hub: str, form: bytes, timeout: float) -> int:
        topics.extend(parse_qs(form.decode())["hub.url"])
        return 204

    assert not announce_changes(config.output_dir, "https://hub.example/", FEEDS_URL, send=send)
    assert topics and not [topic for topic in topics if "/archive/" in topic]
    assert f"{FEEDS_URL}feeds/all.atom.xml" in topics
    page = (config.output_dir / "feeds/archive/all/1.atom.xml").read_bytes()
    assert b"127.0.0.1:9" not in page
    assert b"127.0.0.1:9" in (config.output_dir / "feeds/all.atom.xml").read_bytes()


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_a_real_reader_reads_every_document_of_the_chain(tmp_path: Path, fmt: str) -> None:
    """lemon24/reader (no RFC 5005 support of its own) given every document of the chain:
    each parses, and the pages hold every post of the feed once between them."""
    reader_module = pytest.importorskip("reader")
    config = site(tmp_path, 23)
    build(config, now=NOW, cache=False)
    out = config.output_dir
    documents = [document_path("all", fmt)]
    documents += [document_path(page_key("all", n), fmt) for n in range(5, 0, -1)]
    reader = reader_module.make_reader(str(tmp_path / "reader.sqlite"), feed_root=str(out))
    try:
        for document in documents:
            reader.add_feed(document)
        reader.update_feeds(scheduled=False)
        ids: dict[str, list[str]] = {}
        for document in documents:
            feed = reader.get_feed(document)
            assert feed.last_exception is None, (document, feed.last_exception)
            ids[document] = [entry.id for entry in reader.get_entries(feed=document)]
    finally:
        reader.close()
    history = [post_id for document in documents[1:] for post_id in ids[document]]
    assert len(history) == len(set(history)) == 23
    assert set(ids[documents[0]]) <= set(history) and len(ids[documents[0]]) == 4


def test_a_saved_query_has_archives_unless_it_is_a_window_of_days(tmp_path: Path) -> None:
    config = site(
        tmp_path,
        23,
        feeds={"gamma": {"categories": ["Gamma"]}, "recent": {"max_age_days": 3650}},
    )
    build(config, now=NOW, cache=False)
    out = config.output_dir
    first, pages = walk_xml(out, document_path("query/gamma", "atom"))
    history = [post_id for page in pages for post_id in page]
    assert sorted(history) == sorted(post_ids(config, "Gamma")) and set(first) <= set(history)
    recent = feedparser.parse(out / document_path("query/recent", "atom"))
    assert not [link for link in recent.feed.get("links", []) if link.rel == "prev-archive"]
    assert not (out / "feeds" / "archive" / "query" / "recent").exists()
