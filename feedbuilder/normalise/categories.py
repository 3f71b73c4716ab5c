"""Categories and tags as front matter gives them (their feeds' slugs: :mod:`..feeds.slugs`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from .text import clean_text

MAX_DEPTH = 8
# Per post. Each category or tag feed repeats every category and tag of its posts, so one
# post's output grows with the square of these; real sites stay far below (3 categories and
# 9 tags at most in the corpora).
MAX_CATEGORIES = 100
MAX_TAGS = 100


class CategoryError(ValueError):
    """Front-matter categories of a shape that cannot be read."""


@lru_cache(maxsize=4096)
def clean_name(text: str) -> str:
    """:func:`~.text.clean_text` for names that repeat across posts (categories, tags,
    authors): a site has a few hundred, each cleaned once per process."""
    return clean_text(text)


def _name(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise CategoryError(f"category name must be text, got {type(value).__name__}")
    name = clean_name(str(value))
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
