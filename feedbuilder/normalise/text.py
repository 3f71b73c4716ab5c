"""Plain-text fields: unescape the generator's entities, trim, NFC, and keep XML 1.0 legal."""

from __future__ import annotations

import html
import re
import unicodedata

# Everything XML 1.0 forbids: C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF.
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_WHITESPACE = re.compile(r"\s+")


def strip_xml_illegal(text: str) -> str:
    """Drop characters that no XML 1.0 document may contain."""
    return _XML_ILLEGAL.sub("", text)


def has_xml_illegal(text: str) -> bool:
    return _XML_ILLEGAL.search(text) is not None


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
