"""What a build may take from the last one's records instead of doing the work again.

Decisions only: :class:`Decider` is given the records (from the cache) and the state of the
files (from the listing and the output dir) and answers; the I/O that acts on its answers is
in the stages. lemon24/reader's update ``Decider`` is the model.

Every decision uses the build's one clock, ``now``: a file modified within :data:`DOUBT_NS`
of it may change again within the same mtime tick, so it is never trusted from the cache;
a post skipped as future is looked at again once it is due.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from .cache import FeedRecord, FileKey, Output, Snapshot, problems_to_json
from .collect.files import PostFile, PostFiles
from .models import FeedSpec, PostMeta, PostRef, Problem, Thumbnail, epoch_micros, zone_key

DOUBT_NS = 2_000_000_000

Stats = Mapping[str, tuple[int, int] | None]  # an output's (size, mtime_ns) now; None: gone


@dataclass(frozen=True)
class Decider:
    """The build's answers to "is this still as it was?", all at the clock ``now``."""

    now: datetime

    @cached_property
    def doubt_after_ns(self) -> int:
        """Files modified at or after this (epoch ns) are too new to trust."""
        return epoch_micros(self.now) * 1000 - DOUBT_NS

    def file_key(self, file: PostFile) -> FileKey:
        """The key a file's cached records are stored under: an mtime that never matches
        for a file too new to trust."""
        trusted = file.mtime_ns < self.doubt_after_ns
        return file.rel_path, file.size, (file.mtime_ns if trusted else -1)

    def listing_key(self, files: PostFiles, problems: Iterable[Problem]) -> str | None:
        """A hash of every post file's path, size and mtime (and the listing's problems);
        None when a file is too new to trust, so no build can be skipped on it."""
        if files.newest_mtime_ns() >= self.doubt_after_ns:
            return None
        digest = hashlib.sha256(files.digest())
        digest.update(problems_to_json(list(problems)).encode())
        return digest.hexdigest()

    def build_unchanged(self, last: Snapshot | None, listing_key: str | None, now: Stats) -> bool:
        """Whether nothing the last build depended on changed: not a post file, not an output
        (the config and version are in the cache's stamp), and no skipped future post is due.
        """
        if last is None or listing_key is None or last.listing != listing_key:
            return False
        if last.due is not None and self.now.timestamp() >= last.due:
            return False
        return outputs_intact(last.outputs, now)

    def feed_unchanged(self, last: FeedRecord | None, fingerprint: str, now: Stats) -> bool:
        """Whether a feed's inputs are those it was last written from, and its files are
        still there as written."""
        return (
            last is not None
            and last.fingerprint == fingerprint
            and outputs_intact(last.outputs, now)
        )


def outputs_intact(recorded: Iterable[Output], now: Stats) -> bool:
    """Whether every output is still there with the size and mtime it was written with."""
    return all(now.get(rel_path) == (size, mtime_ns) for rel_path, size, mtime_ns in recorded)


def post_fingerprint(meta: PostMeta, file: PostFile) -> str:
    """A hash of everything a post's entries depend on: every field of its metadata, and its
    file's size and mtime (the body's stand-in)."""
    return _digest(
        [[_value(getattr(meta, f.name)) for f in _META_FIELDS], file.size, file.mtime_ns]
    )


def feed_fingerprint(spec: FeedSpec, posts: Sequence[str]) -> str:
    """A hash of everything a feed's bytes depend on but the config and version (the cache's
    stamp): its spec, and its posts' fingerprints in order."""
    return _digest([*_spec_data(spec), list(posts)])


def page_fingerprint(
    spec: FeedSpec, refs: Sequence[PostRef], files: Mapping[str, PostFile], decider: Decider
) -> str:
    """A hash of everything an archive page's bytes depend on but the stamp: its spec and
    links, and each post's id and file (path, size, mtime: the stand-in for its metadata and
    body, so an unchanged page costs no metadata read)."""
    return _digest(
        [*_spec_data(spec), [[ref.id, *decider.file_key(files[ref.rel_path])] for ref in refs]]
    )


def _spec_data(spec: FeedSpec) -> list[Any]:
    """What a feed's or page's bytes take from its spec (with archives, its links too)."""
    category = spec.category
    data: list[Any] = [
        spec.key,
        spec.title,
        spec.description,
        None if category is None else [category.name, category.slug, category.parents],
    ]
    if spec.archive is not None:  # archives = true: its links (issue 14.1)
        links = spec.archive
        data.append([links.feed_key, links.page, links.previous, links.following])
    return data


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


_META_FIELDS = dataclasses.fields(PostMeta)  # every one, so a field added later counts too


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return [epoch_micros(value), zone_key(value)]
    if isinstance(value, Thumbnail):
        return [value.url, value.mime_type]
    return value
