"""The single-process "floor" for any Python implementation of feedbuilder.

Walk every post file, read it, split off the YAML front matter and parse it with
libyaml (``yaml.CSafeLoader``).  No HTML handling, no feed writing, no
multiprocessing: a Python tool that reads the same front matter in one process
cannot be faster than this.

CLI::

    python benchmarks/floor.py POSTS_DIR    # prints elapsed seconds
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import yaml

POST_SUFFIXES = (".txt", ".md")
"""File name endings treated as posts."""


def split_front_matter(text: str) -> str | None:
    """Return the YAML between the leading ``---`` line and the next ``---`` line.

    Leading blank lines (the seed post starts with one) and a BOM are skipped.
    Returns ``None`` when the text has no front matter.
    """
    text = text.lstrip("\ufeff\r\n\t ")
    if not text.startswith("---"):
        return None
    start = text.find("\n") + 1
    if start == 0:
        return None
    end = text.find("\n---", start - 1)
    if end == -1:
        return None
    return text[start:end]


def measure_floor(posts_dir: Path) -> float:
    """Read and YAML-parse the front matter of every post below ``posts_dir``.

    Returns the elapsed wall-clock seconds (``time.perf_counter``), including the
    directory walk.  Raises ``ValueError`` if a file has no front matter and
    ``TypeError`` if its front matter is not a mapping, so a broken corpus cannot
    look fast.
    """
    start = time.perf_counter()
    for root, _dirs, files in os.walk(posts_dir):
        for name in files:
            if not name.endswith(POST_SUFFIXES):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            front = split_front_matter(text)
            if front is None:
                raise ValueError(f"{path}: no front matter")
            meta = yaml.load(front, Loader=yaml.CSafeLoader)
            if not isinstance(meta, dict):
                raise TypeError(f"{path}: front matter is not a mapping")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: print the floor time in seconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("posts_dir", type=Path)
    args = parser.parse_args(argv)
    if not args.posts_dir.is_dir():
        parser.error(f"{args.posts_dir} is not a directory")
    print(f"{measure_floor(args.posts_dir):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
