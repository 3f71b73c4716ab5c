"""Hexo's code fences and built-in tag plugins, rendered the way Hexo 8 renders a post.

Hexo (lib/hexo/post.ts) works in this order, and so does :func:`render_hexo`:

1. fenced code blocks (```` ``` ```` and ``~~~``, Hexo's own ``backtick_code_block`` rules) are
   turned into finished HTML and hidden behind placeholders, so neither the tag scanner nor the
   Markdown renderer touches their text;
2. ``{% tag %}`` and ``{% tag %}…{% endtag %}`` are found by Hexo's scanner (inline backtick code
   and HTML comments shield what they hold, except ``{% raw %}``) and hidden the same way;
3. the Markdown renderer runs;
4. each placeholder is replaced by its HTML, except inside a ``<code>`` element, where Hexo
   shows the tag's source text instead.

The tags posts really use are rendered (``raw``, ``codeblock``/``code``, ``blockquote``/
``quote``, ``img``/``image``, ``asset_img``/``asset_image``, ``asset_link``, ``post_link``);
any other tag is left as text and named in a warning (Hexo itself would stop the build).
Every scan here is linear in the body's length: bodies are hostile input.
"""

from __future__ import annotations

import bisect
import posixpath
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urlsplit

from .hexofences import code_html, hide_fences, strip_indent
from .markup import render_markdown

PLACEHOLDER = re.compile("(?:<|&lt;)!--\ufffc([0-9]{1,9})\ufffc--(?:>|&gt;)")
MAX_TAG_NESTING = 16  # tags inside tags inside tags...: deeper ones are left as text


@dataclass(frozen=True, slots=True)
class PostLinkTarget:
    """What ``{% post_link slug %}`` links to: the other post's URL and title."""

    url: str
    title: str


PostResolver = Callable[[str], "PostLinkTarget | None"]


@dataclass(frozen=True, slots=True)
class TagContext:
    """Per-post facts that Hexo's tags need; the defaults suit a folder that is not a Hexo site.

    - ``render_tags``: False when the post's front matter says ``disableNunjucks: true``;
    - ``post_asset_folder``: the site's setting (``asset_img``/``asset_link`` need it);
    - ``permalink``: the post's absolute URL, which its assets sit under ("" = the base URL
      :func:`~feedbuilder.normalise.content.clean_body` is given);
    - ``site_root``: the site's URL with its ``root`` (``https://example.com/blog/``), which
      Hexo's ``url_for`` puts before root-relative tag URLs ("" = leave them to be resolved
      against the post, as any other link);
    - ``resolve_post``: a post's source slug (or title, as Hexo also tries) → its link and
      title, for ``post_link`` (None: every ``post_link`` is reported as missing);
    - ``assets``: the file names in the post's asset folder (None: not known, every name
      asked for is taken to exist);
    - ``strip_code_indent``: Hexo's highlighter removes the indentation that every line of a
      fenced code block shares; True in a Hexo site, so code matches what the site shows.
    """

    render_tags: bool = True
    post_asset_folder: bool = False
    permalink: str = ""
    site_root: str = ""
    resolve_post: PostResolver | None = None
    assets: frozenset[str] | None = None
    strip_code_indent: bool = False


@dataclass(slots=True)
class _Piece:
    html: str  # what the placeholder becomes
    source: str  # what a tag shows inside <code>: its own text
    raw: bool = False  # a {% raw %} block: its content, even inside <code>
    code: bool = False  # a fenced code block: its HTML, wherever it lands


@dataclass(slots=True)
class _Render:
    """The pieces hidden behind placeholders, and what went wrong with the tags."""

    context: TagContext
    markdown: Callable[[str], str]
    base_url: str
    pieces: list[_Piece] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)  # names of the tags left as text
    depth: int = 0

    def hide(self, piece: _Piece) -> str:
        self.pieces.append(piece)
        return f"<!--\ufffc{len(self.pieces) - 1}\ufffc-->"

    def hide_code(self, html: str) -> str:
        return self.hide(_Piece(html, html, code=True))

    def warn(self, reason: str) -> None:
        if reason not in self.warnings:
            self.warnings.append(reason)


@dataclass(frozen=True, slots=True)
class HexoResult:
    html: str
    unknown_tags: tuple[str, ...]  # tags left as text outside code, in order, once each
    warnings: tuple[str, ...]  # other problems (a post_link or asset that is not there)


def render_hexo(
    body: str,
    body_format: str,
    context: TagContext,
    markdown: Callable[[str], str],
    base_url: str = "",
) -> HexoResult:
    """``body`` as HTML with Hexo's fences and tags rendered (Markdown bodies through
    ``markdown``; HTML bodies get their tags only)."""
    state = _Render(context, markdown, context.permalink or base_url)
    text = body
    is_markdown = body_format == "markdown"
    if is_markdown and ("```" in text or "~~~" in text):
        text = hide_fences(text, state.hide_code, context.strip_code_indent)
    if context.render_tags and "{%" in text:
        text = _hide_tags(text, state, top_level=True)
    html = markdown(text) if is_markdown else text
    if state.pieces:
        html = _restore(html, state)
    unknown = _shown_tags(html, state.unknown) if state.unknown else ()
    return HexoResult(html, unknown, tuple(state.warnings))


_TAG_SHOWN = re.compile(r"\{%-?[ \n\t\r\f\v\u00a0]*([^ \n\t\r\f\v\u00a0%]+)")


def _shown_tags(html: str, unknown: set[str]) -> tuple[str, ...]:
    """The tags left as text that a reader sees outside code, once each, in order; not the
    ``{% endx %}`` of an ``x`` nor Nunjucks's ``else``/``elif``, which come with another."""
    regions = _code_regions(html) if _CODE_OPEN.search(html) else []
    starts = [start for start, _ in regions]
    names: dict[str, None] = {}
    for m in _TAG_SHOWN.finditer(html):
        name = m.group(1)
        if name in unknown and _region_of(m.start(), regions, starts) is None:
            names.setdefault(name, None)
    return tuple(
        name
        for name in names
        if not (name.startswith("end") and name[3:] in names)
        and not (name in _NUNJUCKS_INNER and len(names) > 1)
    )


def unknown_tag_warnings(body: str, body_format: str, front_matter: Mapping[str, Any]) -> list[str]:
    """Warnings for the tags Hexo would render but this renderer leaves as text: cheap
    enough for every post's front-matter pass (only bodies holding ``{%`` are rendered)."""
    if "{%" not in body or front_matter.get("disableNunjucks") is True:
        return []
    result = render_hexo(body, body_format, TagContext(), render_markdown)
    return [unknown_reason(name) for name in result.unknown_tags]


def unknown_reason(name: str) -> str:
    shown = name if len(name) <= 40 else name[:40] + "…"
    return f"Hexo tag {{% {shown} %}} is not supported; left as text"


# --- placeholders back to HTML ------------------------------------------------------------

_CODE_OPEN = re.compile(r"<code[^<>]*>", re.IGNORECASE)
_CODE_CLOSE = re.compile(r"</code>", re.IGNORECASE)


def _code_regions(html: str) -> list[tuple[int, int]]:
    """Hexo's ``/<code[^<>]*>[\\s\\S]+?<\\/code>/g`` spans, found in one pass."""
    regions: list[tuple[int, int]] = []
    pos = 0
    while True:
        opening = _CODE_OPEN.search(html, pos)
        if opening is None:
            return regions
        closing = _CODE_CLOSE.search(html, opening.end() + 1)
        if closing is None:
            return regions
        regions.append((opening.start(), closing.end()))
        pos = closing.end()


def _restore(html: str, state: _Render) -> str:
    """Swap every placeholder in ``html`` for its piece (each piece is final already).

    A placeholder the Markdown renderer escaped sat where it saw text (code spans, code
    blocks); one inside a ``<code>`` element shows the tag's source, as Hexo's does, unless
    that element also holds a ``{% raw %}`` (then Hexo renders all of them).
    """
    matches = list(PLACEHOLDER.finditer(html))
    if not matches:
        return html
    pieces = state.pieces
    only_fences = all(
        int(m.group(1)) >= len(pieces) or pieces[int(m.group(1))].code for m in matches
    )
    regions = [] if only_fences or _CODE_OPEN.search(html) is None else _code_regions(html)
    starts = [start for start, _ in regions]
    raw_regions = set()
    for m in matches:
        index = int(m.group(1))
        if index < len(state.pieces) and state.pieces[index].raw:
            raw_regions.add(_region_of(m.start(), regions, starts))
    out: list[str] = []
    pos = 0
    for m in matches:
        index = int(m.group(1))
        if index >= len(state.pieces):
            continue  # the body's own text that looks like a placeholder
        piece = state.pieces[index]
        escaped = m.group().startswith("&")
        region = _region_of(m.start(), regions, starts)
        if piece.raw or piece.code:
            text = piece.html
        elif escaped:
            text = escape(piece.source, quote=False)
        elif region is not None and region not in raw_regions:
            text = piece.source
        else:
            text = piece.html
        out.append(html[pos : m.start()])
        out.append(text)
        pos = m.end()
    out.append(html[pos:])
    return "".join(out)


def _region_of(
    position: int, regions: list[tuple[int, int]], starts: list[int]
) -> tuple[int, int] | None:
    i = bisect.bisect_right(starts, position) - 1
    if i >= 0 and position < regions[i][1]:
        return regions[i]
    return None


# --- Hexo's tag scanner (lib/hexo/post.ts, PostRenderEscape.escapeAllSwigTags) --------------

_EVENT = re.compile(r"(?<!\\)`+|\{[{%#]|<!--")
_NESTED_EVENT = re.compile(r"\{[{%#]")
_IN_CODE_EVENT = re.compile(r"\n\n|\{% *raw *%\}|`+")
_ENDRAW = re.compile(r"\{% *endraw *%\}")
_TAG_EVENT = re.compile(r"[\"']|%\}")
_NAME = re.compile(r"[ \n\t\r\f\v\u00a0]*([^ \n\t\r\f\v\u00a0]*)")


@dataclass(frozen=True, slots=True)
class _Tag:
    start: int
    end: int
    name: str
    args: str  # the text after the name, inside {% %}
    body: str | None = None  # for block tags: what lies between the tag and its end tag


class _Scanner:
    """One pass over a text, finding its tags with Hexo's rules; memos keep it linear."""

    def __init__(self, text: str, shield: bool) -> None:
        self.text = text
        self.shield = shield  # backtick code and HTML comments shield (top level only)
        self.failed_tag_scans: set[int] = set()  # (position * 3 + quote state) known unclosed
        self.missing_after: dict[str, int] = {}  # no such token from this position on
        self.no_brace_after = len(text) + 1
        self.no_end: dict[str, int] = {}
        self.has_end: dict[str, bool] = {}
        self.code_memo: tuple[int, int, int] = (-1, -1, -1)  # start, blank line, longest run
        self.endraw_missing_after = len(text) + 1
        self.raw_in_code: list[tuple[int, int]] = []

    def tags(self) -> Iterator[_Tag]:
        text = self.text
        event = _EVENT if self.shield else _NESTED_EVENT
        pos = 0
        while True:
            m = event.search(text, pos)
            if m is None:
                return
            token = m.group()
            start = m.start()
            if token[0] == "`":
                pos = self._inline_code(start, len(token))
                for raw_start, raw_end in self.raw_in_code:
                    yield self._raw_tag(raw_start, raw_end)
                self.raw_in_code.clear()
            elif token == "<!--":
                close = text.find("-->", m.end())
                if close < 0:
                    return
                pos = close + 3
            elif token == "{#":
                close = self._find("#}", m.end())
                pos = start + 1 if close < 0 else close + 2
            elif token == "{{":
                pos = self._variable_end(start)
            else:
                found = self._tag(start)
                if found is None:
                    pos = start + 1
                else:
                    yield found
                    pos = found.end

    def _find(self, token: str, pos: int) -> int:
        """``text.find(token, pos)``, remembering where it found nothing."""
        if pos >= self.missing_after.get(token, len(self.text) + 1):
            return -1
        found = self.text.find(token, pos)
        if found < 0:
            self.missing_after[token] = pos
        return found

    def _raw_tag(self, start: int, end: int) -> _Tag:
        opening = self.text.index("%}", start) + 2
        closing = self.text.rindex("{%", start, end)
        return _Tag(start, end, "raw", "", self.text[opening:closing])

    def _variable_end(self, start: int) -> int:
        """After ``{{ … }}`` (or after its ``{`` when it never closes)."""
        if start >= self.no_brace_after:
            return start + 1
        brace = self.text.find("}", start + 2)
        if brace < 0:
            self.no_brace_after = start
            return start + 1
        return brace + 2 if self.text.startswith("}", brace + 1) else brace + 1

    def _inline_code(self, start: int, count: int) -> int:
        """Where scanning resumes after a backtick run at ``start``: past the code span, or
        just past the run when no run as long follows before a blank line."""
        text = self.text
        memo_start, memo_blank, memo_longest = self.code_memo
        if memo_start <= start < memo_blank and count > memo_longest:
            return start + count
        pos = start + count
        longest = 0
        while True:
            m = _IN_CODE_EVENT.search(text, pos)
            if m is None or m.group() == "\n\n":
                blank = len(text) if m is None else m.start()
                self.code_memo = (start, blank, longest)
                self.raw_in_code.clear()
                return start + count
            token = m.group()
            if token[0] == "`":
                if len(token) >= count:
                    return m.end()
                longest = max(longest, len(token))
                pos = m.end()
            else:  # {% raw %} inside inline code is still a raw block
                end = self._endraw(m.end())
                if end is None:
                    pos = m.end()
                else:
                    self.raw_in_code.append((m.start(), end))
                    pos = end

    def _endraw(self, pos: int) -> int | None:
        if pos >= self.endraw_missing_after:
            return None
        m = _ENDRAW.search(self.text, pos)
        if m is None:
            self.endraw_missing_after = pos
            return None
        return m.end()

    def _tag_close(self, start: int) -> int | None:
        """The ``%}`` that closes the tag opened at ``start``, quotes respected."""
        text = self.text
        visited: list[int] = []
        quote = ""
        pos = start + 2
        while True:
            key = pos * 3 + ("", '"', "'").index(quote)
            if key in self.failed_tag_scans:
                self.failed_tag_scans.update(visited)
                return None
            visited.append(key)
            if quote:
                close_quote = self._find(quote, pos)
                if close_quote < 0:
                    self.failed_tag_scans.update(visited)
                    return None
                quote, pos = "", close_quote + 1
                continue
            m = None
            if pos < self.missing_after.get("quote or %}", len(text) + 1):
                m = _TAG_EVENT.search(text, pos)
            if m is None:
                self.missing_after["quote or %}"] = pos
                self.failed_tag_scans.update(visited)
                return None
            if m.group() == "%}":
                return m.start()
            quote, pos = m.group(), m.end()

    def _tag(self, start: int) -> _Tag | None:
        close = self._tag_close(start)
        if close is None:
            return None
        inner = self.text[start + 2 : close]
        if inner.endswith("-"):  # {%- … -%}: Nunjucks's whitespace control
            inner = inner[:-1]
        if inner.lstrip().startswith("-"):
            inner = inner.lstrip()[1:]
        name_match = _NAME.match(inner)
        assert name_match is not None
        name = name_match.group(1)
        args = inner[name_match.end() :]
        end = close + 2
        if name in BLOCK_TAGS and self._has_end(name):
            found = self._block_end(end, "end" + name)
            if found is not None:
                body_end, block_end = found
                return _Tag(start, block_end, name, args, self.text[end:body_end])
        return _Tag(start, end, name, args)

    def _has_end(self, name: str) -> bool:
        if name not in self.has_end:
            self.has_end[name] = ("end" + name) in self.text
        return self.has_end[name]

    def _block_end(self, pos: int, needle: str) -> tuple[int, int] | None:
        """Hexo's end search: the first ``{% … %}`` whose text holds ``end<name>``."""
        text = self.text
        if pos >= self.no_end.get(needle, len(text) + 1):
            return None
        scan = pos
        while True:
            opening = text.find("{%", scan)
            close = text.find("%}", opening + 2) if opening >= 0 else -1
            if close < 0:
                self.no_end[needle] = pos
                return None
            if text.find(needle, opening + 2, close) >= 0:
                return opening, close + 2
            scan = close  # any later {% before this %} holds a suffix of this text


# --- the tags --------------------------------------------------------------------------------

BLOCK_TAGS = frozenset({"raw", "codeblock", "code", "blockquote", "quote"})
SINGLE_TAGS = frozenset({"img", "image", "asset_img", "asset_image", "asset_link", "post_link"})
_NUNJUCKS_INNER = frozenset({"else", "elif", "elseif"})


def _hide_tags(text: str, state: _Render, top_level: bool) -> str:
    """Replace each tag this renderer knows with a placeholder for its HTML; the others stay
    as text, for the Markdown renderer (and the reader) to see."""
    out: list[str] = []
    pos = 0
    for tag in _Scanner(text, shield=top_level).tags():
        source = text[tag.start : tag.end]
        piece = _tag_piece(tag, source, state)
        if piece is not None:
            out.append(text[pos : tag.start])
            out.append(state.hide(piece))
            pos = tag.end
    out.append(text[pos:])
    return "".join(out)


def _tag_piece(tag: _Tag, source: str, state: _Render) -> _Piece | None:
    name = tag.name
    if name == "raw" and tag.body is not None:
        return _Piece(tag.body, source, raw=True)
    if name in BLOCK_TAGS and tag.body is None:
        state.warn(f"Hexo tag {{% {name} %}} has no {{% end{name} %}}; left as text")
        return None
    if name not in SINGLE_TAGS and name not in BLOCK_TAGS:
        state.unknown.add(name)
        return None
    if state.depth >= MAX_TAG_NESTING:
        state.warn(f"Hexo tags nested over {MAX_TAG_NESTING} deep; the inner ones left as text")
        return None
    args = split_args(tag.args)
    if name in ("codeblock", "code"):
        return _Piece(_codeblock(args, _nested(tag.body or "", state)), source)
    if name in ("blockquote", "quote"):
        return _Piece(_blockquote(args, tag.body or "", state), source)
    if name in ("img", "image"):
        return _Piece(img_tag(args, state.context.site_root), source)
    if name in ("asset_img", "asset_image"):
        return _Piece(_asset_img(args, state), source)
    if name == "asset_link":
        return _Piece(_asset_link(args, state), source)
    return _Piece(_post_link(args, state), source)


def _nested(body: str, state: _Render) -> str:
    """A code block's body with its own tags rendered, as Nunjucks renders them first."""
    if "{%" not in body:
        return body
    state.depth += 1
    try:
        return _restore(_hide_tags(body, state, top_level=False), state)
    finally:
        state.depth -= 1


_ARG_TOKEN = re.compile(
    r'"((?:[^"\\]|\\.)*+)"?|\'((?:[^\'\\]|\\.)*+)\'?|([ \n\t\r\u00a0]+)|([^ \n\t\r\u00a0"\']+)',
    re.DOTALL,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def split_args(text: str) -> list[str]:
    """A tag's arguments as Nunjucks tokenises them: whitespace apart, quotes removed."""
    args: list[str] = []
    current: list[str] = []
    for m in _ARG_TOKEN.finditer(text):
        if m.group(3) is not None:
            item = "".join(current).strip()
            if item:
                args.append(item)
            current = []
        elif m.group(4) is not None:
            current.append(m.group(4))
        else:
            quoted = m.group(1) if m.group(1) is not None else m.group(2)
            current.append(re.sub(r"\\(.)", lambda e: _ESCAPES.get(e[1], e[1]), quoted, flags=re.S))
    item = "".join(current).strip()
    if item:
        args.append(item)
    return args


_HEXO_ESCAPE = re.compile(r"[<>\"'`/=]|&(?!(?:#\d{1,7}|#[Xx][a-fA-F0-9]{1,6}|\w+);)")
_HEXO_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
    "`": "&#96;",
    "/": "&#x2F;",
    "=": "&#x3D;",
}


def escape_hexo(text: str) -> str:
    """hexo-util's ``escapeHTML``: entities already written are left alone."""
    return _HEXO_ESCAPE.sub(lambda m: _HEXO_ESCAPES[m.group()], text)


def html_tag(name: str, attrs: list[tuple[str, str | None]], text: str | None = None) -> str:
    """hexo-util's ``htmlTag``: attributes without a value are left out."""
    parts = [f"<{name}"]
    for attr, value in attrs:
        if value is not None:  # URLs are escaped only as attributes need, as encodeURL does
            shown = escape(value) if attr in ("src", "href") else escape_hexo(value)
            parts.append(f' {attr}="{shown}"')
    if text is None:
        return "".join(parts) + ">"
    return "".join(parts) + f">{escape_hexo(text) if text else text}</{name}>"


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def url_for(path: str, site_root: str) -> str:
    """hexo-util's ``url_for``: a site path gets the root's path in front (``/blog/a.png``),
    other URLs are left alone."""
    if re.match(r"#|//", path) or _SCHEME.match(path):
        return path
    root = urlsplit(site_root).path if site_root else "/"
    return "/" + (root.strip("/") + "/" + path.lstrip("/")).lstrip("/")


# img.ts's rUrl, reduced to what ``rUrl.test`` decides (the rest of it is optional).
_LOOKS_LIKE_URL = re.compile(
    r"[A-Za-z]{3}:(?://)?[A-Za-z0-9.-]|www.[A-Za-z0-9.-]|[-;:&=+$,\w]@[A-Za-z0-9.-]", re.ASCII
)


def img_tag(args: list[str], site_root: str) -> str:
    """``{% img [class names] /path/to/image [width] [height] '"title" "alt"' %}``."""
    args = list(args)
    classes: list[str] = []
    src = None
    while args:
        item = args.pop(0)
        if _LOOKS_LIKE_URL.search(item) or item.startswith("/"):
            src = url_for(item, site_root)
            break
        classes.append(item)
    width = height = title = alt = None
    if args:
        if not re.search(r"\D", args[0]):
            width = args.pop(0)
            if args and not re.search(r"\D", args[0]):
                height = args.pop(0)
        meta = " ".join(args)
        title_re = r'"?([^"]+)?"?' if meta.startswith('"') else r"'?([^']+)?'?"
        alt_re = r'"?([^"]+)?"?' if meta.endswith('"') else r"'?([^']+)?'?"
        m = re.search(title_re + r"\s*" + alt_re, meta)
        if m:
            title, alt = m.group(1), m.group(2)
    attrs = [("src", src), ("class", " ".join(classes)), ("width", width), ("height", height)]
    return html_tag("img", [*attrs, ("title", title), ("alt", alt)])


def _asset_url(slug: str, state: _Render) -> str:
    """An asset's URL: beside the post's permalink, its ``.html`` dropped, as Hexo puts it."""
    base = re.sub(r"\.html?$", "", state.base_url)
    return posixpath.join(base, slug) if base else slug


def _find_asset(args: list[str], state: _Render, tag: str) -> int | None:
    context = state.context
    if not context.post_asset_folder:
        state.warn(f"{{% {tag} %}} needs post_asset_folder; left out")
        return None
    if context.assets is not None:
        found = next((i for i, arg in enumerate(args) if arg in context.assets), None)
    else:
        found = next((i for i, arg in enumerate(args) if "." in arg), 0 if args else None)
    if found is None:
        wanted = next((a for a in args if "." in a), args[0] if args else "")
        state.warn(f"{{% {tag} %}}: no {wanted!r} in the post's asset folder; left out")
    return found


def _asset_img(args: list[str], state: _Render) -> str:
    found = _find_asset(args, state, "asset_img")
    if found is None:
        return ""
    args = list(args)
    args[found] = _asset_url(args[found], state)
    return img_tag(args, state.context.site_root)


def _escape_flag(args: list[str]) -> tuple[list[str], bool]:
    if args and args[-1] in ("true", "false"):
        return args[:-1], args[-1] == "true"
    return args, True


def _asset_link(args: list[str], state: _Render) -> str:
    found = _find_asset(args[:1], state, "asset_link")
    if found is None:
        return ""
    slug = args[0]
    rest, escape_title = _escape_flag(args[1:])
    title = " ".join(rest) if rest else slug
    attr_title = escape_hexo(title)
    text = attr_title if escape_title else title
    return f'<a href="{escape(_asset_url(slug, state))}" title="{attr_title}">{text}</a>'


def _post_link(args: list[str], state: _Render) -> str:
    if not args:
        state.warn("{% post_link %} names no post; left out")
        return ""
    slug, hash_ = args[0], ""
    parts = slug.split("#")
    if len(parts) == 2:
        slug, hash_ = parts
    rest, escape_title = _escape_flag(args[1:])
    resolve = state.context.resolve_post
    target = resolve(slug) if resolve is not None else None
    if target is None:
        state.warn(f"{{% post_link {slug} %}}: no such post; its text is kept without a link")
        text = " ".join(rest) if rest else slug
        return escape_hexo(text) if escape_title else text
    title = " ".join(rest) if rest else target.title
    text = escape_hexo(title) if escape_title else title
    href = target.url + (f"#{hash_}" if hash_ else "")
    return f'<a href="{escape(href)}" title="{escape_hexo(target.title)}">{text}</a>'


def _codeblock(args: list[str], body: str) -> str:
    """``{% codeblock [title] [lang:x] [url] [link text] [options] %}`` (tag/code.ts)."""
    body = _trim_body(body)
    enable = True
    kept: list[str] = []
    lang = ""
    for arg in args:
        key, colon, value = arg.partition(":")
        if key == "highlight" and colon:
            enable = value == "true"
        elif key == "lang" and colon:
            lang = value
        elif colon and key in (
            "line_number",
            "line_threshold",
            "first_line",
            "wrap",
            "mark",
            "language_attr",
        ):
            continue
        else:
            kept.append(arg)
    if not enable:
        return f"<pre><code>{escape_hexo(body)}</code></pre>"
    return code_html(body, lang, _code_caption(" ".join(kept)))


def _code_caption(arg: str) -> str:
    """code.ts's caption: ``title``, ``title url``, or ``title url link text``."""
    tokens = list(re.finditer(r"\S+", arg))
    if not tokens:
        return ""
    urls = [j for j in range(1, len(tokens)) if re.match(r"https?://\S", tokens[j].group(), re.I)]
    with_title = [j for j in urls if j < len(tokens) - 1]
    if with_title:
        j = with_title[-1]
        title = arg[tokens[j].end() :].strip()
        return html_tag("span", [], arg[: tokens[j - 1].end()].strip()) + html_tag(
            "a", [("href", tokens[j].group())], title
        )
    if urls:
        j = urls[-1]
        caption = arg[: tokens[j - 1].end()].strip()
        return html_tag("span", [], caption) + html_tag("a", [("href", tokens[j].group())], "link")
    return html_tag("span", [], arg.strip())


def _trim_body(body: str) -> str:
    """tag.ts's ``trimBody``: common indentation off, one newline off each end."""
    body = strip_indent(body)
    body = body[1:] if body.startswith("\n") else body
    return body[:-1] if body.endswith("\n") else body


def _blockquote(args: list[str], body: str, state: _Render) -> str:
    """``{% blockquote [author[, source]] [link] [source_link_title] %}`` (tag/blockquote.ts)."""
    state.depth += 1
    try:
        hidden = _hide_tags(body, state, top_level=False)
    finally:
        state.depth -= 1
    hidden = _trim_body(hidden)
    rendered = state.markdown(hidden)
    html = "<blockquote>" + _restore(rendered, state) + _quote_footer(" ".join(args))
    return html + "</blockquote>"


def _quote_footer(text: str) -> str:
    if not text:
        return ""
    tokens = list(re.finditer(r"\S+", text))
    author = source = title = ""
    urls = [j for j in range(1, len(tokens)) if re.match(r"https?://\S", tokens[j].group(), re.I)]
    with_title = [j for j in urls if j < len(tokens) - 1]
    if with_title:
        j = with_title[-1]
        author, source = text[: tokens[j - 1].end()], tokens[j].group()
        title = text[tokens[j].end() :].strip()
    elif urls:
        j = urls[-1]
        author, source = text[: tokens[j - 1].end()], tokens[j].group()
    else:
        author, title = _author_title(text)
    footer = f"<strong>{author}</strong>" if author else ""
    if source:
        link = re.sub(r"^https?://|/(index.html?)?$", "", source)
        footer += f'<cite><a href="{source}">{title or link}</a></cite>'
    elif title:
        footer += f"<cite>{title}</cite>"
    return f"<footer>{footer}</footer>"


def _author_title(text: str) -> tuple[str, str]:
    """blockquote.ts's ``/([^,]+),\\s*([^,]+)/``: ``author, title`` (else all of it is the
    author), without the regex's backtracking."""
    segments = text.split(",")
    for i in range(len(segments) - 1):
        after = segments[i + 1].lstrip()
        if segments[i] and after:
            return segments[i], after
    return text, ""
