"""Telling HTML bodies from Markdown ones, cheaply: it runs for every post."""

from __future__ import annotations

import re

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
