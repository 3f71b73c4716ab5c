"""URLs as feeds need them: absolute, http(s), and URIs rather than IRIs."""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

# Characters allowed unescaped in each part (RFC 3986), plus '%' so existing escapes survive.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SAFE_SEGMENT = re.compile(r"[A-Za-z0-9_.~!$&'()*+,;=:@-]*")  # what quote() leaves as it is
_UNUSABLE = re.compile(r'[\x00-\x1f\x7f<>"\\]')


class BadURL(ValueError):
    """A URL that cannot be used in a feed."""


def path_segment(text: str) -> str:
    """``text`` made safe as one path segment: file names may hold ``"``, ``?``, ``#``, ``\\``."""
    if _SAFE_SEGMENT.fullmatch(text):
        return text
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

    def enc(part: str, safe: str) -> str:
        return quote(_BAD_PERCENT.sub("%25", part), safe=safe)

    return urlunsplit(
        (
            parts.scheme,
            _ascii_netloc(parts.netloc),
            enc(parts.path, _PATH_SAFE),
            enc(parts.query, _QUERY_SAFE),
            enc(parts.fragment, _QUERY_SAFE),
        )
    )


def _ascii_netloc(netloc: str) -> str:
    """``user@host:port`` with an IDN host punycoded (``BÜCHER.de`` → ``xn--bcher-kva.de``)
    and a non-ASCII user name percent-encoded; an ASCII netloc is left exactly as it is."""
    if netloc.isascii():
        return netloc
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport, "", ""
    if not hostport.startswith("["):  # an IPv6 literal is ASCII
        head, sep, tail = hostport.rpartition(":")
        if sep and (tail.isdigit() or not tail):
            host, colon, port = head, sep, tail
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise BadURL(f"invalid host name {host!r}") from None
    if not userinfo.isascii():
        userinfo = quote(userinfo, safe=_PATH_SAFE.replace("/", "").replace("@", ""))
    return userinfo + at + host + colon + port


# Schemes fit for an entry's id (RSS guid, Atom id, JSON Feed id): http(s) permalinks, and
# urn: (urn:uuid:...) and tag: (RFC 4151), the two forms RFC 4287 suggests for ids that are
# not links. Anything else that looks like a scheme is refused: javascript:, data:, vbscript:
# and file: run or open things in the readers that make a guid a link, and mailto:, ftp: and
# made-up schemes identify a mailbox or a file, not an entry.
ID_SCHEMES = frozenset({"http", "https", "urn", "tag"})
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*(?=:)")
_IGNORED_IN_SCHEME = re.compile(r"[\s\x00-\x1f\x7f]+")


def unfit_id_scheme(value: str) -> str | None:
    """The scheme of ``value`` when it has one not fit for an id (see :data:`ID_SCHEMES`).

    Whitespace and controls are ignored first, as browsers drop them from a URL
    (``java\tscript:`` is ``javascript:``); an id with no scheme (``42``, a UUID) is fine.
    """
    match = _SCHEME.match(_IGNORED_IN_SCHEME.sub("", value))
    if match is None:
        return None
    scheme = match.group().lower()
    return None if scheme in ID_SCHEMES else scheme


# An absolute URL that resolving and encoding would leave as it is: no escapes, dot segments,
# ports, ';' (urllib reads it as params) or non-ASCII. Most URLs are like this, and urllib's
# round trip costs ~50 µs each. Groups: the origin, the path.
_PLAIN_PATH = r"(?:/(?!\.)[A-Za-z0-9\-_~!$&'()*+,=:@]*(?:\.[A-Za-z0-9\-_~!$&'()*+,=:@]+)*)*/?"
_PLAIN_QUERY = r"(?:\?[A-Za-z0-9\-._~!$&'()*+,=:@/?]+)?"
_PLAIN_ABSOLUTE = re.compile(
    r"(https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(" + _PLAIN_PATH + ")" + _PLAIN_QUERY, re.ASCII
)
# A path from the root (``/img/a.jpg``, not ``//host``) of the same plain kind: joined to a
# plain absolute URL, it is that URL's origin followed by the path as written.
_PLAIN_ROOTED = re.compile(r"(?=/[^/])" + _PLAIN_PATH + _PLAIN_QUERY, re.ASCII)


def plain_url_path(url: str) -> str | None:
    """The path of ``url`` when it is a plain absolute URL (see :data:`_PLAIN_ABSOLUTE`):
    what ``urlsplit(url).path`` gives, without urllib's cost; None for any other URL."""
    match = _PLAIN_ABSOLUTE.fullmatch(url)
    return None if match is None else match.group(2)


def absolute_http_url(url: str, base: str) -> str:
    """Resolve ``url`` against ``base`` into an absolute http(s) URI, or raise :class:`BadURL`.

    Protocol-relative URLs become https; surrounding whitespace is dropped. Plain URLs,
    protocol-relative ones and root paths against a plain base, are made without urllib.
    """
    url = url.strip()
    if _PLAIN_ABSOLUTE.fullmatch(url):
        return url
    if url.startswith("//"):
        if _PLAIN_ABSOLUTE.fullmatch("https:" + url):
            return "https:" + url
    elif _PLAIN_ROOTED.fullmatch(url) and (plain_base := _PLAIN_ABSOLUTE.fullmatch(base)):
        return plain_base.group(1) + url
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
