"""The mass-failure guard: a half-synced or damaged volume must not empty the feeds.

When more than half of the posts the last build used are still listed but can no longer be
used (empty, unreadable, broken front matter), the build is far more likely to be looking at
a volume in trouble than at an author who broke most of the site at once: it stops before
anything is written, and ``--allow-shrink`` (``allow_shrink=True``) lets it go on. Deleted
posts are not failures. The memory is the build cache's (which posts were usable), so a
build without the cache has no guard but the empty-folder refusal.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import MassFailureError


def refuse_mass_failure(usable_before: int, failed: Iterable[str], posts_dir: object) -> None:
    """Raises:
    MassFailureError: more than half of the ``usable_before`` posts ``failed``.
    """
    failures = list(failed)
    if usable_before and 2 * len(failures) > usable_before:
        shown = ", ".join(failures[:3]) + (", ..." if len(failures) > 3 else "")
        raise MassFailureError(
            f"posts_dir: {len(failures)} of the {usable_before} posts the last build used are "
            f"still in {posts_dir} but unusable now ({shown}): a half-synced or damaged "
            "volume? Keeping the previous feeds (--allow-shrink builds them anyway)"
        )
