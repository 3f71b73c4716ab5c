"""hexo-util's ``slugize`` (lib/slugize.ts), used for ``:post_title``, ``:category`` and
file names that do not match ``new_post_name``.

Its ``escapeDiacritic`` is a table of Latin letters; here the same answers come from the
letters' Unicode names, checked letter by letter against hexo-util over Latin-1, Latin
Extended-A and Latin Extended Additional (tests/test_hexo_oracle.py). Rarer letters (IPA,
Latin Extended-B to -E) are left as they are, as Hexo leaves every other script.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Where the name rule gives exactly hexo-util's table: Latin-1 Supplement and Latin
# Extended-A, Latin Extended Additional, circled and full-width Latin letters.
_RANGES = ((0xC0, 0x180), (0x1E00, 0x1F00), (0x24B6, 0x24EA), (0xFF21, 0xFF5B))
_LETTER = re.compile(
    r"(?:CIRCLED |FULLWIDTH )?LATIN (CAPITAL|SMALL) (?:LETTER|LIGATURE) "
    r"(?:(?:SHARP|DOTLESS|LONG) )?([A-Z]{1,2})(?: (?:WITH|PRECEDED) .*)?"
)
# The table's own answers where the name rule differs.
_TABLE_QUIRKS = {
    "\u008c": "OE",
    "\u009c": "oe",
    "\u017f": "l",  # long s: the table says l
    "\u0132": None,  # the IJ ligatures are not in the table
    "\u0133": None,
    "\u1e9c": None,
    "\u1e9d": None,
}
_CONTROL = re.compile("[\u0000-\u001f]")
# JavaScript's \s (Unicode White_Space plus U+FEFF), then hexo-util's list of specials.
_SPECIAL = re.compile(
    "[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
    r"""~`!@#$%^&*()\-_+=\[\]{}|\\;:"'<>,.?/]+"""
)


@lru_cache(maxsize=4096)
def _base_letter(char: str) -> str | None:
    if char in _TABLE_QUIRKS:
        return _TABLE_QUIRKS[char]
    code = ord(char)
    if not any(start <= code < end for start, end in _RANGES):
        return None
    match = _LETTER.fullmatch(unicodedata.name(char, ""))
    if match is None:
        return None
    letters = match.group(2)
    return letters if match.group(1) == "CAPITAL" else letters.lower()


def escape_diacritic(text: str) -> str:
    """Latin letters with diacritics as their base letters: ``Ünï`` → ``Uni``."""
    if text.isascii():
        return text
    return "".join(_base_letter(char) or char if not char.isascii() else char for char in text)


def slugize(text: str, transform: int = 0, separator: str = "-") -> str:
    """hexo-util's slugize: diacritics off, control characters gone, runs of spaces and
    punctuation one separator, none at the ends; ``transform`` 1 lower-cases, 2 upper-cases.
    Other scripts stay as they are (``你好，世界`` keeps its full-width comma)."""
    result = _SPECIAL.sub(separator, _CONTROL.sub("", escape_diacritic(text)))
    sep = re.escape(separator)
    result = re.sub(f"{sep}{{2,}}", separator, result)
    result = re.sub(f"^{sep}+|{sep}+$", "", result)
    if transform == 1:
        return result.lower()
    if transform == 2:
        return result.upper()
    return result
