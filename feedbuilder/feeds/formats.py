"""The files a build writes for each feed: the feed formats, by the names used in the
``formats`` setting, and the feed's page for people (``feed_pages``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..config import FORMAT_NAMES, Config
from ..models import FeedSpec, Post
from ..site.feed_page import page_path, render_page
from .decorate import decorate
from .jsonfeed import json_path, render_json
from .render import feed_path, render_tree


@dataclass(frozen=True)
class FeedFormat:
    """One format: its label for people, its media type, where it goes and how it is made."""

    name: str
    label: str
    media_type: str
    path: Callable[[FeedSpec], str]
    render: Callable[[FeedSpec, Sequence[Post], Config], bytes]


def _xml_format(name: str, label: str) -> FeedFormat:
    def path(spec: FeedSpec) -> str:
        return feed_path(spec, name)

    def render_xml(spec: FeedSpec, posts: Sequence[Post], config: Config) -> bytes:
        return decorate(render_tree(spec, posts, config, name), spec, path(spec), name, config)

    return FeedFormat(name, label, f"application/{name}+xml", path, render_xml)


FORMATS: dict[str, FeedFormat] = {
    "rss": _xml_format("rss", "RSS"),
    "atom": _xml_format("atom", "Atom"),
    "json": FeedFormat("json", "JSON", "application/feed+json", json_path, render_json),
}
assert tuple(FORMATS) == FORMAT_NAMES


def _render_page(spec: FeedSpec, posts: Sequence[Post], config: Config) -> bytes:
    return render_page(spec, posts, config, feed_formats(config))


PAGE = FeedFormat("html", "Web page", "text/html", page_path, _render_page)


def feed_formats(config: Config) -> list[FeedFormat]:
    """The feed formats to write (what readers subscribe to), in the configured order."""
    return [FORMATS[name] for name in config.formats]


def configured(config: Config) -> list[FeedFormat]:
    """Every file to write per feed: its formats in the configured order, then its page."""
    return [*feed_formats(config), *([PAGE] if config.feed_pages else [])]
