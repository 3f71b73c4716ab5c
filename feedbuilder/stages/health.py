"""Between render and write: every feed's health (:mod:`..output.health`), from the plan,
the posts just loaded, the bytes just rendered and, for feeds kept unread, the cache's record
of their files and the last health file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..config import Config
from ..models import FeedSpec, Post
from ..output.health import Health, site_health
from .plan import Planned
from .render import Rendered


def keep_measured(planned: Planned, previous: Health | None) -> None:
    """Render again the feeds the cache would keep but the last health file does not
    describe (it was deleted or damaged): a kept feed's image share is that file's, as its
    bodies are not loaded."""
    described = previous.by_key() if previous is not None else {}
    planned.kept = {key: record for key, record in planned.kept.items() if key in described}


def measure(
    planned: Planned,
    posts: Mapping[str, Post],
    rendered: Rendered,
    config: Config,
    previous: Health | None,
) -> Health:
    files = {feed.spec.key: feed.files for feed in rendered.feeds}
    kept_sizes = {
        key: {path: size for path, size, _ in record.outputs}
        for key, record in planned.kept.items()
    }
    from ..feeds.formats import feed_formats  # feedgen & co.: imported by render when needed

    formats = feed_formats(config)

    def image_of(spec: FeedSpec) -> Sequence[bool] | None:
        if spec.key not in files:
            return None
        return [posts[post_id].thumbnail is not None for post_id in spec.post_ids]

    def sizes_of(spec: FeedSpec) -> dict[str, int]:
        rendered_files = files.get(spec.key)
        sizes: dict[str, int] = {}
        for fmt in formats:
            path = fmt.path(spec)
            if rendered_files is not None and path in rendered_files:
                sizes[fmt.name] = len(rendered_files[path])
            elif path in kept_sizes.get(spec.key, {}):
                sizes[fmt.name] = kept_sizes[spec.key][path]
        return sizes

    return site_health(
        planned.feeds.specs,
        planned.metas,
        image_of,
        sizes_of,
        previous,
        config.max_feed_bytes,
        config.missing_date == "mtime",
    )
