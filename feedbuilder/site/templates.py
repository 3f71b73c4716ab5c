"""The Jinja2 environment of every page (autoescaped, templates shipped in the package)."""

from __future__ import annotations

import jinja2

env = jinja2.Environment(
    loader=jinja2.PackageLoader("feedbuilder", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)
