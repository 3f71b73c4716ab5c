"""File-safe, distinct slugs for the category and tag feeds, and the category hierarchy.

A slug is a feed's file name, so two names must never share one: the second would overwrite
the first's feed and leave its posts in none. Names that slug alike are sorted; the first
keeps the plain slug, the others get a short hash of their own name appended. A suffixed slug
that another name already holds as its own (``news-3c6bdc`` planted beside ``News`` and
``news``) is never shared: the hash is lengthened until the slug is free, and the clash is
reported.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from slugify import slugify

from ..models import Category

MAX_SLUG_LENGTH = 80
_SAFE_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Device names Windows reserves whatever the extension: `con.rss.xml` cannot be created there.
_RESERVED_SLUGS = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)
_SUFFIX_DIGITS = 6


@dataclass(frozen=True, slots=True)
class SlugClash:
    """A name whose usual suffixed slug (``wanted``) another name (``holder``) holds."""

    name: str
    wanted: str
    holder: str
    slug: str  # the one it got instead

    def reason(self, kind: str) -> str:
        return (
            f"{kind} {self.name!r} would be written as {self.wanted!r}, which {kind} "
            f"{self.holder!r} holds; written as {self.slug!r} instead"
        )


def base_slug(name: str, category_map: Mapping[str, str]) -> str:
    """The slug a name would like: the mapped one, else its transliteration, else a hash."""
    slug = slugify(category_map.get(name, name), max_length=MAX_SLUG_LENGTH)
    if not _SAFE_SLUG.match(slug):
        slug = "category-" + hashlib.sha1(name.encode()).hexdigest()[:8]
    elif slug in _RESERVED_SLUGS:
        slug = "category-" + slug
    return slug


def assign_slugs(
    names: Iterable[str], category_map: Mapping[str, str]
) -> tuple[dict[str, str], list[SlugClash]]:
    """Give every name a distinct slug, deterministically whatever the input order.

    A slug depends only on the names that collide with it; returns the slugs and the clashes
    that had to lengthen a suffix.
    """
    by_slug: dict[str, list[str]] = {}
    for name in sorted(set(names)):
        by_slug.setdefault(base_slug(name, category_map), []).append(name)
    holders = {slug: group[0] for slug, group in by_slug.items()}  # every plain slug is kept
    slugs = {name: slug for slug, name in holders.items()}
    clashes: list[SlugClash] = []
    for slug, group in by_slug.items():
        for name in group[1:]:
            digest = hashlib.sha1(name.encode()).hexdigest()
            wanted = suffixed = f"{slug}-{digest[:_SUFFIX_DIGITS]}"
            digits = _SUFFIX_DIGITS
            while suffixed in holders:
                digits += 2
                suffixed = (
                    f"{slug}-{digest[:digits]}" if digits <= len(digest) else f"{wanted}-{digits}"
                )
            if suffixed != wanted:
                clashes.append(SlugClash(name, wanted, holders[wanted], suffixed))
            holders[suffixed] = name
            slugs[name] = suffixed
    return slugs, clashes


def build_categories(
    paths: Iterable[tuple[str, ...]], category_map: Mapping[str, str]
) -> tuple[dict[str, Category], list[SlugClash]]:
    """Every category named in ``paths`` with its slug and the hierarchy paths leading to it."""
    parents: dict[str, set[tuple[str, ...]]] = {}
    for path in paths:
        for depth, name in enumerate(path):
            parents.setdefault(name, set()).add(path[:depth])
    slugs, clashes = assign_slugs(parents, category_map)
    categories = {
        name: Category(name, slugs[name], tuple(sorted(p for p in parents[name] if p)))
        for name in sorted(parents)
    }
    return categories, clashes
