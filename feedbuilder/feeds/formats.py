"""The output formats a build can write, by the names used in the ``formats`` setting."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..config import FORMAT_NAMES, Config
from ..models import FeedSpec, Post
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
        return decorate(render_tree(spec, posts, config, name), path(spec), name, config)

    return FeedFormat(name, label, f"application/{name}+xml", path, render_xml)


FORMATS: dict[str, FeedFormat] = {
    "rss": _xml_format("rss", "RSS"),
    "atom": _xml_format("atom", "Atom"),
    "json": FeedFormat("json", "JSON", "application/feed+json", json_path, render_json),
}
assert tuple(FORMATS) == FORMAT_NAMES


def configured(config: Config) -> list[FeedFormat]:
    """The formats to write, in the configured order."""
    return [FORMATS[name] for name in config.formats]
