"""Hexo sites as they are: which files Hexo calls posts, their dates and permalinks, and how
a site's ``_config.yml`` maps onto feedbuilder's settings.

Every rule follows Hexo 8's own code (named in each docstring) and is pinned in
``tests/test_hexo_*.py`` against Hexo's documented results and what Hexo itself generates.
"""

from __future__ import annotations

from .rules import HexoRules

__all__ = ["HexoRules"]
