"""A post's story print: what tells that two posts are the same article (issue 14.3).

Computed once per post in the scan, from the title and the raw body, without parsing the
HTML (the scan must stay cheap): tags, scripts, styles and comments are cut out with
patterns, the text is case-folded and read as tokens, each CJK
character one token (Chinese and Japanese have no spaces between words), each run of other
letters or digits one.

A print is two things, as one plain string (so the cache and a worker's pickle carry it):

- *exact keys*: a hash of the normalised title with the opening text; a Sina-style body
  that begins with a ``原标题：`` ("original title") line gives a second key with that title;
- a 64-bit *SimHash* over token trigrams of the opening text (:mod:`.simhash`), so a lightly
  edited copy lands within a few bits of the original while unrelated texts differ in about 32.

Texts too short to tell apart (a caption, an episode title over a picture) get neither.
"""

from __future__ import annotations

import hashlib
import re
from itertools import islice
from typing import NamedTuple

MAX_RAW_CHARS = 32_768  # of the raw body: the opening is all a print looks at
MAX_TEXT_CHARS = 12_000  # of its text
MAX_TOKENS = 2_000  # the opening a SimHash is made from
KEY_TOKENS = 48  # opening tokens in an exact key
MIN_TOKENS = 24  # below this a text gets no print at all

CJK_RANGES = (  # a token a character (rare Han beyond the BMP: read as words, 4x faster)
    (0x3040, 0x30FF),  # kana
    (0x3400, 0x4DBF),  # Han
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xAC00, 0xD7AF),  # Hangul syllables
)
_CJK = "".join(f"{chr(first)}-{chr(last)}" for first, last in CJK_RANGES)
_CUT = re.compile(
    r"<script\b.*?(?:</script\s*>|$)|<style\b.*?(?:</style\s*>|$)|<!--.*?(?:-->|$)"
    r"|```.*?(?:```|$)|\{%[^\n]{0,200}?%\}",
    re.IGNORECASE | re.DOTALL,
)
# [^<>]: an unclosed "<" costs a scan to the next "<", not to the end (linear time)
_LINE_TAG = re.compile(r"<(?:/p|br|/div|/h[1-6]|/li|/tr|/blockquote)\b[^<>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]*>")
_ENTITY = re.compile(r"&(?:#x[0-9a-f]+|#[0-9]+|[a-z][a-z0-9]*);", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"'()\[\]]+")
# a letter or digit: a CJK one alone, others in runs (the lookahead keeps out the kana
# block's punctuation, such as the middle dot)
_TOKEN = re.compile(f"(?=[^\\W_])[{_CJK}]|[^\\W_{_CJK}]+")
_ORIGINAL_TITLE = re.compile(r"^\W*原标题\s*[：:]\s*(.+)$", re.MULTILINE)


class StoryPrint(NamedTuple):
    """A post's exact keys (hex) and SimHash (None: too little text for one)."""

    keys: tuple[str, ...]
    simhash: int | None

    def pack(self) -> str:
        """As one string: ``<simhash hex or ->`` then each key, space-separated."""
        head = "-" if self.simhash is None else f"{self.simhash:016x}"
        return " ".join((head, *self.keys))

    @classmethod
    def unpack(cls, text: str) -> StoryPrint:
        """The inverse of :meth:`pack` ("": no print)."""
        if not text:
            return NO_PRINT
        head, *keys = text.split(" ")
        return cls(tuple(keys), None if head == "-" else int(head, 16))


NO_PRINT = StoryPrint((), None)


def plain_text(raw: str) -> str:
    """The readable text of a raw HTML or Markdown body, roughly: markup, code and links
    cut, entities dropped (they are punctuation, as far as a print cares), lines kept."""
    text = _CUT.sub(" ", raw[:MAX_RAW_CHARS])
    text = _LINE_TAG.sub("\n", text)
    return _URL.sub(" ", _ENTITY.sub(" ", _TAG.sub(" ", text)))


def tokens(text: str) -> list[str]:
    """Case-folded words, each CJK character a word of its own (one regex pass: a match a
    CJK character costs less than finding runs first and cutting them up in Python)."""
    return _TOKEN.findall(text.casefold())


def title_key(title: str) -> str:
    """A title as a key: case-folded, letters and digits only."""
    return "".join(tokens(title))


def story_print(title: str, raw_body: str) -> StoryPrint:
    """The print of a post titled ``title`` with the raw body ``raw_body``."""
    from .simhash import simhash  # NumPy: only when a post is printed

    text = plain_text(raw_body)[:MAX_TEXT_CHARS]
    titles = [title_key(title)]
    original = _ORIGINAL_TITLE.search(text, 0, 2000)
    if original is not None:
        titles.append(title_key(original.group(1)))
        text = text[: original.start()] + text[original.end() :]
    folded = text.casefold()
    count, value = simhash(folded, MIN_TOKENS)
    if count < MIN_TOKENS:
        return NO_PRINT
    opening = " ".join(word[0] for word in islice(_TOKEN.finditer(folded), KEY_TOKENS))
    keys = tuple(dict.fromkeys(_key(f"{t}\0{opening}") for t in titles if t))
    return StoryPrint(keys, value)


def _key(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def distance(a: int, b: int) -> int:
    """How many bits two SimHashes differ in."""
    return (a ^ b).bit_count()
