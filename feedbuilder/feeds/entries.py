"""Each post's RSS or Atom entry rendered once, and a feed document spliced from the bytes.

A post is in the all-posts feed, in every level of its category hierarchy, in tag and query
feeds and in an archive page of each (issue 13): rendering each document whole made its
entry (feedgen's ``FeedEntry``, lxml, serialisation) once per document. Here feedgen still
makes every entry, a batch of posts at a time (one generator and one parse per batch), and
the feed's head alone (:func:`.render.render_tree` without entries, decorated): a document
is the head with its entries' bytes put where the whole render puts them, byte for byte.

What makes the bytes the same (pinned by tests/test_entries.py against the whole render):
- an entry depends on its post and the config, never on the feed (what differs from feed to
  feed, such as an "Also in" note, makes another post and so another entry);
- ``etree.indent`` indents an item by its depth alone, which is the same in every document,
  and the serialiser writes it with the prefixes the root declares: feedgen declares every
  namespace on the root, and a head keeps the ones its entries use (:attr:`Entry.prefixes`)
  where a cleanup of the head alone would drop them;
- the items come last in feedgen's channel or feed, so they go just before its closing tag.

An entry is cut out of a batch document at its tags: text there is escaped, so ``<item>``
and ``</item>`` are tags, except inside RSS content's CDATA sections, which are skipped
(they cannot hold ``]]>``: :mod:`.render` escapes it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..config import Config
from ..models import FeedSpec, Post
from .items import Entry
from .render import ATOM_NS, render_tree, serialize

# The batch document's head: only its entries are kept.
_BATCH = FeedSpec("entries", "entries", "entries", None, ())
_CDATA_OPEN, _CDATA_CLOSE = b"<![CDATA[", b"]]>"
_TAGS = {"rss": b"item", "atom": b"entry"}
# How a head with no entries ends, and what leads each entry spliced before that end.
_CLOSING = {"rss": b"\n  </channel>\n</rss>\n", "atom": b"\n</feed>\n"}
_LEAD = {"rss": b"\n    ", "atom": b"\n  "}


def render_entries(posts: Sequence[Post], config: Config, fmt: str) -> list[Entry]:
    """The RSS or Atom entry of each of ``posts``, in order, made by feedgen in one batch."""
    root = render_tree(_BATCH, posts, config, fmt)
    items = root.findall("channel/item" if fmt == "rss" else f"{{{ATOM_NS}}}entry")
    prefixes = [frozenset(el.prefix for el in item.iter() if el.prefix) for item in items]
    data = _cut(serialize(root), _TAGS[fmt])
    assert len(data) == len(prefixes) == len(posts), "one entry per post"
    return [Entry(d, p) for d, p in zip(data, prefixes, strict=True)]


def _cut(document: bytes, tag: bytes) -> list[bytes]:
    """Every ``<tag>…</tag>`` element of ``document``, in order (none nested)."""
    opening, closing = b"<" + tag + b">", b"</" + tag + b">"
    found = []
    at = document.find(opening)
    while at != -1:
        end = _end_of(document, closing, at)
        found.append(document[at:end])
        at = document.find(opening, end)
    return found


def _end_of(document: bytes, closing: bytes, start: int) -> int:
    """Where the element opened at ``start`` ends: after its first ``closing`` tag outside
    CDATA."""
    at = start
    while True:
        end = document.index(closing, at)
        cdata = document.find(_CDATA_OPEN, at, end)
        if cdata == -1:
            return end + len(closing)
        at = document.index(_CDATA_CLOSE, cdata) + len(_CDATA_CLOSE)


def prefixes_of(entries: Iterable[Entry]) -> frozenset[str]:
    """The namespace prefixes any of ``entries`` uses."""
    return frozenset().union(*(entry.prefixes for entry in entries))


def splice(head: bytes, entries: Sequence[Entry], fmt: str) -> bytes:
    """The document ``head`` (serialised without entries) with ``entries`` as its items."""
    closing = _CLOSING[fmt]
    assert head.endswith(closing), "a head ends with its channel or feed"
    lead = _LEAD[fmt]
    return b"".join([head[: -len(closing)], *(lead + entry.data for entry in entries), closing])
