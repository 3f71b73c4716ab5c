"""The SimHash of a story print (:mod:`.fingerprint`), over a text's code points at once.

A print is taken of every post a build scans, so its cost is paid a million times on a big
site; cutting a Chinese text into one-character tokens and fetching each token's hash in
Python was most of it. Here the text is one array of code points: two tables tell which are
CJK (each a token) and which are other letters or digits (read in runs, each run a token), a
table of hashes gives each CJK character's, and only the few runs are hashed in Python.

The bits are those of the plain definition (tests pin it): a token's 24-byte BLAKE2b digest
holds its hash in each of a trigram's three places (tabulation hashing), a trigram's hash is
its three tokens' XORed, and a bit is set when over half the trigrams have it.

Imported on the first print (NumPy's import costs a tenth of a second, which a rebuild with
nothing to scan should not pay).
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import numpy.typing as npt

from .fingerprint import CJK_RANGES, MAX_TOKENS

_BMP = 0x10000
_WORD = re.compile(r"[^\W_]")  # a letter or digit


def _tables() -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], list[npt.NDArray[np.uint64]]]:
    """Which BMP code points are CJK tokens and which are other letters or digits, and each
    CJK one's hash in the three places (1.6 MB; about 40 ms to make)."""
    chars = "".join(" " if 0xD800 <= c < 0xE000 else chr(c) for c in range(_BMP))
    word = np.zeros(_BMP, np.bool_)
    for run in re.finditer(r"[^\W_]+", chars):
        word[run.start() : run.end()] = True
    cjk = np.zeros(_BMP, np.bool_)
    for first, last in CJK_RANGES:
        cjk[first : last + 1] = True
    cjk &= word
    points = np.flatnonzero(cjk)
    digests = b"".join(_digest(chr(c)) for c in points)
    places = np.frombuffer(digests, np.uint64).reshape(-1, 3)
    hashes = [np.zeros(_BMP, np.uint64) for _ in range(3)]
    for place, table in enumerate(hashes):
        table[points] = places[:, place]
    return cjk, word & ~cjk, hashes


def _digest(token: str) -> bytes:
    return hashlib.blake2b(token.encode(), digest_size=24).digest()


_IS_CJK, _IS_OTHER, _HASHES = _tables()
_RUN_DIGESTS: dict[str, bytes] = {}  # runs recur (numbers, names, Latin words)
_MAX_CACHED = 100_000  # runs, then the table starts afresh
# bit b of byte value v, as floats: a byte column's histogram times this is its bits' votes
_BIT_VOTES = np.unpackbits(
    np.arange(256, dtype=np.uint8)[:, None], axis=1, bitorder="little"
).astype(np.float64)
_COLUMN_BASE = np.arange(8, dtype=np.uint16) * 256  # byte i of a hash counts in bins 256i..


def simhash(folded: str, at_least: int = 3) -> tuple[int, int]:
    """How many tokens the case-folded text ``folded`` has (counted up to
    ``MAX_TOKENS``), and the SimHash of those tokens' trigrams (0 below ``at_least``
    tokens, and nothing hashed: a short text's runs are not cached)."""
    points = np.frombuffer(folded.encode("utf-32-le"), np.uint32)
    looked_up = np.minimum(points, _BMP - 1)
    is_cjk = _IS_CJK[looked_up]
    is_other = _IS_OTHER[looked_up]
    for at in np.flatnonzero(points >= _BMP).tolist():  # beyond the tables: rare
        is_cjk[at] = False
        is_other[at] = _WORD.match(folded[at]) is not None
    run_start = is_other.copy()
    run_start[1:] &= ~is_other[:-1]
    starts = np.flatnonzero(is_cjk | run_start)[:MAX_TOKENS]
    count = len(starts)
    if count < max(3, at_least):
        return count, 0
    tokens = looked_up[starts]
    first, second, third = (table[tokens] for table in _HASHES)
    runs = np.flatnonzero(run_start[starts])
    if len(runs):
        run_end = np.flatnonzero(is_other & ~np.append(is_other[1:], False)) + 1
        begins = starts[runs].tolist()
        places = np.frombuffer(_run_digests(folded, begins, run_end.tolist()), np.uint64)
        first[runs], second[runs], third[runs] = places[0::3], places[1::3], places[2::3]
    trigrams = first[:-2] ^ second[1:-1] ^ third[2:]
    columns = (trigrams.view(np.uint8).reshape(-1, 8) + _COLUMN_BASE).ravel()
    votes = np.bincount(columns, minlength=2048).reshape(8, 256) @ _BIT_VOTES  # bit 8i+b: [i, b]
    is_set = votes.ravel() > (count - 2) // 2
    return count, int.from_bytes(np.packbits(is_set, bitorder="little").tobytes(), "little")


def _run_digests(folded: str, begins: list[int], ends: list[int]) -> bytes:
    """The digests of the runs of ``folded`` that begin at ``begins`` (in order; ``ends``:
    where every run ends, from the first), joined."""
    runs = [folded[begin:end] for begin, end in zip(begins, ends, strict=False)]
    try:
        return b"".join([_RUN_DIGESTS[run] for run in runs])
    except KeyError:
        if len(_RUN_DIGESTS) > _MAX_CACHED:
            _RUN_DIGESTS.clear()
        for run in set(runs).difference(_RUN_DIGESTS):
            _RUN_DIGESTS[run] = _digest(run)
        return b"".join([_RUN_DIGESTS[run] for run in runs])
