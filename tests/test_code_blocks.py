"""Code comes out as it went in: every blank line, indent, tab and trailing space, on every
path (Markdown fences and indented blocks, raw HTML <pre>, <code>, <textarea>, <xmp>).

What is compared is the text a reader sees: the output is parsed as a feed reader would, and
the input's text is what a browser shows of it (which drops a newline right after <pre>).
"""

from __future__ import annotations

from html import escape

import lxml.html
from hypothesis import given, settings
from hypothesis import strategies as st

from feedbuilder.normalise.content import clean_body
from feedbuilder.normalise.hexotags import TagContext

BASE = "https://example.com/2024/01/02/post/"

# No backticks or tildes (a line of them would be a fence), no letters that could spell
# "raw" or an end tag: everything else code holds, blank lines and whitespace above all.
CODE_CHARS = "ab01 \t{}%#<>&\"'=*_-/\\!()[];:.,|$@^?"
code_lines = st.lists(st.text(alphabet=CODE_CHARS, max_size=12), min_size=1, max_size=12)


def clean(body: str, fmt: str, tags: TagContext | None = None) -> str:
    return clean_body(body, fmt, BASE, (), 200, tags=tags or TagContext()).content_html


def shown_code(html: str) -> list[str]:
    """Each <pre>'s text as a reader shows it (lxml keeps the newlines browsers drop: one
    right after <pre>, and the one that ends the last line)."""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    texts = []
    for pre in root.iter("pre"):
        text = pre.text_content()
        if pre.text and pre.text.startswith("\n"):
            text = text[1:]
        texts.append(text.removesuffix("\n"))
    return texts


def browser_text(pre_text: str) -> str:
    """What a browser shows of a <pre>'s text: not a newline right after <pre>, nor the one
    that ends the last line."""
    return (pre_text[1:] if pre_text.startswith("\n") else pre_text).removesuffix("\n")


@settings(max_examples=150, deadline=None)
@given(code_lines, st.sampled_from(["python", "js", "c++", ""]))
def test_fenced_code_is_byte_identical(lines: list[str], lang: str) -> None:
    code = "\n".join(lines)
    html = clean(f"Intro.\n\n```{lang}\n{code}\n```\n\nAfter.\n", "markdown")
    assert shown_code(html) == [code]
    if lang:
        assert f'<code class="language-{lang}">' in html


@settings(max_examples=150, deadline=None)
@given(code_lines)
def test_indented_code_is_byte_identical(lines: list[str]) -> None:
    # CommonMark: an indented block neither starts nor ends with a blank line.
    lines = ["a" + lines[0], *lines[1:-1], lines[-1] + "b"] if len(lines) > 1 else ["a"]
    body = "\n".join("    " + line for line in lines)
    assert shown_code(clean(body + "\n\nAfter.\n", "markdown")) == ["\n".join(lines)]


@settings(max_examples=150, deadline=None)
@given(code_lines, st.sampled_from(["html", "markdown"]))
def test_html_pre_and_code_are_byte_identical(lines: list[str], fmt: str) -> None:
    code = "\n".join(lines)
    # In Markdown a <pre> block runs to its end tag, blank lines and all; a <p> would not.
    body = f"Intro.\n\n<pre>{escape(code)}</pre>\n\n<pre><code>{escape(code)}</code></pre>\n"
    assert shown_code(clean(body, fmt)) == [browser_text(code), code.removesuffix("\n")]


@settings(max_examples=100, deadline=None)
@given(code_lines)
def test_textarea_and_xmp_become_pre_with_the_same_text(lines: list[str]) -> None:
    code = "\n".join(lines).replace("</", "<")  # xmp's text cannot hold its end tag
    body = f"<p>x</p><textarea rows=3>{escape(code)}</textarea><xmp>{code}</xmp>"
    html = clean(body, "html")
    assert shown_code(html) == [browser_text(code), code.removesuffix("\n")]
    assert "<textarea" not in html and "<xmp" not in html


def test_blank_lines_are_collapsed_outside_code_only() -> None:
    code = "def f():\n    a = 1\n\n\n    b = 2"
    html = clean(f"<p>a</p>\n\n\n<p>b</p>\n<pre><code>{code}</code></pre>\n\n\n<p>c</p>", "html")
    assert html == f"<p>a</p>\n<p>b</p>\n<pre><code>{code}</code></pre>\n<p>c</p>"


def test_the_issue_example() -> None:
    body = "```python\ndef f():\n    a = 1\n\n    b = 2\n```\n"
    assert shown_code(clean(body, "markdown")) == ["def f():\n    a = 1\n\n    b = 2"]


def test_a_blank_line_opening_a_pre_survives() -> None:
    # A browser shows <pre>\n\nx as a blank line then x; so must the reader of the output.
    assert shown_code(clean("<pre>\n\nx</pre>", "html")) == ["\nx"]
    assert shown_code(clean("<pre>\nx</pre>", "html")) == ["x"]


def test_only_language_classes_pass_the_sanitiser() -> None:
    html = clean(
        '<pre><code class="language-rust evil">x</code></pre><code class="x">y</code>'
        '<p class="language-js">z</p><pre class="language-go">w</pre>',
        "html",
    )
    assert (
        html == '<pre><code class="language-rust">x</code></pre><code>y</code><p>z</p><pre>w</pre>'
    )


def test_hexo_strips_the_indent_all_lines_share() -> None:
    body = "```js\n    if (a) {\n\n        b();\n    }\n```\n"
    hexo = TagContext(strip_code_indent=True)
    assert shown_code(clean(body, "markdown", hexo)) == ["if (a) {\n\n    b();\n}"]
    assert shown_code(clean(body, "markdown")) == ["    if (a) {\n\n        b();\n    }"]


def test_fence_in_a_quote_loses_its_markers() -> None:
    body = "> ```\n> a\n>\n>     b\n> ```\n"
    html = clean(body, "markdown")
    assert "<blockquote>" in html
    assert shown_code(html) == ["a\n\n    b"]


def test_fence_caption_is_a_figure() -> None:
    body = "```js Title here https://example.org/src Source\nx < y\n```\n"
    html = clean(body, "markdown")
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    (figure,) = root.iter("figure")
    assert figure.findtext("figcaption/span") == "Title here"
    assert figure.find("figcaption/a").get("href") == "https://example.org/src"
    assert shown_code(html) == ["x < y"]


def test_a_blank_line_ending_a_fence_is_shown_as_hexo_shows_it() -> None:
    # Hexo shows a last empty line of the code; a <pre> shows it only before a final newline.
    body = "```java\nfoo();\n\n```\n\n    bar();\n"
    assert shown_code(clean(body, "markdown", TagContext(strip_code_indent=True))) == [
        "foo();\n",
        "bar();",
    ]
