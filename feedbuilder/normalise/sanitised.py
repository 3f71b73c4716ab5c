"""Passes over the sanitiser's output: its text, its text without code, its blank lines.

Regular expressions are enough here because nh3's output is well-formed, holds no comments,
scripts or styles, and escapes every ``<`` that does not open a tag (in text and in
attribute values alike); each pattern runs in one linear pass.
"""

from __future__ import annotations

import bisect
import re

from .text import clean_text

_BLANK_LINES = re.compile(r"\n\s*\n\s*(?:\n\s*)*")
_BLOCK_BOUNDARY = re.compile(
    r"</?(?:p|div|br|li|tr|td|th|h[1-6]|blockquote|pre|figure|figcaption|dd|dt|hr|table|ul|ol"
    r"|dl|section|article|details|summary|caption)\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*+>",
    re.IGNORECASE,
)
_TAG = re.compile(r"<(?:[^>\"']|\"[^\"]*\"|'[^']*')*+>")
_CODE_TAG = re.compile(r"<(/?)(pre|code)[\s>]")


def plain_text(safe_html: str) -> str:
    """The text of *sanitised* HTML: blocks apart, inline markup joined (``*a*.`` → ``a.``)."""
    return clean_text(_TAG.sub("", _BLOCK_BOUNDARY.sub(" ", safe_html)))


def prose_text(safe_html: str) -> str:
    """:func:`plain_text` without the code: ``<pre>`` blocks, and ``<code>`` that is not part
    of a sentence (nothing but markup between it and the block around it)."""
    if "<pre" not in safe_html and "<code" not in safe_html:
        return plain_text(safe_html)
    boundaries: list[int] = []  # found when the first <code> outside <pre> needs them
    kept: list[str] = []
    pos = 0  # safe_html[pos:] is yet to be kept or dropped
    pre_depth = 0
    code_start = -1
    last_code_end = 0
    for m in _CODE_TAG.finditer(safe_html):
        closing, name = m.group(1) == "/", m.group(2)
        tag_end = safe_html.find(">", m.end() - 1) + 1
        if name == "pre":
            if not closing:
                if pre_depth == 0:
                    kept.append(safe_html[pos : m.start()])
                pre_depth += 1
            elif pre_depth:
                pre_depth -= 1
                if pre_depth == 0:
                    kept.append(" ")
                    pos = tag_end
        elif pre_depth == 0 and not closing and code_start < 0:
            code_start = m.start()
        elif pre_depth == 0 and closing and code_start >= 0:
            if not boundaries:
                boundaries = [m.end() for m in _BLOCK_BOUNDARY.finditer(safe_html)] or [0]
            if not _in_a_sentence(safe_html, code_start, tag_end, last_code_end, boundaries):
                kept.append(safe_html[pos:code_start])
                kept.append(" ")
                pos = tag_end
            code_start = -1
            last_code_end = tag_end
    if pre_depth == 0:
        kept.append(safe_html[pos:])
    return plain_text("".join(kept))


def _in_a_sentence(
    html: str, start: int, end: int, previous_code_end: int, boundaries: list[int]
) -> bool:
    """Whether text other than markup sits beside html[start:end] within its block (looking
    no further back than the code before it, nor further on than the code after it)."""
    i = bisect.bisect_right(boundaries, start) - 1
    before = html[max(previous_code_end, boundaries[i] if i >= 0 else 0) : start]
    j = bisect.bisect_left(boundaries, end)
    following = html[end : _block_end(html, end, boundaries, j)]
    return bool(_TAG.sub("", before).strip() or _TAG.sub("", following).strip())


def _block_end(html: str, end: int, boundaries: list[int], j: int) -> int:
    """Where the next block boundary after ``end`` begins (or the next ``<code>``)."""
    limit = len(html)
    if j < len(boundaries):
        opening = html.rfind("<", end, boundaries[j])
        limit = opening if opening >= 0 else boundaries[j]
    code = html.find("<code", end, limit)
    return code if code >= 0 else limit


def collapse_blank_lines(html: str) -> str:
    """Runs of blank lines to one newline, except inside ``<pre>`` and ``<code>``."""
    if "<pre" not in html and "<code" not in html:
        return _BLANK_LINES.sub("\n", html)
    out: list[str] = []
    pos = 0
    depth = 0
    for m in _CODE_TAG.finditer(html):
        if m.group(1):
            if depth:
                depth -= 1
                if depth == 0:
                    end = html.find(">", m.end() - 1) + 1
                    out.append(html[pos:end])
                    pos = end
        else:
            if depth == 0:
                out.append(_BLANK_LINES.sub("\n", html[pos : m.start()]))
                pos = m.start()
            depth += 1
    out.append(html[pos:] if depth else _BLANK_LINES.sub("\n", html[pos:]))
    return "".join(out)
