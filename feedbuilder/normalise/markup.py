"""Telling HTML bodies from Markdown ones, cheaply (it runs for every post), and rendering
Markdown."""

from __future__ import annotations

import re

import cmarkgfm
from cmarkgfm.cmark import Options

_HTML_START = re.compile(r"^\s*<(?:!--|!doctype|[a-zA-Z][a-zA-Z0-9-]*[\s/>])", re.IGNORECASE)


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

    Raw HTML is kept here (``UNSAFE``) because the sanitiser runs on the result.
    """
    html: str = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)
    return html
