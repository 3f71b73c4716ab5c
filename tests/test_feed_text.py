"""Summaries and titles are plain text, escaped once for each format: what a reader decodes
from them never turns into markup.

- RSS ``<description>`` is read as HTML by every reader, so it carries the summary as
  entity-escaped text: decoding it as HTML gives the text back, never an element.
- Atom ``<summary>``/``<title>`` are ``type="text"`` and JSON Feed's ``summary``/``title`` are
  plain text by their specs: the text itself, escaped once by XML or JSON.
- RSS ``<title>`` is plain text too (the RSS Best Practices Profile: titles hold no markup and
  readers show them literally, as newsboat does; hexo-generator-feed escapes them once).
  feedparser guesses that a title holding a closing tag is HTML, and then sanitises it: what
  it can show is never a script or handler.
"""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import lxml.html
import pytest
from lxml import etree

from feedbuilder import Config, build

from .conftest import make_post

HOSTILE_POSTS = {
    "code.html": (
        "title: Code\ndate: 2024-01-05",
        "<p>Shows <code>&lt;img src=x onerror=alert(1)&gt;</code> and "
        "&lt;script&gt;alert(2)&lt;/script&gt; as text.</p>",
        "Shows <img src=x onerror=alert(1)> and <script>alert(2)</script> as text.",
    ),
    "backticks.md": (
        "title: Backticks\ndate: 2024-01-04",
        "Shows `<img src=x onerror=alert(1)>` inline.",
        "Shows <img src=x onerror=alert(1)> inline.",
    ),
    "described.md": (
        "title: Described\ndate: 2024-01-03\n"
        "description: '<b>Bold</b> <img src=x onerror=alert(3)> &lt;script&gt;'",
        "Body.",
        "Bold <script>",
    ),
    "more.html": (
        "title: More\ndate: 2024-01-02",
        '<p>&lt;iframe src="https://evil.example/"&gt;&lt;/iframe&gt; intro</p>'
        "<!-- more --><p>rest</p>",
        '<iframe src="https://evil.example/"></iframe> intro',
    ),
    "titled.md": (
        "title: '<b>Bold</b> &lt;script&gt;alert(4)&lt;/script&gt; &amp; more'\ndate: 2024-01-01",
        "Plain.",
        "Plain.",
    ),
}
TITLE = "<b>Bold</b> <script>alert(4)</script> & more"


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("feed-text")
    for name, (front_matter, body, _) in HOSTILE_POSTS.items():
        make_post(root / "posts", name, front_matter, body)
    report = build(Config(posts_dir=root / "posts", output_dir=root / "out"))
    assert report.posts_read == len(HOSTILE_POSTS)
    return root / "out" / "feeds"


def expected_summaries() -> dict[str, str]:
    titles = {"titled.md": TITLE}
    return {
        titles.get(name, front_matter.split("\n")[0].removeprefix("title: ")): summary
        for name, (front_matter, _, summary) in HOSTILE_POSTS.items()
    }


def test_rss_description_decodes_to_text_not_markup(feeds: Path) -> None:
    parsed = feedparser.parse((feeds / "all.rss.xml").read_bytes())
    got = {}
    for entry in parsed.entries:
        assert entry.summary_detail.type == "text/html"
        fragment = lxml.html.fragment_fromstring(entry.summary, create_parent="div")
        assert len(fragment) == 0, entry.summary  # no element at all: only text
        got[entry.title] = fragment.text_content()
    assert got == expected_summaries()


def test_rss_description_is_escaped_text_for_non_feedparser_readers_too(feeds: Path) -> None:
    """A reader that takes <description> as HTML, as the RSS spec allows, finds text."""
    root = etree.parse(str(feeds / "all.rss.xml"))
    for description in root.iter("description"):
        html = description.text or ""
        assert "<" not in html, html


def test_atom_and_json_summaries_are_the_plain_text(feeds: Path) -> None:
    parsed = feedparser.parse((feeds / "all.atom.xml").read_bytes())
    atom = {e.title: e.summary for e in parsed.entries}
    for entry in parsed.entries:
        assert entry.summary_detail.type == "text/plain"
        assert entry.title_detail.type == "text/plain"
    assert atom == expected_summaries()
    items = json.loads((feeds / "all.json").read_text(encoding="utf-8"))["items"]
    assert {item["title"]: item["summary"] for item in items} == expected_summaries()


def test_titles_are_plain_text_escaped_once(feeds: Path) -> None:
    rss = etree.parse(str(feeds / "all.rss.xml"))
    titles = [t.text for t in rss.iter("title")]
    assert TITLE in titles  # XML-escaped once: its text is the title as written
    raw = (feeds / "all.rss.xml").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(4)&lt;/script&gt; &amp; more</title>" in raw
    entry = next(e for e in feedparser.parse(raw).entries if "alert(4)" in e.title)
    if entry.title_detail.type == "text/html":  # feedparser's guess: then it sanitised it
        shown = lxml.html.fragment_fromstring(entry.title, create_parent="div")
        assert not shown.xpath("//script|//*[@*[starts-with(name(), 'on')]]")
    else:
        assert entry.title == TITLE  # text, shown as it is
