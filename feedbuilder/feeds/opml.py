"""OPML 2.0 (http://opml.org/spec2.opml): every feed in one file, for a one-step import."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from ..config import Config
from ..models import FeedSpec
from .formats import configured

OPML_PATH = "feeds/index.opml"


def render_opml(specs: Sequence[FeedSpec], config: Config) -> bytes:
    """One ``<outline type="rss">`` per feed, in its first configured format."""
    fmt = configured(config)[0]
    opml = etree.Element("opml", version="2.0")
    head = etree.SubElement(opml, "head")
    etree.SubElement(head, "title").text = f"{config.site_title}: all feeds"
    if config.author:
        etree.SubElement(head, "ownerName").text = config.author
    body = etree.SubElement(opml, "body")
    for spec in specs:
        etree.SubElement(
            body,
            "outline",
            type="rss",
            text=spec.title,
            title=spec.title,
            xmlUrl=config.feeds_url + fmt.path(spec),
            htmlUrl=config.base_url,
        )
    etree.indent(opml, space="  ")
    return etree.tostring(opml, xml_declaration=True, encoding="UTF-8", pretty_print=True)
