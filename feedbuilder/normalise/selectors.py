"""Junk selectors that name a tag by its own name, classes, id and attributes alone (the
default ones: ``.appendQr_wrap``, ``[class*='qrcode']``), tested on a tag directly.

soupsieve stays the judge of every other selector; for these, matching each tag through it
cost more than parsing the body, and compiling its first selector a further half second in
every process. A selector is taken here only in a form whose meaning is plain, matched as
soupsieve matches it in an HTML document parsed by lxml (pinned against soupsieve in
tests/test_selectors.py):

- a type selector (``div``) compares ASCII-lowercased names;
- ``.name`` is one of the ``class`` value's words, split at ASCII whitespace;
- ``#name`` is the whole ``id`` value;
- ``[attr]`` is present; ``[attr=v]``, ``[attr*=v]``, ``[attr^=v]``, ``[attr$=v]`` and
  ``[attr~=v]`` compare case-sensitively (an empty ``v`` matches only with ``=``).

Attribute names are looked up as they are: lxml lowercases ASCII letters in them, as
soupsieve does before comparing. Attributes whose values HTML compares case-insensitively
(``type``, ``lang``...), escapes, comments, flags, combinators and pseudo-classes are left
to soupsieve.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from bs4 import Tag

Test = Callable[[Tag], bool]

_IDENT = r"-?[_a-zA-Z][_a-zA-Z0-9-]*"
# Names whose values HTML does not compare case-insensitively (soupsieve's exceptions).
_ATTR = r"class|id|style|title|href|src|alt|name|role|itemprop|data-[a-z0-9_-]+|aria-[a-z-]+"
_VALUE = rf"\"(?P<dq>[^\"\\\n\r\f\x00]*)\"|'(?P<sq>[^'\\\n\r\f\x00]*)'|(?P<bare>{_IDENT})"
_PART = re.compile(
    rf"\.(?P<cls>{_IDENT})|#(?P<id>{_IDENT})"
    rf"|\[ *(?P<attr>{_ATTR}) *(?:(?P<op>[*^$~]?=) *(?:{_VALUE}) *)?\]",
    re.IGNORECASE | re.ASCII,  # ASCII: no "K" (the Kelvin sign) for "k"
)
_TYPE = re.compile(_IDENT, re.ASCII)
_ASCII_WHITESPACE = re.compile("[ \t\r\n\f]+")


def simple_test(selector: str) -> Test | None:
    """A test matching the tags ``selector`` matches, if it is one of the simple forms."""
    pos, tests = 0, []
    type_name = _TYPE.match(selector)
    if type_name is not None:
        tests.append(_type_test(type_name.group().lower()))
        pos = type_name.end()
    while pos < len(selector):
        part = _PART.match(selector, pos)
        if part is None:
            return None
        tests.append(_part_test(part))
        pos = part.end()
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]
    return lambda tag: all(test(tag) for test in tests)


def any_of(tests: Iterable[Test]) -> Test:
    """One test for a list of them (a tag matches when any does)."""
    found = tuple(tests)
    if len(found) == 1:
        return found[0]
    return lambda tag: any(test(tag) for test in found)


def _type_test(name: str) -> Test:
    return lambda tag: tag.name == name or (tag.name.isascii() and tag.name.lower() == name)


def _part_test(part: re.Match[str]) -> Test:
    if part.group("cls") is not None:
        return _word_test("class", part.group("cls"))
    if part.group("id") is not None:
        return _value_test("id", "=", part.group("id"))
    name, op = part.group("attr").lower(), part.group("op")
    if op is None:
        return lambda tag: name in tag.attrs
    value = next(v for v in part.group("dq", "sq", "bare") if v is not None)
    return _word_test(name, value) if op == "~=" else _value_test(name, op, value)


def _value_test(name: str, op: str, value: str) -> Test:
    if op != "=" and not value:
        return lambda tag: False  # soupsieve: "should match nothing if the value is empty"
    compare: Callable[[str], bool] = {
        "=": lambda found: found == value,
        "*=": lambda found: value in found,
        "^=": lambda found: found.startswith(value),
        "$=": lambda found: found.endswith(value),
    }[op]

    def test(tag: Tag) -> bool:
        found = tag.attrs.get(name)
        return found is not None and compare(str(found))

    return test


def _word_test(name: str, word: str) -> Test:
    """``word`` is one of the attribute's words (split at ASCII whitespace)."""
    if not word:
        return lambda tag: False

    def test(tag: Tag) -> bool:
        found = tag.attrs.get(name)
        if found is None:
            return False
        text = str(found)
        return word in text and word in _ASCII_WHITESPACE.split(text)

    return test
