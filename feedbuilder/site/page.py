"""The site files beside the feeds: ``index.html``, the feeds' XSL stylesheet and the OPML list.

The page is rendered with Jinja2 (autoescaped) from templates shipped in the package, and holds
no build time, so a rebuild with nothing new leaves it byte-identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

import jinja2

from ..config import Config
from ..feeds.decorate import XSL_PATH
from ..feeds.formats import configured
from ..feeds.opml import OPML_PATH, render_opml
from ..models import FeedSpec
from .catalog import Catalog, catalog

INDEX_PATH = "index.html"
_TEMPLATES = resources.files("feedbuilder") / "templates"
_env = jinja2.Environment(
    loader=jinja2.PackageLoader("feedbuilder", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


def render_index(site: Catalog, config: Config) -> bytes:
    template = _env.get_template("index.html.j2")
    html = template.render(
        config=config, catalog=site, formats=configured(config), opml_path=OPML_PATH
    )
    return html.encode()


def site_files(specs: Sequence[FeedSpec], config: Config) -> dict[str, bytes]:
    """Every site file's path inside the output dir and its bytes."""
    files = {
        INDEX_PATH: render_index(catalog(specs), config),
        OPML_PATH: render_opml(specs, config),
    }
    if {"rss", "atom"} & set(config.formats):
        files[XSL_PATH] = (_TEMPLATES / "feed.xsl").read_bytes()
    return files
