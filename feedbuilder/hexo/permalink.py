"""Hexo's permalinks: lib/plugins/filter/post_permalink.ts over hexo-util's Permalink.

A pattern's ``:tokens`` are ``:year :month :day :i_month :i_day :hour :minute :second`` (in
the zone Hexo's moment formats them in: the machine's), ``:title`` (the post's path under
source/_posts without its extension, as the file name gives it through ``new_post_name``),
``:name`` (its last part), ``:post_title`` (the title, slugged in lower case), ``:id`` (the
front matter's), ``:category`` (the slugged path of the post's deepest category, or
``default_category``), ``:hash`` and ``:timestamp``; then any front-matter key, then
``permalink_defaults``; anything else is the word ``undefined``, as in Hexo.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from .rules import HexoRules
from .slugs import slugize
from .urls import escape_value

TOKEN = re.compile(r":(\w*[^_\W])", re.ASCII)
# The tokens Hexo's filter computes; front matter cannot override them.
BUILT_IN = (
    "id",
    "title",
    "name",
    "post_title",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "i_month",
    "i_day",
    "timestamp",
    "hash",
    "category",
)
# What parseFilename reads from a file name (lib/plugins/processor/post.ts).
_FILENAME_SEGMENTS = {
    "year": r"(\d{4})",
    "month": r"(\d{2})",
    "day": r"(\d{2})",
    "i_month": r"(\d{1,2})",
    "i_day": r"(\d{1,2})",
    "hash": r"([0-9a-f]{12})",
}


@dataclass(frozen=True, slots=True)
class PostFacts:
    """What Hexo's permalink filter reads of a post."""

    rel_path: str  # under source/_posts
    title: str  # the front matter's, as written
    published: datetime
    front_matter: Mapping[str, Any]
    categories: tuple[tuple[str, ...], ...]  # as the post names them (no default)


def is_hexo_pattern(pattern: str) -> bool:
    """Hexo's ``:token`` syntax, not feedbuilder's ``{field}`` one."""
    return "{" not in pattern


def _strip_ext(path: str) -> str:
    return path[: len(path) - len(posixpath.splitext(path)[1])]


def parse_filename(new_post_name: str, rel_path: str) -> dict[str, str]:
    """parseFilename: the tokens a file name gives through ``new_post_name``, always with
    ``title`` (the slug): the path itself when the pattern has ``:title``, else slugged."""
    rule, path = _strip_ext(new_post_name), _strip_ext(rel_path)
    names: list[str] = []
    regex: list[str] = []
    last = 0
    for match in TOKEN.finditer(rule):
        regex.append(re.escape(rule[last : match.start()]))
        name = match.group(1)
        names.append(name)
        regex.append(_FILENAME_SEGMENTS.get(name, "(.+?)"))
        last = match.end()
    regex.append(re.escape(rule[last:]))
    found = re.fullmatch("".join(regex), path)
    if found is None:
        return {"title": slugize(path)}
    info = dict(zip(names, found.groups(), strict=True))
    info.setdefault("title", slugize(path))
    return info


def _js_string(value: Any) -> str:
    """A front-matter value as JavaScript's String() writes it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join("" if item is None else _js_string(item) for item in value)
    if isinstance(value, Mapping):
        return "[object Object]"
    return str(value)


def category_slug(
    categories: tuple[tuple[str, ...], ...], category_map: Mapping[str, str], case: int
) -> str | None:
    """``:category``: the slug of the category Hexo's database holds last, with its parents'
    (``A/B``): for a post's own new categories, the deepest of its last hierarchy."""
    if not categories or not categories[-1]:
        return None
    return "/".join(slugize(category_map.get(name) or name, case) for name in categories[-1])


def token_values(
    post: PostFacts,
    rules: HexoRules,
    zone: tzinfo,
    default_category: str,
    category_map: Mapping[str, str],
) -> dict[str, str]:
    """Every token's value for ``post``, before escaping, in Hexo's order of precedence."""
    info = parse_filename(rules.new_post_name, post.rel_path)
    slug = info["title"]
    local = post.published.astimezone(zone)
    unix = int(post.published.timestamp() // 1)
    front_id = post.front_matter.get("id")
    values = {
        "id": _js_string(front_id) if front_id not in (None, "") else "",
        "title": slug,
        "name": posixpath.basename(slug),
        "post_title": slugize(post.title, 1),
        "year": f"{local.year:04d}",
        "month": f"{local.month:02d}",
        "day": f"{local.day:02d}",
        "hour": f"{local.hour:02d}",
        "minute": f"{local.minute:02d}",
        "second": f"{local.second:02d}",
        "i_month": str(local.month),
        "i_day": str(local.day),
        "timestamp": str(unix),
        "hash": hashlib.sha1(f"{slug}{unix}".encode()).hexdigest()[:12],
        "category": category_slug(post.categories, category_map, rules.filename_case)
        or default_category,
    }
    # Then the post's own fields (front matter, and what Hexo's processor sets) ...
    extra = {
        "slug": slug,
        "source": f"_posts/{post.rel_path}",
        "layout": "post",
        "published": "true",
        "comments": "true",
        **{k: v for k, v in info.items() if k not in BUILT_IN},
    }
    for key, value in {**extra, **post.front_matter}.items():
        values.setdefault(key, _js_string(value))
    # ... then permalink_defaults.
    for key, value in rules.permalink_defaults.items():
        values.setdefault(key, value)
    return values


def post_path(
    pattern: str,
    post: PostFacts,
    rules: HexoRules,
    zone: tzinfo,
    default_category: str,
    category_map: Mapping[str, str],
) -> tuple[str, list[str]]:
    """Hexo's ``post.path`` for ``pattern`` (each value escaped so the URL parser reads it
    literally), and notes on tokens Hexo would fill with a guess or ``undefined``."""
    values = token_values(post, rules, zone, default_category, category_map)
    notes: list[str] = []

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "id" and not values["id"]:
            notes.append(":id needs an id in the front matter (Hexo would use its database's)")
            return escape_value(values["title"])
        if name not in values:
            notes.append(f":{name} has no value; Hexo writes 'undefined'")
            return "undefined"
        return escape_value(values[name])

    path = TOKEN.sub(value, pattern)
    return _asset_folder_slash(path, rules), notes


def front_matter_path(value: str, rules: HexoRules) -> str:
    """A front-matter ``permalink``, as Hexo's filter uses it: rooted at the site."""
    path = _asset_folder_slash(value, rules)
    return path if path.startswith("/") else "/" + path


def _asset_folder_slash(path: str, rules: HexoRules) -> str:
    """With ``post_asset_folder``, a post is a folder: its link ends in ``/`` (or ``.html``)."""
    if rules.post_asset_folder and not path.endswith(("/", ".html")):
        return path + "/"
    return path
