"""OPML 2.0 (http://opml.org/spec2.opml): the feeds for a one-step import, nested as the
categories are.

``index.opml`` lists each feed once, in one format (``opml_format``): readers that merge items
by id would otherwise show a feed's posts under one of its copies only, and the others show
each post again per copy. ``index-all-formats.opml`` lists every format, for picking from.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from ..config import Config
from ..feeds.formats import FeedFormat
from .catalog import Catalog, FeedEntry

OPML_PATH = "feeds/index.opml"
ALL_FORMATS_OPML_PATH = "feeds/index-all-formats.opml"


def render_opml(site: Catalog, config: Config, formats: Sequence[FeedFormat]) -> bytes:
    """The all-posts feed, then the category tree (a category with sub-categories is a folder
    holding its own feed first), then the tags and the saved queries, each in a folder; each
    feed once per format."""
    opml = etree.Element("opml", version="2.0")
    head = etree.SubElement(opml, "head")
    etree.SubElement(head, "title").text = f"{config.site_title}: all feeds"
    if config.author:
        etree.SubElement(head, "ownerName").text = config.author
    body = etree.SubElement(opml, "body")
    _feed_outlines(body, site.all, config, formats)
    for entry in site.outline:
        _category_outlines(body, entry, config, formats)
    if site.tags:
        folder = etree.SubElement(body, "outline", text="Tags", title="Tags")
        for entry in site.tags:
            _feed_outlines(folder, entry, config, formats)
    if site.queries:
        folder = etree.SubElement(body, "outline", text="Saved queries", title="Saved queries")
        for entry in site.queries:
            _feed_outlines(folder, entry, config, formats)
    etree.indent(opml, space="  ")
    return etree.tostring(opml, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _category_outlines(
    parent: etree._Element, entry: FeedEntry, config: Config, formats: Sequence[FeedFormat]
) -> None:
    if entry.children:
        parent = etree.SubElement(parent, "outline", text=entry.name, title=entry.name)
    _feed_outlines(parent, entry, config, formats)
    for child in entry.children:
        _category_outlines(parent, child, config, formats)


def _feed_outlines(
    parent: etree._Element, entry: FeedEntry, config: Config, formats: Sequence[FeedFormat]
) -> None:
    title = entry.spec.title
    for fmt in formats:
        text = title if len(formats) == 1 else f"{title} ({fmt.label})"
        etree.SubElement(
            parent,
            "outline",
            type="rss",
            text=text,
            title=text,
            xmlUrl=config.feeds_url + fmt.path(entry.spec),
            htmlUrl=config.base_url,
        )
