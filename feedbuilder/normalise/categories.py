"""Categories: hierarchies from front matter, and file-safe, unique slugs for their feeds."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from slugify import slugify

from ..models import Category
from .text import clean_text

MAX_DEPTH = 8
# Per post. Each category or tag feed repeats every category and tag of its posts, so one
# post's output grows with the square of these; real sites stay far below (3 categories and
# 9 tags at most in the corpora).
MAX_CATEGORIES = 100
MAX_TAGS = 100
MAX_SLUG_LENGTH = 80
_SAFE_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Device names Windows reserves whatever the extension: `con.rss.xml` cannot be created there.
_RESERVED_SLUGS = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)


class CategoryError(ValueError):
    """Front-matter categories of a shape that cannot be read."""


def _name(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise CategoryError(f"category name must be text, got {type(value).__name__}")
    name = clean_text(str(value))
    if name and not name.strip("."):
        raise CategoryError(f"category name {name!r} is only dots")
    return name or None


def parse_categories(value: Any, warn: Callable[[str], None]) -> tuple[tuple[str, ...], ...]:
    """Front-matter ``categories`` as hierarchies, as Hexo reads them.

    A list is one path, a list of lists several paths, a string one category. Only the
    paths holding the first :data:`MAX_CATEGORIES` distinct names are kept.
    """
    if value is None or value == "" or value == []:
        return ()
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        name = _name(value)
        return ((name,),) if name else ()
    if not isinstance(value, list):
        raise CategoryError(f"categories must be a list or text, got {type(value).__name__}")
    if all(not isinstance(item, list) for item in value):
        return _path(value, warn)
    paths: dict[tuple[str, ...], None] = {}
    names: dict[str, None] = {}
    for item in value:
        for path in _path(item if isinstance(item, list) else [item], warn):
            new = [name for name in path if name not in names]
            if len(names) + len(new) > MAX_CATEGORIES:
                warn(
                    f"categories: more than {MAX_CATEGORIES} in one post; "
                    f"only the first {len(names)} kept"
                )
                return tuple(paths)
            names.update(dict.fromkeys(new))
            paths.setdefault(path, None)
    return tuple(paths)


def _path(items: list[Any], warn: Callable[[str], None]) -> tuple[tuple[str, ...], ...]:
    if len(items) > MAX_DEPTH:
        raise CategoryError(f"category hierarchy deeper than {MAX_DEPTH} levels")
    names: list[str] = []
    for item in items:
        if isinstance(item, list | dict):
            raise CategoryError("categories nested too deep")
        try:
            name = _name(item)
        except CategoryError as exc:
            warn(f"categories: {exc}; ignored")
            continue
        if name is None:
            warn("categories: empty category name ignored")
        elif name not in names:
            names.append(name)
    return (tuple(names),) if names else ()


def parse_tags(value: Any, warn: Callable[[str], None]) -> tuple[str, ...]:
    """Front-matter ``tags``: a list of names or one name; anything else dropped with a warning.

    Only the first :data:`MAX_TAGS` distinct names are kept.
    """
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list) else [value]
    tags: dict[str, None] = {}
    for item in items:
        try:
            name = _name(item)
        except CategoryError as exc:
            warn(f"tags: {exc.args[0].replace('category', 'tag')}; ignored")
            continue
        if name and name not in tags:
            if len(tags) == MAX_TAGS:
                warn(f"tags: more than {MAX_TAGS} in one post; only the first {MAX_TAGS} kept")
                break
            tags[name] = None
    return tuple(tags)


def base_slug(name: str, category_map: Mapping[str, str]) -> str:
    """The slug a name would like: the mapped one, else its transliteration, else a hash."""
    slug = slugify(category_map.get(name, name), max_length=MAX_SLUG_LENGTH)
    if not _SAFE_SLUG.match(slug):
        slug = "category-" + hashlib.sha1(name.encode()).hexdigest()[:8]
    elif slug in _RESERVED_SLUGS:
        slug = "category-" + slug
    return slug


def assign_slugs(names: Iterable[str], category_map: Mapping[str, str]) -> dict[str, str]:
    """Give every name a distinct slug, deterministically whatever the input order.

    Names that slug alike are sorted; the first keeps the plain slug, the others get a short
    hash of their own name appended, so a slug depends only on the names that collide with it.
    """
    by_slug: dict[str, list[str]] = {}
    for name in sorted(set(names)):
        by_slug.setdefault(base_slug(name, category_map), []).append(name)
    slugs: dict[str, str] = {}
    for slug, group in by_slug.items():
        slugs[group[0]] = slug
        for name in group[1:]:
            slugs[name] = f"{slug}-{hashlib.sha1(name.encode()).hexdigest()[:6]}"
    return slugs


def build_categories(
    paths: Iterable[tuple[str, ...]], category_map: Mapping[str, str]
) -> dict[str, Category]:
    """Every category named in ``paths`` with its slug and the hierarchy paths leading to it."""
    parents: dict[str, set[tuple[str, ...]]] = {}
    for path in paths:
        for depth, name in enumerate(path):
            parents.setdefault(name, set()).add(path[:depth])
    slugs = assign_slugs(parents, category_map)
    return {
        name: Category(name, slugs[name], tuple(sorted(p for p in parents[name] if p)))
        for name in sorted(parents)
    }
