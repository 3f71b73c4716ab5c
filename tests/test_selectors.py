"""The junk selectors tested on a tag directly match what soupsieve matches, and every other
selector is left to soupsieve."""

from __future__ import annotations

import soupsieve
from bs4 import Tag
from hypothesis import given, settings
from hypothesis import strategies as st

from feedbuilder.config import DEFAULT_JUNK_SELECTORS
from feedbuilder.models import PostBody
from feedbuilder.normalise.content import clean_body, parse_html
from feedbuilder.normalise.selectors import simple_test

# Words and names close to each other, in both cases, with the whitespace that is and is
# not CSS's (a no-break space, an ideographic space, a vertical tab).
WORDS = ["qr", "QR", "qrcode", "appendQr", "appendQr_wrap", "x-qr", "a", "", "K", "\u212a"]
SPACES = [" ", "\t", "\n", "\f", "\xa0", "\u3000", "\v", "  "]
ATTRS = ["class", "id", "data-x", "title", "CLASS", "Id", "type", "lang", "data-X"]
TAGS = ["div", "DIV", "p", "span", "template", "svg", "section"]

attribute_values = st.lists(
    st.tuples(st.sampled_from(WORDS), st.sampled_from(SPACES)), max_size=3
).map(lambda parts: "".join(w + s for w, s in parts))


@st.composite
def html_documents(draw: st.DrawFn) -> str:
    elements = []
    for _ in range(draw(st.integers(1, 5))):
        name = draw(st.sampled_from(TAGS))
        attrs = draw(st.dictionaries(st.sampled_from(ATTRS), attribute_values, max_size=3))
        shown = "".join(f' {k}="{v}"' for k, v in attrs.items())
        inner = draw(st.sampled_from(["", "text", '<i class="qr">i</i>']))
        elements.append(f"<{name}{shown}>{inner}</{name}>")
    nested = draw(st.booleans())
    return (
        f'<div class="{draw(attribute_values)}">{"".join(elements)}</div>'
        if nested
        else ("".join(elements))
    )


def _value() -> st.SearchStrategy[str]:
    word = st.sampled_from([w for w in WORDS if w and w.isascii()])
    return st.one_of(
        word,
        word.map(lambda w: f"'{w}'"),
        word.map(lambda w: f'"{w}"'),
        st.just('""'),
        st.just("'qr code'"),
    )


@st.composite
def simple_selectors(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from(["", "div", "DIV", "p", "template", "span"]))
    parts = []
    for _ in range(draw(st.integers(0 if head else 1, 3))):
        kind = draw(st.sampled_from(["class", "id", "attr", "presence"]))
        word = draw(st.sampled_from([w for w in WORDS if w and w.isascii()]))
        if kind == "class":
            parts.append(f".{word}")
        elif kind == "id":
            parts.append(f"#{word}")
        elif kind == "presence":
            parts.append(f"[{draw(st.sampled_from(['class', 'id', 'data-x', 'CLASS']))}]")
        else:
            name = draw(st.sampled_from(["class", "id", "data-x", "title", "Class"]))
            op = draw(st.sampled_from(["=", "*=", "^=", "$=", "~="]))
            parts.append(f"[{name}{op}{draw(_value())}]")
    return head + "".join(parts)


def _tags(html: str) -> list[Tag]:
    return parse_html(html, []).find_all(True)


@settings(max_examples=400, deadline=None)
@given(simple_selectors(), html_documents())
def test_simple_selectors_match_as_soupsieve_does(selector: str, html: str) -> None:
    test = simple_test(selector)
    assert test is not None, selector
    compiled = soupsieve.compile(selector)
    for tag in _tags(html):
        assert test(tag) == compiled.match(tag), (selector, str(tag))


def _every_single_part_selector() -> list[str]:
    words = ["qr", "QR", "qrcode", "appendQr_wrap", "x-qr"]
    selectors = [f"{head}{kind}{word}" for head in ("", "div") for kind in ".#" for word in words]
    for name in ("class", "id", "data-x", "title"):
        selectors.append(f"[{name}]")
        for op in ("=", "*=", "^=", "$=", "~="):
            for value in [*words, *(f"'{w}'" for w in words), '""', "'qr code'"]:
                selectors.append(f"[{name}{op}{value}]")
    return selectors


def _every_value_document() -> str:
    words = ["qr", "QR", "qrcode", "appendQr_wrap", "x-qr", "xqr", "qrx", ""]
    values = [*words, *(f"{s}{w}{s}qr{s}" for w in words for s in SPACES), "qr code", "\u212a"]
    tags = []
    for i, value in enumerate(values):
        for name in ("class", "id", "data-x", "title"):
            tag = TAGS[i % len(TAGS)]
            tags.append(f'<{tag} {name}="{value}"><b {name}="{value}">b</b></{tag}>')
    return "".join(tags)


def test_every_single_part_selector_matches_as_soupsieve_does() -> None:
    tags = _tags(_every_value_document())
    matched = 0
    for selector in _every_single_part_selector():
        test = simple_test(selector)
        assert test is not None, selector
        compiled = soupsieve.compile(selector)
        for tag in tags:
            expected = compiled.match(tag)
            assert test(tag) == expected, (selector, str(tag))
            matched += expected
    assert matched > 1000  # the document holds what the selectors look for


def test_the_default_selectors_are_simple() -> None:
    assert all(simple_test(s) is not None for s in DEFAULT_JUNK_SELECTORS)


def test_other_selectors_are_left_to_soupsieve() -> None:
    for selector in [
        "div p",
        "div > .x",
        "a + b",
        ".x:not(.y)",
        "p:first-child",
        "*",
        "[class*=qr i]",
        "[type=text]",  # HTML compares its value case-insensitively
        "[lang|=en]",
        ".a\\:b",
        "[class='a\\'b']",
        ".\u212a",
        "ns|p",
        "",
    ]:
        assert simple_test(selector) is None, selector


@st.composite
def bodies(draw: st.DrawFn) -> str:
    """Bodies with junk and images at any depth, now and then in an unclosed ``<template>``
    (soupsieve does not look inside one), or a ``<listing>``."""
    parts = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(
            st.sampled_from(["junk", "img", "text", "open", "close", "template", "listing"])
        )
        word = draw(st.sampled_from(["qrcode", "appendQr_wrap", "x", "QRCODE"]))
        if kind == "junk":
            parts.append(f'<div class="{word}"><img src="/{word}.png">promo</div>')
        elif kind == "img":
            parts.append(f'<img id="{word}" src="/{word}-{len(parts)}.jpg">')
        elif kind == "text":
            parts.append(f"<p>text {len(parts)}</p>")
        elif kind == "open":
            parts.append(f'<section class="{word} other">')
        elif kind == "close":
            parts.append("</section>")
        elif kind == "template":
            parts.append("<template>")
        else:
            parts.append(f'<listing class="{word}">\ncode {len(parts)}</listing>')
    return "".join(parts)


@settings(max_examples=200, deadline=None)
@given(
    bodies(), st.lists(st.sampled_from([*DEFAULT_JUNK_SELECTORS, "#x", "img#qrcode"]), min_size=1)
)
def test_a_body_cleans_as_if_soupsieve_matched_the_simple_selectors(
    body: str, selectors: list[str]
) -> None:
    """``:is(s)`` is ``s`` to soupsieve, and not one of the simple forms."""
    through_soupsieve = [f":is({s})" for s in selectors]
    assert all(simple_test(s) is None for s in through_soupsieve)
    assert clean(body, selectors) == clean(body, through_soupsieve)


def clean(body: str, selectors: list[str]) -> PostBody:
    return clean_body(body, "html", "https://example.com/post/", selectors, 200)
