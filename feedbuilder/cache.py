"""The build cache: what earlier builds learned, so a cron rebuild touches only what changed.

One SQLite file (WAL mode) in the output dir, or in ``cache_dir``. It holds each post's
scan (its :class:`~.models.PackedMeta`, one column per field, and its problems) and its
cleaned body, keyed by relative path, size and mtime; each feed's input fingerprint with the
stat of the files it wrote; and a snapshot of the last build. Everything is stamped with
feedbuilder's version and the output-affecting config: another stamp empties it.

Rows, their encoding and damaged records stay in this module: callers pass and get typed
records. Records are plain columns and JSON, never pickles. A file that cannot be read is
deleted and started afresh; a record that cannot be decoded is dropped (its post is read
again), so a damaged cache costs at most one cold build and never a wrong feed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from . import __version__
from .config import Config
from .errors import CacheError
from .models import (
    PackedMeta,
    PostBody,
    PostMeta,
    PostRef,
    Problem,
    Severity,
    Thumbnail,
    category_names,
    unpack_categories,
    unpack_tags,
)
from .models import packed_ref as _packed_ref
from .output.writer import unlink_if_link

CACHE_NAME = ".feedbuilder-cache.sqlite"
_SQLITE_FILES = ("", "-wal", "-shm", "-journal")  # the database and the files beside it
SCHEMA_VERSION = 8  # 6: posts.queries, posts.in_all (saved-query feeds); 7: posts.story;
# 8: members, and posts by date: the feeds' newest posts are asked of SQLite
_META_COLUMNS = ", ".join(PackedMeta._fields)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS stamp (value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS posts (
    rel_path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    problems TEXT NOT NULL, usable INTEGER NOT NULL, {_META_COLUMNS}
);
CREATE TABLE IF NOT EXISTS members (
    kind TEXT NOT NULL, name TEXT NOT NULL, published INTEGER NOT NULL, rel_path TEXT NOT NULL
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
    posts_skipped INTEGER NOT NULL, feeds INTEGER NOT NULL, problems TEXT NOT NULL,
    outputs TEXT NOT NULL
);
"""
# Made after the rows when a scan fills an empty cache (see Cache.put_scans): sorting a
# million rows once is far cheaper than a million inserts at random places in a B-tree
# bigger than the page cache, each a page read and rewrite.
# The partial ones answer planning's questions of every usable post (counts, category sets,
# shared ids, the prints in feed order) without reading the table's rows: at 1M posts each
# walked the posts by date, a row lookup a post, in 5 to 12 s; from its index, 0.1 to 2 s.
_INDEXES = {
    "posts_by_date": "posts (published DESC)",
    "members_by_feed": "members (kind, name, published DESC)",
    "members_by_post": "members (rel_path)",
    "usable_by_date": "posts (published, in_all, id, link) WHERE usable",
    "usable_by_categories": "posts (categories, published) WHERE usable",
    "prints_by_date": (
        "posts (published DESC, coalesce(id, link), story) WHERE usable AND story != ''"
    ),
}
_MAKE_INDEXES = "".join(f"CREATE INDEX IF NOT EXISTS {n} ON {on};\n" for n, on in _INDEXES.items())


# What planning reads of every cached post (see PostRef); the rest only for feed-bound ones.
def _ref_columns(table: str) -> str:
    fields = "published, published_zone, updated, categories, tags, queries, in_all, story"
    columns = ", ".join(f"{table}{name}" for name in fields.split(", "))
    return f"coalesce({table}id, {table}link), {table}id IS NOT NULL, {columns}"


_REF_COLUMNS = _ref_columns("")
_DECODE_ERRORS = (ValueError, TypeError, IndexError, KeyError, AttributeError)

FileKey = tuple[str, int, int]  # (rel_path, size, mtime_ns); an mtime of -1 never matches
Output = tuple[str, int, int]  # (rel_path, size, mtime_ns) of a file written
T = TypeVar("T")


def cache_file(cache_dir: Path | None, output_dir: Path) -> Path:
    """Where the cache lives: ``cache_dir``, else the output dir."""
    return (cache_dir or output_dir) / CACHE_NAME


def stamp(config: Config, version: str = __version__) -> str:
    """What every cached record depends on besides its own file."""
    data = json.dumps(
        [SCHEMA_VERSION, version, config.output_fingerprint()],
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(data.encode()).hexdigest()


# --- JSON records -------------------------------------------------------------------


def problems_to_json(problems: Iterable[Problem]) -> str:
    if problems == []:
        return "[]"  # nearly every post's: no json call for 100k of them
    return json.dumps(
        [[p.path, p.reason, p.severity.value, p.line] for p in problems], ensure_ascii=False
    )


_NO_PROBLEMS: tuple[Problem, ...] = ()


def problems_from_json(text: str) -> Sequence[Problem]:
    if text == "[]":
        return _NO_PROBLEMS  # one shared empty sequence, not a list per post
    return [Problem(p[0], p[1], Severity(p[2]), p[3]) for p in json.loads(text)]


def _body_to_json(body: PostBody) -> str:
    thumb = body.first_image
    image = None if thumb is None else [thumb.url, thumb.mime_type]
    return json.dumps([body.content_html, body.summary, image], ensure_ascii=False)


def _body_from_json(text: str) -> PostBody:
    html, summary, image = json.loads(text)
    return PostBody(html, summary, None if image is None else Thumbnail(image[0], image[1]))


def _outputs_from_json(text: str) -> list[Output]:
    return [(str(o[0]), int(o[1]), int(o[2])) for o in json.loads(text)]


def _ref(rel_path: str, columns: Sequence[Any]) -> PostRef:
    """A PostRef from the :data:`_REF_COLUMNS`; raises TypeError (and the like) when damaged."""
    post_id, declared, published, zone, updated, categories, tags, queries, in_all, story = columns
    if not (isinstance(post_id, str) and type(published) is int and type(updated) is int):
        raise TypeError("not a post record")
    if not isinstance(story, str):
        raise TypeError("not a post record")
    return _packed_ref(
        rel_path,
        post_id,
        bool(declared),
        published,
        zone,
        updated,
        categories,
        tags,
        queries,
        in_all,
        story,
    )


def _is_ref(columns: Sequence[Any]) -> bool:
    """Whether the :data:`_REF_COLUMNS` of a usable post's row make a PostRef."""
    try:
        _ref("", columns)
    except _DECODE_ERRORS:
        return False
    return True


def _memberships(meta: PackedMeta) -> Iterator[tuple[str, str]]:
    """The feeds a post is a member of, as (kind, name): each category at every level of its
    hierarchies ("c"), each tag ("t") and each saved query it matches ("q")."""
    for name in category_names(unpack_categories(meta.categories)):
        yield "c", name
    for tag in unpack_tags(meta.tags):
        yield "t", tag
    for query in unpack_tags(meta.queries):
        yield "q", query


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_TEXT, _OPTIONAL, _MICROS, _ZONE = str, (str, type(None)), int, (str, int)
_PACKED_TYPES: tuple[type | tuple[type, ...], ...] = (
    *(_TEXT, _TEXT, _OPTIONAL, _MICROS, _ZONE, _MICROS, _ZONE, _OPTIONAL, _TEXT, _TEXT),
    *(_OPTIONAL, _OPTIONAL, _OPTIONAL, _TEXT, (float, int), _TEXT, int, _TEXT),
)
assert len(_PACKED_TYPES) == len(PackedMeta._fields)


def _packed(columns: Sequence[Any]) -> PackedMeta:
    """A PackedMeta from its columns; raises TypeError when one holds the wrong type."""
    for value, kind in zip(columns, _PACKED_TYPES, strict=True):
        if not isinstance(value, kind) or isinstance(value, bool):
            raise TypeError("not a post record")
    return PackedMeta(*columns)


@dataclass(frozen=True)
class FeedQuery:
    """Which posts a feed asks for: the members of a category ("c"), tag ("t") or saved
    query ("q") ``name``, or (no ``kind``) the all-posts feed's; published at or before
    ``due`` and at or after ``since`` (epoch microseconds; None: no bound)."""

    kind: str | None = None
    name: str = ""
    due: int | None = None
    since: int | None = None


_LATEST = 2**63 - 1


def _feed_order(updated_before: int | None, args: list[Any], published: str = "p.published") -> str:
    """The feeds' ORDER BY (see :meth:`Cache.feed_refs`), its parameter added to ``args``;
    ``published``: the column to order by, the members' own when they are the rows (so the
    index gives the order, and only ties are sorted, as the rows are taken)."""
    if updated_before is None:
        return f"{published} DESC, coalesce(p.id, p.link)"
    args.append(updated_before)
    return (
        "CASE WHEN p.updated > ? THEN p.published ELSE p.updated END DESC,"
        " p.published DESC, coalesce(p.id, p.link)"
    )


def _upto(due: int | None) -> int:
    return _LATEST if due is None else due


# --- the database --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The last build, whole: when the listing is the same, nothing needs doing."""

    listing: str  # hash of every post file's path, size and mtime (and listing problems)
    due: float | None  # epoch seconds when the first skipped future post becomes due
    posts_read: int
    posts_skipped: int
    feeds: int  # how many feeds it wrote or found current
    problems: list[Problem]
    outputs: list[Output]  # every output file, the manifest included


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """A feed as last written: the fingerprint of its inputs and the files it wrote."""

    fingerprint: str
    outputs: list[Output]


class Cache:
    """An open cache; every method raises :class:`CacheError` instead of sqlite3's errors."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path, stamp_value: str, *, durable: bool = True) -> Cache:
        """Open (creating when absent) the cache at ``path``, emptied when its stamp differs.
        Not ``durable``: no journal, no sync (for a database thrown away after the build).

        Raises:
            CacheError: the file cannot be opened or is not a usable database.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            for suffix in _SQLITE_FILES:  # SQLite follows symlinks: a planted one is removed
                unlink_if_link(Path(f"{path}{suffix}"))
            db = sqlite3.connect(path, timeout=0, isolation_level=None)
        except OSError as exc:
            raise CacheError(f"{path}: {exc.strerror or exc}") from exc
        except sqlite3.Error as exc:
            raise CacheError(str(exc)) from exc
        cache = cls(db, path)
        try:
            with cache._errors():
                db.execute(f"PRAGMA journal_mode={'WAL' if durable else 'OFF'}")
                db.execute(f"PRAGMA synchronous={'NORMAL' if durable else 'OFF'}")
                db.executescript(_SCHEMA + _MAKE_INDEXES)
                row = db.execute("SELECT value FROM stamp").fetchone()
                if row is None or row[0] != stamp_value:
                    with cache.transaction():
                        for table in ("stamp", "posts", "members", "bodies", "feeds", "snapshot"):
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
        for suffix in _SQLITE_FILES:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
                Path(f"{path}{suffix}").unlink()
        try:
            return cls.open(path, stamp_value), reason
        except CacheError as exc:
            return None, f"cache unusable ({exc}); building without it"

    @classmethod
    @contextlib.contextmanager
    def scratch(cls) -> Iterator[Cache]:
        """A cache for one build that keeps none: a temporary database, deleted after, so a
        big scan's metadata waits on disk rather than in memory (in memory when no
        temporary folder can be had).

        Raises:
            CacheError: the temporary database cannot be made.
        """
        try:
            folder = tempfile.TemporaryDirectory(prefix="feedbuilder-")
        except OSError:
            folder = None
        with folder or contextlib.nullcontext():
            where = None if folder is None else Path(folder.name) / CACHE_NAME
            cache = cls.in_memory() if where is None else cls.open(where, "", durable=False)
            try:
                yield cache
            finally:
                cache.close()

    @classmethod
    def in_memory(cls) -> Cache:
        """A cache that lives in this process's memory, as long as it is referenced."""
        try:
            db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            db.executescript(_SCHEMA + _MAKE_INDEXES)
        except sqlite3.Error as exc:
            raise CacheError(str(exc)) from exc
        return cls(db, Path(":memory:"))

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

    # posts

    def changed(self, listed: Iterable[FileKey]) -> tuple[array[int], list[str]]:
        """The positions in ``listed`` (every post file, in path order) whose cached scan is
        missing, stale (another size or mtime) or damaged, and the cached paths no longer
        listed: one merge of two sorted walks, holding nothing per unchanged post."""
        todo: array[int] = array("q")
        gone: list[str] = []
        files = iter(enumerate(listed))
        at = next(files, None)
        with self._errors():
            rows = self._db.execute(
                f"SELECT rel_path, size, mtime_ns, usable, {_REF_COLUMNS} FROM posts"
                " ORDER BY rel_path"
            )
            for rel_path, size, mtime_ns, usable, *ref in rows:
                while at is not None and at[1][0] < rel_path:
                    todo.append(at[0])
                    at = next(files, None)
                if at is None or at[1][0] != rel_path:
                    gone.append(rel_path)
                    continue
                if (size, mtime_ns) != at[1][1:] or (usable and not _is_ref(ref)):
                    todo.append(at[0])
                at = next(files, None)
        while at is not None:
            todo.append(at[0])
            at = next(files, None)
        return todo, gone

    def put_scans(
        self, scans: Iterable[tuple[FileKey, PackedMeta | None, Sequence[Problem]]]
    ) -> None:
        """Store each post's scan under its (rel_path, size, mtime_ns) key, with the feeds it
        is a member of (see :meth:`feed_refs`)."""
        blank = (None,) * len(PackedMeta._fields)
        insert = f"INSERT OR REPLACE INTO posts VALUES ({', '.join('?' * (5 + len(blank)))})"
        with self._errors():
            bulk = not self._db.execute(
                "SELECT EXISTS (SELECT 1 FROM posts) OR EXISTS (SELECT 1 FROM members)"
            ).fetchone()[0]
            if bulk:  # an empty cache: the indexes are made after the rows
                for name in _INDEXES:
                    self._db.execute(f"DROP INDEX IF EXISTS {name}")
            for chunk in _chunks(scans, 500):
                if not bulk:
                    self._db.executemany(
                        "DELETE FROM members WHERE rel_path = ?",
                        ((key[0],) for key, _, _ in chunk),
                    )
                self._db.executemany(
                    insert,
                    (
                        (*key, problems_to_json(problems), meta is not None, *(meta or blank))
                        for key, meta, problems in chunk
                    ),
                )
                self._db.executemany(
                    "INSERT INTO members VALUES (?, ?, ?, ?)",
                    (
                        (kind, name, meta.published, key[0])
                        for key, meta, _ in chunk
                        if meta is not None
                        for kind, name in _memberships(meta)
                    ),
                )
            if bulk:
                for name, on in _INDEXES.items():
                    self._db.execute(f"CREATE INDEX {name} ON {on}")

    def note_usable(self, rel_paths: Iterable[str]) -> int:
        """How many cached posts are usable, noting which of ``rel_paths`` are (whatever their
        size and mtime): what :meth:`failed_since` compares the next scan with, for the
        mass-failure guard. Noted in a temporary table, not held."""
        with self._errors():
            db = self._db
            db.execute("CREATE TEMP TABLE IF NOT EXISTS was_usable (rel_path TEXT PRIMARY KEY)")
            db.execute("DELETE FROM temp.was_usable")
            (total,) = db.execute("SELECT count(*) FROM posts WHERE usable").fetchone()
            if total:
                db.executemany(
                    "INSERT INTO temp.was_usable SELECT rel_path FROM posts"
                    " WHERE usable AND rel_path = ?",
                    ((path,) for path in rel_paths),
                )
        return int(total)

    def failed_since(self) -> list[str]:
        """The posts :meth:`note_usable` noted that cannot be used now, for a reason."""
        with self._errors():
            rows = self._db.execute(
                "SELECT w.rel_path FROM temp.was_usable w JOIN posts p ON p.rel_path = w.rel_path"
                " WHERE NOT p.usable AND p.problems != '[]' ORDER BY w.rel_path"
            ).fetchall()
        return [str(row[0]) for row in rows]

    # the scanned posts as a whole (see stages/scan.py and feeds/index.py's StoredIndex)

    def scan_problems(self, now: int) -> Iterator[tuple[str, Sequence[Problem], PostRef | None]]:
        """In path order, every post with a problem, or dated (or updated) after ``now``
        (epoch microseconds): its path, problems and, if usable, its ref."""
        with self._errors():
            rows = self._db.execute(
                f"SELECT rel_path, problems, usable, {_REF_COLUMNS} FROM posts"
                " WHERE problems != '[]' OR (usable AND (published > ? OR updated > ?))"
                " ORDER BY rel_path",
                (now, now),
            )
            for rel_path, problems, usable, *ref in rows:
                yield (
                    rel_path,
                    problems_from_json(problems),
                    _ref(rel_path, ref) if usable else None,
                )

    def usable_count(self, due: int | None) -> int:
        """How many posts are usable and published at or before ``due`` (None: any time)."""
        with self._errors():
            (usable,) = self._db.execute(
                "SELECT count(*) FROM posts WHERE usable AND published <= ?", (_upto(due),)
            ).fetchone()
        return int(usable)

    def refs(
        self,
        due: int | None,
        *,
        by_date: bool = False,
        updated_before: int | None = None,
        stories: bool = False,
    ) -> Iterator[PostRef]:
        """Every usable post published at or before ``due`` (None: any time), in path order,
        or in the order of :meth:`feed_refs` (``by_date``, or ``updated_before``); with
        ``stories``, only those with a story print."""
        args: list[Any] = [_upto(due)]
        order = "p.rel_path"
        if by_date or updated_before is not None:
            order = _feed_order(updated_before, args)
        printed = " AND p.story != ''" if stories else ""
        yield from self._refs(
            f"SELECT p.rel_path, {_ref_columns('p.')} FROM posts p"
            f" WHERE p.usable AND p.published <= ?{printed} ORDER BY {order}",
            args,
        )

    def prints(
        self, due: int | None, updated_before: int | None = None
    ) -> Iterator[tuple[int, str]]:
        """The story prints of :meth:`refs` with ``stories``, in the same order, alone, each
        with its row's number for :meth:`refs_at`."""
        args: list[Any] = [_upto(due)]
        order = _feed_order(updated_before, args)
        with self._errors():
            rows = self._db.execute(
                "SELECT p.rowid, p.story FROM posts p WHERE p.usable AND p.published <= ?"
                f" AND p.story != '' ORDER BY {order}",
                args,
            )
            for rowid, story in rows:
                yield rowid, story if isinstance(story, str) else ""

    def refs_at(self, rowids: Sequence[int]) -> dict[int, PostRef]:
        """The posts at these row numbers (from :meth:`prints`), by row number."""
        select = f"SELECT rowid, rel_path, {_REF_COLUMNS} FROM posts WHERE rowid"
        with self._errors():
            rows = self._rows_where_in(select, rowids)
            return {rowid: _ref(rel_path, ref) for rowid, rel_path, *ref in rows}

    def ids_at(self, rowids: Sequence[int]) -> dict[int, str]:
        """The ids of the posts at these row numbers (see :meth:`refs_at`), by row number."""
        with self._errors():
            rows = self._rows_where_in(
                "SELECT rowid, coalesce(id, link) FROM posts WHERE rowid", rowids
            )
            return dict(rows)

    def _rows_where_in(self, select: str, values: Sequence[Any]) -> list[Any]:
        """The rows of ``select`` (ending in a column) whose column is one of ``values``,
        asked 500 at a time (under SQLite's limit on parameters). A list, not a generator:
        one left suspended by a signal would close its cursor after the database."""
        rows: list[Any] = []
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            query = f"{select} IN ({', '.join('?' * len(chunk))})"
            rows += self._db.execute(query, chunk).fetchall()
        return rows

    def shared_id_refs(self, due: int | None) -> list[PostRef]:
        """The usable posts (published at or before ``due``) whose id another one has too."""
        return list(
            self._refs(
                f"SELECT rel_path, {_REF_COLUMNS} FROM posts WHERE usable AND published <= ?"
                " AND coalesce(id, link) IN (SELECT coalesce(id, link) FROM posts"
                " WHERE usable AND published <= ? GROUP BY 1 HAVING count(*) > 1)"
                " ORDER BY +rel_path",  # "+": not in path order, a walk of every row
                (_upto(due), _upto(due)),
            )
        )

    def has_id(self, post_id: str, due: int | None) -> bool:
        """Whether a usable post (published at or before ``due``) has the id ``post_id``."""
        with self._errors():
            row = self._db.execute(
                "SELECT 1 FROM posts WHERE usable AND published <= ? AND coalesce(id, link) = ?"
                " LIMIT 1",
                (_upto(due), post_id),
            ).fetchone()
        return row is not None

    def category_sets(self, due: int | None) -> list[tuple[tuple[tuple[str, ...], ...], int]]:
        """Each set of category hierarchies the usable posts have, with how many have it."""
        with self._errors():
            rows = self._db.execute(
                "SELECT categories, count(*) FROM posts WHERE usable AND published <= ?"
                " GROUP BY categories ORDER BY categories",
                (_upto(due),),
            ).fetchall()
        return [(unpack_categories(text), int(count)) for text, count in rows]

    def member_names(self, kind: str, due: int | None) -> list[tuple[str, int]]:
        """Each name of a ``kind`` of feed (see :func:`_memberships`) with its member count."""
        with self._errors():
            rows = self._db.execute(
                "SELECT name, count(*) FROM members WHERE kind = ? AND published <= ?"
                " GROUP BY name ORDER BY name",
                (kind, _upto(due)),
            ).fetchall()
        return [(str(name), int(count)) for name, count in rows]

    def feed_refs(self, feed: FeedQuery, updated_before: int | None = None) -> Iterator[PostRef]:
        """The members of ``feed`` in its order: newest published first, or with
        ``updated_before`` (epoch microseconds), newest updated first, an update after it
        counted as none; ties by id."""
        select, args = self._feed_select(feed, f"p.rel_path, {_ref_columns('p.')}")
        order = _feed_order(
            updated_before, args, "p.published" if feed.kind is None else "m.published"
        )
        yield from self._refs(f"{select} ORDER BY {order}", args)

    def feed_count(self, feed: FeedQuery) -> int:
        """How many posts ``feed`` has: for a member feed, counted in its index alone (a
        post has members only while it is usable)."""
        select, args = self._feed_select(feed, "count(*)", join=False)
        with self._errors():
            (count,) = self._db.execute(select, args).fetchone()
        return int(count)

    def _feed_select(
        self, feed: FeedQuery, columns: str, join: bool = True
    ) -> tuple[str, list[Any]]:
        since = -(2**63) if feed.since is None else feed.since
        if feed.kind is None:
            return (
                f"SELECT {columns} FROM posts p WHERE p.usable AND p.in_all"
                " AND p.published <= ? AND p.published >= ?",
                [_upto(feed.due), since],
            )
        return (
            f"SELECT {columns} FROM members m"
            f"{' JOIN posts p ON p.rel_path = m.rel_path' if join else ''}"
            " WHERE m.kind = ? AND m.name = ? AND m.published <= ? AND m.published >= ?",
            [feed.kind, feed.name, _upto(feed.due), since],
        )

    def _refs(self, query: str, args: Sequence[Any]) -> Iterator[PostRef]:
        with self._errors():
            for rel_path, *ref in self._db.execute(query, args):
                yield _ref(rel_path, ref)

    def delete_posts(self, rel_paths: Iterable[str]) -> None:
        with self._errors():
            keys = [(p,) for p in rel_paths]
            self._db.executemany("DELETE FROM posts WHERE rel_path = ?", keys)
            self._db.executemany("DELETE FROM members WHERE rel_path = ?", keys)
            self._db.executemany("DELETE FROM bodies WHERE rel_path = ?", keys)

    def metas(self, rel_paths: Sequence[str]) -> dict[str, PostMeta]:
        """The full metadata of the given (usable, current) posts.

        Raises:
            CacheError: a record is missing or damaged; damaged ones are dropped first, so
                the next build reads those posts again.
        """
        found: dict[str, PostMeta] = {}
        damaged: list[str] = []
        select = f"SELECT rel_path, {_META_COLUMNS} FROM posts WHERE usable AND rel_path"
        with self._errors():
            for rel_path, *columns in self._rows_where_in(select, rel_paths):
                try:
                    found[rel_path] = _packed(columns).unpack(rel_path)
                except _DECODE_ERRORS:
                    damaged.append(rel_path)
        if damaged:
            with self.transaction():
                self.delete_posts(damaged)
            raise CacheError(f"{len(damaged)} damaged post records (dropped)")
        if len(found) < len(rel_paths):
            raise CacheError("post records missing")
        return found

    # bodies

    def bodies(self, keys: Iterable[FileKey]) -> dict[str, PostBody]:
        """The cached bodies of the given (rel_path, size, mtime_ns), where still current; a
        damaged one is left out (its body is cleaned again)."""
        found: dict[str, PostBody] = {}
        with self._errors():
            for rel_path, size, mtime_ns in keys:
                if mtime_ns == -1:  # a file too new to trust: what is stored under -1 is stale
                    continue
                row = self._db.execute(
                    "SELECT body FROM bodies WHERE rel_path = ? AND size = ? AND mtime_ns = ?",
                    (rel_path, size, mtime_ns),
                ).fetchone()
                if row is not None:
                    with contextlib.suppress(*_DECODE_ERRORS):
                        found[rel_path] = _body_from_json(row[0])
        return found

    def put_bodies(self, bodies: Iterable[tuple[FileKey, PostBody]]) -> None:
        with self._errors():
            self._db.executemany(
                "INSERT OR REPLACE INTO bodies VALUES (?, ?, ?, ?)",
                ((*key, _body_to_json(body)) for key, body in bodies),
            )

    # feeds and the last build

    def feeds(self) -> dict[str, FeedRecord]:
        """Every feed's record; a damaged one is left out (that feed is rendered again)."""
        records: dict[str, FeedRecord] = {}
        with self._errors():
            for key, fingerprint, outputs in self._db.execute("SELECT * FROM feeds"):
                with contextlib.suppress(*_DECODE_ERRORS):
                    records[key] = FeedRecord(fingerprint, _outputs_from_json(outputs))
        return records

    def put_feeds(self, records: Mapping[str, FeedRecord]) -> None:
        """Replace every feed's record with ``records``."""
        with self._errors():
            self._db.execute("DELETE FROM feeds")
            self._db.executemany(
                "INSERT INTO feeds VALUES (?, ?, ?)",
                ((k, r.fingerprint, json.dumps(r.outputs)) for k, r in records.items()),
            )

    def snapshot(self) -> Snapshot | None:
        """The last build's snapshot; None when there is none or it is damaged."""
        with self._errors():
            row = self._db.execute("SELECT * FROM snapshot").fetchone()
        if row is None:
            return None
        listing, due, read, skipped, feeds, problems, outputs = row
        try:
            return Snapshot(
                listing,
                due,
                read,
                skipped,
                feeds,
                list(problems_from_json(problems)),
                _outputs_from_json(outputs),
            )
        except _DECODE_ERRORS:
            return None  # the build simply runs

    def put_snapshot(self, snapshot: Snapshot | None) -> None:
        """Record the build just done (None: forget the last, e.g. for a listing in doubt)."""
        with self._errors():
            self._db.execute("DELETE FROM snapshot")
            if snapshot is not None:
                self._db.execute(
                    "INSERT INTO snapshot VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        snapshot.listing,
                        snapshot.due,
                        snapshot.posts_read,
                        snapshot.posts_skipped,
                        snapshot.feeds,
                        problems_to_json(snapshot.problems),
                        json.dumps(snapshot.outputs),
                    ),
                )
