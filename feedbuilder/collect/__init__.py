"""Collect: find post files and read them into :class:`~feedbuilder.models.SourcePost` records."""

from .files import PostFile, find_post_files, read_post

__all__ = ["PostFile", "find_post_files", "read_post"]
