"""Body cleanup: junk out, HTML safe, URLs absolute, a plain-text summary."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup

from feedbuilder.collect.frontmatter import split_post
from feedbuilder.config import DEFAULT_JUNK_SELECTORS
from feedbuilder.normalise.content import clean_body
from feedbuilder.normalise.markup import detect_format

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "posts" / "000_a2889e02ce46c9b0.txt"
BASE = "https://example.com/2021/12/08/post/"


def clean(body: str, fmt: str = "html", summary_length: int = 200, given: str | None = None):  # type: ignore[no-untyped-def]
    return clean_body(body, fmt, BASE, DEFAULT_JUNK_SELECTORS, summary_length, given)


def test_seed_body_is_cleaned() -> None:
    split = split_post(SEED.read_text(encoding="utf-8"), 1 << 20)
    body = clean(split.body, detect_format(split.body))
    soup = BeautifulSoup(body.content_html, "lxml")
    assert "《意见》将进一步优化科技履约贷业务流程" in body.content_html
    assert soup.find("style") is None
    assert "<!--" not in body.content_html
    assert "appendQr" not in body.content_html
    assert "海量资讯、精准解读" not in body.content_html  # the QR promo text
    assert "&#123;" not in body.content_html and "{" not in body.content_html
    assert body.first_image is None  # the only image was the QR promo's
    assert body.summary.startswith("原标题：上海银保监局")
    assert len(body.summary) <= 200


def test_indented_html_is_not_a_code_block() -> None:
    body = "\n    <div>\n        <p>Indented</p>\n    </div>\n"
    assert detect_format(body) == "html"
    assert "<pre>" not in clean(body).content_html


def test_format_override_and_suffix() -> None:
    assert detect_format("<p>x</p>", "markdown") == "markdown"
    assert detect_format("# Title", None, ".html") == "html"
    assert detect_format("# Title\n\ntext") == "markdown"


def test_markdown_with_more_marker() -> None:
    text = "First *para*.\n\n<!-- more -->\n\n## Later\n\n- a\n- b\n"
    body = clean(text, "markdown")
    assert body.summary == "First para."
    assert "<h2>Later</h2>" in body.content_html
    assert "<em>para</em>" in body.content_html


def test_given_summary_wins() -> None:
    assert clean("<p>Body text</p>", given="Given &amp; kept").summary == "Given & kept"


def test_summary_cut_on_character_boundary() -> None:
    body = clean("<p>" + "字" * 500 + "</p>", summary_length=50)
    assert len(body.summary) == 50 and body.summary.endswith("…")


def test_relative_and_lazy_urls_made_absolute() -> None:
    html = (
        '<p><a href="/about/">a</a> <a href="../x">b</a> <a href="#top">c</a></p>'
        '<img src="images/x.png">'
        '<img src="data:image/gif;base64,R0l" data-src="//cdn.example/y.jpg">'
    )
    soup = BeautifulSoup(clean(html).content_html, "lxml")
    hrefs = [a.get("href") for a in soup.find_all("a")]
    assert hrefs == [
        "https://example.com/about/",
        "https://example.com/2021/12/08/x",
        f"{BASE}#top",
    ]
    srcs = [i["src"] for i in soup.find_all("img")]
    assert srcs == ["https://example.com/2021/12/08/post/images/x.png", "https://cdn.example/y.jpg"]


def test_first_image_is_found() -> None:
    body = clean('<p>x</p><img src="/a.png"><img src="/b.png">')
    assert body.first_image is not None
    assert body.first_image.url == "https://example.com/a.png"
    assert body.first_image.mime_type == "image/png"


def test_junk_tags_and_xml_illegal_characters_removed() -> None:
    html = (
        "<p>ok\x01\ufffe</p><script>alert(1)</script><iframe src=x></iframe><noscript>n</noscript>"
    )
    content = clean(html).content_html
    assert content == "<p>ok</p>"


def test_custom_junk_selector() -> None:
    body = clean_body(
        '<p>keep</p><div class="ad">buy</div>', "html", BASE, (*DEFAULT_JUNK_SELECTORS, ".ad"), 200
    )
    assert body.content_html == "<p>keep</p>"


def test_summary_of_a_code_heavy_post_is_its_prose() -> None:
    text = (
        "```python\nclass Solution:\n    def checkInclusion(self, s1: str, s2: str) -> bool:\n"
        "        return True\n```\n\nA sliding window over `s2`.\n\n    indented = code\n"
    )
    body = clean(text, "markdown")
    assert body.summary == "A sliding window over s2."


def test_summary_keeps_code_in_a_sentence_and_drops_code_alone() -> None:
    html = "<p><code>x = 1</code></p><p>Use <code>git rebase</code> to squash.</p><pre>y</pre>"
    assert clean(html).summary == "Use git rebase to squash."


def test_more_summary_is_cleaned_like_the_content() -> None:
    html = (
        "<p>Intro.</p><div class='appendQr_wrap'>scan me</div><pre>code()</pre>"
        "<!-- more --><p>Rest.</p>"
    )
    body = clean(html)
    assert body.summary == "Intro."
    assert "scan me" not in body.content_html and "Rest." in body.content_html


def test_text_after_a_stray_html_end_tag_is_kept() -> None:
    # A post about HTML wrote “</html>” in its prose; lxml starts a second document there.
    body = clean("<p>before “</body>” and “</html>” after</p><p>the rest</p>")
    assert "the rest" in body.content_html and "after" in body.content_html
