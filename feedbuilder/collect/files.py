"""Finding post files and reading them into :class:`SourcePost` records.

Scraped corpora arrive in every encoding and state of repair, so reading never raises:
each file gives either a post or a :class:`Problem` saying why not.
"""

from __future__ import annotations

import codecs
import operator
import os
from dataclasses import dataclass
from pathlib import Path

from ..models import Problem, Severity, SourcePost
from ..normalise.text import strip_control
from .frontmatter import FrontMatterError, split_post

POST_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".txt")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_name = operator.attrgetter("name")


@dataclass(frozen=True, slots=True)
class PostFile:
    """A post file found on disk, with what the cache needs to know whether it changed."""

    fspath: str  # a str: making 100k Path objects was a third of a no-change rebuild
    rel_path: str
    size: int
    mtime_ns: int

    @property
    def path(self) -> Path:
        return Path(self.fspath)


def find_post_files(
    root: Path, follow_symlinks: bool = False
) -> tuple[list[PostFile], list[Problem]]:
    """Every post file under ``root``, sorted by relative path; hidden files and folders skipped.

    Symlinks are not followed unless asked, and never outside ``root`` or round a loop.
    """
    files: list[PostFile] = []
    problems: list[Problem] = []
    real_root = root.resolve()
    seen_dirs: set[str] = set()

    def walk(directory: str, prefix: str) -> None:
        real = os.path.realpath(directory)
        if real in seen_dirs:
            problems.append(Problem(prefix.rstrip("/") or ".", "symlink loop; not followed"))
            return
        seen_dirs.add(real)
        try:
            entries = sorted(os.scandir(directory), key=_name)
        except OSError as exc:
            problems.append(
                Problem(
                    prefix.rstrip("/") or ".", f"cannot list folder: {exc.strerror}", Severity.ERROR
                )
            )
            return
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            rel = prefix + name
            if entry.is_symlink():
                if not follow_symlinks:
                    problems.append(Problem(rel, "symlink not followed (set follow_symlinks)"))
                    continue
                target = Path(os.path.realpath(entry.path))
                if not target.is_relative_to(real_root):
                    problems.append(
                        Problem(
                            rel, "symlink points outside the posts folder; skipped", Severity.ERROR
                        )
                    )
                    continue
                if not target.exists():
                    problems.append(Problem(rel, "broken symlink; skipped", Severity.ERROR))
                    continue
            try:
                if entry.is_dir():
                    walk(entry.path, rel + "/")
                    continue
                if not name.lower().endswith(POST_SUFFIXES):
                    continue
                if not entry.is_file():
                    # A FIFO or device would block or never end: never open one.
                    problems.append(Problem(rel, "not a regular file; skipped", Severity.ERROR))
                    continue
                stat = entry.stat()
            except OSError as exc:
                problems.append(Problem(rel, f"cannot read: {exc.strerror}", Severity.ERROR))
                continue
            files.append(PostFile(entry.path, rel, stat.st_size, stat.st_mtime_ns))

    if not root.is_dir():
        return [], [Problem(str(root), "posts folder not found", Severity.ERROR)]
    walk(str(root), "")
    files.sort(key=lambda f: f.rel_path)
    return files, problems


class ReadError(Exception):
    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def decode(data: bytes) -> tuple[str, str, bool]:
    """Decode a post's bytes: BOM, then UTF-8, then GB18030 (Chinese scrapes), then UTF-8 lossy.

    Returns (text, encoding, lossy). Raises :class:`ReadError` for binary data.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding.replace("-sig", "") + " with BOM", False
            except UnicodeDecodeError:
                return data.decode(encoding, errors="replace"), encoding + " with BOM", True
    head = data[:8192]
    if head.count(b"\x00") > len(head) // 10:
        raise ReadError("binary file, not text")
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if _looks_like_text(text):
            return text, "gb18030", False
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    if not _looks_like_text(text):
        raise ReadError("binary file, not text")
    return text, "utf-8", True


def _looks_like_text(text: str) -> bool:
    sample = text[:8192]
    if not sample:
        return True
    bad = sum(1 for ch in sample if (ch < " " and ch not in "\t\n\r\f") or ch == "\ufffd")
    return bad <= len(sample) // 20


def read_post(
    file: PostFile, max_file_bytes: int, max_front_matter_bytes: int
) -> tuple[SourcePost | None, list[Problem]]:
    """Read and split one post file; never raises."""
    rel = file.rel_path
    problems: list[Problem] = []

    def fail(reason: str, line: int | None = None) -> tuple[None, list[Problem]]:
        problems.append(Problem(rel, reason, Severity.ERROR, line))
        return None, problems

    if file.size > max_file_bytes:
        return fail(f"file is {file.size} bytes, over the {max_file_bytes}-byte limit")
    try:
        with open(file.fspath, "rb") as handle:
            # Sized by the file, not the limit: read(n) allocates n bytes up front.
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(min(size, max_file_bytes) + 1)
    except FileNotFoundError:
        return fail("file vanished before it could be read")
    except IsADirectoryError:
        return fail("not a file")
    except OSError as exc:
        return fail(f"cannot read: {exc.strerror or exc}")
    if len(data) > max_file_bytes:
        return fail(f"file is over the {max_file_bytes}-byte limit")
    if not data.strip():
        return fail("empty file")
    try:
        text, encoding, lossy = decode(data)
    except ReadError as exc:
        return fail(exc.reason)
    if encoding not in ("utf-8", "utf-8 with BOM"):
        problems.append(Problem(rel, f"decoded as {encoding}"))
    if lossy:
        problems.append(Problem(rel, f"invalid bytes for encoding {encoding} replaced with U+FFFD"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text, control_line = strip_control(text)
    if control_line is not None:
        problems.append(
            Problem(rel, "control characters removed (not allowed in XML)", line=control_line)
        )
    try:
        split = split_post(text, max_front_matter_bytes)
    except FrontMatterError as exc:
        return fail(exc.reason, exc.line)
    problems.extend(Problem(rel, reason, line=line) for line, reason in split.notes)
    post = SourcePost(
        rel_path=rel,
        metadata=split.metadata,
        body=split.body,
        mtime=file.mtime_ns / 1e9,
    )
    return post, problems
