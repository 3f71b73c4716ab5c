"""A cap on how deeply a body's HTML nests, applied before any tree is built.

Broken scrapes nest thousands of levels deep (``<font>`` never closed, ``<div>`` inside
``<div>``); lxml's event parser (BeautifulSoup's engine) then spends time proportional to
the depth on every stray end tag, and html5ever (nh3) on every block start, so one such body
could hold the build for hours. Parsers cap the depth themselves: libxml2 builds trees to
256 levels, Blink to 512; real posts nest under 20.

:func:`flatten` reads the HTML with the tokenizer rules of the HTML standard (tags,
attributes with quoted values, comments, raw-text elements) in one linear pass and drops the
tags of elements that would sit deeper than the cap, keeping their content. Its model of the
open elements closes an element only when every HTML parser does (its own end tag on top,
or the implied ends of ``<p>``, ``<li>`` and the like), so the real depth of what it returns
is never deeper than it reckons.
"""

from __future__ import annotations

import contextlib
import re

from lxml import etree

MAX_NESTING = 250  # elements inside <body>: libxml2's 256 with room for html and body

VOID = frozenset(
    {
        "area",
        "base",
        "basefont",
        "bgsound",
        "br",
        "col",
        "command",
        "embed",
        "frame",
        "hr",
        "image",
        "img",
        "input",
        "keygen",
        "link",
        "menuitem",
        "meta",
        "nextid",
        "param",
        "source",
        "spacer",
        "track",
        "wbr",
    }
)
RAW_TEXT = frozenset(
    {
        "script",
        "style",
        "xmp",
        "iframe",
        "noembed",
        "noframes",
        "textarea",
        "title",
        "plaintext",
    }
)
# End tags close the elements above their own only through these, in every parser.
_INLINE = frozenset(
    {
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "big",
        "cite",
        "code",
        "del",
        "dfn",
        "em",
        "font",
        "i",
        "ins",
        "kbd",
        "mark",
        "nobr",
        "q",
        "rp",
        "rt",
        "ruby",
        "s",
        "samp",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "time",
        "tt",
        "u",
        "var",
    }
)
_CLOSES_P = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "details",
        "dialog",
        "div",
        "dl",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "ul",
    }
)
_IMPLIED_END = {
    "li": frozenset({"li"}),
    "dt": frozenset({"dt", "dd"}),
    "dd": frozenset({"dt", "dd"}),
    "td": frozenset({"td", "th"}),
    "th": frozenset({"td", "th"}),
    "tr": frozenset({"tr"}),
    "option": frozenset({"option"}),
}

_TAG_NAME = re.compile(r"[A-Za-z][^\t\n\f\r />]*")
_ATTRIBUTES = re.compile(  # possessive: one pass, no backtracking stack to grow
    r"(?:[\t\n\f\r /]+|=?[^\t\n\f\r />=]*"
    r"(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:\"[^\"]*(?:\"|\Z)|'[^']*(?:'|\Z)|[^\t\n\f\r >]*))?)*+"
)
_RAW_END: dict[str, re.Pattern[str]] = {
    name: re.compile(r"</" + name + r"[\t\n\f\r />]", re.IGNORECASE) for name in RAW_TEXT
}


class _OpenElements:
    """The elements left open, innermost last, with what closing one of them needs."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.inline_run: list[int] = [0]  # names[-k:] are all inline, k = inline_run[-1]
        self.where: dict[str, list[int]] = {}  # name -> its indexes in names

    def __len__(self) -> int:
        return len(self.names)

    def top(self) -> str | None:
        return self.names[-1] if self.names else None

    def push(self, name: str) -> None:
        self.where.setdefault(name, []).append(len(self.names))
        self.names.append(name)
        self.inline_run.append(self.inline_run[-1] + 1 if name in _INLINE else 0)

    def pop(self) -> None:
        self.where[self.names.pop()].pop()
        self.inline_run.pop()

    def close(self, name: str) -> None:
        """An end tag: it closes its element when every parser would (see the module)."""
        found = self.where.get(name)
        if not found:
            return
        above = len(self.names) - 1 - found[-1]
        if above <= self.inline_run[-1]:
            for _ in range(above + 1):
                self.pop()


def flatten(html: str, max_depth: int = MAX_NESTING) -> str:
    """``html`` with the tags of every element deeper than ``max_depth`` dropped (their
    content kept); ``max_depth=0`` drops every tag but void and raw-text elements."""
    out: list[str] = []
    opened = _OpenElements()
    dropped: dict[str, int] = {}  # elements whose start tags were dropped and are still open
    pos = 0
    n = len(html)
    while pos < n:
        lt = html.find("<", pos)
        if lt < 0:
            break
        end = _markup_end(html, lt)
        if end is not None:  # a comment or bogus comment, kept as it is
            out.append(html[pos:end])
            pos = end
            continue
        closing = html.startswith("</", lt)
        name_match = _TAG_NAME.match(html, lt + (2 if closing else 1))
        if name_match is None:  # a '<' that is text
            out.append(html[pos : lt + 1])
            pos = lt + 1
            continue
        attributes = _ATTRIBUTES.match(html, name_match.end())
        assert attributes is not None
        if attributes.end() >= n or html[attributes.end()] != ">":
            break  # a tag cut off by the end of the text: no element comes of it
        end = attributes.end() + 1
        name = name_match.group().lower()
        out.append(html[pos:lt])
        pos = end
        if closing:
            if dropped.get(name):  # the innermost element of that name is a dropped one
                dropped[name] -= 1
                continue
            if opened.top() == name:
                opened.pop()
            else:
                opened.close(name)
            out.append(html[lt:end])
            continue
        top = opened.top()
        if top is not None and (
            top in _IMPLIED_END.get(name, ()) or (top == "p" and name in _CLOSES_P)
        ):
            opened.pop()
        if name in RAW_TEXT:  # a leaf, kept at any depth: its text is not markup
            found = None if name == "plaintext" else _RAW_END[name].search(html, end)
            pos = n if found is None else found.start()
            out.append(html[lt:pos])
        elif name in VOID:
            out.append(html[lt:end])
        elif len(opened) >= max_depth:
            dropped[name] = dropped.get(name, 0) + 1
        else:
            opened.push(name)
            out.append(html[lt:end])
    out.append(html[pos:])
    return "".join(out)


def _markup_end(html: str, lt: int) -> int | None:
    """Where a comment, doctype or other ``<!…>``/``<?…>``/``</…>`` that is no tag ends."""
    if html.startswith("<!--", lt):
        if html.startswith(("<!-->", "<!--->"), lt):
            return html.index(">", lt + 4) + 1
        close = html.find("-->", lt + 4)
        return len(html) if close < 0 else close + 3
    if html.startswith(("<!", "<?"), lt) or (
        html.startswith("</", lt) and _TAG_NAME.match(html, lt + 2) is None
    ):
        gt = html.find(">", lt + 2)
        return len(html) if gt < 0 else gt + 1
    return None


def too_deep(html: str) -> bool:
    """Whether libxml2 finds ``html`` nested past the depth it builds trees to (256): its
    tree builder stops there, in C and at once; BeautifulSoup's event-driven use of it
    does not stop, and slows down in proportion to the depth."""
    parser = etree.HTMLParser()
    with contextlib.suppress(etree.LxmlError):
        etree.HTML(html, parser)
    return any(e.type == _RESOURCE_LIMIT for e in parser.error_log)


_RESOURCE_LIMIT = etree.ErrorTypes.ERR_RESOURCE_LIMIT
