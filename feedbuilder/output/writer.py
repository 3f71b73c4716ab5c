"""Writing the output dir safely: atomic, unchanged files untouched, stale files removed.

Readers poll these files while cron rewrites them, so each file is replaced in one rename
(never seen half-written), a file whose bytes would not change is left alone (its mtime and
the HTTP caches keyed on it stay valid), and files that feedbuilder wrote but no longer
produces are removed only after the new set is complete, tracked by a manifest so nothing
else in the output dir is touched.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import stat
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..errors import LockedError as LockedError  # where callers have always found them
from ..errors import OutputError as OutputError

MANIFEST_NAME = ".feedbuilder-manifest.json"
# Files in the output dir are opened as themselves: never through a symlink, never blocking.
_OWN = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
LOCK_NAME = ".feedbuilder.lock"


def safe_target(root: Path, rel_path: str) -> Path:
    """``root / rel_path``, refusing anything that would land outside ``root``: ``..``, an
    absolute path, or a folder on the way that is a symlink (one planted in the output dir
    could point anywhere). The file itself may be a symlink: it is replaced, never followed.
    """
    pure = PurePosixPath(rel_path)
    if pure.is_absolute() or ".." in pure.parts or "\\" in rel_path or not pure.parts:
        raise OutputError(f"refusing to write outside the output dir: {rel_path!r}")
    folder = root
    for part in pure.parts[:-1]:
        folder = folder / part
        if folder.is_symlink():
            raise OutputError(
                f"refusing to write outside the output dir: {rel_path!r} ({folder} is a symlink)"
            )
    return root.joinpath(*pure.parts)


def read_own(path: Path) -> bytes:
    """The bytes of a regular file in the output dir, never through a symlink and never
    blocking on a FIFO planted there. Raises OSError (ELOOP for a symlink)."""
    fd = os.open(path, os.O_RDONLY | _OWN)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)


def unlink_if_link(path: Path) -> None:
    """Remove ``path`` when it is a symlink (only the link: what it points to is left as it
    is), so that opening it next creates the output's own file. Raises OSError."""
    if path.is_symlink():
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def write_atomic(target: Path, data: bytes) -> None:
    """Write via a temporary file in the same dir, fsync, rename over the old file.

    The temporary's name is known before the file exists, so however the write ends (an
    error, a signal raised as an exception) it is removed.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _same_bytes(target: Path, data: bytes) -> bool:
    """Whether ``target`` is a regular file (not a symlink) that already holds exactly
    ``data`` (size first: cheap)."""
    try:
        info = os.lstat(target)
        return stat.S_ISREG(info.st_mode) and info.st_size == len(data) and read_own(target) == data
    except OSError:
        return False


def _describe(exc: OSError, path: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"{path}: no space left on device"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{path}: permission denied"
    return f"{path}: {exc.strerror or exc}"


@dataclass
class OutputDir:
    """One build's writes into the output dir."""

    root: Path
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def write(self, rel_path: str, data: bytes) -> bool:
        """Write one file unless its bytes are already there; returns whether it was written."""
        target = safe_target(self.root, rel_path)
        try:
            if _same_bytes(target, data):
                self.unchanged.append(rel_path)
                return False
            write_atomic(target, data)
        except OSError as exc:
            raise OutputError(_describe(exc, target)) from exc
        self.written.append(rel_path)
        return True

    def stats(self, rel_paths: Iterable[str]) -> dict[str, tuple[int, int] | None]:
        """Each file's (size, mtime_ns) as it is now; None for one that is gone."""
        found: dict[str, tuple[int, int] | None] = {}
        for rel_path in rel_paths:
            try:
                info = os.lstat(self.root / rel_path)
            except (OSError, ValueError):
                found[rel_path] = None
            else:
                found[rel_path] = (info.st_size, info.st_mtime_ns)
        return found

    def keep(self, rel_path: str) -> None:
        """Count a file known (from the build cache) to be current as written, unread."""
        self.unchanged.append(rel_path)

    def previous_manifest(self) -> set[str]:
        try:
            data = json.loads(read_own(self.root / MANIFEST_NAME).decode("utf-8"))
            return {str(p) for p in data.get("files", [])}
        except (OSError, ValueError, AttributeError):
            return set()

    def finish(self) -> list[str]:
        """Record the manifest, then remove files the last build wrote and this one did not."""
        current = set(self.written) | set(self.unchanged)
        stale = sorted(self.previous_manifest() - current)
        manifest = json.dumps({"files": sorted(current)}, indent=1, ensure_ascii=False) + "\n"
        self.write(MANIFEST_NAME, manifest.encode())
        _remove_leftover_temporaries(self.root, current | {MANIFEST_NAME})
        removed: list[str] = []
        for rel_path in stale:
            try:
                target = safe_target(self.root, rel_path)
            except OutputError:
                continue
            if target.is_symlink():  # not a file this build wrote: left alone
                continue
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
                removed.append(rel_path)
                _remove_empty_parents(target.parent, self.root)
        return removed


def _remove_leftover_temporaries(root: Path, rel_paths: set[str]) -> None:
    """Remove the temporaries killed builds left in the dirs of files this build wrote.

    Only names :func:`write_atomic` makes (``.<name>.<8 hex digits>.tmp``) are touched,
    whichever file they were for, so the temporary of a feed that is gone since (a category
    emptied after the kill) goes too; the build lock guarantees no other build is writing.
    """
    directories = {root.joinpath(*PurePosixPath(p).parts).parent for p in rel_paths}
    for directory in directories:
        with contextlib.suppress(OSError):
            for entry in os.scandir(directory):
                if _TEMPORARY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


_TEMPORARY = re.compile(r"\..+\.[0-9a-f]{8}\.tmp")  # see write_atomic


def _remove_empty_parents(directory: Path, root: Path) -> None:
    while directory != root and directory.is_relative_to(root):
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent


@contextlib.contextmanager
def build_lock(root: Path, wait_seconds: float = 0) -> Iterator[None]:
    """Hold an exclusive lock on the output dir; released by the kernel if the holder dies.

    The lock file is the output dir's own: a symlink planted in its place is removed, never
    followed (it would create or lock a file anywhere)."""
    path = root / LOCK_NAME
    try:
        root.mkdir(parents=True, exist_ok=True)
        unlink_if_link(path)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _OWN, 0o644)
    except OSError as exc:
        raise OutputError(_describe(exc, root)) from exc
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockedError(
                        f"{root}: another feedbuilder build is running (lock {LOCK_NAME})"
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)
