"""The body: render Markdown, strip scraper junk, sanitise, make URLs absolute, summarise.

This is the expensive stage, so the pipeline runs it only for posts that land in a feed.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterable
from functools import lru_cache
from html import escape

import cmarkgfm
import nh3
import soupsieve
from bs4 import BeautifulSoup, Tag, XMLParsedAsHTMLWarning
from bs4.builder import HTMLTreeBuilder
from bs4.element import NavigableString, PreformattedString
from cmarkgfm.cmark import Options

from ..models import PostBody, Thumbnail
from .text import clean_text, strip_xml_illegal, truncate
from .thumbnails import make_thumbnail
from .urls import BadURL, absolute_http_url

# Scraped bodies sometimes open with `<?xml ...?>`; they are HTML all the same, and a
# Python warning on stderr would break the one-line-per-problem report.
warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)

MORE_MARKER = re.compile(r"<!--\s*more\s*-->", re.IGNORECASE)
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


def render_markdown(text: str) -> str:
    """CommonMark + GitHub tables/strikethrough via cmark-gfm (C: long bodies are common).

    Raw HTML is kept here (``UNSAFE``) because :func:`sanitize` runs on the result.
    """
    html: str = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)
    return html


# Blocks whose content is never article text, removed before parsing: parsing them into a
# tree only to drop it was a third of the cleaning time. (nh3 drops them too, as a backstop.)
_JUNK_BLOCKS = re.compile(
    r"<!--.*?-->|<(" + "|".join(JUNK_TAGS) + r")\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)
_SELECTOR_TOKEN = re.compile(
    r"[.#]([\w-]+)|\[\s*[\w:-]+\s*[~|^$*]?=\s*(['\"]?)([^'\"\]]+)\2\s*(?:[is]\s*)?\]"
)


def _split_selector_list(selectors: Iterable[str]) -> list[str]:
    """``"a, b"`` → ``["a", "b"]``, leaving commas inside brackets and parentheses alone."""
    parts: list[str] = []
    for selector in selectors:
        depth, start = 0, 0
        for i, char in enumerate(selector):
            if char in "([":
                depth += 1
            elif char in ")]":
                depth -= 1
            elif char == "," and depth == 0:
                parts.append(selector[start:i].strip())
                start = i + 1
        parts.append(selector[start:].strip())
    return [p for p in parts if p]


@lru_cache(maxsize=256)
def _selector_tokens(selector: str) -> tuple[str, ...]:
    """Class, id and attribute-value literals that must all appear in a document it matches.

    Selectors with functional pseudo-classes (``:not(.x)``) promise nothing: no tokens.
    """
    if "(" in selector:
        return ()
    return tuple((m.group(1) or m.group(3)).lower() for m in _SELECTOR_TOKEN.finditer(selector))


def _remove_junk(soup: BeautifulSoup, html: str, selectors: Iterable[str]) -> None:
    """Drop what the junk selectors match; a selector whose literals are absent is not run."""
    lowered = html.lower()
    applicable = [
        s for s in _split_selector_list(selectors) if all(t in lowered for t in _selector_tokens(s))
    ]
    if applicable:
        for tag in _compiled(", ".join(applicable)).select(soup):  # one pass for them all
            if not tag.decomposed:  # a nested match may have gone with its ancestor
                tag.decompose()


@lru_cache(maxsize=64)
def _compiled(selector: str) -> soupsieve.SoupSieve:
    """Compile once: ``soup.select`` compiles on every call, a tenth of the cleaning time."""
    return soupsieve.compile(selector)


def _fix_urls(soup: BeautifulSoup, base: str) -> Thumbnail | None:
    """Make every link and image absolute, promote lazy-loaded images; return the first image."""
    first_image: Thumbnail | None = None
    # One pass over the tree for all of them (find_all's filter machinery is 5x slower).
    tags = [t for t in soup.descendants if isinstance(t, Tag) and t.name in URL_ATTRS]
    for tag in tags:
        if tag.name == "img":
            # Lazy loaders keep a placeholder in src and the real image in a data- attribute.
            for attr in LAZY_SRC_ATTRS:
                if tag.get(attr):
                    tag["src"] = str(tag[attr])
                    break
        for attr in URL_ATTRS[tag.name]:
            value = tag.get(attr)
            if value is None:
                continue
            value = str(value).strip()
            if value.lower().startswith("mailto:"):
                continue  # in-page "#anchors" too are resolved: a reader has no such page
            try:
                tag[attr] = absolute_http_url(value, base)
            except BadURL:
                del tag[attr]
        if tag.name == "img" and first_image is None and tag.get("src"):
            with contextlib.suppress(BadURL):
                first_image = make_thumbnail(str(tag["src"]), base)
    return first_image


_VOID = frozenset(HTMLTreeBuilder.DEFAULT_EMPTY_ELEMENT_TAGS or ())  # no end tag


def inner_html(tag: Tag) -> str:
    """``tag``'s contents as HTML, for :func:`sanitize` to parse again: five times faster
    than BeautifulSoup's own ``decode_contents`` and the same once sanitised.

    Attributes come out sorted, as BeautifulSoup writes them. Comments, doctypes and
    processing instructions are left out: the sanitiser would drop them anyway.
    """
    out: list[str] = []

    def walk(node: Tag) -> None:
        for child in node.contents:
            if isinstance(child, Tag):
                name = child.name
                out.append("<" + name)
                for attr, value in sorted(child.attrs.items()):
                    out.append(f' {attr}="{escape(str(value))}"')
                out.append(">")
                if name not in _VOID or child.contents:
                    walk(child)
                    out.append(f"</{name}>")
            elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
                out.append(escape(child, quote=False))

    walk(tag)
    return "".join(out)


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


_BLOCK_BOUNDARY = re.compile(
    r"</?(?:p|div|br|li|tr|td|th|h[1-6]|blockquote|pre|figure|figcaption|dd|dt|hr|table|ul|ol"
    r"|dl|section|article|details|summary|caption)\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>",
    re.IGNORECASE,
)
_TAG = re.compile(r"<(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")


def plain_text(safe_html: str) -> str:
    """The text of *sanitised* HTML: blocks apart, inline markup joined (``*a*.`` → ``a.``).

    Regular expressions are enough here because nh3's output is well-formed and holds no
    comments, scripts or styles.
    """
    return clean_text(_TAG.sub("", _BLOCK_BOUNDARY.sub(" ", safe_html)))


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
    before_more = html[: more.start()] if more else None
    html = _JUNK_BLOCKS.sub("", html)
    # Classes stay one string (soupsieve splits them itself): splitting every tag's
    # attributes into lists was a fifth of the parse.
    soup = BeautifulSoup(html, "lxml", multi_valued_attributes=None)
    _remove_junk(soup, html, junk_selectors)
    first_image = _fix_urls(soup, base_url)
    root: Tag = soup.body or soup
    content = _BLANK_LINES.sub("\n", sanitize(inner_html(root))).strip()

    if given_summary:
        summary = truncate(clean_text(given_summary), summary_length * 4)
    elif before_more is not None:
        summary = plain_text(sanitize(before_more))
    else:
        summary = truncate(plain_text(content), summary_length)
    return PostBody(
        content_html=content,
        summary=summary,
        first_image=first_image,
    )
