"""``feedbuilder list``: the categories as a script or a person would want them, without a build."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

from .config import Config
from .feeds.plan import plan_feeds
from .pipeline import scan_posts
from .pool import Workers
from .site.catalog import FeedEntry, catalog

COLUMNS = ("name", "slug", "hierarchy", "posts", "newest")


def list_categories(
    config: Config, *, now: datetime | None = None, workers: Workers | None = None
) -> list[dict[str, Any]]:
    """One record per category (front matter only: no body is read).

    Raises:
        ConfigError: the posts folder is missing.
    """
    result = scan_posts(config, now=now, workers=workers)
    plan = plan_feeds(result.index(config.order_by), config.replace(tag_feeds=False))
    return [_record(entry, config) for entry in catalog(plan.specs).categories]


def _record(entry: FeedEntry, config: Config) -> dict[str, Any]:
    assert entry.spec.category is not None
    return {
        "name": entry.name,
        "slug": entry.spec.category.slug,
        "hierarchy": [" / ".join(path) for path in entry.hierarchy],
        "posts": entry.count,
        "newest": entry.newest.astimezone(config.zone).isoformat() if entry.newest else None,
    }


def table(records: list[dict[str, Any]]) -> str:
    """Records as aligned text columns (wide characters counted as two)."""
    cells = [list(COLUMNS)] + [
        [
            r["name"],
            r["slug"],
            "; ".join(r["hierarchy"]),
            str(r["posts"]),
            (r["newest"] or "")[:16].replace("T", " "),
        ]
        for r in records
    ]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(_pad(cell, width) for cell, width in zip(row, widths, strict=True))
        for row in cells
    ]
    return "\n".join(line.rstrip() for line in lines)


def _pad(cell: str, width: int) -> str:
    return cell + " " * (width - display_width(cell))


def display_width(text: str) -> int:
    """Terminal cells taken by ``text``: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
