"""Front matter that YAML rejects, read the way a tolerant person would.

One bad scalar (``title: 'It's here'``, ``title: @name``, a title broken over lines) makes
YAML refuse the whole block. This reader splits the block by indentation into entries
(``key: value`` with the lines under it) and items (``- value``), gives each entry to YAML on
its own, and reads only the entries YAML still refuses, by hand: flow collections
(``[a, 'b', "c, d"]``, ``{a: 1}``) by their brackets and commas, quoted scalars up to the quote
that ends them (a stray quote inside is text), nested blocks by indentation. Every entry YAML
accepts keeps exactly YAML's reading. A line that fits nowhere is reported and left out.

Everything here is linear in the text: no backtracking pattern, and each level of nesting
(at most :data:`MAX_NESTING`) reads its lines once more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

MAX_NESTING = 16  # levels of mappings and lists under the front matter's own mapping
QUOTES = "'\""
_BLANK = " \t"  # YAML's whitespace

# ``strict(fragment)`` reads a YAML fragment exactly, or returns FAILED for a syntax error.
FAILED: Any = object()
Strict = Callable[[str], Any]

# A plain key (letters, digits, ``_ . -``, not starting with a digit) and its colon.
_PLAIN_KEY = re.compile(r"([^\W\d][\w.-]*)[ \t]*:(?:[ \t]+|$)")
_QUOTE_RUN = re.compile("'+")
_DOUBLE_ESCAPES = re.compile(r'\\.|"', re.DOTALL)


class _Line(NamedTuple):
    number: int  # 1-based in the front matter
    indent: int  # leading spaces and tabs, each counted as one column
    text: str  # the line without its indentation and trailing whitespace; "" when blank


class Recovery(NamedTuple):
    value: Any  # a mapping when anything was read
    unread: list[tuple[int, str]]  # (1-based line, reason): what was left out or guessed


def recover(text: str, strict: Strict, null_words: frozenset[str]) -> Recovery:
    """Read ``text`` leniently; ``strict`` is the exact YAML reader used for each entry."""
    reader = _Reader(strict, null_words)
    lines = [_line(number, raw) for number, raw in enumerate(text.split("\n"), 1)]
    value = reader.block("", 0, lines, -1)  # the front matter's own mapping is depth 0
    return Recovery(value, reader.unread)


def _line(number: int, raw: str) -> _Line:
    text = raw.lstrip(" \t")  # YAML's whitespace: str.strip() would eat U+3000 and the like
    return _Line(number, len(raw) - len(text), text.rstrip(" \t"))


def _is_item(text: str) -> bool:
    return text == "-" or text.startswith(("- ", "-\t"))


def _is_content(line: _Line) -> bool:
    return bool(line.text) and not line.text.startswith("#")


def _fragment(head: str, body: Sequence[_Line], base: int) -> str:
    """``head`` and ``body`` as YAML text, indentation relative to column ``base``."""
    rows = [head]
    rows.extend(" " * max(0, line.indent - base) + line.text for line in body)
    return "\n".join(rows) + "\n"  # as in the whole text: a block scalar keeps its last break


class _Reader:
    def __init__(self, strict: Strict, null_words: frozenset[str]) -> None:
        self.strict = strict
        self.null_words = null_words
        self.unread: list[tuple[int, str]] = []

    def report(self, line: int, reason: str) -> None:
        self.unread.append((line, reason))

    # Blocks: a value given on its key's line (``rest``) or by the lines under it (``body``).

    def block(self, rest: str, number: int, body: list[_Line], depth: int) -> Any:
        """The value of an entry or item of a collection at ``depth``."""
        if rest.startswith("#"):
            rest = ""
        content = [line for line in body if _is_content(line)]
        if not rest:
            if not content:
                return None
            first = content[0]
            nested = _is_item(first.text) or _key(first.text) is not None
            if nested and depth + 1 > MAX_NESTING:
                self.report(first.number, f"nested deeper than {MAX_NESTING} levels; left out")
                return None
            if _is_item(first.text):
                return self.sequence(body, depth + 1)
            if nested:
                return self.mapping(body, depth + 1)
            rest, number = first.text, first.number
            body = body[body.index(first) + 1 :]
            content = content[1:]
        if rest[0] in "[{":
            return self.flow(rest + "".join("\n" + line.text for line in body), number, depth)
        if rest[0] in QUOTES:
            return self.quoted(rest + "".join("\n" + line.text for line in body), number)
        if rest[0] in "|>" and content:
            return self.block_scalar(rest[0], content)
        return self.plain([rest, *(line.text for line in content)])

    def mapping(self, lines: list[_Line], depth: int) -> dict[Any, Any]:
        """Entries: a key line at the mapping's indent (or less) and the lines under it."""
        result: dict[Any, Any] = {}
        indent: int | None = None
        entry: tuple[_Line, str, str, list[_Line]] | None = None
        entries: list[tuple[_Line, str, str, list[_Line]]] = []
        for line in lines:
            if not _is_content(line):
                if entry is not None:
                    entry[3].append(line)
                continue
            if indent is None:
                indent = line.indent
            found = _key(line.text) if line.indent <= indent else None
            if found is not None:
                entry = (line, found[0], found[1], [])
                entries.append(entry)
            elif entry is not None:
                entry[3].append(line)  # an indentless list, a continuation, or nested lines
            else:
                self.report(line.number, "cannot read front matter line; left out")
        for head, key, rest, body in entries:
            parsed = self.strict(_fragment(head.text, body, head.indent))
            if isinstance(parsed, dict) and len(parsed) == 1:
                ((key, value),) = parsed.items()
            else:
                value = self.block(rest, head.number, body, depth)
            result[key] = value
        return result

    def sequence(self, lines: list[_Line], depth: int) -> list[Any]:
        """Items: a ``-`` line at the list's indent (or less) and the lines under it."""
        indent: int | None = None
        items: list[tuple[_Line, list[_Line]]] = []
        for line in lines:
            if not _is_content(line):
                if items:
                    items[-1][1].append(line)
                continue
            if indent is None:
                indent = line.indent
            if line.indent <= indent and _is_item(line.text):
                items.append((line, []))
            elif items:
                items[-1][1].append(line)
            else:
                self.report(line.number, "cannot read front matter line; left out")
        return [self.item(head, body, depth) for head, body in items]

    def item(self, head: _Line, body: list[_Line], depth: int) -> Any:
        parsed = self.strict(_fragment(head.text, body, head.indent))
        if isinstance(parsed, list) and len(parsed) == 1:
            return parsed[0]
        rest = head.text[1:].lstrip(" \t")
        inner = _Line(head.number, head.indent + len(head.text) - len(rest), rest)
        if rest and (self.starts_mapping(rest) or _is_item(rest)):  # - name: x, or - - x
            return self.block("", head.number, [inner, *body], depth)
        return self.block(rest, head.number, body, depth)

    def starts_mapping(self, item: str) -> bool:
        """Whether a sequence item is ``key: value``. One that opens and closes with the
        same quote while its "value" is no quoted value YAML reads (``- '9': '``,
        ``- '9': >'``, ``- '9': ''9'``) is one quoted value with a stray quote inside
        (``9': >``): its last quote closes its first."""
        found = _key(item)
        if found is None:
            return False
        quote, value = item[0], found[1]
        if quote in QUOTES and item.rstrip(_BLANK).endswith(quote):
            return value[:1] == quote and isinstance(self.strict(value), str)
        return True

    # Scalars.

    def plain(self, parts: Sequence[str]) -> str | None:
        text = " ".join(part.strip(_BLANK) for part in parts if part.strip(_BLANK))
        return None if text in self.null_words else text

    def block_scalar(self, style: str, content: list[_Line]) -> str:
        base = min(line.indent for line in content)
        rows = [" " * (line.indent - base) + line.text for line in content]
        return "\n".join(rows) + "\n" if style == "|" else " ".join(rows)

    def quoted(self, text: str, number: int) -> str:
        """A quoted scalar that YAML refused: ``'It's here'`` → ``It's here``.

        Runs of mixed quotes wrapped round a title by a scraper (``\"\"\"'转发'\"\"\"``) are
        stripped whole; otherwise the value ends at the last quote of its kind that only
        whitespace or a comment follows, and every quote before it is text.
        """
        text = text.strip(_BLANK + "\n")
        lead = len(text) - len(text.lstrip(QUOTES))
        trail = len(text) - len(text.rstrip(QUOTES))
        if (lead >= 2 and trail >= 2) or lead == len(text):
            return text.strip(QUOTES).strip(_BLANK)
        quote = text[0]
        end = _closing_quote(text, quote)
        if end is None:
            end = len(text)
            self.report(number, "quoted value never closed; read to the end of its lines")
        return self.unquote(quote, text[1:end])

    def unquote(self, quote: str, content: str) -> str:
        """The text inside quotes, with YAML's escapes and line folding where they apply."""
        if quote == "'":
            escaped = _QUOTE_RUN.sub(lambda m: "''" * ((len(m.group()) + 1) // 2), content)
        else:
            escaped = _DOUBLE_ESCAPES.sub(
                lambda m: m.group() if len(m.group()) == 2 else '\\"', content
            )
        value = self.strict(quote + escaped + quote)
        if isinstance(value, str):
            return value
        if quote == "'":
            content = escaped.replace("''", "'")
        return _fold(content)

    # Flow collections.

    def flow(self, text: str, number: int, depth: int) -> Any:
        return _Flow(self, text, number, depth).read()


def _closing_quote(text: str, quote: str) -> int | None:
    """The last ``quote`` after the first character that only blanks, or blanks and a
    comment, follow (found in one pass: trying each quote from the end was quadratic)."""
    body = text.rstrip(_BLANK + "\n")
    if len(body) > 1 and body[-1] == quote:
        return len(body) - 1
    last = None
    for match in _COMMENTED[quote].finditer(text, 1):
        last = match.start()
    return last


_COMMENTED = {q: re.compile(re.escape(q) + "[ \t\n]+#") for q in QUOTES}


def _fold(text: str) -> str:
    """YAML's folding of a multi-line flow scalar: a line break is a space, a blank line a
    newline, and the lines' own indentation goes."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    out = [lines[0].rstrip(_BLANK)]
    pending = ""
    for line in lines[1:-1]:
        stripped = line.strip(_BLANK)
        if not stripped:
            pending += "\n"
            continue
        out += (pending or " ", stripped)
        pending = ""
    out += (pending or " ", lines[-1].lstrip(_BLANK))
    return "".join(out)


def _key(text: str) -> tuple[str, str] | None:
    """(key, rest of the line) when ``text`` starts with ``key:``, else None."""
    if text[:1] in QUOTES:
        close = _closing_key_quote(text)
        if close < 0:
            return None
        after = text[close + 1 :].lstrip(" \t")
        if not after.startswith(":") or after[1:2] not in ("", " ", "\t"):
            return None
        inner = text[1:close]
        key = inner.replace("''", "'") if text[0] == "'" else inner.replace('\\"', '"')
        return key, after[1:].strip(_BLANK)
    match = _PLAIN_KEY.match(text)
    if match is None:
        return None
    return match.group(1), text[match.end() :].strip(_BLANK)


def _closing_key_quote(text: str) -> int:
    quote, position = text[0], 1
    while True:
        position = text.find(quote, position)
        if position < 0:
            return -1
        if quote == "'" and text[position + 1 : position + 2] == "'":
            position += 2
        elif quote == '"' and text[position - 1] == "\\":
            position += 1
        else:
            return position


class _Frame:
    """One open flow collection: a list, or a mapping with where it is in ``key: value``."""

    __slots__ = ("container", "key", "state")

    def __init__(self, container: list[Any] | dict[Any, Any]) -> None:
        self.container = container
        self.key: Any = None
        self.state = "key"  # mappings: "key" -> "colon" -> "value" -> "done"


class _Flow:
    """One flow collection, read in a single pass with an explicit stack (no recursion).

    Brackets and commas give the structure; ``key: value`` pairs the mappings; a quote
    closes its scalar only when a delimiter (or the end) follows it, so ``['It's', b]`` is
    two items. A collection left open is closed at the end of its lines, and reported.
    """

    def __init__(self, reader: _Reader, text: str, number: int, depth: int) -> None:
        self.reader, self.text, self.number, self.depth = reader, text, number, depth
        self.stack: list[_Frame] = []
        self.result: Any = None
        self.counted = (0, number)  # (position, its line): reports come in position order

    def line_at(self, position: int) -> int:
        start, line = self.counted
        if position < start:
            start, line = 0, self.number
        line += self.text.count("\n", start, position)
        self.counted = (position, line)
        return line

    def read(self) -> Any:
        text, position, size = self.text, 0, len(self.text)
        while position < size:
            char = text[position]
            if char in " \t\n":
                position += 1
            elif char == "#" and (position == 0 or text[position - 1] in " \t\n"):
                end = text.find("\n", position)
                position = size if end < 0 else end
            elif char in "[{":
                if self.depth + 1 + len(self.stack) > MAX_NESTING:
                    self.reader.report(
                        self.line_at(position), f"nested deeper than {MAX_NESTING} levels; left out"
                    )
                    position = _skip_collection(text, position)
                    self.add(None)
                else:
                    self.stack.append(_Frame([] if char == "[" else {}))
                    position += 1
            elif char in "]}":
                position += 1
                if self.close():
                    break
            elif char == ",":
                self.comma()
                position += 1
            elif char == ":" and self.expects_colon():
                self.stack[-1].state = "value"
                position += 1
            elif char in QUOTES:
                position = self.quoted(position)
            else:
                position = self.plain(position)
            if not self.stack:
                break  # the outermost collection was left out whole
        if self.stack:
            self.reader.report(self.number, "flow collection never closed; closed at its end")
            while not self.close():
                pass
        rest = text[position:].strip(_BLANK + "\n")
        if rest and not rest.startswith("#"):
            self.reader.report(self.line_at(position), "text after a closed bracket; left out")
        return self.result

    def in_mapping(self) -> bool:
        return bool(self.stack) and isinstance(self.stack[-1].container, dict)

    def expects_colon(self) -> bool:
        return self.in_mapping() and self.stack[-1].state in ("key", "colon")

    def add(self, value: Any) -> None:
        if not self.stack:
            self.result = value
            return
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            frame.container.append(value)
        elif frame.state == "value":
            self.store(frame, value)
        else:  # a key (after a missing comma, the previous pair ends here)
            if frame.state == "colon":
                self.store(frame, None)
            frame.key, frame.state = value, "colon"

    def store(self, frame: _Frame, value: Any) -> None:
        assert isinstance(frame.container, dict)
        key = frame.key
        if isinstance(key, list | dict):
            self.reader.report(self.number, "a collection used as a key; left out")
        else:
            frame.container[key] = value
        frame.key, frame.state = None, "done"

    def comma(self) -> None:
        if self.in_mapping() and self.stack[-1].state in ("colon", "value"):
            self.store(self.stack[-1], None)
        if self.in_mapping():
            self.stack[-1].state = "key"

    def close(self) -> bool:
        """Close the innermost collection; True when that was the outermost one."""
        if not self.stack:
            return True
        frame = self.stack[-1]
        if isinstance(frame.container, dict) and frame.state in ("colon", "value"):
            self.store(frame, None)
        self.stack.pop()
        self.add(frame.container)
        return not self.stack

    def closes(self, position: int) -> bool:
        """Whether a quote at ``position`` ends its scalar: a delimiter or the end follows."""
        after = _SPACES.match(self.text, position + 1)
        assert after is not None
        following = self.text[after.end() : after.end() + 1]
        if following in ("", ",", "]", "}"):
            return True
        if following == ":":
            return self.in_mapping()
        return following == "#" and after.end() > position + 1

    def quoted(self, position: int) -> int:
        text, quote = self.text, self.text[position]
        search = position + 1
        while True:
            found = text.find(quote, search)
            if found < 0:
                self.reader.report(self.line_at(position), "quoted value never closed")
                self.add(self.reader.unquote(quote, text[position + 1 :]))
                return len(text)
            if quote == "'" and text[found + 1 : found + 2] == "'" and not self.closes(found + 1):
                search = found + 2  # an escaped quote
            elif self.closes(found):
                self.add(self.reader.unquote(quote, text[position + 1 : found]))
                return found + 1
            else:
                search = found + 1  # a stray quote: text

    def plain(self, position: int) -> int:
        text, search = self.text, position + 1  # the first character is always text
        while True:
            found = _FLOW_SPECIAL.search(text, search)
            end = len(text) if found is None else found.start()
            if found is None or text[end] in ",]}":
                break
            char = text[end]
            if (
                char == ":"
                and self.in_mapping()
                and text[end + 1 : end + 2] in ("", " ", "\t", "\n", ",", "]", "}")
            ):
                break
            if char == "#" and text[end - 1] in " \t\n":
                break
            search = end + 1
        self.add(self.reader.plain(text[position:end].split("\n")))
        return end


_SPACES = re.compile(r"[ \t\n]*")
_FLOW_SPECIAL = re.compile(r"[,\]}:#]")
_BRACKETS = re.compile(r"[\[\]{}]")


def _skip_collection(text: str, position: int) -> int:
    """The position after the collection opening at ``position`` (or the end), by brackets alone."""
    depth = 0
    for match in _BRACKETS.finditer(text, position):
        depth += 1 if match.group() in "[{" else -1
        if depth == 0:
            return match.end()
    return len(text)
