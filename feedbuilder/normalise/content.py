"""The body: render Markdown and Hexo's tags, strip scraper junk, sanitise, make URLs absolute,
summarise.

This is the expensive stage, so the pipeline runs it only for posts that land in a feed. What
sits in ``<pre>``, ``<code>``, ``<textarea>`` and ``<xmp>`` comes out as it went in: every
blank line, indent, tab and trailing space (``<textarea>`` and ``<xmp>`` become ``<pre>``, the
sanitiser's nearest allowed element, with the same text).
"""

from __future__ import annotations

import contextlib
import re
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from html import escape
from typing import Any

import nh3
import soupsieve
from bs4 import BeautifulSoup, Tag, XMLParsedAsHTMLWarning
from bs4.builder import HTMLTreeBuilder
from bs4.builder._lxml import LXMLTreeBuilder
from bs4.element import AttributeDict, NavigableString, PageElement, PreformattedString
from lxml import etree

from ..models import PostBody, Thumbnail
from .hexotags import TagContext, render_hexo
from .markup import render_markdown
from .nesting import MAX_NESTING, flatten, too_deep
from .sanitised import collapse_blank_lines, plain_text, prose_text
from .selectors import Test, any_of, simple_test
from .text import clean_text, strip_xml_illegal, truncate
from .thumbnails import make_thumbnail
from .urls import BadURL, absolute_http_url, proxy_image_url

# Scraped bodies sometimes open with `<?xml ...?>`; they are HTML all the same, and a
# Python warning on stderr would break the one-line-per-problem report.
warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)

MORE_MARKER = re.compile(r"<!--\s*more\s*-->", re.IGNORECASE)
# Where <!-- more --> was, carried through cleaning as text (comments do not survive it).
_MORE = "\ue000feedbuilder-more\ue000"
JUNK_TAGS = ("style", "script", "noscript", "iframe", "object", "embed", "form", "template")
# Raw-text elements: what they hold is text, shown as it is. They become <pre> (the one such
# element the sanitiser keeps), as does <listing>, which is <pre> by another name.
RAW_TEXT_TAGS = ("xmp", "textarea", "plaintext")
NO_SITE = TagContext()
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
    "footer",
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


# Blocks whose content is never article text, removed before parsing: parsing them into a
# tree only to drop it was a third of the cleaning time. (nh3 drops them too, as a backstop.)
_JUNK_OPENING = re.compile(r"<!--|<(" + "|".join(JUNK_TAGS + RAW_TEXT_TAGS) + r")\b", re.IGNORECASE)
_CLOSING = {
    name: re.compile(r"</" + name + r"\s*>", re.IGNORECASE) for name in JUNK_TAGS + RAW_TEXT_TAGS
}


def remove_junk_blocks(html: str) -> str:
    """``html`` without its comments and junk elements (``<script>…</script>`` and the like,
    each up to its first end tag; an opening without its end is left to the parser), in one
    pass. What a raw-text element (``<xmp>``, ``<textarea>``, ``<plaintext>``) holds is its
    text, not markup: it becomes a ``<pre>`` showing that text, before lxml, which drops
    some of its whitespace, reads it."""
    out: list[str] = []
    pos = 0
    unclosed: dict[str, int] = {}  # no end tag of this name after this position
    next_gt = -1
    while True:
        m = _JUNK_OPENING.search(html, pos)
        if m is None:
            break
        name = (m.group(1) or "").lower()
        if not name:
            close = html.find("-->", m.end())
            if close < 0:
                break  # no comment closes after this: the rest is left as it is
            out.append(html[pos : m.start()])
            pos = close + 3
            continue
        if next_gt < m.end():
            next_gt = html.find(">", m.end())
        if next_gt < 0:
            break
        found = None
        if unclosed.get(name, len(html) + 1) > next_gt:
            found = _CLOSING[name].search(html, next_gt + 1)
            if found is None:
                unclosed[name] = next_gt
        out.append(html[pos : m.start()])
        if name in RAW_TEXT_TAGS:
            if found is None or name == "plaintext":  # its text runs to the end
                out.append(_raw_text_as_pre(name, html[next_gt + 1 :]))
                return "".join(out)
            out.append(_raw_text_as_pre(name, html[next_gt + 1 : found.start()]))
        elif found is None:
            out.append(html[m.start() : m.end()])
            pos = m.end()
            continue
        pos = found.end()
    out.append(html[pos:])
    return "".join(out)


def _raw_text_as_pre(name: str, text: str) -> str:
    """A raw-text element's text as a ``<pre>`` showing the same characters."""
    if name == "textarea":  # its character references count, as in <pre>, and its first
        return "<pre>" + text.replace("<", "&lt;") + "</pre>"  # newline goes, as in <pre>
    lead = "\n" if text.startswith("\n") else ""  # <pre> drops a first newline; <xmp> not
    return "<pre>" + lead + escape(text, quote=False) + "</pre>"


_SELECTOR_TOKEN = re.compile(
    r"[.#]([\w-]+)|\[\s*[\w:-]+\s*[~|^$*]?=\s*(['\"]?)([^'\"\]]+)\2\s*(?:[is]\s*)?\]"
)


@lru_cache(maxsize=16)
def _selector_list(selectors: tuple[str, ...]) -> tuple[str, ...]:
    """``("a, b",)`` → ``("a", "b")``, leaving commas inside brackets and parentheses alone."""
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
    return tuple(p for p in parts if p)


@lru_cache(maxsize=256)
def _selector_tokens(selector: str) -> tuple[str, ...]:
    """Class, id and attribute-value literals that must all appear in a document it matches.

    Selectors with functional pseudo-classes (``:not(.x)``) promise nothing: no tokens.
    """
    if "(" in selector:
        return ()
    return tuple((m.group(1) or m.group(3)).lower() for m in _SELECTOR_TOKEN.finditer(selector))


def _remove_junk(soup: BeautifulSoup, lowered: str, selectors: Iterable[str]) -> Test | None:
    """Drop what the junk selectors left to soupsieve match; return the test of the simple
    ones (:mod:`.selectors`), which :class:`_Tidying` applies. A selector whose literals are
    absent from the (lower-cased) HTML is not run."""
    applicable = tuple(
        s
        for s in _selector_list(tuple(selectors))
        if all(t in lowered for t in _selector_tokens(s))
    )
    if not applicable:
        return None
    simple, other = _junk_tests(applicable)
    if other is not None:
        for tag in other.select(soup):  # one pass for them all
            if not tag.decomposed:  # a nested match may have gone with its ancestor
                tag.decompose()
    return simple


@lru_cache(maxsize=64)
def _junk_tests(selectors: tuple[str, ...]) -> tuple[Test | None, soupsieve.SoupSieve | None]:
    """The simple selectors as one test on a tag (:mod:`.selectors`), the others compiled
    once by soupsieve (``soup.select`` compiles on every call, a tenth of the cleaning time;
    a process's first compile, half a second, only when a selector needs it)."""
    simple = {s: simple_test(s) for s in selectors}
    tests = [test for test in simple.values() if test is not None]
    others = [s for s, test in simple.items() if test is None]
    if not others:
        return any_of(tests), None
    return (any_of(tests) if tests else None), soupsieve.compile(", ".join(others))


Visit = Callable[[Tag, bool], bool]
"""What :func:`inner_html` calls with each tag before writing it (and whether the tag is
inside a ``<template>``): it may change the tag, or leave it out (``False``)."""


class _Tidying:
    """What the walk writing the tree does to each tag first, in document order: leave out
    the junk the simple selectors match (as soupsieve does, not inside a ``<template>``),
    make ``<listing>`` a ``<pre>``, and fix the tag's URLs (:meth:`fix_urls`)."""

    def __init__(self, junk: Test | None, base: str, image_proxy: str) -> None:
        self.junk = junk
        self.base = base
        self.image_proxy = image_proxy
        self.first_image: Thumbnail | None = None

    def __call__(self, tag: Tag, in_template: bool) -> bool:
        if self.junk is not None and not in_template and self.junk(tag):
            return False
        if tag.name == "listing":  # <pre> by another name, which the sanitiser does not know
            tag.name = "pre"
            tag.attrs = {}
        elif tag.name in URL_ATTRS:
            self.fix_urls(tag)
        return True

    def fix_urls(self, tag: Tag) -> None:
        """Make the tag's link or image absolute, promote a lazy-loaded image, send images
        through the image proxy; note the first image (as the body has it, not proxied)."""
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
                tag[attr] = absolute_http_url(value, self.base)
            except BadURL:
                del tag[attr]
        if tag.name == "img" and tag.get("src"):
            src = str(tag["src"])
            if self.first_image is None:
                with contextlib.suppress(BadURL):
                    self.first_image = make_thumbnail(src, self.base)
            if self.image_proxy:
                tag["src"] = proxy_image_url(src, self.image_proxy)


_VOID = frozenset(HTMLTreeBuilder.DEFAULT_EMPTY_ELEMENT_TAGS or ())  # no end tag
# Left out, their contents kept: lxml starts a second <html> after a stray </html> in the text.
_DOCUMENT_TAGS = frozenset({"html", "head", "body"})


def _parser_keeps_leading_newline() -> bool:
    """Whether the parser keeps the newline after ``<pre>`` that browsers drop (libxml2
    2.14 does; others did not): :func:`inner_html` must know which text a reader sees."""
    pre = BeautifulSoup("<pre>\nx</pre>", "lxml").pre
    return pre is not None and pre.get_text() == "\nx"


_KEEPS_LEADING_NEWLINE = _parser_keeps_leading_newline()


def inner_html(tag: Tag, visit: Visit | None = None) -> str:
    """``tag``'s contents as HTML, for :func:`sanitize` to parse again: five times faster
    than BeautifulSoup's own ``decode_contents`` and the same once sanitised; each tag
    first through ``visit``, if given.

    Attributes come out sorted, as BeautifulSoup writes them. Comments, doctypes and
    processing instructions are left out: the sanitiser would drop them anyway, and so are
    ``<html>``, ``<head>`` and ``<body>`` tags (not what they hold). A ``<pre>``
    whose text starts with a newline gets one more, which the sanitiser's parser drops,
    so that a reader still sees the blank line. The walk is a loop, not a recursion:
    scraped bodies nest thousands of levels deep.
    """
    out: list[str] = []
    # Each open tag's name (None: not written), what is left of it, whether in a <template>.
    stack: list[tuple[str | None, Iterator[PageElement], bool]] = [
        (None, iter(tag.contents), False)
    ]
    while stack:
        name, children, in_template = stack[-1]
        for child in children:
            if isinstance(child, Tag):
                if visit is not None and not visit(child, in_template):
                    continue
                child_name = child.name
                inside = in_template or child_name == "template"
                if child_name in _DOCUMENT_TAGS:
                    stack.append((None, iter(child.contents), inside))
                    break
                out.append("<" + child_name)
                for attr, value in sorted(child.attrs.items()):
                    out.append(f' {attr}="{escape(str(value))}"')
                out.append(">")
                if child_name not in _VOID or child.contents:
                    inner = iter(child.contents)
                    if child_name == "pre":
                        _leading_text(child, inner, out)
                    stack.append((child_name, inner, inside))
                    break
            elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
                out.append(escape(child, quote=False))
        else:
            stack.pop()
            if name is not None:
                out.append(f"</{name}>")
    return "".join(out)


def _leading_text(pre: Tag, children: Iterator[PageElement], out: list[str]) -> None:
    """Write a ``<pre>``'s first text so that a reader sees the text a browser showed."""
    first = pre.contents[0] if pre.contents else None
    if not isinstance(first, NavigableString) or isinstance(first, PreformattedString):
        return
    next(children)
    shown = str(first)
    if _KEEPS_LEADING_NEWLINE and shown.startswith("\n"):
        shown = shown[1:]  # browsers drop it
    if shown.startswith("\n"):
        shown = "\n\n" + shown  # one for nh3's parser, one for the reader's
    out.append(escape(shown, quote=False))


_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,64}")


def sanitize(html: str, referrer_policy: str = "") -> str:
    """Allow-list sanitising by nh3 (ammonia): no scripts, handlers, frames or unsafe URLs.

    ``<code>`` keeps a ``class="language-x"`` (a code block's language) and no other class;
    with ``referrer_policy``, every image gets it, replacing the body's own.
    """
    languages = frozenset(_LANGUAGE_CLASS.findall(html)) if "language-" in html else frozenset()
    cleaned: str = _cleaner(languages, referrer_policy).clean(html)
    # nh3 leaves an empty class where it removed every name; text never holds "<code".
    return cleaned.replace('<code class="">', "<code>") if languages else cleaned


@lru_cache(maxsize=256)
def _cleaner(languages: frozenset[str], referrer_policy: str) -> nh3.Cleaner:
    """The sanitiser for bodies with these code languages, made once: ``nh3.clean`` makes
    one per call, which was half its time."""
    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        clean_content_tags=set(JUNK_TAGS) | {"svg", "math", "title", "textarea", "select"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
        allowed_classes={"code": set(languages)} if languages else None,
        set_tag_attribute_values={"img": {"referrerpolicy": referrer_policy}}
        if referrer_policy
        else None,
    )


def parse_html(html: str, problems: list[str]) -> BeautifulSoup:
    """``html`` as a tree no deeper than :data:`MAX_NESTING` (deeper markup is flattened,
    with a problem noted)."""
    if html.count("<") > MAX_NESTING and too_deep(html):
        problems.append(
            f"HTML nested deeper than {MAX_NESTING} levels: the deeper tags were dropped, "
            "their text kept"
        )
        flat = flatten(html, MAX_NESTING)
        html = flat if not too_deep(flat) else flatten(html, 0)
    builder = getattr(_builders, "builder", None) or _ReusedParserBuilder(
        # Classes stay one string (soupsieve splits them itself): splitting every tag's
        # attributes into lists was a fifth of the parse.
        multi_valued_attributes=None,
        # A plain dict: bs4's lxml builder stores attributes through one that turns values
        # that are not strings into strings, in Python, twice per attribute; lxml gives
        # strings, and so does everything here that sets one.
        attribute_dict_class=AttributeDict,
    )
    _builders.builder = None  # taken: a parse that fails does not hand it on
    soup = BeautifulSoup(html, builder=builder)
    _builders.builder = builder
    return soup


class _ReusedParserBuilder(LXMLTreeBuilder):
    """bs4's lxml tree builder, keeping its lxml parser from one document to the next
    (bs4 makes one per document: making it, and lxml's look at the Python target's
    methods, was a third of the parse)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._parsers: dict[str | None, etree.HTMLParser | etree.XMLParser] = {}

    def parser_for(self, encoding: str | None) -> etree.HTMLParser | etree.XMLParser:
        parser = self._parsers.get(encoding)
        if parser is None:
            parser = self._parsers[encoding] = super().parser_for(encoding)
        return parser


_builders = threading.local()  # one builder (and lxml parser) per thread


def clean_body(
    body: str,
    body_format: str,
    base_url: str,
    junk_selectors: Iterable[str],
    summary_length: int,
    given_summary: str | None = None,
    *,
    tags: TagContext = NO_SITE,
    image_proxy: str = "",
    referrer_policy: str = "no-referrer",
) -> PostBody:
    """Turn a raw body into safe, absolute HTML plus a plain-text summary.

    ``tags`` tells Hexo's tag plugins about the post and its site; ``image_proxy`` (a URL
    template) and ``referrer_policy`` apply to every image of the body.
    """
    problems: list[str] = []
    body = strip_xml_illegal(body)
    rendered = render_hexo(body, body_format, tags, render_markdown, base_url)
    problems.extend(rendered.warnings)
    html = rendered.html
    more = MORE_MARKER.search(html)
    if more is not None and _MORE not in html:
        html = html[: more.start()] + _MORE + html[more.end() :]
    else:
        more = None
    html = remove_junk_blocks(html)
    soup = parse_html(html, problems)
    tidying = _Tidying(_remove_junk(soup, html.lower(), junk_selectors), base_url, image_proxy)
    content = sanitize(inner_html(soup, tidying), referrer_policy)
    first_image = tidying.first_image
    before_more = None
    if more is not None:
        before_more, found, after = content.partition(_MORE)
        content = before_more + after if found else content
        before_more = before_more if found else None
    content = collapse_blank_lines(content).strip()

    if given_summary:
        summary = truncate(given_text(given_summary, problems), summary_length * 4)
    elif before_more is not None:
        summary = prose_text(before_more)
    else:
        summary = truncate(prose_text(content), summary_length)
    return PostBody(
        content_html=content,
        summary=summary,
        first_image=first_image,
        problems=tuple(problems),
    )


def given_text(summary: str, problems: list[str]) -> str:
    """A front-matter summary as plain text: it may hold markup, which is not its text."""
    if "<" not in summary:
        return clean_text(summary)
    soup = parse_html(remove_junk_blocks(strip_xml_illegal(summary)), problems)
    return plain_text(sanitize(inner_html(soup)))
