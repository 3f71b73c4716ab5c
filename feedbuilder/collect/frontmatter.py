"""Front matter: python-frontmatter splits it, a strict-but-safe YAML loader reads it.

The loader only ever builds plain mappings, lists and strings (and ``None`` for an empty
or ``null`` value): scalars keep the text as written, so ``title: 12_00`` stays "12_00"
instead of YAML 1.1's integer 1200, and dates are parsed by :mod:`..normalise.dates`.
When YAML fails, :mod:`.lenient` recovers the structure a person would read, entry by entry.
Limits (:data:`MAX_SCALAR_CHARS`, :data:`~.lenient.MAX_NESTING`, :data:`MAX_NODES`) bound what
any front matter can cost later stages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import frontmatter
import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.cyaml import CParser  # type: ignore[attr-defined]
from yaml.resolver import BaseResolver

from .lenient import FAILED, MAX_NESTING, recover

MAX_NODES = 10_000
MAX_SCALAR_CHARS = 32_768  # the longest value in either real corpus is 563 characters
MAX_NOTES = 10  # recovered lines reported one by one; the rest are counted
RECOVERED = "recovered with lenient front matter"  # in the warning of every recovered post


class FrontMatterError(ValueError):
    """Front matter that cannot be read; ``line`` is 1-based in the file, when known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class UnsafeFrontMatter(FrontMatterError):
    """Front matter that tries to construct objects or expand without bound: never recovered."""


class _TextResolver(BaseResolver):
    """Resolves plain scalars to null or string only: no bools, numbers or timestamps."""


# The words YAML reads as null; for label keys (TEXT_KEYS) all but "~" are read as text.
NULL_WORDS = frozenset({"~", "null", "Null", "NULL"})
_TextResolver.add_implicit_resolver(
    "tag:yaml.org,2002:null",
    re.compile("^(?:" + "|".join(map(re.escape, sorted(NULL_WORDS))) + "|)$"),
    [*{word[0] for word in NULL_WORDS}, ""],
)
# Keys whose values are labels: a literal `null` there is the text "null" (RSSHub writes
# `title: null` for untitled items), like any other scalar YAML would retype.
TEXT_KEYS = frozenset({"title", "author", "categories", "category", "tags"})


class TextLoader(CParser, SafeConstructor, _TextResolver):
    """Safe loading, at libyaml speed, with every scalar as text."""

    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        SafeConstructor.__init__(self)
        _TextResolver.__init__(self)


Note = tuple[int | None, str]  # (1-based line in the file, when known; reason)


@dataclass(frozen=True, slots=True)
class Split:
    metadata: dict[str, Any]
    body: str
    notes: list[Note] = field(default_factory=list)  # warnings: what was recovered or cut


def _count_nodes(value: Any, budget: int = MAX_NODES) -> int:
    """Count nodes as if aliases were expanded, stopping once past ``budget`` (alias bombs)."""
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        count += 1
        if count > budget:
            raise UnsafeFrontMatter(
                f"unsafe front matter: expands to more than {budget} values (YAML alias bomb?)"
            )
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


# The flat shape nearly every post's front matter has: ``key: scalar`` lines, block lists
# and one-line flow lists of scalars. Read by :func:`simple_yaml` without libyaml; anything
# else falls through.
_SIMPLE_MAX_LINES = 200  # longer front matter goes to libyaml and its node budget
_SIMPLE_KEY = re.compile(r"([A-Za-z_][\w-]*):(?: +(.*))?", re.ASCII)
_SIMPLE_ITEM = re.compile(r"( *)- +(.*)")
# ``[a, b]`` with no character that could nest, quote, comment or end a plain scalar inside.
_SIMPLE_FLOW = re.compile(r"\[([^\[\]{}:?#'\"]*)\] *")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
# What libyaml refuses or reads as a line break (NEL, LS, PS), a BOM, and tabs: let it decide.
# Listed, not complemented: the complement's class took 9 ms to compile, paid by every run.
_NOT_SIMPLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


class _NotSimple(Exception):
    """The front matter leaves the flat shape: libyaml must read it."""


def _simple_scalar(value: str) -> str | None:
    """A one-line scalar as :class:`TextLoader` would read it; raises :class:`_NotSimple`.

    Quoted ones are checked with string methods, not patterns: a value is looked at once,
    whatever its quotes."""
    quote = value[:1]
    if quote == "'" or quote == '"':
        text = value.rstrip(" ")
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != quote:
            raise _NotSimple
        if quote == "'":
            if "'" in inner.replace("''", ""):  # a quote not doubled: YAML reads on
                raise _NotSimple
            return inner.replace("''", "'")
        if '"' in inner or "\\" in inner:  # escapes: libyaml decodes them
            raise _NotSimple
        return inner
    if _is_plain(value):
        value = value.rstrip(" ")
        return None if value in NULL_WORDS else value
    raise _NotSimple


def _is_plain(value: str) -> bool:
    """A one-line plain scalar: no indicator or space first, no ``": "`` or ``" #"`` inside,
    no ``:`` last (checked without a pattern: one that looked ahead at every character was
    quadratic on long lines)."""
    return (
        bool(value)
        and value[0] not in _INDICATORS
        and not value[0].isspace()
        and ": " not in value
        and " #" not in value
        and not value.rstrip(" ").endswith(":")
    )


def _simple_flow(value: str) -> list[str | None]:
    """A one-line flow list of plain scalars (``[a, b]``) as :class:`TextLoader` reads it;
    raises :class:`_NotSimple` (empty items, a trailing comma: libyaml decides)."""
    match = _SIMPLE_FLOW.fullmatch(value)
    if match is None:
        raise _NotSimple
    inner = match.group(1)
    if not inner.strip(" "):
        return []
    items: list[str | None] = []
    for item in inner.split(","):
        item = item.strip(" ")
        if not _is_plain(item):
            raise _NotSimple
        items.append(None if item in NULL_WORDS else item)
    return items


def simple_yaml(text: str) -> dict[str, Any] | None:
    """Read the common flat front matter exactly as :class:`TextLoader` does, but in a
    third of the time.

    Returns ``None`` for anything outside that shape (quoting with escapes, nesting, comments,
    multi-line scalars or lists, anchors, tags...), which then goes to libyaml.
    """
    lines = text.split("\n")
    if len(lines) > _SIMPLE_MAX_LINES or _NOT_SIMPLE.search(text):
        return None
    try:
        return _read_simple(lines) or None
    except _NotSimple:
        return None


def _read_simple(lines: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    items: list[Any] | None = None  # the list under the last bare ``key:``
    indent = ""  # of that list's items, which must all line up
    key: str | None = None  # the last key, when it had no value on its line
    for line in lines:
        if not line or line.isspace():
            continue
        if match := _SIMPLE_KEY.fullmatch(line):
            name, value, items = match.group(1), match.group(2), None
            if name in NULL_WORDS:
                raise _NotSimple
            if value is None or not value.strip():
                key, result[name] = name, None
            elif value[0] == "[":
                key, result[name] = None, _simple_flow(value)
            else:
                key, result[name] = None, _simple_scalar(value)
            continue
        match = _SIMPLE_ITEM.fullmatch(line)
        if match is None or key is None:
            raise _NotSimple
        if items is None:
            items, indent = [], match.group(1)
            result[key] = items
        elif match.group(1) != indent:
            raise _NotSimple
        items.append(_simple_scalar(match.group(2)))
    return result


def _libyaml(text: str) -> Any:
    loader = TextLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_yaml(text: str, first_line: int) -> Any:
    simple = simple_yaml(text)
    if simple is not None:
        return simple
    try:
        value = _libyaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark is not None else None
        if isinstance(exc, ConstructorError):
            # Only the safe constructor ever runs: an unknown tag is refused, not executed.
            raise UnsafeFrontMatter(f"unsafe front matter: {exc.problem}", line) from None
        raise FrontMatterError(f"invalid YAML: {exc.problem or exc.context}", line) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise FrontMatterError(f"invalid YAML: {exc}") from None
    _count_nodes(value)
    return value


def strict_fragment(text: str) -> Any:
    """One entry of front matter read by YAML exactly, or :data:`~.lenient.FAILED`.

    Unsafe tags and alias bombs are refused here too: recovery never constructs objects.
    """
    try:
        value = _libyaml(text)
    except ConstructorError as exc:
        raise UnsafeFrontMatter(f"unsafe front matter: {exc.problem}") from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        return FAILED
    _count_nodes(value)
    return value


def lenient_load(text: str, first_line: int) -> tuple[dict[str, Any], list[Note]]:
    """Recover front matter that YAML rejected (see :mod:`.lenient`), or raise.

    ``first_line`` is the file's line number of the front matter's first line.
    """
    value, unread = recover(text, strict_fragment, NULL_WORDS)
    if not isinstance(value, dict) or not value:
        raise FrontMatterError("no key: value lines could be read")
    _count_nodes(value)
    notes: list[Note] = [(first_line + line - 1, reason) for line, reason in unread[:MAX_NOTES]]
    if len(unread) > MAX_NOTES:
        notes.append((None, f"and {len(unread) - MAX_NOTES} more front matter lines left out"))
    return value, notes


def _keep_null_text(metadata: dict[str, Any], fm: str) -> dict[str, Any]:
    """Give label keys whose value was the word ``null`` that text back (see TEXT_KEYS)."""
    for key in TEXT_KEYS & metadata.keys():
        if metadata[key] is None:
            word = _top_level_value(fm, key)
            if word is not None and word != "~" and word in NULL_WORDS:
                metadata[key] = word
    return metadata


def _top_level_line(fm: str, key: str) -> int | None:
    """The 0-based line of ``key:`` at the start of a line of ``fm``, if any."""
    for number, line in enumerate(fm.split("\n")):
        if line.startswith(key) and line[len(key) :].lstrip(" \t").startswith(":"):
            return number
    return None


def _top_level_value(fm: str, key: str) -> str | None:
    number = _top_level_line(fm, key)
    if number is None:
        return None
    line = fm.split("\n")[number]
    return line[len(key) :].lstrip(" \t")[1:].strip()


def enforce_limits(metadata: dict[str, Any], fm: str, first_line: int) -> list[Note]:
    """Cut scalars over :data:`MAX_SCALAR_CHARS` and drop values nested deeper than
    :data:`~.lenient.MAX_NESTING`, in place; one note each, at its key's line when found."""
    if _plainly_within_limits(metadata):
        return []
    notes: list[Note] = []
    for key, value in metadata.items():
        reasons = _limit_value(metadata, key, value)
        if reasons:
            number = _top_level_line(fm, key)
            line = None if number is None else first_line + number
            notes.extend((line, f"{key}: {reason}") for reason in reasons)
    return notes


def _plainly_within_limits(metadata: dict[str, Any]) -> bool:
    """The common case, checked fast: short text values and flat lists of short text."""
    for value in metadata.values():
        if type(value) is str:
            if len(value) > MAX_SCALAR_CHARS:
                return False
        elif type(value) is list:
            for item in value:
                if item is not None and (type(item) is not str or len(item) > MAX_SCALAR_CHARS):
                    return False
        elif value is not None:
            return False
    return True


def _limit_value(parent: dict[str, Any], key: str, value: Any) -> list[str]:
    """Apply the limits to one top-level value (iteratively: values may nest 1,000 deep)."""
    reasons: list[str] = []
    stack: list[tuple[dict[Any, Any] | list[Any], Any, Any, int]] = [(parent, key, value, 0)]
    while stack:
        container, slot, item, depth = stack.pop()
        if isinstance(item, str) and len(item) > MAX_SCALAR_CHARS:
            container[slot] = item[:MAX_SCALAR_CHARS]
            reasons.append(
                f"a value of {len(item)} characters, cut to the first {MAX_SCALAR_CHARS}"
            )
        elif isinstance(item, dict | list):
            if depth >= MAX_NESTING:
                container[slot] = None
                reasons.append(f"nested deeper than {MAX_NESTING} levels; left out")
                continue
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            stack.extend((item, k, v, depth + 1) for k, v in pairs)
    return reasons


_HANDLER = frontmatter.default_handlers.YAMLHandler()  # its boundary rules; our loader


def split_post(text: str, max_front_matter: int) -> Split:
    """Split a post's text into metadata and body. Raises :class:`FrontMatterError`.

    Blank lines before the opening ``---`` are allowed (the seed's generator writes one).
    """
    stripped = text.lstrip()
    offset = text.count("\n", 0, len(text) - len(stripped))
    text = stripped
    opening = _HANDLER.FM_BOUNDARY.match(text)  # what the handler's detect() does
    if opening is None:
        raise FrontMatterError("no front matter (the file must start with a '---' line)", 1)
    try:
        fm, body = _HANDLER.split(text)
    except ValueError:
        raise FrontMatterError("front matter is never closed (no second '---' line)", 1) from None
    if len(fm) > max_front_matter:
        raise FrontMatterError(f"front matter larger than {max_front_matter} bytes", 1)
    first_line = offset + 1 + text.count("\n", 0, opening.end())  # the file's line of fm's first
    notes: list[Note] = []
    try:
        metadata = load_yaml(fm, first_line)
    except UnsafeFrontMatter:
        raise
    except FrontMatterError as exc:
        try:
            metadata, notes = lenient_load(fm, first_line)
        except UnsafeFrontMatter:
            raise
        except FrontMatterError:
            raise exc from None
        why = exc.reason.removeprefix("invalid YAML: ")
        notes.insert(0, (exc.line, f"invalid YAML ({why}), {RECOVERED}"))
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise FrontMatterError(
            f"front matter is a {type(metadata).__name__}, not a mapping of keys to values", 2
        )
    metadata = {str(k): v for k, v in metadata.items()}
    notes.extend(enforce_limits(metadata, fm, first_line))
    return Split(_keep_null_text(metadata, fm), body, notes)
