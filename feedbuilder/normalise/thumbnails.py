"""Thumbnails: the first usable image named in front matter, as an absolute http(s) URI."""

from __future__ import annotations

import mimetypes
import posixpath
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from ..models import Thumbnail
from .urls import BadURL, absolute_http_url, plain_url_path

THUMBNAIL_KEYS = ("thumbnail", "headimg", "cover", "image", "banner", "featured_image")
_EXTRA_TYPES = {
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".jfif": "image/jpeg",
    ".heic": "image/heic",
    ".svg": "image/svg+xml",
}


def image_mime_type(url: str) -> str | None:
    """The MIME type implied by the URL's extension, when it names an image."""
    path = plain_url_path(url)
    ext = posixpath.splitext(urlsplit(url).path if path is None else path)[1].lower()
    mime = _EXTRA_TYPES.get(ext) or mimetypes.types_map.get(ext)
    return mime if mime and mime.startswith("image/") else None


def _candidate(value: Any) -> str | None:
    """The URL in one front-matter value: a string, a list's first item, a mapping's url/src."""
    if type(value) is str:  # nearly always: no isinstance checks against ABCs
        return value.strip() or None
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if isinstance(value, Mapping):
        value = value.get("url") or value.get("src")
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadURL(f"not a URL: {type(value).__name__}")
    return value.strip() or None


def make_thumbnail(url: str, base: str) -> Thumbnail:
    """A thumbnail from any URL form; raises :class:`BadURL` for junk."""
    if "/" not in url and "." not in url:
        raise BadURL(f"not an image URL: {url[:80]!r}")
    absolute = absolute_http_url(url, base)
    return Thumbnail(absolute, image_mime_type(absolute))


def thumbnail_from_metadata(
    metadata: Mapping[str, Any], base: str, warn: Callable[[str], None]
) -> Thumbnail | None:
    """Try each thumbnail key in order; bad values are reported through ``warn`` and skipped."""
    for key in THUMBNAIL_KEYS:
        if key not in metadata:
            continue
        try:
            url = _candidate(metadata[key])
            if url is not None:
                return make_thumbnail(url, base)
        except BadURL as exc:
            warn(f"{key}: {exc}; ignored")
    return None
