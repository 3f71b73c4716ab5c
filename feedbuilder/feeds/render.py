"""Render a feed as RSS 2.0 or Atom 1.0 bytes with feedgen, then mend what feedgen gets wrong.

feedgen 1.0.0 traps, each worked around here and pinned in tests/test_render.py:
- ``add_entry`` prepends: we pass ``order="append"``;
- ``lastBuildDate`` defaults to the wall clock: we set it to the newest item's date;
- ``description()`` becomes Atom ``content`` unless ``isSummary=True``;
- the RSS channel ``<link>`` is the last link added: the alternate link goes last;
- entry links lose every attribute but ``href`` (python-feedgen#135): Atom entry links are
  rebuilt with lxml after rendering;
- ``image()`` sets the Atom logo too: it is called for RSS only.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from lxml import etree

from .. import __version__
from ..config import Config
from ..models import FeedSpec, Post, Thumbnail
from .items import content_with_thumbnail, feed_icon, feed_logo, thumbnail_url

ATOM_NS = "http://www.w3.org/2005/Atom"
FALLBACK_IMAGE_TYPE = "image/jpeg"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
GENERATOR_URI = "https://pypi.org/project/feedbuilder/"


def feed_path(spec: FeedSpec, fmt: str) -> str:
    """The feed's path inside the output dir, e.g. ``feeds/category/jin-rong.atom.xml``."""
    return f"feeds/{spec.key}.{fmt}.xml"


def atom_id(post_id: str) -> str:
    """Atom ids must be IRIs: a declared id that is not one gets a stable ``urn:uuid``."""
    if urlsplit(post_id).scheme and " " not in post_id:
        return post_id
    try:
        return uuid.UUID(post_id).urn
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, post_id).urn


def _image_type(thumb: Thumbnail) -> str:
    return thumb.mime_type or FALLBACK_IMAGE_TYPE


def _generator(
    spec: FeedSpec, posts: Sequence[Post], config: Config, fmt: str, with_entries: bool
) -> FeedGenerator:
    fg = FeedGenerator()
    fg.load_extension("media", atom=True, rss=True)
    fg.load_extension("dc", atom=False, rss=True)
    self_url = config.feeds_url + feed_path(spec, fmt)
    site_url = config.base_url
    newest = max((p.meta.updated for p in posts), default=EPOCH)
    fg.id(self_url)
    fg.title(spec.title)
    fg.author({"name": config.site_author})
    fg.link(href=self_url, rel="self", type=f"application/{fmt}+xml")
    fg.link(href=site_url, rel="alternate", type="text/html")  # last: RSS <link>
    fg.language(config.language)
    fg.description(spec.description)  # RSS description, Atom subtitle
    fg.generator("feedbuilder", __version__, GENERATOR_URI)
    _brand(fg, spec, config, fmt)
    fg.updated(newest)
    fg.lastBuildDate(newest)
    if posts:
        fg.pubDate(max(p.meta.published for p in posts))
    for post in posts if with_entries else ():
        meta = post.meta
        fe = fg.add_entry(order="append")
        if fmt == "atom":
            fe.id(atom_id(meta.id))
        else:  # guid() after id(): id() would reset isPermaLink
            fe.id(meta.id)
            fe.guid(meta.id, permalink=meta.id == meta.link)
        fe.title(meta.title)
        fe.link(href=meta.link, rel="alternate")
        fe.published(meta.published)
        fe.updated(meta.updated)
        fe.pubDate(meta.published)
        author = meta.author or config.site_author
        if fmt == "atom":
            fe.author({"name": author})
        else:
            fe.dc.dc_creator(author)
        for name in [*meta.category_names(), *meta.tags]:
            fe.category(term=name, label=name)
        summary = post.body.summary or meta.title  # plain text
        # RSS readers decode <description> as HTML: escaped text stays text (Atom's is text).
        fe.description(escape(summary, quote=False) if fmt == "rss" else summary, isSummary=True)
        if config.full_content:
            fe.content(
                content_with_thumbnail(post, config).replace("]]>", "]]&gt;"),
                type="CDATA" if fmt == "rss" else "html",
            )
        thumb = post.thumbnail
        url = thumbnail_url(post, config)
        if thumb is not None and url is not None:
            fe.enclosure(url, 0, _image_type(thumb))
            fe.media.thumbnail(url=url, group=None)
            fe.media.content(url=url, medium="image", type=_image_type(thumb), group=None)
    return fg


def _brand(fg: FeedGenerator, spec: FeedSpec, config: Config, fmt: str) -> None:
    """Atom ``icon``/``logo``; RSS ``image`` (the logo, else the icon), titled and linked as the
    channel is, which is what the RSS spec asks of it."""
    icon, logo = feed_icon(spec, config), feed_logo(spec, config)
    if fmt == "rss":
        if logo or icon:
            fg.image(url=logo or icon, title=spec.title, link=config.base_url)
        return
    if icon:
        fg.icon(icon)
    if logo:
        fg.logo(logo)


def _fix_atom_links(root: etree._Element, posts: Sequence[Post], config: Config) -> None:
    """Rebuild each entry's links with the attributes feedgen drops (python-feedgen#135)."""
    entries = root.findall(f"{{{ATOM_NS}}}entry")
    for entry, post in zip(entries, posts, strict=True):
        old = entry.findall(f"{{{ATOM_NS}}}link")
        anchor = entry.index(old[0]) if old else len(entry)
        for link in old:
            entry.remove(link)
        links = [{"rel": "alternate", "type": "text/html", "href": post.meta.link}]
        thumb = post.thumbnail
        url = thumbnail_url(post, config)
        if thumb is not None and url is not None:
            links.append(
                {"rel": "enclosure", "type": _image_type(thumb), "length": "0", "href": url}
            )
        for offset, attrs in enumerate(links):
            element = etree.Element(f"{{{ATOM_NS}}}link", attrs)
            entry.insert(anchor + offset, element)


def render_tree(
    spec: FeedSpec, posts: Sequence[Post], config: Config, fmt: str, *, with_entries: bool = True
) -> etree._Element:
    """The feed as an lxml tree, feedgen's mistakes mended, for :mod:`.decorate` to finish.

    ``with_entries=False``: the feed's head alone, dated by its ``posts`` as the whole feed
    is, for the entries rendered apart (:mod:`.entries`) to be spliced into.
    """
    fg = _generator(spec, posts, config, fmt, with_entries)
    if fmt == "rss":
        return etree.fromstring(fg.rss_str(pretty=False), etree.XMLParser(strip_cdata=False))
    if fmt == "atom":
        root = etree.fromstring(fg.atom_str(pretty=False))
        if with_entries:
            _fix_atom_links(root, posts, config)
        return root
    raise ValueError(f"unknown feed format {fmt!r}")


def serialize(root: etree._Element) -> bytes:
    """Indented UTF-8 with a declaration; the same tree always gives the same bytes."""
    etree.indent(root, space="  ")
    return etree.tostring(
        root.getroottree(), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )


def render(spec: FeedSpec, posts: Sequence[Post], config: Config, fmt: str) -> bytes:
    """The feed as bytes, undecorated: deterministic for the same posts and config."""
    return serialize(render_tree(spec, posts, config, fmt))
