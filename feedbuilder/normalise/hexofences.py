"""Hexo's fenced code blocks (lib/plugins/filter/before_post_render/backtick_code_block.ts):
which lines open and close one, and the HTML it becomes.

Hexo finds fences with its own rules, not CommonMark's, before any tag or Markdown is
rendered, so neither touches their text: a fence may be indented any amount, sit after a
list marker or up to three ``>``, and closes only on a line holding the same fence alone.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from html import escape

# Hexo's rBacktick, split in two and applied to one line each: the opening line (with its
# newline) and the closing line.
_FENCE_OPEN = re.compile(
    r"((?:(?:[^\S\r\n]*>){0,3}|[-*+]|[0-9]+\.)[^\S\r\n]*)(`{3,}|~{3,})[^\S\r\n]*"
    r"((?:.*?[^`\s])?)[^\S\r\n]*\n"
)
_FENCE_CLOSE = re.compile(r"[^\S\r\n]*(?:>[^\S\r\n]*){0,3}(`{3,}|~{3,})[^\S\r\n]?")
_FENCE_OPTIONS = re.compile(
    r"\s((?:line_number|line_threshold|first_line|wrap|mark|language_attr|highlight):\S+)"
)
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,64}")


def _comment_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    while True:
        start = text.find("<!--", pos)
        if start < 0:
            return spans
        end = text.find("-->", start + 4)
        if end < 0:
            return spans
        spans.append((start, end + 3))
        pos = end + 3


def _fence_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line holding three backticks or tildes, in order, once each
    (``end`` at its newline): found with ``str.find``, far faster than a regex at every
    line of a long body."""
    lines: set[tuple[int, int]] = set()
    for fence in ("```", "~~~"):
        pos = text.find(fence)
        while pos >= 0:
            start = text.rfind("\n", 0, pos) + 1
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            lines.add((start, end))
            pos = text.find(fence, end)
    return sorted(lines)


def hide_fences(text: str, hide: Callable[[str], str], strip_code_indent: bool) -> str:
    """Replace each fenced block with ``hide(its finished HTML)``, as Hexo does: a block runs
    from an opening line to the next line holding the same fence and nothing else, and one
    inside an HTML comment is left alone. ``strip_code_indent``: Hexo's highlighter removes
    the indentation all the code's lines share."""
    closers: dict[str, list[int]] = {}  # fence -> starts of the lines that close it
    closer_ends: dict[int, int] = {}
    openings = []
    for start, end in _fence_lines(text):
        closer = _FENCE_CLOSE.fullmatch(text, start, end)
        if closer is not None:
            closers.setdefault(closer.group(1), []).append(start)
            closer_ends[start] = end
        if end < len(text):
            opening = _FENCE_OPEN.fullmatch(text, start, end + 1)
            if opening is not None:
                openings.append(opening)
    if not closers:
        return text
    comments = _comment_spans(text) if "<!--" in text else []
    comment_starts = [s for s, _ in comments]
    out: list[str] = []
    pos = 0
    for opening in openings:
        if opening.start() < pos:
            continue
        candidates = closers.get(opening.group(2), [])
        after = bisect.bisect_left(candidates, opening.end())
        if after == len(candidates):
            continue
        closing = candidates[after]
        block_end = closer_ends[closing]
        i = bisect.bisect_right(comment_starts, opening.start()) - 1
        if i >= 0 and comments[i][0] < opening.start() and comments[i][1] > block_end:
            continue  # inside an HTML comment: Hexo leaves it
        code = text[opening.end() : closing]
        code = code[:-1] if code.endswith("\n") else code
        prefix = opening.group(1)
        html = _fence_html(prefix, opening.group(3), code, strip_code_indent)
        out.append(text[pos : opening.start()])
        out.append(prefix)
        out.append(hide(html))
        pos = block_end
    out.append(text[pos:])
    return "".join(out)


def _fence_html(prefix: str, info: str, code: str, strip_code_indent: bool) -> str:
    if ">" in prefix:  # a fence inside a quote: its lines lose their markers
        depth = prefix.count(">")
        marker = r"^(?:[^\S\r\n]*>){0," + str(depth) + r"}(?:[^\S\r\n]|$)"
        code = re.sub(marker, "", code, flags=re.M)
    options = " ".join(m.group(1) for m in _FENCE_OPTIONS.finditer(info))
    info = _FENCE_OPTIONS.sub("", info).split("=", 1)[0]
    lang, caption = _fence_caption(info)
    if "highlight:false" in options.split():
        lang = ""
    if strip_code_indent:
        code = strip_indent(code)
    return code_html(code, lang, caption)


def _fence_caption(info: str) -> tuple[str, str]:
    """Hexo's ``rAllOptions``/``rLangCaption``: ``lang [caption [url [link text]]]``."""
    tokens = [m for m in re.finditer(r"\S+", info)]
    if not tokens:
        return "", ""
    lang = tokens[0].group()
    for j in range(2, len(tokens)):
        url = tokens[j].group()
        if re.match(r"https?://\S|/\S", url):
            caption = info[tokens[1].start() : tokens[j - 1].end()]
            rest = info[tokens[j].end() :].strip()
            return lang, f'<span>{caption}</span><a href="{url}">{rest or "link"}</a>'
    rest = info[tokens[0].end() :].strip()
    return lang, f"<span>{rest}</span>" if rest else ""


def code_html(code: str, lang: str, caption_html: str = "") -> str:
    """A code block as this renderer writes it: the language as ``class="language-x"``, and
    the code ended by a newline, as CommonMark's are (Hexo shows each line of the code, a
    last empty one too, which a ``<pre>`` shows only before a final newline)."""
    cls = f' class="language-{lang}"' if lang and _LANGUAGE.fullmatch(lang) else ""
    block = f"<pre><code{cls}>{escape(code, quote=False)}\n</code></pre>"
    if caption_html:
        return f"<figure><figcaption>{caption_html}</figcaption>{block}</figure>"
    return block


def strip_indent(text: str) -> str:
    """The strip-indent package (Hexo's ``stripIndent``): drop the indentation all non-blank
    lines share, counting tabs and spaces alike."""
    indents = [len(m.group()) for m in re.finditer(r"^[ \t]*(?=\S)", text, re.M)]
    indent = min(indents, default=0)
    if indent == 0:
        return text
    return re.sub("^[ \t]{" + str(indent) + "}", "", text, flags=re.M)
