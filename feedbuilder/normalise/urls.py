"""URLs as feeds need them: absolute, http(s), and URIs rather than IRIs."""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

# Characters allowed unescaped in each part (RFC 3986), plus '%' so existing escapes survive.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_UNUSABLE = re.compile(r'[\x00-\x1f\x7f<>"\\]')


class BadURL(ValueError):
    """A URL that cannot be used in a feed."""


def path_segment(text: str) -> str:
    """``text`` made safe as one path segment: file names may hold ``"``, ``?``, ``#``, ``\\``."""
    return quote(_BAD_PERCENT.sub("%25", text), safe=_PATH_SAFE.replace("/", ""))


def proxy_image_url(url: str, template: str) -> str:
    """``url`` as fetched through an image proxy, RSSHub style: ``template`` holds ``{url}``
    (the URL as it is) or ``{url_encoded}`` (percent-encoded whole); no template, no change.

    Plain replacement, not ``str.format``: a template is configuration, never a format spec.
    """
    if not template:
        return url
    return template.replace("{url_encoded}", quote(url, safe="")).replace("{url}", url)


def to_uri(url: str) -> str:
    """Percent-encode an IRI into a URI (non-ASCII paths, IDN hosts, spaces)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        ascii_host = host.encode("idna").decode("ascii") if host and not host.isascii() else host
    except UnicodeError:
        raise BadURL(f"invalid host name {host!r}") from None
    netloc = parts.netloc
    if host and ascii_host != host:
        netloc = netloc.replace(host, ascii_host)

    def enc(part: str, safe: str) -> str:
        return quote(_BAD_PERCENT.sub("%25", part), safe=safe)

    return urlunsplit(
        (
            parts.scheme,
            netloc,
            enc(parts.path, _PATH_SAFE),
            enc(parts.query, _QUERY_SAFE),
            enc(parts.fragment, _QUERY_SAFE),
        )
    )


# An absolute URL that resolving and encoding would leave as it is: no escapes, dot segments,
# ports, ';' (urllib reads it as params) or non-ASCII. Most URLs are like this, and urllib's
# round trip costs ~50 µs each.
_PLAIN_ABSOLUTE = re.compile(
    r"https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?:/(?!\.)[A-Za-z0-9\-_~!$&'()*+,=:@]*"
    r"(?:\.[A-Za-z0-9\-_~!$&'()*+,=:@]+)*)*/?(?:\?[A-Za-z0-9\-._~!$&'()*+,=:@/?]+)?",
    re.ASCII,
)


def absolute_http_url(url: str, base: str) -> str:
    """Resolve ``url`` against ``base`` into an absolute http(s) URI, or raise :class:`BadURL`.

    Protocol-relative URLs become https; surrounding whitespace is dropped.
    """
    url = url.strip()
    if _PLAIN_ABSOLUTE.fullmatch(url):
        return url
    return resolve_url(url, base)


def resolve_url(url: str, base: str) -> str:
    """:func:`absolute_http_url` without its fast path."""
    if not url:
        raise BadURL("empty URL")
    if _UNUSABLE.search(url):
        raise BadURL(f"unparseable URL {url[:80]!r}")
    if url.startswith("//"):
        url = "https:" + url
    try:
        parts = urlsplit(url)
        if parts.scheme and parts.scheme.lower() not in ("http", "https"):
            raise BadURL(f"unsupported URL scheme {parts.scheme + ':'!r}")
        absolute = urljoin(base, url)
        result = urlsplit(absolute)
        if result.scheme not in ("http", "https") or not result.hostname:
            raise BadURL(f"not an http(s) URL: {url[:80]!r}")
        result.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        if isinstance(exc, BadURL):
            raise
        raise BadURL(f"unparseable URL {url[:80]!r}") from None
    return to_uri(absolute)
