"""The Hexo settings that decide posts beyond feedbuilder's own: kept in the :class:`Config`."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

# Extensions Hexo 8 renders with hexo-renderer-marked and its own html renderer (the ones
# feedbuilder reads); a renderable file under source/_posts is a post.
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mkd", ".mkdn", ".mdwn", ".mdtxt", ".mdtext")
POST_SUFFIXES = (*MARKDOWN_SUFFIXES, ".html", ".htm")
UPDATED_OPTIONS = ("mtime", "date", "empty")


@dataclass(frozen=True)
class HexoRules:
    """What a Hexo site's ``_config.yml`` says about its posts (Hexo's defaults here)."""

    root: str = "/"  # where the site lives under its host (url_for's root)
    new_post_name: str = ":title.md"
    permalink_defaults: dict[str, str] = field(default_factory=dict)
    trailing_index: bool = True  # pretty_urls.trailing_index
    trailing_html: bool = True  # pretty_urls.trailing_html
    post_asset_folder: bool = False
    updated_option: str = "mtime"  # when a post has no `updated`: mtime, date or empty
    filename_case: int = 0  # 1: lower-case slugs, 2: upper-case
    skip_render: tuple[str, ...] = ()  # globs (from source/) of files Hexo copies unrendered
    permalink_zone: str = ""  # zone of :year … :second; Hexo's is the machine's ("" = timezone)


def is_post(rel_path: str, rules: HexoRules) -> bool:
    """Whether Hexo's post processor (lib/plugins/processor/post.ts) renders
    ``source/_posts/<rel_path>`` as a post: not a temporary file (``~``, ``%``), nothing in
    its path starting with ``_`` or ``.``, a renderable extension (the one of
    ``new_post_name`` when ``post_asset_folder`` is on: the rest are assets), not skip_render.
    """
    if rel_path.endswith(("%", "~")):
        return False
    if any(part.startswith(("_", ".")) for part in rel_path.split("/")):
        return False
    suffix = posixpath.splitext(rel_path)[1]
    if suffix not in POST_SUFFIXES:  # Hexo's renderer lookup is case-sensitive too
        return False
    if rules.post_asset_folder and suffix != posixpath.splitext(rules.new_post_name)[1]:
        return False
    return not any(glob_match(pattern, "_posts/" + rel_path) for pattern in rules.skip_render)


def glob_match(pattern: str, path: str) -> bool:
    """micromatch's answer for the glob forms _config.yml files use: ``**``, ``*``, ``?``,
    ``[...]`` and ``{a,b}``."""
    return _glob_regex(pattern).fullmatch(path) is not None


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i, depth = 0, 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end].replace("\\", "\\\\")
            out.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
            i = end + 1
            continue
        elif char == "{":
            depth += 1
            out.append("(?:")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        elif char == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(char))
        i += 1
    if depth:  # an unclosed brace is a literal, as micromatch reads it
        return re.compile(re.escape(pattern))
    return re.compile("".join(out))
