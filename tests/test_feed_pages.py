"""Each feed's page for people (``feeds/<key>.html``): what a browser without XSLT shows."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from lxml import html

from feedbuilder.pipeline import build

from .sitecorpus import NOW, build_corpus


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pages")
    build_corpus(root)
    return root / "out"


@pytest.mark.parametrize("key", ["all", "category/jin-rong", "category/sheng-huo"])
def test_page_shows_the_feeds_items_and_subscribe_urls(out: Path, key: str) -> None:
    doc = html.fromstring((out / f"feeds/{key}.html").read_bytes())
    atom = feedparser.parse(out / f"feeds/{key}.atom.xml")
    assert doc.findtext(".//h1") == atom.feed.title
    items = doc.xpath("//li[@class='item']")
    assert [i.xpath("string(.//h2/a)") for i in items] == [e.title for e in atom.entries]
    assert [i.xpath(".//h2/a/@href")[0] for i in items] == [e.link for e in atom.entries]
    assert [i.findtext(".//p[@class='summary']") for i in items] == [
        e.summary for e in atom.entries
    ]
    thumbs = [i.xpath(".//img/@src") for i in items]
    assert thumbs == [[t["url"] for t in e.get("media_thumbnail", [])] for e in atom.entries]
    urls = doc.xpath("//code[@class='feed-url']/text()")
    assert urls == [
        f"https://example.com/feeds/{key}.{ext}" for ext in ("rss.xml", "atom.xml", "json")
    ]
    alternates = doc.xpath("//head/link[@rel='alternate']/@href")
    assert alternates == urls
    (home,) = doc.xpath("//nav/a/@href")
    assert (out / f"feeds/{key}.html").parent.joinpath(home).resolve() == (out / "index.html")


def test_dates_are_in_the_sites_zone_and_markup_in_titles_is_text(out: Path) -> None:
    doc = html.fromstring((out / "feeds/category/sheng-huo.html").read_bytes())
    (item,) = doc.xpath("//li[@class='item']")
    time = item.find(".//time")
    assert time is not None
    # 2024-01-15 12:00 in Asia/Shanghai, as written: shown so, machine-readable with its offset
    assert (time.text, time.get("datetime")) == ("2024-01-15 12:00", "2024-01-15T12:00:00+08:00")
    assert item.xpath("string(.//h2/a)") == "茶道 <b>入门</b>"
    assert not item.xpath(".//h2//b")


def test_pages_need_no_external_resources_and_no_script_to_read(out: Path) -> None:
    doc = html.fromstring((out / "feeds/all.html").read_bytes())
    assert not doc.xpath("//script[@src] | //link[@rel='stylesheet'] | //iframe | //@style")
    # the copy buttons appear only when the (inline) script runs; the URLs are there without it
    assert all(b.get("hidden") is not None for b in doc.xpath("//button"))
    for src in doc.xpath("//img/@src"):
        assert src.startswith("https://example.com/img/")  # only the posts' own thumbnails


def test_pages_off_when_asked(tmp_path: Path) -> None:
    build_corpus(tmp_path, feed_pages=False)
    out = tmp_path / "out"
    assert not list((out / "feeds").rglob("*.html"))
    doc = html.fromstring((out / "index.html").read_bytes())
    assert not doc.xpath("//span[@class='name']/a")


def test_a_deleted_page_is_written_again_by_a_cached_rebuild(tmp_path: Path) -> None:
    config = build_corpus(tmp_path)
    page = tmp_path / "out/feeds/category/jin-rong.html"
    before = page.read_bytes()
    page.unlink()
    report = build(config, now=NOW)
    assert page.read_bytes() == before and report.feeds_written >= 1
