"""What feedgen cannot add to an RSS or Atom feed: branding, WebSub, poll hints, a stylesheet.

- Feedly's ``webfeeds:`` icon, logo, cover and accent colour;
- ``<?xml-stylesheet?>`` pointing at the shared XSL when ``feed_xsl`` is on, by a relative href
  so the same bytes work wherever the output dir is served;
- ``rel="hub"`` links when a WebSub hub is configured (feedgen drops non-self links in RSS);
- RSS ``ttl`` and ``sy:updatePeriod``/``sy:updateFrequency`` from ``refresh_minutes`` (feedgen's
  syndication extension misspells them ``sy:UpdatePeriod``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection

from lxml import etree

from ..config import Config
from ..models import FeedSpec
from .items import feed_icon, feed_logo
from .render import ATOM_NS, serialize

WEBFEEDS_NS = "http://webfeeds.org/rss/1.0"
SY_NS = "http://purl.org/rss/1.0/modules/syndication/"
XSL_PATH = "feeds/feed.xsl"
_MINUTES = (("hourly", 60), ("daily", 24 * 60), ("weekly", 7 * 24 * 60))


def stylesheet_href(rel_path: str) -> str:
    """The XSL's URL relative to the feed at ``rel_path`` (both inside the output dir)."""
    return posixpath.relpath(XSL_PATH, posixpath.dirname(rel_path))


def update_hint(minutes: int) -> tuple[str, int]:
    """``sy:updatePeriod`` and ``sy:updateFrequency`` approximating one update per ``minutes``."""
    for period, length in _MINUTES:
        if minutes <= length:
            return period, max(1, round(length / minutes))
    return "weekly", 1


def decorate(
    root: etree._Element,
    spec: FeedSpec,
    rel_path: str,
    fmt: str,
    config: Config,
    keep: Collection[str] = (),
) -> bytes:
    """The feed ``root`` (written to ``rel_path``) with branding, hub, poll hints and stylesheet,
    as bytes. ``keep``: the namespace prefixes to declare even if ``root`` does not use them,
    as the entries to be spliced into it do (a head alone would lose them)."""
    webfeeds = _webfeeds(spec, config)
    if fmt == "rss":
        _decorate_rss(root, webfeeds, config, keep)
    else:
        _decorate_atom(root, webfeeds, config, keep)
    if spec.archive is not None:  # archives = true: its place in the RFC 5005 chain
        from .archive_xml import add_archive_links

        add_archive_links(root, spec.archive, fmt, config, keep)
    if config.feed_xsl:
        href = stylesheet_href(rel_path)
        stylesheet = etree.ProcessingInstruction("xml-stylesheet", f'type="text/xsl" href="{href}"')
        root.addprevious(stylesheet)
    return serialize(root)


def _webfeeds(spec: FeedSpec, config: Config) -> list[etree._Element]:
    """Feedly's elements for the configured icon, logo, cover and accent colour."""
    elements = []
    for name, value in (("icon", feed_icon(spec, config)), ("logo", feed_logo(spec, config))):
        if value:
            element = etree.Element(f"{{{WEBFEEDS_NS}}}{name}")
            element.text = value
            elements.append(element)
    if config.cover_image:
        elements.append(etree.Element(f"{{{WEBFEEDS_NS}}}cover", image=config.cover_image))
    if config.accent_color:
        element = etree.Element(f"{{{WEBFEEDS_NS}}}accentColor")
        element.text = config.accent_color
        elements.append(element)
    return elements


def _insert_before_items(parent: etree._Element, elements: list[etree._Element], item: str) -> None:
    first = parent.find(item)
    index = parent.index(first) if first is not None else len(parent)
    for offset, element in enumerate(elements):
        parent.insert(index + offset, element)


def _decorate_rss(
    root: etree._Element, webfeeds: list[etree._Element], config: Config, keep: Collection[str]
) -> None:
    channel = root.find("channel")
    assert channel is not None, "feedgen always writes a channel"
    added: list[etree._Element] = list(webfeeds)
    if config.websub_hub:
        added.append(etree.Element(f"{{{ATOM_NS}}}link", href=config.websub_hub, rel="hub"))
    if config.refresh_minutes:
        ttl = etree.Element("ttl")
        ttl.text = str(config.refresh_minutes)
        period, frequency = update_hint(config.refresh_minutes)
        sy_period = etree.Element(f"{{{SY_NS}}}updatePeriod")
        sy_period.text = period
        sy_frequency = etree.Element(f"{{{SY_NS}}}updateFrequency")
        sy_frequency.text = str(frequency)
        added += [ttl, sy_period, sy_frequency]
    _insert_before_items(channel, added, "item")
    etree.cleanup_namespaces(
        root,
        top_nsmap={"atom": ATOM_NS, "sy": SY_NS, "webfeeds": WEBFEEDS_NS},
        keep_ns_prefixes=keep,
    )


def _decorate_atom(
    root: etree._Element, webfeeds: list[etree._Element], config: Config, keep: Collection[str]
) -> None:
    added = list(webfeeds)
    if config.websub_hub:
        added.append(etree.Element(f"{{{ATOM_NS}}}link", href=config.websub_hub, rel="hub"))
    _insert_before_items(root, added, f"{{{ATOM_NS}}}entry")
    if webfeeds:  # declared on the root (only then: cleaning up would drop feedgen's unused ones)
        etree.cleanup_namespaces(root, top_nsmap={"webfeeds": WEBFEEDS_NS}, keep_ns_prefixes=keep)
