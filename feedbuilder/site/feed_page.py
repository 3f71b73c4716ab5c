"""Each feed as a page for people (``feeds/<key>.html``): what a browser shows for a feed now
that browsers drop XSLT. Its items with thumbnail, title, date in the site's zone and summary,
and the feed's addresses to copy into a reader; the site's CSS inline, no script needed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from ..config import Config
from ..feeds.items import image_url
from ..models import FeedSpec, Post
from .templates import env

if TYPE_CHECKING:
    from ..feeds.formats import FeedFormat

INDEX_PATH = "index.html"
DATE_FORMAT = "%Y-%m-%d %H:%M"


class Subscription(NamedTuple):
    """One format the feed is offered in, with its absolute URL."""

    label: str
    media_type: str
    url: str


class PageItem(NamedTuple):
    title: str
    link: str
    published: str  # ISO 8601, for <time datetime>
    shown_date: str  # in the site's zone
    summary: str
    thumbnail: str | None


def page_path(spec: FeedSpec) -> str:
    """``feeds/all.html``, ``feeds/category/<slug>.html``: beside the feed's files."""
    return f"feeds/{spec.key}.html"


def relative_href(target: str, from_path: str) -> str:
    """``target`` (a path in the output dir) as a link from the page at ``from_path``."""
    return posixpath.relpath(target, posixpath.dirname(from_path) or ".")


def _item(post: Post, config: Config) -> PageItem:
    meta = post.meta
    thumb = post.thumbnail
    return PageItem(
        title=meta.title,
        link=meta.link,
        published=meta.published.isoformat(timespec="seconds"),
        shown_date=meta.published.astimezone(config.zone).strftime(DATE_FORMAT),
        summary=post.body.summary,
        thumbnail=None if thumb is None else image_url(thumb.url, config),
    )


def render_page(
    spec: FeedSpec, posts: Sequence[Post], config: Config, formats: Sequence[FeedFormat]
) -> bytes:
    """The feed's page, deterministic for the same posts and config."""
    path = page_path(spec)
    subscriptions = [
        Subscription(fmt.label, fmt.media_type, config.feeds_url + fmt.path(spec))
        for fmt in formats
    ]
    html = env.get_template("feed.html.j2").render(
        config=config,
        spec=spec,
        subscriptions=subscriptions,
        items=[_item(post, config) for post in posts],
        index_href=relative_href(INDEX_PATH, path),
    )
    return html.encode()
