"""feedgen 1.0.0's traps, each pinned against our renderer rather than trusted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from lxml import etree

from feedbuilder.config import Config
from feedbuilder.feeds.render import atom_id, render
from feedbuilder.models import FeedSpec, Post, PostBody, PostMeta, Thumbnail

ATOM = {"a": "http://www.w3.org/2005/Atom"}
CONFIG = Config(site_title="Site", site_url="https://example.com/")
T0 = datetime(2022, 1, 1, 12, tzinfo=UTC)


def make_post(n: int, thumb: bool = True, body_image: bool = False) -> Post:
    meta = PostMeta(
        rel_path=f"p{n}.md",
        title=f"Post {n}",
        link=f"https://example.com/p{n}/",
        id=f"https://example.com/p{n}/",
        published=T0 + timedelta(days=n),
        updated=T0 + timedelta(days=n, hours=1),
        author=None,
        categories=(("Cat",),),
        tags=("tag",),
        thumbnail=Thumbnail(f"https://img.example/{n}.png", "image/png") if thumb else None,
        given_summary=None,
        body_format="html",
    )
    image = Thumbnail("https://img.example/in-body.jpg", "image/jpeg") if body_image else None
    return Post(meta, PostBody(f"<p>Content {n}</p>", f"Summary {n}", image))


def spec(posts: list[Post]) -> FeedSpec:
    return FeedSpec("all", "Site", "All posts", None, tuple(p.meta.id for p in posts))


def test_entries_keep_our_order_not_prepended() -> None:
    posts = [make_post(3), make_post(2), make_post(1)]
    for fmt in ("rss", "atom"):
        parsed = feedparser.parse(render(spec(posts), posts, CONFIG, fmt))
        assert [e.title for e in parsed.entries] == ["Post 3", "Post 2", "Post 1"]


def test_build_date_is_the_newest_item_not_the_clock() -> None:
    posts = [make_post(2), make_post(1)]
    rss = etree.fromstring(render(spec(posts), posts, CONFIG, "rss"))
    assert rss.findtext("channel/lastBuildDate") == "Mon, 03 Jan 2022 13:00:00 +0000"
    atom = etree.fromstring(render(spec(posts), posts, CONFIG, "atom"))
    assert atom.findtext("a:updated", namespaces=ATOM) == "2022-01-03T13:00:00+00:00"
    assert render(spec(posts), posts, CONFIG, "atom") == render(spec(posts), posts, CONFIG, "atom")


def test_atom_has_summary_and_content_separately() -> None:
    posts = [make_post(1)]
    entry = etree.fromstring(render(spec(posts), posts, CONFIG, "atom")).find("a:entry", ATOM)
    assert entry is not None
    assert entry.findtext("a:summary", namespaces=ATOM) == "Summary 1"
    content = entry.find("a:content", ATOM)
    assert content is not None and content.get("type") == "html"
    assert "Content 1" in (content.text or "")


def test_rss_channel_link_is_the_site_not_self() -> None:
    rss = etree.fromstring(render(spec([]), [], CONFIG, "rss"))
    assert rss.findtext("channel/link") == "https://example.com/"


def test_atom_entry_links_keep_their_attributes() -> None:
    posts = [make_post(1)]
    entry = etree.fromstring(render(spec(posts), posts, CONFIG, "atom")).find("a:entry", ATOM)
    assert entry is not None
    links = [dict(link.attrib) for link in entry.findall("a:link", ATOM)]
    assert links == [
        {"rel": "alternate", "type": "text/html", "href": "https://example.com/p1/"},
        {
            "rel": "enclosure",
            "type": "image/png",
            "length": "0",
            "href": "https://img.example/1.png",
        },
    ]


def test_media_elements_not_grouped() -> None:
    posts = [make_post(1)]
    for fmt in ("rss", "atom"):
        text = render(spec(posts), posts, CONFIG, fmt).decode()
        assert "media:group" not in text
        assert 'media:content url="https://img.example/1.png"' in text
        assert text.count("<media:thumbnail") == 1


def test_thumbnail_leads_content_only_without_body_image() -> None:
    without = [make_post(1)]
    parsed = feedparser.parse(render(spec(without), without, CONFIG, "atom"))
    assert (
        parsed.entries[0]
        .content[0]
        .value.startswith('<p><img alt="" src="https://img.example/1.png"')
    )
    with_image = [make_post(1, body_image=True)]
    parsed = feedparser.parse(render(spec(with_image), with_image, CONFIG, "atom"))
    assert parsed.entries[0].content[0].value.startswith("<p>Content 1")
    no_thumb_config = CONFIG.replace(thumbnail_in_content=False)
    parsed = feedparser.parse(render(spec(without), without, no_thumb_config, "atom"))
    assert parsed.entries[0].content[0].value.startswith("<p>Content 1")


def test_empty_feed_is_valid_and_stable() -> None:
    atom = feedparser.parse(render(spec([]), [], CONFIG, "atom"))
    assert not atom.bozo and atom.entries == []


def test_atom_ids_are_iris() -> None:
    assert atom_id("https://example.com/x/") == "https://example.com/x/"
    assert atom_id("7f3c2a9e-4b1d-4c8e-9a55-0d2e6b1f8c11") == (
        "urn:uuid:7f3c2a9e-4b1d-4c8e-9a55-0d2e6b1f8c11"
    )
    assert atom_id("post 42").startswith("urn:uuid:")
    assert atom_id("post 42") == atom_id("post 42")


def test_feedgen_rejects_naive_datetimes_so_we_never_pass_one() -> None:
    """feedgen raises on naive datetimes; parse_date always returns aware ones (test_dates)."""
    naive = make_post(1)
    naive = Post(naive.meta.replace(published=datetime(2022, 1, 1)), naive.body)
    with pytest.raises(ValueError, match="timezone"):
        render(spec([naive]), [naive], CONFIG, "atom")
