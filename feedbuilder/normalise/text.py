"""Plain-text fields: unescape the generator's entities, trim, NFC, and keep XML 1.0 legal."""

from __future__ import annotations

import html
import re
import unicodedata

# Everything XML 1.0 forbids: C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF.
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# What YAML may contain (a subset of the above): also no DEL and C1 controls but NEL.
_CONTROL = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_WHITESPACE = re.compile(r"\s+")


def strip_xml_illegal(text: str) -> str:
    """Drop characters that no XML 1.0 document may contain."""
    return _XML_ILLEGAL.sub("", text)


def strip_control(text: str) -> tuple[str, int | None]:
    """Drop control characters that neither YAML nor XML accepts, before either sees the text.

    Returns the cleaned text and the 1-based line of the first one removed (None if none).
    """
    first = _CONTROL.search(text)
    if first is None:
        return text, None
    return _CONTROL.sub("", text), text.count("\n", 0, first.start()) + 1


def clean_text(text: str) -> str:
    """A one-line label: HTML entities decoded, whitespace collapsed, NFC, XML-safe."""
    text = html.unescape(text)
    text = strip_xml_illegal(text)
    text = _WHITESPACE.sub(" ", text).strip()
    return unicodedata.normalize("NFC", text)


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, at a word boundary when one is near."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + "…"
