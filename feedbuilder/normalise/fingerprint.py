"""A post's story print: what tells that two posts are the same article (issue 14.3).

Computed once per post in the scan, from the title and the raw body, without parsing the
HTML (the scan must stay cheap): tags, scripts, styles and comments are cut out with
patterns, the text is case-folded and read as tokens, each CJK
character one token (Chinese and Japanese have no spaces between words), each run of other
letters or digits one.

A print is two things, as one plain string (so the cache and a worker's pickle carry it):

- *exact keys*: a hash of the normalised title with the opening text; a Sina-style body
  that begins with a ``原标题：`` ("original title") line gives a second key with that title;
- a 64-bit *SimHash* over token trigrams of the opening text, so a lightly edited copy lands
  within a few bits of the original while unrelated texts differ in about 32.

Texts too short to tell apart (a caption, an episode title over a picture) get neither.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from operator import itemgetter
from typing import NamedTuple

MAX_RAW_CHARS = 32_768  # of the raw body: the opening is all a print looks at
MAX_TEXT_CHARS = 12_000  # of its text
MAX_TOKENS = 2_000  # the opening a SimHash is made from
KEY_TOKENS = 48  # opening tokens in an exact key
MIN_TOKENS = 24  # below this a text gets no print at all

_CJK = (
    "\u3040-\u30ff"  # kana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han
    "\uac00-\ud7af"  # Hangul syllables (rare Han beyond the BMP: read as words, 4x faster)
)
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
    text = plain_text(raw_body)[:MAX_TEXT_CHARS]
    titles = [title_key(title)]
    original = _ORIGINAL_TITLE.search(text, 0, 2000)
    if original is not None:
        titles.append(title_key(original.group(1)))
        text = text[: original.start()] + text[original.end() :]
    words = tokens(text)
    if len(words) < MIN_TOKENS:
        return NO_PRINT
    words = words[:MAX_TOKENS]
    opening = " ".join(words[:KEY_TOKENS])
    keys = tuple(dict.fromkeys(_key(f"{t}\0{opening}") for t in titles if t))
    return StoryPrint(keys, simhash(words))


def _key(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def simhash(words: Sequence[str]) -> int:
    """64-bit SimHash of the token trigrams of ``words`` (at least three).

    A trigram's hash is its three tokens' hashes XORed, each token's drawn from its own
    table (tabulation hashing: as random as SimHash needs): a token's 24-byte digest holds
    its three. Tokens are hashed once per process (posts share most of their words, and CJK
    text a few thousand characters), and no Python step is taken per token or trigram: the
    digests are fetched by one ``itemgetter`` and joined, the trigrams' hashes are three
    strided slices of that XORed whole, and each bit's votes are counted a column of bytes
    at a time with ``int.bit_count`` (thirty bits a step, where bytes operations go a byte).
    """
    try:
        digests = itemgetter(*words)(_DIGESTS)
    except KeyError:
        if len(_DIGESTS) > _MAX_CACHED:
            _DIGESTS.clear()
        for word in set(words).difference(_DIGESTS):
            _DIGESTS[word] = hashlib.blake2b(word.encode(), digest_size=24).digest()
        digests = itemgetter(*words)(_DIGESTS)
    count = len(words) - 2
    places = memoryview(b"".join(digests)).cast("Q")  # token i's three at 3i, 3i+1, 3i+2
    first = places[0 : 3 * count : 3].tobytes()  # tokens 0 .. count-1, first place
    second = places[4 : 3 * count + 3 : 3].tobytes()  # tokens 1 .. count, second place
    third = places[8::3].tobytes()  # tokens 2 .., third place
    hashes = (
        int.from_bytes(first, "little")
        ^ int.from_bytes(second, "little")
        ^ int.from_bytes(third, "little")
    ).to_bytes(len(first), "little")
    in_column = int.from_bytes(b"\x01" * count, "little")  # bit 0 of each byte of a column
    masks = [in_column << bit for bit in range(8)]
    half = count // 2  # a bit is set when over half the trigrams vote for it
    value = 0
    for position in range(8):
        column = int.from_bytes(hashes[position::8], "little")
        for bit, mask in enumerate(masks):
            if (column & mask).bit_count() > half:
                value |= 1 << (position * 8 + bit)
    return value


_DIGESTS: dict[str, bytes] = {}  # each token's hashes in a trigram's three places
_MAX_CACHED = 100_000  # tokens (about 10 MB a process), then the table starts afresh


def distance(a: int, b: int) -> int:
    """How many bits two SimHashes differ in."""
    return (a ^ b).bit_count()
