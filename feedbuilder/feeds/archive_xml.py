"""RFC 5005's elements in RSS and Atom documents (see :mod:`.archives` for the chain).

Atom gets ``atom:link`` elements with ``prev-archive``, ``next-archive`` and ``current``;
RSS gets the same as ``atom:link`` in its channel (RFC 5005 section 1 names both formats);
archive pages are marked ``fh:archive``, a subscription document holding every post of its
feed ``fh:complete``. An Atom page has its feed's ``atom:id``: it is the same feed.
"""

from __future__ import annotations

from collections.abc import Collection

from lxml import etree

from ..config import Config
from ..models import ArchiveLinks
from .archives import FH_NS, linked_path
from .render import ATOM_NS


def add_archive_links(
    root: etree._Element, links: ArchiveLinks, fmt: str, config: Config, keep: Collection[str] = ()
) -> None:
    """Mark the feed ``root`` (in ``fmt``, "rss" or "atom") with its place in the chain
    (``keep``: namespace prefixes to leave declared, as :func:`.decorate.decorate` says)."""
    media_type = f"application/{fmt}+xml"
    added: list[etree._Element] = []
    if links.page:
        added.append(etree.Element(f"{{{FH_NS}}}archive"))
    elif links.complete:
        added.append(etree.Element(f"{{{FH_NS}}}complete"))
    rels = [("current", "")] if links.page else []
    if links.previous:
        rels.append(("prev-archive", links.previous))
    if links.following:
        rels.append(("next-archive", links.following))
    for rel, page in rels:
        href = config.feeds_url + linked_path(links, page, fmt)
        added.append(etree.Element(f"{{{ATOM_NS}}}link", href=href, rel=rel, type=media_type))
    if fmt == "rss":
        parent = root.find("channel")
        assert parent is not None, "feedgen always writes a channel"
        first = parent.find("item")
    else:
        parent = root
        first = parent.find(f"{{{ATOM_NS}}}entry")
        if links.page:  # the feed's id, not the page's
            feed_id = parent.find(f"{{{ATOM_NS}}}id")
            assert feed_id is not None, "feedgen always writes an id"
            feed_id.text = config.feeds_url + linked_path(links, "", fmt)
    index = parent.index(first) if first is not None else len(parent)
    for offset, element in enumerate(added):
        parent.insert(index + offset, element)
    nsmap = {"atom": ATOM_NS, "fh": FH_NS} if fmt == "rss" else {"fh": FH_NS}
    etree.cleanup_namespaces(root, top_nsmap=nsmap, keep_ns_prefixes=keep)
