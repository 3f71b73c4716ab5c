"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/): the same feed for JSON-first readers.

Keys are sorted and the text is indented the same way every time, so an unchanged feed is
byte-identical and the writer leaves it alone. Each post's item is written once per build
(:func:`render_entries`) and spliced into every document holding it, indented as
``json.dumps`` indents it there: strings hold no newline (JSON escapes it), so indenting an
item is putting spaces after each of its newlines.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..config import Config
from ..models import FeedSpec, Post
from .archives import json_chain
from .items import Entry, content_with_thumbnail, feed_icon, thumbnail_url

VERSION = "https://jsonfeed.org/version/1.1"
_ITEMS = "\x00"  # the items' place in the head, written "\u0000"
_ITEMS_MEMBER = b'"items": "\\u0000"'  # only once: in a string, '"' is escaped, so 'items": '
# is the key
_ITEM_LEAD = b"\n    "  # an item's depth: feed > items > item


def json_path(spec: FeedSpec) -> str:
    """``feeds/all.json``, ``feeds/category/<slug>.json``."""
    return f"feeds/{spec.key}.json"


def _item(post: Post, config: Config) -> dict[str, Any]:
    meta = post.meta
    item: dict[str, Any] = {
        "id": meta.id,
        "url": meta.link,
        "title": meta.title,
        "date_published": meta.published.isoformat(timespec="seconds"),
        "date_modified": meta.updated.isoformat(timespec="seconds"),
        "authors": [{"name": meta.author or config.site_author}],
    }
    if config.full_content:
        item["content_html"] = content_with_thumbnail(post, config)
    else:  # JSON Feed needs content_html or content_text
        item["content_text"] = post.body.summary or meta.title
    if post.body.summary:
        item["summary"] = post.body.summary
    image = thumbnail_url(post, config)
    if image is not None:
        item["image"] = image
    tags = list(dict.fromkeys([*meta.category_names(), *meta.tags]))
    if tags:
        item["tags"] = tags
    return item


def render_entries(posts: Sequence[Post], config: Config) -> list[Entry]:
    """Each post's item, in order, as a feed's ``items`` holds it."""
    return [Entry(_dumps(_item(post, config)).replace("\n", "\n    ").encode()) for post in posts]


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


def render_json(spec: FeedSpec, entries: Sequence[Entry], config: Config) -> bytes:
    """The feed holding ``entries`` (:func:`render_entries`) as JSON Feed 1.1 bytes,
    deterministic for the same entries and config."""
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": spec.title,
        "home_page_url": config.base_url,
        "feed_url": config.feeds_url + json_path(spec),
        "description": spec.description,
        "language": config.language,
        "authors": [{"name": config.site_author}],
        "items": _ITEMS,
    }
    icon = feed_icon(spec, config)
    if icon:
        feed["icon"] = feed["favicon"] = icon
    if config.websub_hub:
        feed["hubs"] = [{"type": "WebSub", "url": config.websub_hub}]
    feed.update(json_chain(spec, config))  # archives = true: next_url (issue 14.1)
    before, after = (_dumps(feed) + "\n").encode().split(_ITEMS_MEMBER)
    items = b",".join(_ITEM_LEAD + entry.data for entry in entries)
    listed = b"[" + items + _ITEM_LEAD[:-2] + b"]" if entries else b"[]"
    return b"".join([before, b'"items": ', listed, after])
