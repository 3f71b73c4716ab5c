"""Full-history archives (RFC 5005, issue 14.1): every feed's history as archive pages cut
where its posts say, chained from the subscription feed, left alone by new posts, and
rewritten only around an old post that is deleted, edited or moved."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterable
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
from feedbuilder.feeds.archives import FH_NS, FIRST_PAGE, document_path, page_key, page_limits
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
FORMATS = ("rss", "atom", "json")
LEAST, MOST = page_limits(5)  # the fewest and most posts of a finished page in site()


def write_post(
    posts: Path, i: int, body: str = "", hours: float | None = None, declared: bool = False
) -> Path:
    """Post ``i``, dated ``i`` hours after START (or ``hours``); ``declared``: with an ``id``
    of its own, which a new date leaves alone (else the id is the permalink, dated)."""
    categories = [CATEGORIES[i % 2], *(["Gamma"] if i % 3 == 0 else [])]
    date = (START + timedelta(hours=i if hours is None else hours)).isoformat()
    post_id = f"\nid: post-{i}" if declared else ""
    return make_post(
        posts,
        f"p{i:03}.md",
        f"title: Post {i}\ndate: {date}\ncategories: {json.dumps(categories)}{post_id}",
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
    """The subscription document's entry ids, and each archive page's (newest page first),
    following ``prev-archive`` with feedparser as a reader would."""
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


def chain(out: Path, feed_key: str) -> list[tuple[str, list[int]]]:
    """A feed's archive pages, oldest first: each one's name and its posts' numbers (newest
    first, from their titles), as ``prev-archive`` from the subscription Atom feed finds them."""
    pages: list[tuple[str, list[int]]] = []
    parsed = feedparser.parse(out / document_path(feed_key, "atom"))
    while prev := [
        link.href for link in parsed.feed.get("links", []) if link.rel == "prev-archive"
    ]:
        assert len(pages) < 1000, "a loop in the chain"
        parsed = feedparser.parse(local(out, prev[0]))
        numbers = [int(e.title.removeprefix("Post ")) for e in parsed.entries]
        pages.append((prev[0].rsplit("/", 1)[1].removesuffix(".atom.xml"), numbers))
    return pages[::-1]


def page_names(out: Path, feed_key: str) -> list[str]:
    return [name for name, _ in chain(out, feed_key)]


def page_holding(out: Path, feed_key: str, number: int) -> str:
    """The name of the page of a feed that holds post ``number``."""
    return next(name for name, numbers in chain(out, feed_key) if number in numbers)


def page_files(feed_key: str, names: Iterable[str]) -> set[str]:
    """Every file of the pages ``names`` of a feed."""
    return {document_path(page_key(feed_key, name), fmt) for name in names for fmt in FORMATS}


def feeds_of(number: int) -> list[str]:
    """The feeds post ``number`` is in (not tags: site() has none)."""
    categories = [CATEGORIES[number % 2], *(["Gamma"] if number % 3 == 0 else [])]
    return ["all", *(f"category/{name.lower()}" for name in categories)]


def post_ids(config: Config, category: str | None = None) -> set[str]:
    metas = scan_posts(config, now=NOW).metas(scan_posts(config, now=NOW).refs)
    return {m.id for m in metas if category is None or category in m.category_names()}


def changed_files(
    before: dict[str, tuple[bytes, int]], after: dict[str, tuple[bytes, int]]
) -> set[str]:
    """Files written, removed or created between two snapshots."""
    return {path for path in {*before, *after} if before.get(path) != after.get(path)}


@pytest.mark.parametrize("fmt", FORMATS)
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
        newest, *older = pages
        assert 0 < len(newest) <= MOST and all(LEAST <= len(p) <= MOST for p in older), key


def test_pages_run_from_the_oldest_and_are_named_after_where_they_start(tmp_path: Path) -> None:
    config = site(tmp_path, 23)
    build(config, now=NOW, cache=False)
    out = config.output_dir
    pages = chain(out, "all")
    history = [number for _, page in pages for number in reversed(page)]
    assert history == list(range(23))  # in publication order
    names = [name for name, _ in pages]
    assert len(names) >= 3 and names[0] == FIRST_PAGE
    assert all(re.fullmatch(r"20240101-[0-9a-f]{12}", name) for name in names[1:])  # its day
    assert len(set(names)) == len(names)
    for fmt in ("rss", "atom"):
        middle = etree.parse(str(out / document_path(page_key("all", names[1]), fmt))).getroot()
        rels = {
            link.get("rel"): link.get("href")
            for link in middle.iter(f"{ATOM}link")
            if link.get("rel")
        }
        assert rels["current"] == f"{FEEDS_URL}feeds/all.{fmt}.xml"
        assert rels["prev-archive"] == f"{FEEDS_URL}feeds/archive/all/first.{fmt}.xml"
        assert rels["next-archive"] == f"{FEEDS_URL}feeds/archive/all/{names[2]}.{fmt}.xml"
        assert len(middle.findall(f".//{{{FH_NS}}}archive")) == 1
        newest = etree.parse(str(out / document_path(page_key("all", names[-1]), fmt))).getroot()
        assert "next-archive" not in {link.get("rel") for link in newest.iter(f"{ATOM}link")}
        subscription = etree.parse(str(out / f"feeds/all.{fmt}.xml")).getroot()
        assert not subscription.findall(f".//{{{FH_NS}}}archive")
    atom_page = etree.parse(str(out / document_path(page_key("all", names[1]), "atom")))
    assert atom_page.getroot().findtext(f"{ATOM}id") == f"{FEEDS_URL}feeds/all.atom.xml"


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


def test_new_posts_rewrite_only_the_newest_page_and_the_feed(tmp_path: Path) -> None:
    config = site(tmp_path, 12)  # Gamma: 4 posts, complete
    out = config.output_dir
    build(config, now=NOW)
    before, names = snapshot(out), {key: page_names(out, key) for key in ("all", "category/alpha")}
    write_post(config.posts_dir, 12)  # Alpha and Gamma (which no longer fits its feed)
    build(config, now=NOW)
    changed = changed_files(before, snapshot(out))
    allowed = page_files("category/gamma", page_names(out, "category/gamma"))
    for key, old in names.items():
        new = page_names(out, key)
        assert new[: len(old) - 1] == old[:-1]  # no older page moved
        assert page_files(key, new[-1:]) <= changed  # the newest page grew, or one began
        allowed |= page_files(key, set(new) - set(old[:-1]))
    assert {p for p in changed if p.startswith("feeds/archive/")} <= allowed
    touched = {
        f"feeds/{key}.{ext}"
        for key in ("all", "category/alpha", "category/gamma")
        for ext in ("rss.xml", "atom.xml", "json", "html")
    }
    assert {p for p in changed if not p.startswith("feeds/archive/")} == touched


def test_a_new_page_changes_only_the_page_before_it(tmp_path: Path) -> None:
    config = site(tmp_path, 10)
    out = config.output_dir
    build(config, now=NOW)
    old = page_names(out, "all")
    for i in range(10, 10 + MOST + 1):  # a page holds at most MOST posts
        before = snapshot(out)
        write_post(config.posts_dir, i)
        build(config, now=NOW)
        if len(new := page_names(out, "all")) > len(old):
            break
    else:
        pytest.fail("no page began")
    assert new[:-1] == old
    after = snapshot(out)
    previous = page_key("all", old[-1])
    assert (
        {p for p in changed_files(before, after) if "archive/all/" in p}
        == {
            document_path(previous, "rss"),  # gained next-archive
            document_path(previous, "atom"),
            *page_files("all", new[-1:]),
        }
    )
    assert before[document_path(previous, "json")] == after[document_path(previous, "json")]


@pytest.mark.parametrize("cache", [True, False])
def test_deleting_an_old_post_rewrites_only_its_page(tmp_path: Path, cache: bool) -> None:
    config = site(tmp_path, 60)
    out = config.output_dir
    build(config, now=NOW, cache=cache)
    pages = chain(out, "all")
    number = next(numbers[1] for _, numbers in pages[len(pages) // 2 :] if len(numbers) > 1)
    feeds = feeds_of(number)  # it does not end its page: no cut moves
    names = {key: page_names(out, key) for key in feeds}
    expected = {p for key in feeds for p in page_files(key, [page_holding(out, key, number)])}
    before = snapshot(out)
    (config.posts_dir / f"p{number:03}.md").unlink()
    build(config, now=NOW, cache=cache)
    assert {key: page_names(out, key) for key in feeds} == names  # no page moved
    assert changed_files(before, snapshot(out)) == expected
    assert number not in {n for _, numbers in chain(out, "all") for n in numbers}


@pytest.mark.parametrize("cache", [True, False])
def test_deleting_the_post_that_ends_a_page_merges_it_with_the_next(
    tmp_path: Path, cache: bool
) -> None:
    """Its page takes in the next one, and the page after those links to it: no page after
    them moves or changes."""
    config = site(tmp_path, 60)
    out = config.output_dir
    build(config, now=NOW, cache=cache)
    pages = chain(out, "all")
    middle = len(pages) // 2
    names = [name for name, _ in pages]
    number = pages[middle][1][0]  # the newest of its page: where it ends
    before = snapshot(out)
    (config.posts_dir / f"p{number:03}.md").unlink()
    build(config, now=NOW, cache=cache)
    assert page_names(out, "all") == names[: middle + 1] + names[middle + 2 :]
    changed = {p for p in changed_files(before, snapshot(out)) if "archive/all/" in p}
    assert changed == page_files("all", names[middle : middle + 3])  # the next one is gone
    assert not (out / document_path(page_key("all", names[middle + 1]), "json")).exists()


@pytest.mark.parametrize("cache", [True, False])
def test_editing_an_old_post_rewrites_only_its_page(tmp_path: Path, cache: bool) -> None:
    config = site(tmp_path, 23)
    out = config.output_dir
    build(config, now=NOW, cache=cache)
    expected = {p for key in feeds_of(7) for p in page_files(key, [page_holding(out, key, 7)])}
    before = snapshot(out)
    write_post(config.posts_dir, 7, body="An edited, longer body.")  # Beta
    build(config, now=NOW, cache=cache)
    assert changed_files(before, snapshot(out)) == expected


def test_moving_an_old_post_rewrites_only_the_pages_it_leaves_and_joins(tmp_path: Path) -> None:
    """A post given a new date (and keeping its id) leaves its page for another one."""
    config = site(tmp_path, 60)
    for i in range(60):
        write_post(config.posts_dir, i, declared=True)
    out = config.output_dir
    build(config, now=NOW)
    pages = chain(out, "all")
    number = next(numbers[1] for _, numbers in pages[1:] if len(numbers) > 1 and numbers[1] < 40)
    leaves, joins = page_holding(out, "all", number), page_holding(out, "all", 50)
    assert leaves != joins
    before = snapshot(out)
    write_post(config.posts_dir, number, hours=50.5, declared=True)  # after post 50
    build(config, now=NOW)
    changed = {p for p in changed_files(before, snapshot(out)) if "archive/all/" in p}
    assert changed == page_files("all", [leaves, joins])
    assert page_names(out, "all") == [name for name, _ in pages]
    assert page_holding(out, "all", number) == joins


def test_incremental_builds_write_what_a_cold_build_writes(tmp_path: Path) -> None:
    config = site(tmp_path, 23)
    build(config, now=NOW)
    write_post(config.posts_dir, 23)
    write_post(config.posts_dir, 5, body="Edited.")
    (config.posts_dir / "p002.md").unlink()
    write_post(config.posts_dir, 9, hours=15.5)  # moved
    build(config, now=NOW)
    cold = config.replace(output_dir=tmp_path / "cold")
    build(cold, now=NOW, cache=False)
    assert {p: b for p, (b, _) in snapshot(config.output_dir).items()} == {
        p: b for p, (b, _) in snapshot(cold.output_dir).items()
    }
    manifest = json.loads((config.output_dir / ".feedbuilder-manifest.json").read_text("utf-8"))
    assert "feeds/archive/all/first.atom.xml" in manifest["files"]


def test_fewer_pages_remove_the_stale_ones(tmp_path: Path) -> None:
    config = site(tmp_path, 23)
    out = config.output_dir
    build(config, now=NOW)
    *older, (newest, numbers) = chain(out, "all")
    for number in numbers:
        (config.posts_dir / f"p{number:03}.md").unlink()
    build(config, now=NOW)
    assert not (out / document_path(page_key("all", newest), "json")).exists()
    assert [name for name, _ in chain(out, "all")] == [name for name, _ in older]
    parsed = feedparser.parse(out / "feeds/all.atom.xml")
    prev = [link.href for link in parsed.feed.links if link.rel == "prev-archive"]
    assert prev == [f"{FEEDS_URL}{document_path(page_key('all', older[-1][0]), 'atom')}"]
    assert sorted(p.name for p in (out / "feeds/archive/all").glob(".*")) == [
        f".newest-{older[-1][0]}"
    ]


def planned_pages(config: Config) -> dict[str, FeedSpec]:
    """Every archive page's spec, as a build would plan it now."""
    planned = plan(scan_posts(config, now=NOW), config, Decider(NOW))
    assert planned.archives is not None
    return {spec.key: spec for spec in planned.archives.pages}


def test_the_cache_keeps_unchanged_pages_unrendered(tmp_path: Path) -> None:
    config = site(tmp_path, 23)
    build(config, now=NOW)
    before = planned_pages(config)
    write_post(config.posts_dir, 23)  # Beta: the newest pages of all and of Beta
    after = planned_pages(config)
    changed = {key for key, spec in after.items() if before.get(key) != spec}
    assert 2 <= len(changed) <= 4  # each newest page, and any page before a new one
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
    assert (archived.rendered, archived.written) == (len(changed), len(changed))
    assert archived.kept == len(planned.archives.pages) - len(changed) > 0
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
    assert ArchiveLinks("all").complete and not ArchiveLinks("all", previous="first").complete
    assert not ArchiveLinks("all", "first").complete  # a page is never complete
    spec = FeedSpec(page_key("category/x", "20240101-5f0c2a9d81be"), "t", "d", None, ())
    assert document_path(spec.key, "json") == json_path(spec)
    for fmt in ("rss", "atom"):
        assert document_path(spec.key, fmt) == feed_path(spec, fmt)


def test_serve_caches_every_page_but_the_newest_for_a_year(tmp_path: Path) -> None:
    config = site(tmp_path, 12)
    out = config.output_dir
    build(config, now=NOW, cache=False)
    names = page_names(out, "all")
    assert len(names) >= 3
    markers = sorted(p.name for p in (out / "feeds/archive/all").glob(".*"))
    assert markers == [f".newest-{names[-1]}"]
    paths = {
        "first": document_path(page_key("all", names[0]), "atom"),
        "middle": document_path(page_key("all", names[1]), "json"),
        "newest": document_path(page_key("all", names[-1]), "rss"),
        "feed": "feeds/all.atom.xml",
    }
    with OutputServer(out, port=0, quiet=True) as server:
        server.start()
        try:
            controls = {name: _cache_control(server.url + path) for name, path in paths.items()}
            for i in range(12, 12 + MOST + 1):
                write_post(config.posts_dir, i)
                build(config, now=NOW, cache=False)
                if len(page_names(out, "all")) > len(names):  # a page began
                    break
            newer = document_path(page_key("all", page_names(out, "all")[-1]), "rss")
            controls["then newest"] = _cache_control(server.url + paths["newest"])
            controls["then the new one"] = _cache_control(server.url + newer)
        finally:
            server.shutdown()
    assert controls == {
        "first": "public, max-age=31536000",
        "middle": "public, max-age=31536000",
        "newest": "no-cache",
        "feed": "no-cache",
        "then newest": "public, max-age=31536000",
        "then the new one": "no-cache",
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
    page = (config.output_dir / "feeds/archive/all/first.atom.xml").read_bytes()
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
    documents += [document_path(page_key("all", n), fmt) for n in page_names(out, "all")]
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
