"""Stage one: list the post files. A missing posts folder is an error, never an empty site
(an unmounted volume must not empty every feed and delete the category ones)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..collect.files import PostFiles, find_post_files
from ..errors import ConfigError, WouldEmptySiteError
from ..hexo import HexoRules
from ..hexo.rules import is_post
from ..models import Problem
from ..output.writer import MANIFEST_NAME, OutputDir
from ..progress import stage


@dataclass(frozen=True)
class Listing:
    """Every post file, in path order, and what went wrong while finding them."""

    files: PostFiles  # by rel_path
    problems: list[Problem]


def require_posts_dir(posts_dir: Path) -> None:
    """Raises:
    ConfigError: ``posts_dir`` is not a folder (checked before anything is created).
    """
    if not posts_dir.is_dir():
        raise ConfigError(f"posts_dir: {posts_dir} is not a folder")


def require_apart(posts_dir: Path, output_dir: Path) -> None:
    """Raises:
    ConfigError: the output dir is the posts folder, inside it or around it (by any name:
    symlinks are resolved). Written there, pages would overwrite posts (``index.html``) or be
    read back as broken posts by every later build.
    """
    posts, output = os.path.realpath(posts_dir), os.path.realpath(output_dir)
    if output == posts:
        where = "is the posts folder"
    elif os.path.commonpath([posts, output]) == posts:
        where = f"is inside the posts folder {posts_dir}"
    elif os.path.commonpath([posts, output]) == output:
        where = f"holds the posts folder {posts_dir}"
    else:
        return
    raise ConfigError(f"output_dir: {output_dir} {where}; choose a folder beside it")


def list_posts(posts_dir: Path, follow_symlinks: bool, hexo: HexoRules | None = None) -> Listing:
    """Every post file under ``posts_dir``; in a Hexo site (``hexo``), only what Hexo takes
    for a post (not its drafts, assets and partials).

    Raises:
        ConfigError: ``posts_dir`` is not a folder.
    """
    with stage("list"):
        require_posts_dir(posts_dir)
        files, problems = find_post_files(posts_dir, follow_symlinks)
        if hexo is not None:
            files = files.only(lambda rel_path: is_post(rel_path, hexo))
        return Listing(files, problems)


def refuse_to_empty(listing: Listing, posts_dir: Path, output: OutputDir) -> None:
    """Raises:
    WouldEmptySiteError: no post file, while the ``output`` dir holds a built site.
    """
    if not listing.files and output.previous_manifest():
        raise WouldEmptySiteError(
            f"posts_dir: no post files in {posts_dir}; refusing to empty the feeds in "
            f"{output.root} (delete its {MANIFEST_NAME} to allow it)"
        )
