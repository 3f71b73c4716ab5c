"""Every scan and regular expression that cleaning applies to a body (or a summary, or a
title) runs in time linear in its input: hostile inputs of growing size, timed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from feedbuilder.normalise import content, hexofences, hexotags, markup, nesting, sanitised, text
from feedbuilder.normalise.content import clean_body

from .lineartime import assert_linear

BASE = "https://example.com/p/"


def markdown_body(body: str) -> object:
    return clean_body(body, "markdown", BASE, (), 200)


def html_body(body: str) -> object:
    return clean_body(body, "html", BASE, (), 200)


CASES: dict[str, tuple[Callable[[str], object], Callable[[int], str]]] = {
    # the junk blocks removed before parsing (content._JUNK_BLOCKS was 15 s for 20,000 '<!--')
    "unclosed comments": (content.remove_junk_blocks, lambda n: "<!--" * n),
    "unclosed scripts": (content.remove_junk_blocks, lambda n: "<script>" * n),
    "script openers without '>'": (content.remove_junk_blocks, lambda n: "<script a" * n),
    "scripts, one closed at the end": (
        content.remove_junk_blocks,
        lambda n: "<script>x" * n + "</script>",
    ),
    "unclosed xmp": (content.remove_junk_blocks, lambda n: "<xmp>" * n),
    "a body of unclosed comments": (html_body, lambda n: "<!--" * n),
    "a body of unclosed scripts": (html_body, lambda n: "<p>x</p><script>" * n),
    "end tags without '>'": (
        content.remove_junk_blocks,
        lambda n: "<style>" + "</style " * n,
    ),
    # the nesting cap's tokenizer
    "flatten: unclosed quotes": (nesting.flatten, lambda n: '<a b="' * n),
    "flatten: attributes": (nesting.flatten, lambda n: "<a " + "b=c " * n + ">"),
    "flatten: stray end tags": (nesting.flatten, lambda n: "<i>" * 300 + "</b>" * n),
    "flatten: bogus comments": (nesting.flatten, lambda n: "<!x" * n),
    # Hexo's tag scanner and fences
    "tags never closed": (markdown_body, lambda n: "{% img a" * n),
    "tags with quotes never closed": (markdown_body, lambda n: "{% \"' " * n + "%}"),
    "block tags never ended": (markdown_body, lambda n: "{% blockquote %}" * n + " endblockquote"),
    "Nunjucks comments never closed": (markdown_body, lambda n: "{#" * n),
    "variables never closed": (markdown_body, lambda n: "{{ " * n),
    "backtick runs, each shorter, never closed": (  # n characters, runs sqrt(2n) long
        markdown_body,
        lambda n: "".join("`" * k + " " for k in range(int((2 * n) ** 0.5), 0, -1)),
    ),
    "raw in code never ended": (markdown_body, lambda n: "`{% raw %}" * n),
    "fence openers never closed": (markdown_body, lambda n: "```a\n" * n),
    "fence lines": (markdown_body, lambda n: "```\n" * n),
    "fence info with backticks": (markdown_body, lambda n: "```" + "a`" * n + "\n"),
    "indented fence openers": (markdown_body, lambda n: "1" * n + ". ```\n"),
    # the summary and blank-line passes over sanitised HTML
    "code in paragraphs": (sanitised.prose_text, lambda n: "<p>" + "<code>a</code> " * n + "</p>"),
    "code beside code": (sanitised.prose_text, lambda n: "<p>" + "<code>a</code>" * n + "</p>"),
    "blank lines": (sanitised.collapse_blank_lines, lambda n: "<p>\n" + " \n" * n + "</p>"),
    "more markers never closed": (content.MORE_MARKER.search, lambda n: "<!--" + " " * n),
    # plain-text fields
    "whitespace in a title": (text.clean_text, lambda n: "a" + " \t\n" * n + "b"),
    "entities in a title": (text.clean_text, lambda n: "&amp" * n),
    "format detection": (markup.detect_format, lambda n: " " * n + "x"),
    # the tags' own argument parsing
    "img URL test": (lambda arg: hexotags.img_tag([arg], ""), lambda n: "a" * n),
    "quoted arguments": (hexotags.split_args, lambda n: '"' + "\\a" * n),
    "Hexo escaping": (hexotags.escape_hexo, lambda n: ("&" + "a" * 50) * (n // 50)),
    "indentation": (hexofences.strip_indent, lambda n: " " * n + "\n" + " " * n + "x"),
}


# Whole bodies go through BeautifulSoup (about a millisecond per thousand elements) and
# inputs that are a tag every few characters through a Python loop, so they grow from
# smaller sizes; single regular-expression scans start large enough to be timed well.
PER_ELEMENT = {"flatten: stray end tags", "code in paragraphs", "code beside code"}


@pytest.mark.parametrize("name", CASES)
def test_linear(name: str) -> None:
    run, make = CASES[name]
    if run in (markdown_body, html_body):
        sizes = (1_000, 4_000, 16_000)
    elif name in PER_ELEMENT:
        sizes = (4_000, 16_000, 64_000)
    else:
        sizes = (16_000, 64_000, 256_000)
    assert_linear(run, make, sizes=sizes, budget_seconds=3.0)


def test_the_given_summary_is_linear_too() -> None:
    assert_linear(
        lambda summary: clean_body("<p>x</p>", "html", BASE, (), 200, summary),
        lambda n: "<b>" * n,
        sizes=(1_000, 4_000, 16_000),
        budget_seconds=3.0,
    )
