"""A post's link as Hexo writes it in its feed: hexo-util's ``full_url_for`` (lib/full_url_for.ts)
with its ``encodeURL`` and ``pretty_urls``, then hexo-generator-feed's ``uriencode`` filter.

Both go through Node's WHATWG URL parser, so that is emulated here for the http(s) URLs a
site's ``url`` makes: dot segments resolved, backslashes read as slashes, tabs and newlines
dropped, each part percent-encoded by its own set. tests/test_hexo_oracle.py checks the
result against hexo-util itself on generated paths.
"""

from __future__ import annotations

import re
from urllib.parse import quote

_DEFAULT_PORTS = {"http": "80", "https": "443"}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_PATH_SET = frozenset('"#<>?`{}')
_QUERY_SET = frozenset("\"#<>'")
_FRAGMENT_SET = frozenset('"<>`')
# What encodeURI leaves alone; and the characters decodeURI will not decode.
_URI_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789;,/?:@&=+$-_.!~*'()#"
_URI_RESERVED = frozenset(";/?:@&=+$,#")
_FORM_SAFE = frozenset(b"*-._0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_BYTE_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")
_SITE_PATH_ONLY = re.compile(r"^(?://|https?:)")
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_SLASHES = re.compile(r"/{2,}")
# What a file name or front-matter value may hold that the URL parser would read as
# syntax (a query, a fragment, a path break) or drop: escaped first, so the link finds
# the page Hexo wrote under that very name. decodeURI keeps %3F and %23 as they are (and
# encodeURI then doubles their %), so ? and # pass the chain as two noncharacters instead.
_VALUE_SYNTAX = re.compile(r"[%\\\x00-\x1f\x7f]")
_STAND_INS = {"?": "\ufdd0", "#": "\ufdd1"}
_RESTORED = {"%EF%B7%90": "%3F", "%EF%B7%91": "%23"}  # the stand-ins, as encodeURI writes them


def escape_value(value: str) -> str:
    """A token's value (file path, title, category...) made literal for the URL parser."""
    value = _VALUE_SYNTAX.sub(lambda m: _percent(m.group(0)), value)
    for char, stand_in in _STAND_INS.items():
        value = value.replace(char, stand_in)
    return value


def _percent(text: str) -> str:
    return "".join(f"%{byte:02X}" for byte in text.encode("utf-8", "surrogateescape"))


def _encode_set(text: str, special: frozenset[str]) -> str:
    return "".join(
        _percent(char) if ord(char) < 0x21 or ord(char) > 0x7E or char in special else char
        for char in text
    )


_C0_AND_SPACE = "".join(chr(i) for i in range(0x21))


def _url_text(text: str) -> str:
    """A URL's text as the WHATWG parser first cleans it: ends trimmed, tabs and newlines out."""
    return text.strip(_C0_AND_SPACE).replace("\t", "").replace("\n", "").replace("\r", "")


class _URL:
    """A parsed special (http/https) URL: just the parts Hexo's chain touches."""

    def __init__(self, text: str) -> None:
        text = _url_text(text)
        match = _SCHEME.match(text)
        if match is None or match.group(1).lower() not in _DEFAULT_PORTS:
            raise ValueError(f"not an http(s) URL: {text[:80]!r}")
        self.scheme = match.group(1).lower()
        rest = text[match.end() :].lstrip("/\\")
        end = min((i for i in (rest.find(c) for c in "/\\?#") if i >= 0), default=len(rest))
        self.authority = self._authority(rest[:end])
        rest = rest[end:]
        self.fragment: str | None = None
        if "#" in rest:
            rest, fragment = rest.split("#", 1)
            self.fragment = _encode_set(fragment, _FRAGMENT_SET)
        self.query: str | None = None
        if "?" in rest:
            rest, query = rest.split("?", 1)
            self.query = _encode_set(query, _QUERY_SET)
        self.path = _parse_path(rest)

    def _authority(self, text: str) -> str:
        userinfo, _, hostport = text.rpartition("@")
        host, colon, port = hostport.partition(":")
        host = host.lower()
        if not host.isascii():
            host = host.encode("idna").decode("ascii")
        if not colon or port in ("", _DEFAULT_PORTS[self.scheme]):
            hostport = host
        else:
            hostport = f"{host}:{int(port)}"
        return f"{userinfo}@{hostport}" if userinfo else hostport

    def set_search(self, value: str) -> None:
        value = value[1:] if value.startswith("?") else value
        self.query = _encode_set(value, _QUERY_SET) if value else None

    def href(self) -> str:
        query = "" if self.query is None else "?" + self.query
        fragment = "" if self.fragment is None else "#" + self.fragment
        return f"{self.scheme}://{self.authority}{self.path}{query}{fragment}"


def _parse_path(text: str) -> str:
    """The WHATWG path state for a special URL: segments, dot segments, percent-encoding."""
    segments: list[str] = []
    parts = text.replace("\\", "/").split("/")
    if parts and parts[0] == "":
        parts = parts[1:]  # the leading slash
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        lowered = part.lower()
        if lowered in ("..", ".%2e", "%2e.", "%2e%2e"):
            if segments:
                segments.pop()
            if last:
                segments.append("")
        elif lowered in (".", "%2e"):
            if last:
                segments.append("")
        else:
            segments.append(_encode_set(part, _PATH_SET))
    return "/" + "/".join(segments) if segments else "/"


def _decode_uri(text: str, reserved: frozenset[str] = _URI_RESERVED) -> str:
    """JavaScript's decodeURI: raises ValueError on a malformed escape, as it throws."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "%":
            out.append(text[i])
            i += 1
            continue
        match = _ESCAPE.match(text, i)
        if match is None:
            raise ValueError("URI malformed")
        first = int(match.group(1), 16)
        count = 1 if first < 0x80 else 2 if 0xC0 <= first < 0xE0 else 3 if first < 0xF0 else 4
        raw = bytearray([first])
        end = i + 3
        for _ in range(count - 1):
            more = _ESCAPE.match(text, end)
            if more is None:
                raise ValueError("URI malformed")
            raw.append(int(more.group(1), 16))
            end += 3
        try:
            char = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("URI malformed") from None
        out.append(text[i:end] if char in reserved else char)
        i = end
    return "".join(out)


def _encode_uri(text: str) -> str:
    return quote(text.encode("utf-8", "surrogateescape"), safe=_URI_SAFE)


def _unescape(text: str) -> str:
    """Node's querystring.unescape: decodeURIComponent, or a lenient byte decoder."""
    try:
        return _decode_uri(text, frozenset())
    except ValueError:
        raw = _BYTE_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), text.encode())
        return raw.decode("utf-8", "replace")


def _form_serialize(query: str) -> str:
    """``new URLSearchParams(query).toString()``."""
    pairs = []
    for item in query.split("&"):
        if not item:
            continue
        name, equals, value = item.partition("=")
        pairs.append((_form_decode(name), _form_decode(value) if equals else b""))
    return "&".join(f"{_form_encode(name)}={_form_encode(value)}" for name, value in pairs)


def _form_decode(text: str) -> bytes:
    raw = text.replace("+", " ").encode("utf-8", "surrogateescape")
    return _BYTE_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def _form_encode(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").encode("utf-8")
    return "".join(
        "+" if byte == 0x20 else chr(byte) if byte in _FORM_SAFE else f"%{byte:02X}"
        for byte in text
    )


def encode_url(url: str) -> str:
    """hexo-util 4's encodeURL for an http(s) URL: query re-serialised, path decoded and
    re-encoded (so ``%c3%a9`` and ``é`` both become ``%C3%A9``)."""
    parsed = _URL(url)
    parsed.set_search(_form_serialize(parsed.query or ""))
    try:
        decoded = _decode_uri(parsed.path)
    except ValueError:  # Hexo would throw; a literal % is the kindest reading
        decoded = _decode_uri(re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", parsed.path))
    parsed.path = _parse_path(_encode_uri(decoded))
    return parsed.href()


def pretty(url: str, trailing_index: bool, trailing_html: bool) -> str:
    """hexo-util's prettyUrls: drop a final ``index.html`` or ``.html`` when asked."""
    if not trailing_index:
        url = re.sub(r"index\.html$", "", url)
    if not trailing_html and not url.endswith("index.html"):
        url = re.sub(r"\.html$", "", url)
    return url


def full_url_for(site_url: str, path: str, trailing_index: bool, trailing_html: bool) -> str:
    """The absolute URL of a site path, as Hexo's full_url_for makes it and its feed then
    writes it (uriencode). Paths that are URLs already are left to the feed's encoding."""
    if _SITE_PATH_ONLY.match(path) or _HAS_SCHEME.match(_url_text(path)):
        return _feed_uriencode(path)
    joined = site_url.rstrip("/") + _SLASHES.sub("/", "/" + path)
    url = _feed_uriencode(pretty(encode_url(joined), trailing_index, trailing_html))
    for stand_in, escape in _RESTORED.items():
        url = url.replace(stand_in, escape)
    return url


def _feed_uriencode(url: str) -> str:
    """hexo-generator-feed's uriencode filter (hexo-util 2's encodeURL)."""
    if not _HAS_SCHEME.match(_url_text(url)):
        return _encode_uri(_unescape(url))
    try:
        parsed = _URL(url)
    except ValueError:  # another scheme: not a link feedbuilder can use either
        return url
    if parsed.query is not None:
        parsed.set_search(_encode_uri(_unescape("?" + parsed.query)))
    return parsed.href()
