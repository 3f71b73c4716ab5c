"""Every error feedbuilder raises on purpose, under one base class.

A caller that only wants "did the build fail, and why" catches :class:`FeedbuilderError`; the
CLI maps each kind to its exit code. A broken *post* is never an error: it is reported as a
:class:`~.models.Problem` and skipped.
"""

from __future__ import annotations


class FeedbuilderError(Exception):
    """The base of every error below; its message is meant for the user as it is."""


class ConfigError(FeedbuilderError):
    """A configuration file or value is wrong, or names a posts folder that is not there;
    the message names the key (``key: reason``)."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key if key is not None else message.split(":", 1)[0]
        self.reason = message.split(": ", 1)[-1] if key is None else message


class WouldEmptySiteError(FeedbuilderError):
    """The posts folder holds no post while the output dir holds a built site: an unmounted
    volume looks just like this, so the feeds are left as they are."""


class MassFailureError(WouldEmptySiteError):
    """Most of the posts the last build used are still there but unusable (empty, unreadable,
    broken: a half-synced or damaged volume), so the feeds are left as they are."""


class OutputError(FeedbuilderError):
    """The output dir cannot be written; nothing already there was damaged."""


class LockedError(FeedbuilderError):
    """Another build holds the output dir's lock."""


class CacheError(FeedbuilderError):
    """The build cache cannot be used; a build goes on without it (never raised by one)."""


class WorkerError(FeedbuilderError):
    """A worker process of the pool died (killed, out of memory); nothing was written."""
