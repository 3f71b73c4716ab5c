"""On a real Hexo blog, every fenced code block comes out byte for byte as its source."""

from __future__ import annotations

import re

import lxml.html
import pytest

from feedbuilder.collect.frontmatter import split_post
from feedbuilder.normalise.content import clean_body

from .conftest import CORPORA

POSTS = CORPORA / "daichangya+hexo-blog" / "source" / "_posts"
# Hexo's own fence rule (backtick_code_block.ts), fences outside quotes only.
FENCE = re.compile(
    r"^((?:[-*+]|[0-9]+\.)?[^\S\r\n]*)(`{3,}|~{3,})[^\S\r\n]*((?:.*?[^`\s])?)[^\S\r\n]*\n"
    r"((?:[\s\S]*?\n)?)(?:(?:[^\S\r\n]*>){0,3}[^\S\r\n]*)\2[^\S\r\n]?(?:\n+|$)",
    re.MULTILINE,
)


@pytest.mark.skipif(not POSTS.is_dir(), reason="the shared corpora are not here")
def test_every_fenced_block_is_byte_identical() -> None:
    differing = []
    with_code = 0
    for path in sorted(POSTS.rglob("*.md")):
        body = split_post(path.read_text(encoding="utf-8"), 1 << 20).body
        fences = [m.group(4).removesuffix("\n") for m in FENCE.finditer(body)]
        if not fences:
            continue
        with_code += 1
        html = clean_body(body, "markdown", "https://tushu.info/p/", (), 200).content_html
        root = lxml.html.fragment_fromstring(html, create_parent="div")
        # What a browser shows: not the newline that ends a <pre>'s last line.
        shown = iter(pre.text_content().removesuffix("\n") for pre in root.iter("pre"))
        if not all(any(code == text for text in shown) for code in fences):
            differing.append(path.name)
    assert with_code > 350
    assert differing == []
