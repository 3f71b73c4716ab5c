"""The files a build writes for each feed: the feed formats, by the names used in the
``formats`` setting, and the feed's page for people (``feed_pages``).

A feed format renders each post's entry once per build (``entries``, for a batch of posts)
and assembles any document holding them from their bytes (``assemble``): see
:mod:`.entries`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..config import FORMAT_NAMES, Config
from ..models import FeedSpec, Post
from ..site.feed_page import page_path, render_page
from .decorate import decorate
from .entries import prefixes_of, render_entries, splice
from .items import Entry
from .jsonfeed import json_path, render_json
from .jsonfeed import render_entries as render_json_entries
from .render import feed_path, render_tree


@dataclass(frozen=True)
class OutputFormat:
    """One file per feed: its label for people, its media type and where it goes."""

    name: str
    label: str
    media_type: str
    path: Callable[[FeedSpec], str]


@dataclass(frozen=True)
class FeedFormat(OutputFormat):
    """A feed format: how a batch of posts' entries is made, and a document from the posts
    it holds and their entries."""

    entries: Callable[[Sequence[Post], Config], list[Entry]]
    assemble: Callable[[FeedSpec, Sequence[Post], Sequence[Entry], Config], bytes]


@dataclass(frozen=True)
class PageFormat(OutputFormat):
    """The feed's page for people, made from its posts."""

    render: Callable[[FeedSpec, Sequence[Post], Config], bytes]


def _xml_format(name: str, label: str) -> FeedFormat:
    def path(spec: FeedSpec) -> str:
        return feed_path(spec, name)

    def entries(posts: Sequence[Post], config: Config) -> list[Entry]:
        return render_entries(posts, config, name)

    def assemble(
        spec: FeedSpec, posts: Sequence[Post], items: Sequence[Entry], config: Config
    ) -> bytes:
        head = render_tree(spec, posts, config, name, with_entries=False)
        keep = prefixes_of(items)
        return splice(decorate(head, spec, path(spec), name, config, keep), items, name)

    return FeedFormat(name, label, f"application/{name}+xml", path, entries, assemble)


def _assemble_json(
    spec: FeedSpec, posts: Sequence[Post], items: Sequence[Entry], config: Config
) -> bytes:
    return render_json(spec, items, config)  # its head has no dates: the posts are not needed


FORMATS: dict[str, FeedFormat] = {
    "rss": _xml_format("rss", "RSS"),
    "atom": _xml_format("atom", "Atom"),
    "json": FeedFormat(
        "json", "JSON", "application/feed+json", json_path, render_json_entries, _assemble_json
    ),
}
assert tuple(FORMATS) == FORMAT_NAMES


def _render_page(spec: FeedSpec, posts: Sequence[Post], config: Config) -> bytes:
    return render_page(spec, posts, config, feed_formats(config))


PAGE = PageFormat("html", "Web page", "text/html", page_path, _render_page)


def feed_formats(config: Config) -> list[FeedFormat]:
    """The feed formats to write (what readers subscribe to), in the configured order."""
    return [FORMATS[name] for name in config.formats]
