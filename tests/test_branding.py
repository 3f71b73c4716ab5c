"""Icons, logos, Feedly's webfeeds elements, and images that load in web readers (proxy and
referrer policy on everything feedbuilder itself puts out: thumbnails, Media RSS, enclosures,
JSON ``image``, the pages)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree, html

from feedbuilder.config import ConfigError, make_config

from .sitecorpus import build_corpus

ATOM = "{http://www.w3.org/2005/Atom}"
WEBFEEDS = "{http://webfeeds.org/rss/1.0}"
ICON = "https://cdn.example.net/icon.png"
LOGO = "https://cdn.example.net/logo.png"
PROXY = "https://proxy.example.org/img?u={url_encoded}"


def build(tmp_path: Path, **settings: Any) -> Path:
    build_corpus(tmp_path, **settings)
    return tmp_path / "out"


def test_icons_and_logos_in_every_format_with_category_overrides(tmp_path: Path) -> None:
    finance_icon = "https://cdn.example.net/finance.png"
    out = build(
        tmp_path,
        icon=ICON,
        logo=LOGO,
        accent_color="0a7d5e",
        cover_image="https://cdn.example.net/cover.jpg",
        categories={"金融": {"icon": finance_icon}},
    )
    atom = etree.parse(str(out / "feeds/all.atom.xml")).getroot()
    assert (atom.findtext(f"{ATOM}icon"), atom.findtext(f"{ATOM}logo")) == (ICON, LOGO)
    channel = etree.parse(str(out / "feeds/all.rss.xml")).getroot().find("channel")
    assert channel is not None
    image = channel.find("image")
    assert image is not None
    assert [image.findtext(k) for k in ("url", "title", "link")] == [
        LOGO,
        channel.findtext("title"),
        channel.findtext("link"),
    ]
    for root in (atom, channel):
        assert root.findtext(f"{WEBFEEDS}icon") == ICON
        assert root.findtext(f"{WEBFEEDS}logo") == LOGO
        assert root.findtext(f"{WEBFEEDS}accentColor") == "0a7d5e"
        cover = root.find(f"{WEBFEEDS}cover")
        assert cover is not None and cover.get("image") == "https://cdn.example.net/cover.jpg"
    data = json.loads((out / "feeds/all.json").read_bytes())
    assert (data["icon"], data["favicon"]) == (ICON, ICON)
    finance = feedparser.parse(out / "feeds/category/jin-rong.atom.xml")
    assert not finance.bozo and finance.feed.icon == finance_icon
    assert json.loads((out / "feeds/category/jin-rong.json").read_bytes())["icon"] == finance_icon
    other = feedparser.parse(out / "feeds/category/sheng-huo.atom.xml")
    assert other.feed.icon == ICON
    assert "--accent: #0a7d5e" in (out / "index.html").read_text(encoding="utf-8")


def test_rss_image_falls_back_to_the_icon_and_nothing_without_either(tmp_path: Path) -> None:
    out = build(tmp_path / "icon", icon=ICON)
    rss = feedparser.parse(out / "feeds/all.rss.xml")
    assert rss.feed.image.href == ICON
    bare = (build(tmp_path / "bare") / "feeds/all.rss.xml").read_bytes()
    assert b"<image>" not in bare and b"webfeeds" not in bare


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"icon": "icon.png"}, "icon"),
        ({"logo": "ftp://x/logo.png"}, "logo"),
        ({"cover_image": "//x/c.jpg"}, "cover_image"),
        ({"accent_color": "#c2410c"}, "accent_color"),
        ({"accent_color": "red"}, "accent_color"),
        ({"categories": {"金融": {"icon": "/i.png"}}}, "categories.金融.icon"),
        ({"opml_format": "rdf"}, "opml_format"),
    ],
)
def test_bad_branding_settings_are_config_errors(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=f"^{key}:"):
        make_config(settings)


def test_every_image_feedbuilder_puts_out_goes_through_the_proxy(tmp_path: Path) -> None:
    out = build(tmp_path, image_proxy=PROXY)
    rss = etree.parse(str(out / "feeds/all.rss.xml")).getroot()
    media = "{http://search.yahoo.com/mrss/}"
    urls = [
        *rss.xpath("//enclosure/@url"),
        *rss.xpath("//*[local-name()='thumbnail' or local-name()='content']/@url"),
    ]
    atom = etree.parse(str(out / "feeds/all.atom.xml")).getroot()
    urls += atom.xpath("//a:link[@rel='enclosure']/@href", namespaces={"a": ATOM[1:-1]})
    data = json.loads((out / "feeds/all.json").read_bytes())
    urls += [item["image"] for item in data["items"] if "image" in item]
    page = html.fromstring((out / "feeds/all.html").read_bytes())
    urls += page.xpath("//img/@src")
    assert len(urls) >= 3 * 5 and rss.find(f".//{media}thumbnail") is not None
    assert all(u.startswith("https://proxy.example.org/img?u=https%3A%2F%2F") for u in urls), urls


def first_content(atom: Path) -> str:
    """The first entry's content as written (feedparser's sanitiser drops referrerpolicy)."""
    return etree.parse(str(atom)).getroot().findtext(f"{ATOM}entry/{ATOM}content") or ""


def test_thumbnails_atop_content_and_pages_carry_the_referrer_policy(tmp_path: Path) -> None:
    out = build(tmp_path)
    content = first_content(out / "feeds/all.atom.xml")
    assert content.startswith("<p><img") and 'referrerpolicy="no-referrer"' in content
    for name in ("index.html", "feeds/all.html", "feeds/category/jin-rong.html"):
        doc = html.fromstring((out / name).read_bytes())
        assert doc.xpath("//head/meta[@name='referrer']/@content") == ["no-referrer"], name
        assert all(img.get("referrerpolicy") == "no-referrer" for img in doc.iter("img"))
    out = build(tmp_path / "none", image_referrer_policy="")
    doc = html.fromstring((out / "feeds/all.html").read_bytes())
    assert not doc.xpath("//meta[@name='referrer'] | //img[@referrerpolicy]")
    assert "referrerpolicy" not in first_content(out / "feeds/all.atom.xml")
