"""The site files beside the feeds: ``index.html``, the OPML lists and the optional XSL.

The page is rendered with Jinja2 (autoescaped) from templates shipped in the package, and holds
no build time, so a rebuild with nothing new leaves it byte-identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

from ..config import Config
from ..feeds.decorate import XSL_PATH
from ..feeds.formats import PAGE, feed_formats
from ..models import FeedSpec
from .catalog import Catalog, catalog
from .feed_page import INDEX_PATH
from .opml import ALL_FORMATS_OPML_PATH, OPML_PATH, render_opml
from .templates import env

_TEMPLATES = resources.files("feedbuilder") / "templates"


def render_index(site: Catalog, config: Config) -> bytes:
    html = env.get_template("index.html.j2").render(
        config=config,
        catalog=site,
        formats=feed_formats(config),
        page=PAGE if config.feed_pages else None,
        opml_path=OPML_PATH,
    )
    return html.encode()


def site_files(specs: Sequence[FeedSpec], config: Config) -> dict[str, bytes]:
    """Every site file's path inside the output dir and its bytes."""
    site = catalog(specs)
    formats = feed_formats(config)
    files = {
        INDEX_PATH: render_index(site, config),
        OPML_PATH: render_opml(
            site, config, [f for f in formats if f.name == config.opml_feed_format]
        ),
        ALL_FORMATS_OPML_PATH: render_opml(site, config, formats),
    }
    if config.feed_xsl and {"rss", "atom"} & set(config.formats):
        files[XSL_PATH] = (_TEMPLATES / "feed.xsl").read_bytes()
    return files
