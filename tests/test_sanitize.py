"""Hostile content: no known XSS payload survives clean_body, ordinary article HTML does.

Outputs are parsed with lxml and inspected element by element and attribute by attribute,
so an escaped ``&lt;script&gt;`` in text is fine and a live ``<script>`` in any spelling is not.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedbuilder.collect.frontmatter import split_post
from feedbuilder.config import Config
from feedbuilder.normalise.content import clean_body, inner_html, sanitize

FIXTURES = Path(__file__).parent / "fixtures"
SEED = Path(__file__).parents[1] / "posts" / "000_a2889e02ce46c9b0.txt"
BASE = "https://example.com/2022/01/01/post/"
PAYLOADS = [
    line
    for line in (FIXTURES / "xss_payloads.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]
FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "form",
    "input",
    "button",
    "textarea",
    "meta",
    "base",
    "link",
    "svg",
    "math",
    "style",
}
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\xa0\u200b-\u200f\ufeff]+")
BAD_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:", "mocha:")


def clean(body: str, fmt: str) -> str:
    return clean_body(body, fmt, BASE, Config().all_junk_selectors, 200).content_html


def assert_harmless(output: str) -> None:
    """No dangerous element, handler attribute or script URL anywhere in ``output``."""
    root = lxml.html.fragment_fromstring(output, create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):  # comments, processing instructions
            raise AssertionError(f"non-element node survived: {element!r}")
        tag = element.tag.lower().rpartition(":")[2]
        assert tag not in FORBIDDEN_TAGS, output
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), output
            assert name.lower() not in ("style", "formaction", "srcdoc", "xlink:href"), output
            # Browsers ignore whitespace and controls inside a scheme and decode entities.
            compact = _INVISIBLE.sub("", html.unescape(value)).lower()
            assert not compact.startswith(BAD_SCHEMES), (name, value)
            if name.lower() in ("href", "src", "cite"):
                assert compact.startswith(("https://", "http://", "mailto:", "#")), (name, value)
    assert "<script" not in output.lower()


def test_payload_table_is_complete() -> None:
    assert len(PAYLOADS) == 103


@pytest.mark.parametrize("fmt", ["html", "markdown"])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_survives(payload: str, fmt: str) -> None:
    assert_harmless(clean(payload, fmt))


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_all_payloads_in_one_body(fmt: str) -> None:
    """Payloads can combine: one half-open tag may swallow or shield the next."""
    assert_harmless(clean("\n".join(PAYLOADS), fmt))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(PAYLOADS), min_size=1, max_size=4),
    st.text(alphabet="<>\"'=/ :;&#x09a", max_size=12),
    st.sampled_from(["html", "markdown"]),
)
def test_payloads_mixed_with_junk(payloads: list[str], junk: str, fmt: str) -> None:
    assert_harmless(clean(junk.join(payloads), fmt))


ARTICLE_HTML = """
<h2>Heading two</h2>
<h3>Heading three</h3>
<p>A paragraph with <em>emphasis</em>, <strong>strong</strong> and a
<a href="https://news.example.org/story">link</a> and a <a href="/local/">relative link</a>.</p>
<ul><li>first item</li><li>second item</li></ul>
<ol start="3"><li>third</li></ol>
<table><thead><tr><th>Name</th><th>Value</th></tr></thead>
<tbody><tr><td>alpha</td><td colspan="1">1</td></tr></tbody></table>
<p><img src="https://img.example.com/a.jpg" alt="An image" width="100" height="50"></p>
<blockquote><p>A quoted line.</p></blockquote>
<pre><code>print("hello")</code></pre>
<p>Inline <code>code()</code> and <br> a break.</p>
"""

ARTICLE_MARKDOWN = """
## Heading two

### Heading three

A paragraph with *emphasis*, **strong** and a [link](https://news.example.org/story)
and a [relative link](/local/).

- first item
- second item

3. third

| Name | Value |
| --- | --- |
| alpha | 1 |

![An image](https://img.example.com/a.jpg)

> A quoted line.

```
print("hello")
```

Inline `code()` and a break.
"""


@pytest.mark.parametrize(("fmt", "body"), [("html", ARTICLE_HTML), ("markdown", ARTICLE_MARKDOWN)])
def test_ordinary_article_html_survives(fmt: str, body: str) -> None:
    output = clean(body, fmt)
    assert_harmless(output)
    root = lxml.html.fragment_fromstring(output, create_parent="div")
    tags = {element.tag for element in root.iter()}
    expected = {"h2", "h3", "p", "em", "strong", "a", "ul", "ol", "li", "table", "tr", "th", "td"}
    assert expected | {"img", "blockquote", "pre", "code"} <= tags
    links = [a.get("href") for a in root.iter("a")]
    assert links == ["https://news.example.org/story", "https://example.com/local/"]
    (img,) = root.iter("img")
    assert (img.get("src"), img.get("alt")) == ("https://img.example.com/a.jpg", "An image")
    text = root.text_content()
    for words in ("Heading two", "first item", "alpha", "A quoted line.", 'print("hello")'):
        assert words in text


def test_seed_article_text_survives_and_its_junk_does_not() -> None:
    split = split_post(SEED.read_text(encoding="utf-8"), 256 * 1024)
    output = clean(split.body, "html")
    assert_harmless(output)
    text = lxml.html.fragment_fromstring(output, create_parent="div").text_content()
    for sentence in (
        "原标题：上海银保监局、上海市科委联合印发关于进一步做好科技型中小微企业贷款履约保证险工作的意见",
        "《意见》将进一步优化科技履约贷业务流程和服务效率，健全科技金融风险分担和补偿机制。",
        "是强化普惠金融服务、增强中小微企业创新活力的重要抓手。",
        "责任编辑：王翔",
    ):
        assert sentence in text
    assert "海量资讯、精准解读，尽在新浪财经APP" not in text  # the QR-code box
    assert "appendQr" not in output and "iframe" not in output


def _both_ways(body: str) -> tuple[str, str]:
    """Sanitised after BeautifulSoup's own serialiser and after :func:`inner_html`."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "lxml", multi_valued_attributes=None)
    root = soup.body or soup
    return sanitize(root.decode_contents()), sanitize(inner_html(root))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_fast_serialiser_matches_beautifulsoups_once_sanitised(payload: str) -> None:
    theirs, ours = _both_ways(payload)
    assert ours == theirs


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<br>",
                "<img src='a.png' alt=\"x&y\">",
                "<!-- c -->",
                "<?pi x?>",
                "<ruby>漢<rt>kan</rt></ruby>",
                "<xmp>&lt;b&gt;</xmp>",
                "<textarea>a<b</textarea>",
                "<a href='/x?a=1&b=2' title='\"q\"'>",
                "</a>",
                "a < b & c > d",
                "<![CDATA[x]]>",
                "<style>p{}</style>",
                "<script>1</script>",
                "<table><td>1",
                "<template>t</template>",
                "&amp;&lt;",
                "<div class='appendQr_wrap'>qr</div>",
                "<svg><p>x</svg>",
                "文本",
            ]
        ),
        max_size=12,
    ).map("".join)
)
def test_fast_serialiser_matches_on_any_mix(body: str) -> None:
    theirs, ours = _both_ways(body)
    assert ours == theirs
