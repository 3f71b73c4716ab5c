"""Finding post files and reading them into :class:`SourcePost` records.

Scraped corpora arrive in every encoding and state of repair, so reading never raises:
each file gives either a post or a :class:`Problem` saying why not.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import os
import stat
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, ValuesView
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

MAX_FOLDER_DEPTH = 64  # folders below the posts folder; real sites use 1-3
# One open that cannot follow a symlink swapped in after the listing, block on a FIFO or make
# a terminal the controlling one; the open file is then checked (see read_post).
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)
_READ_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class PostFile:
    """A post file found on disk, with what the cache needs to know whether it changed.

    ``fspath`` is the name as the system gives it (bytes that are not UTF-8 arrive as lone
    surrogates, which only ``open`` understands); ``rel_path`` is the name as a person reads
    it (see :func:`readable_name`), valid Unicode: it is what is hashed, cached, printed and
    made into permalinks. ``device``/``inode`` are the listed file's (0: not known), ``root``
    the posts folder's real path: reading checks the open file against them.
    """

    fspath: str  # a str: making 100k Path objects was a third of a no-change rebuild
    rel_path: str
    size: int
    mtime_ns: int
    device: int = 0
    inode: int = 0
    root: str = ""

    @property
    def path(self) -> Path:
        return Path(self.fspath)


class PostFiles(Mapping[str, PostFile]):
    """Every listed post file by ``rel_path``, in path order, held as columns.

    A million :class:`PostFile` objects with their two path strings took 470 MB, and a
    million path strings alone 90 MB; here each file costs its readable path's UTF-8 bytes
    in one buffer and five machine integers (about 70 bytes), and its :class:`PostFile` is
    made when asked for. The system's name is kept only for the few files whose name is not
    their readable path below ``prefix`` (non-UTF-8 names, followed symlinks). Paths are
    found by bisection over the bytes: UTF-8 sorts as the code points do.
    """

    def __init__(self, files: Iterable[PostFile] = (), prefix: str = "", root: str = "") -> None:
        """``files`` in path order; ``prefix``: the posts folder as listed, ending in a
        separator; ``root``: its real path."""
        self._prefix = prefix
        self._root = root
        self._paths = bytearray()
        self._ends = array("Q")  # where each path ends in _paths
        self._sizes = array("q")
        self._mtimes = array("q")
        self._devices = array("Q")
        self._inodes = array("Q")
        self._fspaths: dict[int, str] = {}  # by row: where the system's name differs
        for row, file in enumerate(files):
            self._paths += file.rel_path.encode()
            self._ends.append(len(self._paths))
            self._sizes.append(file.size)
            self._mtimes.append(file.mtime_ns)
            self._devices.append(file.device)
            self._inodes.append(file.inode)
            self._root = self._root or file.root
            if file.fspath != prefix + file.rel_path:
                self._fspaths[row] = file.fspath

    @classmethod
    def of_columns(
        cls,
        paths: bytearray,
        ends: array[int],
        stats: Sequence[array[int]],
        fspaths: dict[int, str],
        prefix: str,
        root: str,
    ) -> PostFiles:
        """Files already in path order, as columns: ``paths`` (UTF-8, one after another) and
        where each ends, their (size, mtime_ns, device, inode) columns, and the system's
        names that differ from their readable paths, by row."""
        files = cls((), prefix, root)
        files._paths, files._ends, files._fspaths = paths, ends, fspaths
        files._sizes, files._mtimes, files._devices, files._inodes = stats
        return files

    def only(self, keep: Callable[[str], bool]) -> PostFiles:
        """The files whose ``rel_path`` ``keep`` accepts."""
        kept = (self.at(row) for row, path in enumerate(self) if keep(path))
        return PostFiles(kept, self._prefix, self._root)

    def newest_mtime_ns(self) -> int:
        """The newest file's mtime (0: no file)."""
        return max(self._mtimes, default=0)

    def digest(self) -> bytes:
        """A hash of every file's readable path, size and mtime, in path order: taken over
        the columns, as making a million files' records to hash each was a quarter of a
        rebuild with nothing changed."""
        digest = hashlib.sha256()
        for column in (self._ends, self._paths, self._sizes, self._mtimes):
            digest.update(column)
        return digest.digest()

    def listed(self) -> Iterator[tuple[str, int, int]]:
        """Each file's (rel_path, size, mtime_ns), in path order."""
        return zip(self, self._sizes, self._mtimes, strict=True)

    def _path(self, row: int) -> str:
        return self._encoded(row).decode()

    def _encoded(self, row: int) -> bytearray:
        return self._paths[self._ends[row - 1] if row else 0 : self._ends[row]]

    def at(self, row: int) -> PostFile:
        """The file at ``row`` of the path order."""
        rel_path = self._path(row)
        return PostFile(
            self._fspaths.get(row) or self._prefix + rel_path,
            rel_path,
            self._sizes[row],
            self._mtimes[row],
            self._devices[row],
            self._inodes[row],
            self._root,
        )

    def _row(self, rel_path: str) -> int:
        wanted = rel_path.encode()
        low, high = 0, len(self._ends)
        while low < high:
            middle = (low + high) // 2
            if self._encoded(middle) < wanted:
                low = middle + 1
            else:
                high = middle
        if low == len(self._ends) or self._encoded(low) != wanted:
            raise KeyError(rel_path)
        return low

    def __getitem__(self, rel_path: str) -> PostFile:
        return self.at(self._row(rel_path))

    def __contains__(self, rel_path: object) -> bool:
        if not isinstance(rel_path, str):
            return False
        try:
            self._row(rel_path)
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return (self._path(row) for row in range(len(self._ends)))

    def __len__(self) -> int:
        return len(self._ends)

    def values(self) -> ValuesView[PostFile]:
        return _InOrder(self)

    def stats(self) -> Mapping[str, tuple[int, int]]:
        """Each file's (size, mtime_ns), by ``rel_path``."""
        return _Stats(self)


class _Walked:
    """The files a walk finds, in its order, as columns (no object per file). A walk that
    takes each folder's entries in path order (see :func:`_path_order`) finds them sorted,
    and they become :class:`PostFiles` as they are; else (names read otherwise than they
    sort, symlinked folders) they are sorted once, at the end."""

    def __init__(self) -> None:
        self.paths = bytearray()
        self.ends = array("Q")
        self.stats: list[array[int]] = [array("q"), array("q"), array("Q"), array("Q")]
        self.fspaths: dict[int, str] = {}
        self.in_order = True
        self._last = b""

    def add(self, file: PostFile, prefix: str) -> None:
        if file.fspath != prefix + file.rel_path:
            self.fspaths[len(self.ends)] = file.fspath
        encoded = file.rel_path.encode()
        if self.ends and encoded <= self._last:
            self.in_order = False
        self._last = encoded
        self.paths += encoded
        self.ends.append(len(self.paths))
        for column, value in zip(
            self.stats, (file.size, file.mtime_ns, file.device, file.inode), strict=True
        ):
            column.append(value)

    def sorted(self, prefix: str, root: str) -> PostFiles:
        if self.in_order:
            return PostFiles.of_columns(
                self.paths, self.ends, self.stats, self.fspaths, prefix, root
            )
        starts = [0, *self.ends[:-1]]
        paths = [self.paths[a:b].decode() for a, b in zip(starts, self.ends, strict=True)]
        order = sorted(range(len(paths)), key=paths.__getitem__)
        sizes, mtimes, devices, inodes = self.stats
        return PostFiles(
            (
                PostFile(
                    self.fspaths.get(row) or prefix + paths[row],
                    paths[row],
                    sizes[row],
                    mtimes[row],
                    devices[row],
                    inodes[row],
                    root,
                )
                for row in order
            ),
            prefix,
            root,
        )


def _path_order(entry: os.DirEntry[str]) -> str:
    """An entry's name as its paths sort: a folder's followed by "/" (so "a.txt" comes
    before the files in "a", as the paths "a.txt" and "a/x" sort)."""
    try:
        is_folder = entry.is_dir(follow_symlinks=False)
    except OSError:
        is_folder = False
    return entry.name + "/" if is_folder else entry.name


class _InOrder(ValuesView[PostFile]):
    """The files in path order, each made once, without a lookup per file."""

    _mapping: PostFiles

    def __iter__(self) -> Iterator[PostFile]:
        files = self._mapping
        return (files.at(row) for row in range(len(files)))


class _Stats(Mapping[str, tuple[int, int]]):
    def __init__(self, files: PostFiles) -> None:
        self._files = files

    def __getitem__(self, rel_path: str) -> tuple[int, int]:
        files = self._files
        row = files._row(rel_path)
        return files._sizes[row], files._mtimes[row]

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


def readable_name(name: str) -> str:
    """A file name as a person reads it, always valid Unicode.

    Names whose bytes are not UTF-8 (the GBK names of a Chinese archive unzipped on Linux)
    are read as GB18030 when they are valid in it, else shown with ``\\xNN`` escapes.
    """
    if name.isascii():
        return name
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        raw = os.fsencode(name)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return escaped_name(name)


def escaped_name(name: str) -> str:
    """``name`` with every byte that is not UTF-8 shown as ``\\xNN``."""
    return os.fsencode(name).decode("utf-8", errors="backslashreplace")


class _Folder:
    """A folder being walked: its entries still to see, and the readable names already used."""

    __slots__ = ("depth", "entries", "names", "prefix")

    def __init__(self, entries: list[os.DirEntry[str]], prefix: str, depth: int) -> None:
        self.entries = iter(entries)
        self.prefix = prefix
        self.depth = depth
        self.names: set[str] = set()


def find_post_files(root: Path, follow_symlinks: bool = False) -> tuple[PostFiles, list[Problem]]:
    """Every post file under ``root``, sorted by relative path; hidden files and folders skipped.

    Symlinks are not followed unless asked, and never outside ``root`` or round a loop.
    The walk keeps its own stack (in the order a recursive walk would take), so a deep tree
    cannot exhaust Python's; below :data:`MAX_FOLDER_DEPTH` levels folders are reported.
    """
    real_root = os.path.realpath(root)
    prefix = os.path.join(str(root), "")
    if not root.is_dir():
        return PostFiles(), [Problem(str(root), "posts folder not found", Severity.ERROR)]
    files = _Walked()
    problems: list[Problem] = []
    seen_dirs: set[str] = set()

    def enter(directory: str, prefix: str, depth: int) -> _Folder | None:
        where = prefix.rstrip("/") or "."
        if follow_symlinks:  # without symlinks a walk cannot loop
            real = os.path.realpath(directory)
            if real in seen_dirs:
                problems.append(Problem(where, "symlink loop; not followed"))
                return None
            seen_dirs.add(real)
        try:
            entries = sorted(os.scandir(directory), key=_path_order)
        except OSError as exc:
            problems.append(Problem(where, f"cannot list folder: {exc.strerror}", Severity.ERROR))
            return None
        return _Folder(entries, prefix, depth)

    top = enter(str(root), "", 0)
    stack = [top] if top is not None else []
    while stack:
        folder = stack[-1]
        entry = next(folder.entries, None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith("."):
            continue
        rel = _unique_name(entry.name, folder, problems)
        if rel is None:
            continue
        found = _listed(entry, rel, real_root, follow_symlinks, problems)
        if isinstance(found, PostFile):
            files.add(found, prefix)
        elif found is None:
            continue
        elif folder.depth >= MAX_FOLDER_DEPTH:
            reason = f"folder nested deeper than {MAX_FOLDER_DEPTH} levels; not read"
            problems.append(Problem(rel, reason, Severity.ERROR))
        elif (inner := enter(entry.path, rel + "/", folder.depth + 1)) is not None:
            stack.append(inner)
    return files.sorted(prefix, real_root), problems


def _unique_name(name: str, folder: _Folder, problems: list[Problem]) -> str | None:
    """The entry's readable relative path, distinct within its folder (None: skipped)."""
    shown = readable_name(name)
    if shown in folder.names:  # a GBK name that reads like the UTF-8 one beside it
        shown = escaped_name(name)
    if shown in folder.names:
        problems.append(
            Problem(
                folder.prefix + shown,
                "another file has the same name once decoded; skipped",
                Severity.ERROR,
            )
        )
        return None
    folder.names.add(shown)
    return folder.prefix + shown


def _listed(
    entry: os.DirEntry[str],
    rel: str,
    real_root: str,
    follow_symlinks: bool,
    problems: list[Problem],
) -> PostFile | str | None:
    """One folder entry: a post file, "folder" to walk into, or None (with a problem if bad)."""
    fspath = entry.path
    if entry.is_symlink():
        if not follow_symlinks:
            problems.append(Problem(rel, "symlink not followed (set follow_symlinks)"))
            return None
        fspath = os.path.realpath(entry.path)
        if os.path.commonpath([fspath, real_root]) != real_root:
            problems.append(
                Problem(rel, "symlink points outside the posts folder; skipped", Severity.ERROR)
            )
            return None
        if not os.path.exists(fspath):
            problems.append(Problem(rel, "broken symlink; skipped", Severity.ERROR))
            return None
    try:
        if entry.is_dir():
            return "folder"
        if not entry.name.lower().endswith(POST_SUFFIXES):
            return None
        if not entry.is_file():
            # A FIFO or device would block or never end: never open one.
            problems.append(Problem(rel, "not a regular file; skipped", Severity.ERROR))
            return None
        info = entry.stat()
    except OSError as exc:
        problems.append(Problem(rel, f"cannot read: {exc.strerror}", Severity.ERROR))
        return None
    # A followed symlink is opened at its target: the open refuses symlinks (see read_post).
    return PostFile(
        fspath, rel, info.st_size, info.st_mtime_ns, info.st_dev, info.st_ino, real_root
    )


class ReadError(Exception):
    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def read_checked(file: PostFile, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``file``, opened once and checked as opened.

    Between the listing and this open the file may have been swapped for a symlink, a FIFO
    or a folder: the open follows no symlink and never blocks, and the open file must be a
    regular file, and the one that was listed, or else one now at a path inside the posts
    folder (an editor's save replaces the file). Raises :class:`ReadError`.
    """
    try:
        fd = os.open(file.fspath, _OPEN_FLAGS)
    except FileNotFoundError:
        raise ReadError("file vanished before it could be read") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ReadError("replaced by a symlink after it was listed; not followed") from None
        raise ReadError(f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ReadError("not a file")
        if not stat.S_ISREG(info.st_mode):
            raise ReadError("not a regular file; skipped")
        if not _is_listed_file(file, info):
            raise ReadError("replaced by a file outside the posts folder; skipped")
        # Sized by the file, not the limit: read(n) allocates n bytes up front. One byte
        # more than the size shows a file that grew.
        wanted = min(info.st_size + 1, limit)
        chunks: list[bytes] = []
        got = 0
        while got < wanted:
            chunk = os.read(fd, min(wanted - got, _READ_CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _is_listed_file(file: PostFile, info: os.stat_result) -> bool:
    """Whether the open file (``info``) is the one listed, or the one now at the real path of
    ``file`` inside the posts folder."""
    if not file.inode or (info.st_dev, info.st_ino) == (file.device, file.inode):
        return True
    real = os.path.realpath(file.fspath)
    if not file.root or os.path.commonpath([real, file.root]) != file.root:
        return False
    try:
        now = os.stat(real, follow_symlinks=False)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (info.st_dev, info.st_ino)


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
    head = min(len(data), 8192)
    if data.find(b"\x00", 0, head) != -1 and data.count(b"\x00", 0, head) > head // 10:
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
        data = read_checked(file, max_file_bytes + 1)
    except ReadError as exc:
        return fail(exc.reason)
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
    if "\r" in text:
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
