"""Output formats: JSON Feed 1.1, OPML 2.0, tag feeds, category settings, WebSub, poll hints."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import listparser
import pytest
from lxml import etree

from feedbuilder.config import ConfigError, make_config
from feedbuilder.feeds.decorate import stylesheet_href, update_hint
from feedbuilder.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
POSTS = ROOT / "posts"
SCHEMA = json.loads((ROOT / "tests/schemas/jsonfeed-1.1.schema.json").read_text(encoding="utf-8"))
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def build_site(tmp_path: Path, **settings: Any) -> Path:
    values = {
        "site_url": "https://example.com/",
        "timezone": "Asia/Shanghai",
        "posts_dir": str(POSTS),
        "output_dir": str(tmp_path / "out"),
        **settings,
    }
    config = make_config(values)
    build(config, now=NOW)
    return config.output_dir


def feeds(out: Path, pattern: str) -> list[Path]:
    found = sorted((out / "feeds").rglob(pattern))
    assert found, f"no {pattern} written"
    return found


def test_json_feeds_are_valid_json_feed_1_1(tmp_path: Path) -> None:
    out = build_site(tmp_path)
    validator = jsonschema.Draft7Validator(SCHEMA)
    for path in feeds(out, "*.json"):
        errors = list(validator.iter_errors(json.loads(path.read_bytes())))
        assert not errors, f"{path}: {errors[0].message}"


def test_schema_rejects_what_the_spec_forbids() -> None:
    validator = jsonschema.Draft7Validator(SCHEMA)
    good = {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": []}
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "version": "1.1"})
    assert not validator.is_valid({**good, "items": [{"id": "x"}]})  # no content
    assert not validator.is_valid(
        {**good, "items": [{"id": "x", "content_html": "", "date_published": "yesterday"}]}
    )


def test_json_item_carries_every_field_of_the_rss_item(tmp_path: Path) -> None:
    out = build_site(tmp_path)
    data = json.loads((out / "feeds/all.json").read_bytes())
    rss = feedparser.parse((out / "feeds/all.rss.xml").read_bytes())
    assert data["feed_url"] == "https://example.com/feeds/all.json"
    assert [i["id"] for i in data["items"]] == [e.id for e in rss.entries]
    with_image = [i for i in data["items"] if "image" in i]
    assert with_image, "the sample posts have thumbnails"
    for item in data["items"]:
        assert {"content_html", "date_published", "date_modified", "authors"} <= item.keys()
        published = datetime.fromisoformat(item["date_published"])
        assert published.utcoffset() is not None
    assert any(item.get("tags") for item in data["items"])


def test_builds_are_byte_identical(tmp_path: Path) -> None:
    first = build_site(tmp_path / "a")
    second = build_site(tmp_path / "b")
    names = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in names:
        if name.name.startswith(".feedbuilder"):
            continue
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_formats_setting_chooses_what_is_written(tmp_path: Path) -> None:
    out = build_site(tmp_path, formats=["json"])
    assert not list((out / "feeds").rglob("*.xml"))
    assert not (out / "feeds/feed.xsl").exists()
    assert (out / "feeds/all.json").is_file()
    opml = listparser.parse((out / "feeds/index.opml").read_bytes())
    assert all(f.url.endswith(".json") for f in opml.feeds)


@pytest.mark.parametrize("formats", [[], ["rss", "rss"], ["rdf"], "rss"])
def test_bad_formats_setting_is_a_config_error(formats: Any) -> None:
    with pytest.raises(ConfigError, match="formats"):
        make_config({"formats": formats})


def test_opml_lists_every_feed_once_in_atom_and_all_formats_apart(tmp_path: Path) -> None:
    out = build_site(tmp_path)
    result = listparser.parse((out / "feeds/index.opml").read_bytes())
    assert not result.bozo, result.get("bozo_exception")
    atom_files = [f"https://example.com/{p.relative_to(out)}" for p in feeds(out, "*.atom.xml")]
    assert sorted(f.url for f in result.feeds) == sorted(atom_files)  # each once
    titles = {feedparser.parse(p.read_bytes()).feed.title for p in feeds(out, "*.atom.xml")}
    assert {f.title for f in result.feeds} == titles
    every = listparser.parse((out / "feeds/index-all-formats.opml").read_bytes())
    all_files = [f"https://example.com/{p.relative_to(out)}" for p in feeds(out, "*.*")]
    written = [url for url in all_files if url.endswith((".xml", ".json"))]
    assert sorted(f.url for f in every.feeds) == sorted(written)


def test_opml_nests_feeds_by_category_hierarchy(tmp_path: Path) -> None:
    out = build_site(tmp_path, opml_format="rss")
    doc = etree.parse(str(out / "feeds/index.opml"))
    (finance,) = doc.xpath("/opml/body/outline[@text='金融']")
    assert finance.get("xmlUrl") is None  # a folder, holding its own feed first
    own, *children = finance.xpath("outline")
    assert own.get("xmlUrl") == "https://example.com/feeds/category/jin-rong.rss.xml"
    assert {"股市", "宏观"} <= {c.get("text").rsplit(" – ", 1)[-1] for c in children}
    (everything,) = doc.xpath("/opml/body/outline[1]")
    assert everything.get("xmlUrl") == "https://example.com/feeds/all.rss.xml"


def test_tag_feeds_are_off_by_default_and_on_when_asked(tmp_path: Path) -> None:
    assert not (build_site(tmp_path / "off") / "feeds/tag").exists()
    out = build_site(tmp_path / "on", tag_feeds=True)
    tag_feeds = feeds(out, "tag/*.rss.xml")
    for path in tag_feeds:
        parsed = feedparser.parse(path.read_bytes())
        tag = parsed.feed.title.rsplit("#", 1)[1]
        assert parsed.entries
        assert all(tag in {t.term for t in e.tags} for e in parsed.entries)
    assert len(tag_feeds) == len(list((out / "feeds/tag").glob("*.json")))


def test_category_settings_override_title_description_and_count(tmp_path: Path) -> None:
    plain = feedparser.parse(build_site(tmp_path / "a") / "feeds/category/jin-rong.rss.xml")
    assert len(plain.entries) > 1
    out = build_site(
        tmp_path / "b",
        categories={"金融": {"title": "Money", "description": "Finance only", "items_per_feed": 1}},
    )
    parsed = feedparser.parse(out / "feeds/category/jin-rong.rss.xml")
    assert (parsed.feed.title, parsed.feed.subtitle) == ("Money", "Finance only")
    assert [e.id for e in parsed.entries] == [plain.entries[0].id]
    other = feedparser.parse(out / "feeds/category/gu-shi.rss.xml")
    assert "Money" not in other.feed.title


@pytest.mark.parametrize(
    "categories",
    [{"金融": "x"}, {"金融": {"colour": "red"}}, {"金融": {"items_per_feed": 0}}, ["金融"]],
)
def test_bad_category_settings_are_config_errors(categories: Any) -> None:
    with pytest.raises(ConfigError, match="categories"):
        make_config({"categories": categories})


def test_hub_and_refresh_hints(tmp_path: Path) -> None:
    hub = "https://hub.example.net/"
    out = build_site(tmp_path, websub_hub=hub, refresh_minutes=15)
    rss = feedparser.parse(out / "feeds/all.rss.xml")
    atom = feedparser.parse(out / "feeds/all.atom.xml")
    for parsed in (rss, atom):
        assert not parsed.bozo
        assert [link.href for link in parsed.feed.links if link.rel == "hub"] == [hub]
    assert rss.feed.ttl == "15"
    assert (rss.feed.sy_updateperiod, rss.feed.sy_updatefrequency) == ("hourly", "4")
    data = json.loads((out / "feeds/all.json").read_bytes())
    assert data["hubs"] == [{"type": "WebSub", "url": hub}]
    bare = (build_site(tmp_path / "bare") / "feeds/all.rss.xml").read_text(encoding="utf-8")
    assert "<ttl>" not in bare and "hub" not in bare and "sy:" not in bare


@pytest.mark.parametrize(
    ("minutes", "hint"),
    [
        (1, ("hourly", 60)),
        (15, ("hourly", 4)),
        (60, ("hourly", 1)),
        (90, ("daily", 16)),
        (1440, ("daily", 1)),
        (100000, ("weekly", 1)),
    ],
)
def test_update_hint(minutes: int, hint: tuple[str, int]) -> None:
    assert update_hint(minutes) == hint


def test_no_stylesheet_by_default(tmp_path: Path) -> None:
    out = build_site(tmp_path)
    assert not (out / "feeds/feed.xsl").exists()
    for path in feeds(out, "*.xml"):
        assert b"xml-stylesheet" not in path.read_bytes(), path


def test_every_xml_feed_points_at_the_stylesheet_when_asked(tmp_path: Path) -> None:
    out = build_site(tmp_path, feed_xsl=True)
    xsl = out / "feeds/feed.xsl"
    assert xsl.is_file()
    for path in feeds(out, "*.xml"):
        rel = path.relative_to(out).as_posix()
        head = path.read_text(encoding="utf-8").splitlines()[1]
        assert head == f'<?xml-stylesheet type="text/xsl" href="{stylesheet_href(rel)}"?>'
        assert (path.parent / stylesheet_href(rel)).resolve() == xsl.resolve()
        assert not feedparser.parse(path.read_bytes()).bozo, path
