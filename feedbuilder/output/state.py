"""What the output remembers from one build to the next, beside the feeds it describes.

``.feedbuilder-state.json`` in the output dir holds what must survive a lost or skipped
build cache, since it changes what the feeds say (or what cron prints), not just how fast
they are made:

- ``posts``: for each feed-bound post without an update date of its own, the hash of its
  title and cleaned content as last written, the update date the feeds give it, and the
  stamp (version and settings) the hash was made under (see :mod:`feedbuilder.edits`);
- ``problems``: every problem the last build reported, with its file's size and mtime, so
  that ``--quiet`` prints only new ones.

It is written atomically, under the build lock, only when its bytes change, and holds
nothing that depends on more than the posts, the settings and the builds' clocks, so a
``--no-cache`` rebuild reads and writes the same. A damaged file reads as an empty one.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from .writer import read_own, write_atomic

STATE_NAME = ".feedbuilder-state.json"
STATE_VERSION = 1

ProblemKey = tuple[str, int, int, int, str]  # path, size, mtime_ns (-1: no file), line, reason


@dataclass(frozen=True)
class Remembered:
    """A post's content as the output last held it."""

    digest: str  # of its title and cleaned content
    updated: int  # the update date the feeds give it, epoch microseconds
    stamp: str  # the version and settings ``digest`` was made under


@dataclass
class OutputState:
    posts: dict[str, Remembered] = field(default_factory=dict)
    problems: frozenset[ProblemKey] = frozenset()

    def to_bytes(self) -> bytes:
        data = {
            "version": STATE_VERSION,
            "posts": {p: [r.digest, r.updated, r.stamp] for p, r in sorted(self.posts.items())},
            "problems": [list(key) for key in sorted(self.problems)],
        }
        return (
            json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> OutputState:
        """Raises ValueError (and the like) when the bytes are not a state."""
        loaded = json.loads(data.decode("utf-8"))
        if loaded.get("version") != STATE_VERSION:
            raise ValueError("another version")
        posts = {
            str(path): Remembered(str(digest), int(updated), str(stamp))
            for path, (digest, updated, stamp) in dict(loaded["posts"]).items()
        }
        problems = frozenset(
            (str(p), int(s), int(m), int(n), str(r)) for p, s, m, n, r in loaded["problems"]
        )
        return cls(posts, problems)


def load_state(output_dir: Path) -> OutputState:
    """The state the last build left (empty when there is none, or it is damaged)."""
    try:
        return OutputState.from_bytes(read_own(output_dir / STATE_NAME))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return OutputState()


def save_state(output_dir: Path, state: OutputState) -> bool:
    """Write ``state`` unless the file already holds it; returns whether it was written.

    Raises OSError."""
    path = output_dir / STATE_NAME
    data = state.to_bytes()
    with contextlib.suppress(OSError):
        if read_own(path) == data:
            return False
    write_atomic(path, data)  # a symlink planted here is replaced, not followed
    return True
