"""Generated corpora kept between benchmark runs, and cheap working copies of them.

A corpus of N posts is generated once into ``CORPUS_DIR/corpus-N-seedS-vV`` and reused by
every later run. It is generated under a temporary name and renamed into place only after
its marker (``.complete``: what was generated, how many files and bytes) is written, so an
interrupted generation is never taken for a corpus; a reused one is counted again and
dropped if the count is wrong. Builds work on hard links to it (see :func:`link_tree`):
seconds and no disk for a million files, and the generator's mutators replace files rather
than write into them, so a benchmark's edits never reach the pristine corpus.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from generate_corpus import generate

CORPUS_VERSION = 1
"""Bump when generate_corpus.py's output changes, so old corpora are not reused."""
MARKER = ".complete"


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/feedbuilder-bench`` (``~/.cache/feedbuilder-bench``): outside the repo."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "feedbuilder-bench"


def count_files(root: Path) -> tuple[int, int, int]:
    """(files, bytes, bytes on disk) below ``root``, hidden files left out."""
    files = size = disk = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            info = os.lstat(os.path.join(dirpath, name))
            files += 1
            size += info.st_size
            disk += info.st_blocks * 512
    return files, size, disk


def corpus(corpus_dir: Path, size: int, seed: int) -> Path:
    """The pristine corpus of ``size`` posts: reused if complete, else generated now."""
    path = corpus_dir / f"corpus-{size}-seed{seed}-v{CORPUS_VERSION}"
    marker = path / MARKER
    if marker.is_file():
        facts = json.loads(marker.read_text(encoding="utf-8"))
        if facts.get("files") == size and count_files(path)[0] == size:
            return path
        print(f"{path}: incomplete or changed; generating it again", file=sys.stderr)
    shutil.rmtree(path, ignore_errors=True)
    partial = corpus_dir / f".{path.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    started = time.perf_counter()
    generate(partial, size, seed)
    seconds = time.perf_counter() - started
    files, total, disk = count_files(partial)
    if files != size:
        raise RuntimeError(f"{partial}: generated {files} files, expected {size}")
    facts = {"files": files, "bytes": total, "disk_bytes": disk, "seconds": round(seconds, 1)}
    (partial / MARKER).write_text(json.dumps(facts), encoding="utf-8")
    os.rename(partial, path)
    print(
        f"generated {size:,} posts in {seconds:.0f} s: {total / 1e9:.2f} GB, "
        f"{disk / 1e9:.2f} GB on disk ({path})",
        file=sys.stderr,
    )
    return path


def corpus_facts(path: Path) -> dict[str, float]:
    """What the marker says about a corpus (files, bytes, disk_bytes, seconds)."""
    facts: dict[str, float] = json.loads((path / MARKER).read_text(encoding="utf-8"))
    return facts


def link_tree(source: Path, target: Path, rename: Callable[[str], str] = str) -> int:
    """Recreate ``source``'s (non-hidden) files below ``target`` as hard links; copies where
    the two are on different file systems. ``rename`` maps each file name. Returns the count."""
    linked = 0
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        out = target / os.path.relpath(dirpath, source)
        out.mkdir(parents=True, exist_ok=True)
        for name in filenames:
            if name.startswith("."):
                continue
            src, dst = os.path.join(dirpath, name), os.path.join(out, rename(name))
            try:
                os.link(src, dst)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                shutil.copy2(src, dst)
            linked += 1
    return linked
