"""The build cache: what earlier builds learned, so a cron rebuild touches only what changed.

One SQLite file (WAL mode) in the output dir, or in ``cache_dir``. It holds each post's
normalised metadata and problems and its cleaned body, keyed by relative path, size and
mtime, and each feed's input fingerprint with the stat of the files it wrote. Everything
is stamped with feedbuilder's version and the output-affecting config: another stamp
empties it. Records are JSON, never pickles, and a file that cannot be read is deleted and
started afresh, so a damaged cache costs one cold build and never a wrong feed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from pathlib import Path
from sys import intern
from typing import Any
from zoneinfo import ZoneInfo

from . import __version__
from .config import Config
from .errors import CacheError
from .models import (
    MICROSECOND,
    PostBody,
    PostMeta,
    PostRef,
    Problem,
    Severity,
    Thumbnail,
    epoch_micros,
    from_epoch_micros,
)

CACHE_NAME = ".feedbuilder-cache.sqlite"
SCHEMA_VERSION = 4
_SCHEMA = """
CREATE TABLE IF NOT EXISTS stamp (value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS posts (
    rel_path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    problems TEXT NOT NULL, usable INTEGER NOT NULL,
    title, link, id, published, published_zone, updated, updated_zone, author, categories,
    tags, thumbnail, thumbnail_type, given_summary, body_format, mtime
);
CREATE TABLE IF NOT EXISTS bodies (
    rel_path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feeds (
    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, outputs TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshot (
    listing TEXT NOT NULL, due REAL, posts_read INTEGER NOT NULL,
    posts_skipped INTEGER NOT NULL, problems TEXT NOT NULL, outputs TEXT NOT NULL
);
"""


def cache_path(config: Config) -> Path:
    return (config.cache_dir or config.output_dir) / CACHE_NAME


def stamp(config: Config, extra: Iterable[str] = ()) -> str:
    """What every cached record depends on besides its own file."""
    data = json.dumps(
        [SCHEMA_VERSION, __version__, config.output_fingerprint(), *extra],
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(data.encode()).hexdigest()


# --- JSON records -------------------------------------------------------------------


def _dt(value: datetime) -> tuple[int, str | int]:
    """An aware datetime as [microseconds since the epoch, its zone's key or UTC offset]."""
    tz, offset = value.tzinfo, value.utcoffset()
    zone: str | int = tz.key if isinstance(tz, ZoneInfo) else (offset or timedelta()) // MICROSECOND
    return epoch_micros(value), zone


@lru_cache(maxsize=256)
def _zone(zone: str | int) -> tzinfo:
    if isinstance(zone, str):
        return ZoneInfo(zone)
    return UTC if zone == 0 else timezone(timedelta(microseconds=zone))


def _from_dt(micros: int, zone: str | int) -> datetime:
    return from_epoch_micros(micros, _zone(zone))


def _thumb(value: Thumbnail | None) -> list[Any] | None:
    return None if value is None else [value.url, value.mime_type]


def _from_thumb(value: list[Any] | None) -> Thumbnail | None:
    return None if value is None else Thumbnail(value[0], value[1])


_LEVEL, _PATH = "\x1f", "\x1e"  # separators clean_text never lets into a name

MetaRow = tuple[Any, ...]
META_COLUMNS = (
    "title, link, id, published, published_zone, updated, updated_zone, author, categories,"
    " tags, thumbnail, thumbnail_type, given_summary, body_format, mtime"
)


def meta_row(meta: PostMeta) -> MetaRow:
    """A post's metadata as plain SQLite columns: decoding them is far cheaper than JSON."""
    thumb = meta.thumbnail
    return (
        meta.title,
        meta.link,
        None if meta.id == meta.link else meta.id,
        *_dt(meta.published),
        *_dt(meta.updated),
        meta.author,
        _PATH.join(_LEVEL.join(path) for path in meta.categories),
        _PATH.join(meta.tags),
        None if thumb is None else thumb.url,
        None if thumb is None else thumb.mime_type,
        meta.given_summary,
        meta.body_format,
        meta.mtime,
    )


# What planning reads of every cached post (see PostRef); the rest only for feed-bound ones.
REF_COLUMNS = (
    "coalesce(id, link), id IS NOT NULL, published, published_zone, updated, categories, tags"
)
RefRow = tuple[str, int, int, str | int, int, str, str]


def ref_row(row: MetaRow) -> RefRow:
    """The :data:`REF_COLUMNS` of a full row, as SQLite would give them."""
    return (row[2] or row[1], row[2] is not None, row[3], row[4], row[5], row[8], row[9])


def ref_from_row(rel_path: str, row: RefRow) -> PostRef:
    post_id, declared, published, zone, updated, categories, tags = row
    return PostRef(
        rel_path,
        post_id,
        bool(declared),
        published,
        _zone(zone),
        updated,
        _paths(categories),
        _tags(tags),
    )


@lru_cache(maxsize=4096)
def _paths(text: str) -> tuple[tuple[str, ...], ...]:
    """Category hierarchies from their column; posts share a few hundred, so each is split once."""
    return tuple(tuple(map(intern, p.split(_LEVEL))) for p in text.split(_PATH))


@lru_cache(maxsize=4096)
def _tags(text: str) -> tuple[str, ...]:
    return tuple(map(intern, text.split(_PATH))) if text else ()


def meta_from_row(rel_path: str, row: MetaRow) -> PostMeta:
    (title, link, id_, pub, pub_zone, upd, upd_zone, author, cats, tags, thumb, thumb_type) = row[
        :12
    ]
    return PostMeta(
        rel_path=rel_path,
        title=title,
        link=link,
        id=link if id_ is None else id_,
        published=_from_dt(pub, pub_zone),
        updated=_from_dt(upd, upd_zone),
        author=author,
        categories=_paths(cats),
        tags=_tags(tags),
        thumbnail=None if thumb is None else Thumbnail(thumb, thumb_type),
        given_summary=row[12],
        body_format=intern(row[13]),
        mtime=row[14],
    )


def problems_to_json(problems: Iterable[Problem]) -> str:
    if problems == []:
        return "[]"  # nearly every post's: no json call for 100k of them
    return json.dumps(
        [[p.path, p.reason, p.severity.value, p.line] for p in problems], ensure_ascii=False
    )


def problems_from_json(text: str) -> list[Problem]:
    if text == "[]":
        return []
    return [Problem(p[0], p[1], Severity(p[2]), p[3]) for p in json.loads(text)]


def body_to_json(body: PostBody) -> str:
    return json.dumps(
        [body.content_html, body.summary, _thumb(body.first_image)], ensure_ascii=False
    )


def body_from_json(text: str) -> PostBody:
    v = json.loads(text)
    return PostBody(v[0], v[1], _from_thumb(v[2]))


# --- the database --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The last build, whole: when the listing is the same, nothing needs doing."""

    listing: str  # hash of every post file's path, size and mtime (and listing problems)
    due: float | None  # epoch seconds when the first skipped future post becomes due
    posts_read: int
    posts_skipped: int
    problems: list[Problem]
    outputs: list[tuple[str, int, int]]  # (path, size, mtime_ns) of every output file


@dataclass(frozen=True, slots=True)
class FeedRecord:
    fingerprint: str
    outputs: list[tuple[str, int, int]]  # (path, size, mtime_ns) of each file written


class Cache:
    """An open cache; every method raises :class:`CacheError` instead of sqlite3's errors."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    @classmethod
    def open(cls, path: Path, stamp_value: str) -> Cache:
        """Open (creating when absent) the cache at ``path``, emptied when its stamp differs."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(path, timeout=0, isolation_level=None)
        except sqlite3.Error as exc:
            raise CacheError(str(exc)) from exc
        cache = cls(db)
        try:
            with cache._errors():
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.executescript(_SCHEMA)
                row = db.execute("SELECT value FROM stamp").fetchone()
                if row is None or row[0] != stamp_value:
                    with cache.transaction():
                        for table in ("stamp", "posts", "bodies", "feeds", "snapshot"):
                            db.execute(f"DELETE FROM {table}")
                        db.execute("INSERT INTO stamp VALUES (?)", (stamp_value,))
        except CacheError:
            db.close()
            raise
        return cache

    @classmethod
    def open_or_reset(cls, path: Path, stamp_value: str) -> tuple[Cache | None, str | None]:
        """The cache, rebuilt from scratch when unreadable; (None, why) when even that fails."""
        try:
            return cls.open(path, stamp_value), None
        except CacheError as exc:
            reason = f"cache unusable ({exc}); rebuilt from scratch"
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
                Path(f"{path}{suffix}").unlink()
        try:
            return cls.open(path, stamp_value), reason
        except CacheError as exc:
            return None, f"cache unusable ({exc}); building without it"

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise CacheError(str(exc)) from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def posts(self) -> Iterator[tuple[str, int, int, str, RefRow | None]]:
        """Every cached post, streamed: (rel_path, size, mtime_ns, problems as JSON, and what
        planning needs of it, or None when it was skipped)."""
        with self._errors():
            rows = self._db.execute(
                f"SELECT rel_path, size, mtime_ns, problems, usable, {REF_COLUMNS} FROM posts"
            )
            for row in rows:
                yield row[0], row[1], row[2], row[3], row[5:] if row[4] else None

    def meta_rows(self, rel_paths: Iterable[str]) -> dict[str, MetaRow]:
        """The full metadata rows of the given (usable) posts."""
        found: dict[str, MetaRow] = {}
        paths = list(rel_paths)
        with self._errors():
            for i in range(0, len(paths), 500):  # under SQLite's limit on parameters
                chunk = paths[i : i + 500]
                rows = self._db.execute(
                    f"SELECT rel_path, {META_COLUMNS} FROM posts WHERE usable AND rel_path IN"
                    f" ({', '.join('?' * len(chunk))})",
                    chunk,
                )
                found.update((row[0], row[1:]) for row in rows)
        return found

    def put_posts(
        self, rows: Iterable[tuple[tuple[str, int, int], MetaRow | None, list[Problem]]]
    ) -> None:
        """Store each post's (rel_path, size, mtime_ns) key with its scan result."""
        blank = (None,) * 15
        with self._errors():
            self._db.executemany(
                f"INSERT OR REPLACE INTO posts VALUES ({', '.join('?' * 20)})",
                (
                    (
                        *key,
                        problems_to_json(problems),
                        row is not None,
                        *(blank if row is None else row),
                    )
                    for key, row, problems in rows
                ),
            )

    def delete_posts(self, rel_paths: Iterable[str]) -> None:
        with self._errors():
            keys = [(p,) for p in rel_paths]
            self._db.executemany("DELETE FROM posts WHERE rel_path = ?", keys)
            self._db.executemany("DELETE FROM bodies WHERE rel_path = ?", keys)

    def bodies(self, keys: Iterable[tuple[str, int, int]]) -> dict[str, PostBody]:
        """The cached bodies of the given (rel_path, size, mtime_ns), where still current."""
        found: dict[str, PostBody] = {}
        with self._errors():
            for rel_path, size, mtime_ns in keys:
                row = self._db.execute(
                    "SELECT body FROM bodies WHERE rel_path = ? AND size = ? AND mtime_ns = ?",
                    (rel_path, size, mtime_ns),
                ).fetchone()
                if row is None:
                    continue
                try:
                    found[rel_path] = body_from_json(row[0])
                except (ValueError, TypeError, IndexError):
                    continue  # a damaged record: clean the body again
        return found

    def put_bodies(self, rows: Iterable[tuple[str, int, int, PostBody]]) -> None:
        with self._errors():
            self._db.executemany(
                "INSERT OR REPLACE INTO bodies VALUES (?, ?, ?, ?)",
                ((p, s, m, body_to_json(b)) for p, s, m, b in rows),
            )

    def feeds(self) -> dict[str, FeedRecord]:
        with self._errors():
            rows = self._db.execute("SELECT key, fingerprint, outputs FROM feeds")
            return {
                key: FeedRecord(fp, [(o[0], int(o[1]), int(o[2])) for o in json.loads(outputs)])
                for key, fp, outputs in rows
            }

    def put_feeds(self, records: dict[str, FeedRecord]) -> None:
        with self._errors():
            self._db.execute("DELETE FROM feeds")
            self._db.executemany(
                "INSERT INTO feeds VALUES (?, ?, ?)",
                ((k, r.fingerprint, json.dumps(r.outputs)) for k, r in records.items()),
            )

    def snapshot(self) -> Snapshot | None:
        with self._errors():
            row = self._db.execute("SELECT * FROM snapshot").fetchone()
        if row is None:
            return None
        try:
            outputs = [(o[0], int(o[1]), int(o[2])) for o in json.loads(row[5])]
            return Snapshot(row[0], row[1], row[2], row[3], problems_from_json(row[4]), outputs)
        except (ValueError, TypeError, IndexError, KeyError):
            return None  # damaged: the build simply runs

    def put_snapshot(self, snapshot: Snapshot | None) -> None:
        """Record the build just done (None: forget the last, e.g. for a listing in doubt)."""
        with self._errors():
            self._db.execute("DELETE FROM snapshot")
            if snapshot is not None:
                self._db.execute(
                    "INSERT INTO snapshot VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        snapshot.listing,
                        snapshot.due,
                        snapshot.posts_read,
                        snapshot.posts_skipped,
                        problems_to_json(snapshot.problems),
                        json.dumps(snapshot.outputs),
                    ),
                )
