"""Edits that show by date, and problems already reported: decisions over the output's state
(:mod:`.output.state`), no I/O.

A post whose front matter gives no update date (its ``updated`` is its ``published``) is
dated updated at the build in which its title or cleaned content first differs from what the
output last held for it; a new post, or one first seen by a brand-new output dir, starts
with updated = published. A change of feedbuilder's version or of the settings re-hashes
without dating anything: it is not an edit of the post. Hexo sites keep Hexo's own
``updated_option`` and are left alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .models import Post, Problem, epoch_micros, from_epoch_micros
from .output.state import OutputState, ProblemKey, Remembered

Listed = Mapping[str, tuple[int, int]]  # a post file's (size, mtime_ns), by rel_path


def content_digest(post: Post) -> str:
    """A hash of what a reader sees change: the title and the cleaned content."""
    data = f"{post.meta.title}\0{post.body.content_html}".encode()
    return hashlib.sha256(data).hexdigest()[:32]


@dataclass
class Edits:
    """One build's update dates from the last state: :meth:`date` each feed-bound post,
    then :meth:`state` is what the output remembers next."""

    last: OutputState
    stamp: str
    now: datetime
    listed: Listed  # every post file of this build
    posts: dict[str, Remembered] = field(default_factory=dict)

    def date(self, posts: Mapping[str, Post]) -> dict[str, Post]:
        """``posts`` (by id), each without an update date of its own dated by its last edit."""
        now = epoch_micros(self.now.replace(microsecond=0))
        dated: dict[str, Post] = {}
        for post_id, post in posts.items():
            meta = post.meta
            if meta.updated != meta.published:  # its own update date: the post's word
                dated[post_id] = post
                continue
            digest = content_digest(post)
            seen = self.last.posts.get(meta.rel_path)
            published = epoch_micros(meta.published)
            if seen is None:
                updated = published
            elif seen.digest == digest or seen.stamp != self.stamp:
                updated = max(seen.updated, published)
            else:
                updated = max(now, published)
            self.posts[meta.rel_path] = Remembered(digest, updated, self.stamp)
            if updated != published:
                when = from_epoch_micros(updated, meta.published.tzinfo or UTC)
                post = Post(meta.replace(updated=when), post.body)
            dated[post_id] = post
        return dated

    def state(self, problems: Iterable[Problem]) -> OutputState:
        """What the output remembers after this build: the posts dated now, the others as
        they were while their file is still listed, and ``problems``."""
        listed = self.listed
        posts = {p: r for p, r in self.last.posts.items() if p in listed}
        posts.update((p, r) for p, r in self.posts.items() if p in listed)
        return OutputState(posts, frozenset(problem_key(p, listed) for p in problems))


def problem_key(problem: Problem, listed: Listed) -> ProblemKey:
    """A problem as remembered: with its file's size and mtime, so the same reason for a
    file that changed counts as new."""
    size, mtime_ns = listed.get(problem.path, (-1, -1))
    return (problem.path, size, mtime_ns, problem.line or 0, problem.reason)


def known_problems(
    problems: Iterable[Problem], last: OutputState, listed: Listed
) -> frozenset[Problem]:
    """The ``problems`` the last build already reported for the same file as it was."""
    return frozenset(p for p in problems if problem_key(p, listed) in last.problems)
