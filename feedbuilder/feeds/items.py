"""What every format shows of a post and a feed beyond feedgen's fields: the content led by
the thumbnail, image URLs as readers should fetch them, and the feed's icon and logo.

Free of feedgen, so JSON Feed and the HTML pages use it without importing it.
"""

from __future__ import annotations

from typing import NamedTuple

from ..config import CategorySettings, Config
from ..models import FeedSpec, Post
from ..normalise.urls import proxy_image_url


class Entry(NamedTuple):
    """One post's item in one format, as it is written in every document holding it (each
    post's is rendered once per build: :mod:`.entries`), and the XML namespace prefixes it
    uses, which that document's head must declare."""

    data: bytes
    prefixes: frozenset[str] = frozenset()


def image_url(url: str, config: Config) -> str:
    """An image URL as readers should fetch it: through ``image_proxy`` when one is set."""
    return proxy_image_url(url, config.image_proxy)


def thumbnail_url(post: Post, config: Config) -> str | None:
    thumb = post.thumbnail
    return None if thumb is None else image_url(thumb.url, config)


def attr(value: str) -> str:
    """``value`` escaped for a double-quoted HTML attribute."""
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def content_with_thumbnail(post: Post, config: Config) -> str:
    """The content, led by the thumbnail when the body has no image of its own."""
    html = post.body.content_html
    url = thumbnail_url(post, config)
    if config.thumbnail_in_content and url is not None and post.body.first_image is None:
        policy = config.image_referrer_policy
        referrer = f' referrerpolicy="{policy}"' if policy else ""
        html = f'<p><img src="{attr(url)}" alt=""{referrer}></p>\n{html}'
    return html


def _category_settings(spec: FeedSpec, config: Config) -> CategorySettings:
    key = spec.key if spec.archive is None else spec.archive.feed_key  # a page: its feed's
    if spec.category is None or not key.startswith("category/"):
        return CategorySettings()
    return config.category_settings(spec.category)


def feed_icon(spec: FeedSpec, config: Config) -> str:
    """The feed's square icon: its category's, else the site's ("" for none)."""
    return _category_settings(spec, config).icon or config.icon


def feed_logo(spec: FeedSpec, config: Config) -> str:
    """The feed's wide logo: its category's, else the site's ("" for none)."""
    return _category_settings(spec, config).logo or config.logo
