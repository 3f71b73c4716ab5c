"""The feeds page (index.html) and the stylesheet that makes feeds readable in a browser."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from lxml import etree, html

from feedbuilder.config import make_config
from feedbuilder.models import Category, FeedSpec
from feedbuilder.pipeline import build
from feedbuilder.site.catalog import FeedEntry, _tree

from .sitecorpus import CATEGORY_NAMES, POSTS, build_corpus


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    build_corpus(root)
    return root / "out"


def page(out: Path) -> html.HtmlElement:
    return html.fromstring((out / "index.html").read_bytes())


def rows(out: Path) -> dict[str, html.HtmlElement]:
    return {
        row.xpath("string(.//span[@class='name'])"): row
        for row in page(out).xpath("//div[@class='feed']")
    }


def test_every_category_with_count_newest_date_and_links(out: Path) -> None:
    found = rows(out)
    assert set(CATEGORY_NAMES) <= set(found)
    counts = {name: sum(name in cats for _, _, cats, _, _ in POSTS) for name in CATEGORY_NAMES}
    for name in CATEGORY_NAMES:
        meta = found[name].findtext(".//span[@class='meta']")
        assert meta.startswith(f"{counts[name]} post"), (name, meta)
        links = {a.text: a.get("href") for a in found[name].xpath(".//span[@class='links']/a")}
        assert set(links) == {"RSS", "Atom", "JSON"}
        (page_link,) = found[name].xpath(".//span[@class='name']/a/@href")
        assert page_link == links["RSS"].replace(".rss.xml", ".html")
        for href in [*links.values(), page_link]:
            assert (out / href).is_file(), href
    # 金融 holds a1 (2024-03-01 09:00) and a2 (03-02 10:30): the newer one, in site time
    assert found["金融"].findtext(".//span[@class='meta']").endswith("newest 2024-03-02 10:30")


def test_hierarchy_is_a_tree(out: Path) -> None:
    doc = page(out)

    def parent_name(name: str) -> list[str]:
        return [
            parent.text_content()
            for parent in doc.xpath(
                "//li[div/span[@class='name']=$n]/parent::ul/parent::li/div/span[@class='name']",
                n=name,
            )
        ]

    assert parent_name("银行") == ["金融"]
    assert parent_name("股市") == ["金融"]
    assert parent_name("开源") == ["科技"]
    assert parent_name("金融") == [] and parent_name("生活") == []


def test_autodiscovery_and_opml_link(out: Path) -> None:
    doc = page(out)
    found = {
        link.get("type"): link.get("href") for link in doc.xpath("//head/link[@rel='alternate']")
    }
    assert found == {
        "application/rss+xml": "feeds/all.rss.xml",
        "application/atom+xml": "feeds/all.atom.xml",
        "application/feed+json": "feeds/all.json",
    }
    (opml,) = doc.xpath("//a[@type='text/x-opml']/@href")
    assert (out / opml).is_file()


def test_page_uses_no_external_resources(out: Path) -> None:
    doc = page(out)
    assert not doc.xpath("//script | //iframe | //link[@rel='stylesheet'] | //img")
    for href in doc.xpath("//@href | //@src"):
        assert "://" not in href and not href.startswith("//"), href


def test_names_are_escaped(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "x.md").write_text(
        "---\ntitle: x\ndate: 2024-01-01\ncategories: '<script>alert(1)</script>'\n---\nbody\n",
        encoding="utf-8",
    )
    config = make_config({"posts_dir": str(posts), "output_dir": str(tmp_path / "out")})
    build(config)
    text = (tmp_path / "out/index.html").read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_category_cycle_still_lists_every_category() -> None:
    a = Category("A", "a", (("B",),))
    b = Category("B", "b", (("A",),))
    entries = [FeedEntry(FeedSpec(f"category/{c.slug}", c.name, "", c, ())) for c in (a, b)]
    tree = _tree(entries)

    def flatten(nodes: list[FeedEntry]) -> list[str]:
        return [name for n in nodes for name in [n.name, *flatten(n.children)]]

    assert set(flatten(tree)) == {"A", "B"}


@pytest.fixture(scope="module")
def out_with_xsl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site-xsl")
    build_corpus(root, feed_xsl=True)
    return root / "out"


@pytest.mark.parametrize("feed", ["feeds/all.rss.xml", "feeds/category/jin-rong.atom.xml"])
def test_stylesheet_shows_title_subscribe_url_items_dates_thumbnails(
    out_with_xsl: Path, feed: str
) -> None:
    path = out_with_xsl / feed
    doc = etree.parse(str(path))
    (pi,) = [n for n in doc.xpath("/processing-instruction('xml-stylesheet')")]
    xsl = etree.parse(str((path.parent / pi.get("href")).resolve()))
    result = html.fromstring(str(etree.XSLT(xsl)(doc)))
    parsed = feedparser.parse(path.read_bytes())
    assert result.findtext(".//h1") == parsed.feed.title
    assert result.findtext(".//code[@class='feed-url']") == f"https://example.com/{feed}"
    items = result.xpath("//li[@class='item']")
    assert [i.findtext(".//h2/a") for i in items] == [e.title for e in parsed.entries]
    assert [i.xpath(".//h2/a/@href")[0] for i in items] == [e.link for e in parsed.entries]
    for item in items:
        assert item.findtext(".//div[@class='date']").strip()
    thumbs = [i.xpath(".//img/@src") for i in items]
    expected = [[t["url"] for t in e.get("media_thumbnail", [])] for e in parsed.entries]
    assert thumbs == expected and any(thumbs)
