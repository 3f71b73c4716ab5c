"""The body: render Markdown, strip scraper junk, sanitise, make URLs absolute, summarise.

This is the expensive stage, so the pipeline runs it only for posts that land in a feed.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable

import cmarkgfm
import nh3
from bs4 import BeautifulSoup, Comment, Tag, XMLParsedAsHTMLWarning
from cmarkgfm.cmark import Options

from ..models import PostBody, Thumbnail
from .text import clean_text, strip_xml_illegal, truncate
from .thumbnails import make_thumbnail
from .urls import BadURL, absolute_http_url

# Scraped bodies sometimes open with `<?xml ...?>`; they are HTML all the same, and a
# Python warning on stderr would break the one-line-per-problem report.
warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)

MORE_MARKER = re.compile(r"<!--\s*more\s*-->", re.IGNORECASE)
_HTML_START = re.compile(r"^\s*<(?:!--|!doctype|[a-zA-Z][a-zA-Z0-9-]*[\s/>])", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n\s*\n\s*(?:\n\s*)*")
JUNK_TAGS = ("style", "script", "noscript", "iframe", "object", "embed", "form", "template")
LAZY_SRC_ATTRS = ("data-src", "data-original", "data-lazy-src", "data-actualsrc")
URL_ATTRS = {
    "a": ("href",),
    "img": ("src",),
    "q": ("cite",),
    "blockquote": ("cite",),
    "del": ("cite",),
    "ins": ("cite",),
}

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
    "var",
    "wbr",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def detect_format(body: str, declared: str | None = None, suffix: str = "") -> str:
    """``"html"`` or ``"markdown"``: a declared ``format`` wins, then ``.html`` files, then content.

    Bodies that open with a tag are HTML: scraped HTML is often deeply indented, and a
    Markdown renderer would turn it into code blocks.
    """
    if declared:
        lowered = declared.strip().lower()
        if lowered in ("html", "htm"):
            return "html"
        if lowered in ("md", "markdown", "commonmark", "gfm"):
            return "markdown"
    if suffix.lower() in (".html", ".htm"):
        return "html"
    return "html" if _HTML_START.match(body) else "markdown"


def render_markdown(text: str) -> str:
    """CommonMark + GitHub tables/strikethrough via cmark-gfm (C: long bodies are common).

    Raw HTML is kept here (``UNSAFE``) because :func:`sanitize` runs on the result.
    """
    html: str = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)
    return html


def _remove_junk(soup: BeautifulSoup, selectors: Iterable[str]) -> None:
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup.find_all(JUNK_TAGS):
        tag.decompose()
    selector = ", ".join(selectors)  # one pass over the tree, not one per selector
    if selector:
        for tag in soup.select(selector):
            if not tag.decomposed:  # a nested match may have gone with its ancestor
                tag.decompose()


def _fix_urls(soup: BeautifulSoup, base: str) -> None:
    """Promote lazy-loaded image URLs and make every link and image absolute."""
    for img in soup.find_all("img"):
        # Lazy loaders keep a placeholder in src and the real image in a data- attribute.
        for attr in LAZY_SRC_ATTRS:
            if img.get(attr):
                img["src"] = str(img[attr])
                break
    for tag_name, attrs in URL_ATTRS.items():
        for tag in soup.find_all(tag_name):
            for attr in attrs:
                value = tag.get(attr)
                if value is None:
                    continue
                value = str(value).strip()
                if value.startswith("#") or value.lower().startswith("mailto:"):
                    continue
                try:
                    tag[attr] = absolute_http_url(value, base)
                except BadURL:
                    del tag[attr]


def _first_image(soup: BeautifulSoup) -> Thumbnail | None:
    for img in soup.find_all("img"):
        src = img.get("src")
        if src:
            try:
                return make_thumbnail(str(src), "http://invalid/")  # already absolute
            except BadURL:
                continue
    return None


def sanitize(html: str) -> str:
    """Allow-list sanitising by nh3 (ammonia): no scripts, handlers, frames or unsafe URLs."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=set(JUNK_TAGS) | {"svg", "math", "title", "textarea", "select"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )


BLOCK_TAGS = (
    "p",
    "div",
    "br",
    "li",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "section",
    "article",
    "dd",
    "dt",
    "hr",
)


def text_of(root: Tag) -> str:
    """Plain text with blocks separated by spaces but inline markup joined: ``*a*.`` → ``a.``"""
    for block in root.find_all(BLOCK_TAGS):
        block.insert_after(" ")
    return clean_text(root.get_text(""))


def plain_text(html: str) -> str:
    return text_of(BeautifulSoup(html, "lxml"))


def clean_body(
    body: str,
    body_format: str,
    base_url: str,
    junk_selectors: Iterable[str],
    summary_length: int,
    given_summary: str | None = None,
) -> PostBody:
    """Turn a raw body into safe, absolute HTML plus a plain-text summary."""
    body = strip_xml_illegal(body)
    html = render_markdown(body) if body_format == "markdown" else body
    more = MORE_MARKER.search(html)
    soup = BeautifulSoup(html, "lxml")
    _remove_junk(soup, junk_selectors)
    _fix_urls(soup, base_url)
    root: Tag = soup.body or soup
    content = _BLANK_LINES.sub("\n", sanitize(root.decode_contents())).strip()
    first_image = _first_image(soup)

    if given_summary:
        summary = truncate(clean_text(given_summary), summary_length * 4)
    elif more:
        summary = plain_text(sanitize(html[: more.start()]))
    else:
        summary = truncate(text_of(root), summary_length)
    return PostBody(
        content_html=content,
        summary=summary,
        first_image=first_image,
    )
