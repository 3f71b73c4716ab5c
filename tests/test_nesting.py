"""Bodies nested thousands of levels deep cost that post its deep markup, nothing more: no
RecursionError, bounded time, the text kept, the reason reported."""

from __future__ import annotations

import lxml.html
import pytest

from feedbuilder.normalise.content import clean_body, inner_html
from feedbuilder.normalise.nesting import MAX_NESTING, flatten

from .lineartime import assert_linear

DEEP = 5_000
NESTED_BODIES = {
    "div": ("<div>" * DEEP + "deep text" + "</div>" * DEEP, "html"),
    "b": ("<b>" * DEEP + "deep text", "html"),
    "unclosed font": ('<font color="red">x' * DEEP + "deep text", "html"),
    "div and stray end tags": ("<div>" * DEEP + "deep text" + "</span>" * DEEP, "html"),
    "Markdown quotes": (">" * DEEP + " deep text", "markdown"),
    "Markdown lists": (
        "".join("  " * i + "- item\n" for i in range(600)) + "  " * 600 + "- deep text",
        "markdown",
    ),
    "nested lists": ("<ul><li>" * DEEP + "deep text", "html"),
}


def depth(html: str) -> int:
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    deepest, stack = 0, [(root, 0)]
    while stack:
        element, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in element)
    return deepest


@pytest.mark.parametrize("name", NESTED_BODIES)
def test_deep_body_is_flattened_not_fatal(name: str) -> None:
    body, fmt = NESTED_BODIES[name]
    cleaned = clean_body(body, fmt, "https://example.com/p/", (), 200)
    assert "deep text" in cleaned.content_html
    assert depth(cleaned.content_html) <= MAX_NESTING + 2
    assert cleaned.problems == (
        f"HTML nested deeper than {MAX_NESTING} levels: the deeper tags were dropped, "
        "their text kept",
    )


def test_shallow_bodies_are_untouched() -> None:
    body = "<div>" * 100 + "<p>text</p>" + "</div>" * 100
    cleaned = clean_body(body, "html", "https://example.com/p/", (), 200)
    assert cleaned.problems == ()
    assert cleaned.content_html == body


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "<div>" * n + "x" + "</span>" * n,  # quadratic in lxml's event parser
        lambda n: "<div>" * n + "x" + "</div>" * n,
        lambda n: "<font>x" * n,
        lambda n: ">" * n + " x",
    ],
)
def test_deep_bodies_clean_in_linear_time(make) -> None:  # type: ignore[no-untyped-def]
    assert_linear(
        lambda body: clean_body(body, "html", "https://example.com/p/", (), 200),
        make,
        sizes=(1_000, 4_000, 16_000),
        budget_seconds=3.0,
    )


def test_inner_html_walks_without_recursion() -> None:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup("<b>" * 20_000 + "x", "lxml")  # deeper than Python's recursion limit
    assert inner_html(soup) == "<b>" * 20_000 + "x" + "</b>" * 20_000


def test_flatten_drops_the_tags_past_the_cap_and_keeps_the_text() -> None:
    assert flatten("<div><div><div>x<b>y</b></div></div></div>", 2) == "<div><div>xy</div></div>"
    assert flatten("<b><i>x</b></i>", 1) == "<b>x</b>"
    assert flatten("<p>a<p>b<p>c", 1) == "<p>a<p>b<p>c"  # each <p> closes the one before


def test_flatten_reads_html_as_html() -> None:
    # '>' inside a quoted attribute, markup inside comments and raw text: not tags.
    body = '<div title="a></div>">' * 3 + "<!-- <div><div> -->" + "<xmp><div><div></xmp>x"
    assert flatten(body, 2) == '<div title="a></div>">' * 2 + body[66:]
    assert flatten("<div a='1' b=2 c>x</div>", 0) == "x"
