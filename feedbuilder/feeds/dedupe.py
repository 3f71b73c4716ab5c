"""One id per item: posts that share an id are merged or told apart, and always reported.

An id declared in front matter (``id``/``guid``) names an item: two posts declaring the same
one are the same item, and the later-updated one wins (ties: the first path). A *derived* id
(the permalink) is ours to change: posts whose permalinks collide, or whose permalink is an id
another post declares, keep their place in the feeds under a suffixed id. A declared id never
evicts a post that did not declare it, and every post involved is told why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from ..models import PostRef, Problem, Severity


def dedupe(
    refs: Sequence[PostRef], id_taken: Callable[[str], bool] = lambda post_id: False
) -> tuple[list[PostRef], list[Problem]]:
    """Every post with a unique id, in path order, and a problem for each one involved;
    ``id_taken`` tells whether a post not among ``refs`` has an id (a new one must not)."""
    ordered = sorted(refs, key=lambda r: r.rel_path)
    if len({ref.id for ref in ordered}) == len(ordered):  # the usual case, cheap to see
        return ordered, []
    by_id: dict[str, list[PostRef]] = {}
    for ref in ordered:
        by_id.setdefault(ref.id, []).append(ref)
    taken = _Taken(set(by_id), id_taken)
    kept: dict[str, PostRef] = {}  # by rel_path
    problems: list[Problem] = []
    for post_id, group in by_id.items():
        if len(group) == 1:
            kept[group[0].rel_path] = group[0]
            continue
        declared = [r for r in group if r.declared_id]
        derived = [r for r in group if not r.declared_id]
        if declared:
            holder = min(declared, key=lambda r: (-r.updated, r.rel_path))
            kept[holder.rel_path] = holder
            problems.extend(_merge(post_id, holder, [r for r in declared if r is not holder]))
        else:
            holder, derived = derived[0], derived[1:]
            kept[holder.rel_path] = holder
        for other in derived:
            new_id = _suffixed(post_id, other.rel_path, taken)
            taken.add(new_id)
            kept[other.rel_path] = other._replace(id=new_id)
            problems.extend(_told_apart(post_id, new_id, holder, other))
    return [kept[ref.rel_path] for ref in ordered if ref.rel_path in kept], problems


def _merge(post_id: str, holder: PostRef, others: Sequence[PostRef]) -> list[Problem]:
    """The older posts declaring ``post_id`` are skipped, and the one kept says so."""
    if not others:
        return []
    problems = [
        Problem(
            other.rel_path,
            f"duplicate id {post_id!r} (also in {holder.rel_path}); skipped",
            Severity.ERROR,
        )
        for other in others
    ]
    names = ", ".join(other.rel_path for other in others)
    problems.append(
        Problem(holder.rel_path, f"duplicate id {post_id!r} (also in {names}); kept this one")
    )
    return problems


def _told_apart(post_id: str, new_id: str, holder: PostRef, other: PostRef) -> list[Problem]:
    if not holder.declared_id:
        return [
            Problem(other.rel_path, f"same permalink as {holder.rel_path}; given the id {new_id}")
        ]
    return [
        Problem(
            other.rel_path,
            f"its permalink is the id {holder.rel_path} declares; given the id {new_id}",
        ),
        Problem(
            holder.rel_path,
            f"declared id {post_id!r} is the permalink of {other.rel_path}, "
            f"which was given the id {new_id}",
        ),
    ]


def _suffixed(post_id: str, rel_path: str, taken: _Taken) -> str:
    """``<id>#<hash of the path>``: stable across builds, lengthened while another holds it."""
    digest = hashlib.sha1(rel_path.encode()).hexdigest()
    for digits in range(8, len(digest) + 1, 4):
        candidate = f"{post_id}#{digest[:digits]}"
        if candidate not in taken:
            return candidate
    counter = 2
    while f"{post_id}#{digest}-{counter}" in taken:
        counter += 1
    return f"{post_id}#{digest}-{counter}"


class _Taken:
    """The ids in use: those of the posts deduplicated, the new ones, and any ``elsewhere``."""

    def __init__(self, ids: set[str], elsewhere: Callable[[str], bool]) -> None:
        self._ids = ids
        self._elsewhere = elsewhere

    def __contains__(self, post_id: str) -> bool:
        return post_id in self._ids or self._elsewhere(post_id)

    def add(self, post_id: str) -> None:
        self._ids.add(post_id)
