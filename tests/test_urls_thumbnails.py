"""Thumbnails and URLs: every form fixed to an absolute http(s) URI, junk rejected."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedbuilder.normalise.thumbnails import image_mime_type, thumbnail_from_metadata
from feedbuilder.normalise.urls import (
    BadURL,
    absolute_http_url,
    plain_url_path,
    resolve_url,
    to_uri,
    unfit_id_scheme,
)

BASE = "https://example.com/2021/12/08/post/"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("//img.example.com/a.jpg", "https://img.example.com/a.jpg"),
        ("/images/b.png", "https://example.com/images/b.png"),
        ("images/c.png", "https://example.com/2021/12/08/post/images/c.png"),
        ("  https://img.example.com/d.jpg \n", "https://img.example.com/d.jpg"),
        ("http://img.example.com/e.gif", "http://img.example.com/e.gif"),
        ("https://例え.jp/图片/一.png", "https://xn--r8jz45g.jp/%E5%9B%BE%E7%89%87/%E4%B8%80.png"),
        ("https://img.example.com/a b.jpg", "https://img.example.com/a%20b.jpg"),
        ("https://img.example.com/100%.jpg", "https://img.example.com/100%25.jpg"),
    ],
)
def test_absolute_http_url(url: str, expected: str) -> None:
    assert absolute_http_url(url, BASE) == expected


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:image/png;base64,AAAA",
        "ftp://x/y.png",
        "",
        "   ",
        "https://exa<mple.com/x",
        "http://[::1",
        "https://host:99999/x",
        "mailto:a@b.c",
    ],
)
def test_junk_urls_rejected(url: str) -> None:
    with pytest.raises(BadURL):
        absolute_http_url(url, BASE)


@given(st.text(max_size=60))
def test_to_uri_is_always_ascii_and_idempotent(path: str) -> None:
    try:
        uri = absolute_http_url("/p/" + path, BASE)
    except BadURL:
        return
    assert uri.isascii()
    assert uri.startswith("https://example.com/")
    assert to_uri(uri) == uri


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        (
            {"thumbnail": "https://a.example/x.png", "headimg": "https://b.example/y.jpg"},
            "https://a.example/x.png",
        ),
        ({"thumbnail": "", "headimg": "//b.example/y.jpg"}, "https://b.example/y.jpg"),
        ({"thumbnail": None, "cover": "/c.webp"}, "https://example.com/c.webp"),
        (
            {"image": ["https://a.example/1.jpg", "https://a.example/2.jpg"]},
            "https://a.example/1.jpg",
        ),
        ({"featured_image": {"url": "https://a.example/f.jpg"}}, "https://a.example/f.jpg"),
        ({"banner": {"src": "//a.example/b.jpg"}}, "https://a.example/b.jpg"),
        (
            {"thumbnail": "javascript:alert(1)", "headimg": "https://a.example/ok.jpg"},
            "https://a.example/ok.jpg",
        ),
        ({"thumbnail": "banner"}, None),
        ({"thumbnail": []}, None),
        ({}, None),
    ],
)
def test_thumbnail_from_metadata(metadata: dict[str, Any], expected: str | None) -> None:
    warnings: list[str] = []
    thumb = thumbnail_from_metadata(metadata, BASE, warnings.append)
    assert (thumb.url if thumb else None) == expected


def test_bad_thumbnail_is_reported() -> None:
    warnings: list[str] = []
    assert (
        thumbnail_from_metadata({"thumbnail": "data:image/png;base64,AA"}, BASE, warnings.append)
        is None
    )
    assert warnings and "thumbnail" in warnings[0]


@pytest.mark.parametrize(
    ("url", "mime"),
    [
        ("https://a/x.png", "image/png"),
        ("https://a/x.JPG", "image/jpeg"),
        ("https://a/x.webp", "image/webp"),
        ("https://a/x.gif?w=2", "image/gif"),
        ("https://a/x", None),
        ("https://a/x.html", None),
    ],
)
def test_mime_type_from_extension(url: str, mime: str | None) -> None:
    assert image_mime_type(url) == mime


url_text = st.lists(
    st.sampled_from([*"ab.-_~/?#%:@!$&'()*+,;=09 é", "//", "/..", "/./", "%2F", ":80"]),
    max_size=15,
).map("".join)


# Bases the fast paths take (plain ones) and must leave to urllib.
BASES = [
    BASE,
    "https://example.com",
    "http://a-b.example/x.y/",
    "https://example.com/a/b?q=1",
    "https://Example.com:8080/x/",
    "https://例え.jp/p/",
    "https://example.com/a;b/c",
    "https://example.com/./a/",
    "https://example.com/%41/",
]


@given(
    st.sampled_from(["https://", "http://", "//", "/", "", "?", " /"]),
    url_text,
    st.sampled_from(BASES),
)
def test_fast_path_agrees_with_urllib(prefix: str, rest: str, base: str) -> None:
    url = prefix + ("host.example" if prefix.endswith("//") else "") + rest
    try:
        slow: str | Exception = resolve_url(url.strip(), base)
    except BadURL as exc:
        slow = exc
    try:
        fast: str | Exception = absolute_http_url(url, base)
    except BadURL as exc:
        fast = exc
    if isinstance(slow, Exception):
        assert isinstance(fast, BadURL)
    else:
        assert fast == slow


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://BÜCHER.de/x", "http://xn--bcher-kva.de/x"),
        ("https://Bücher.DE:8080/ä", "https://xn--bcher-kva.DE:8080/%C3%A4"),
        ("https://MÜNCHEN.例え.JP/", "https://xn--mnchen-3ya.xn--r8jz45g.JP/"),
        ("http://ü@bücher.de/", "http://%C3%BC@xn--bcher-kva.de/"),
        ("http://[::1]:80/ä", "http://[::1]:80/%C3%A4"),
        ("https://Example.COM/", "https://Example.COM/"),  # ASCII: left as written
    ],
)
def test_idn_hosts_are_punycoded_in_any_case(url: str, expected: str) -> None:
    assert to_uri(url) == expected
    assert absolute_http_url(url, BASE) == expected


@pytest.mark.parametrize(
    ("value", "scheme"),
    [
        ("javascript:alert(1)", "javascript"),
        ("JaVaScRiPt:alert(1)", "javascript"),
        (" java\tscript:alert(1)", "javascript"),
        ("vbscript:msgbox", "vbscript"),
        ("data:text/html,<b>x</b>", "data"),
        ("file:///etc/passwd", "file"),
        ("mailto:a@example.com", "mailto"),
        ("made-up+scheme:1", "made-up+scheme"),
        ("https://example.com/p/1", None),
        ("HTTP://example.com/p/1", None),
        ("urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a", None),
        ("tag:example.com,2021:post-1", None),
        ("42", None),
        ("1225c695-cfb8-4ebb-aaaa-80da344efa6a", None),
        ("2021:post", None),  # a scheme starts with a letter
        ("", None),
    ],
)
def test_id_schemes(value: str, scheme: str | None) -> None:
    assert unfit_id_scheme(value) == scheme


@given(st.sampled_from(["https://host.example", "http://h", "https://a.b:1", "ftp://h"]), url_text)
def test_plain_url_path_is_urllibs(origin: str, rest: str) -> None:
    url = origin + rest
    path = plain_url_path(url)
    if path is not None:
        assert path == urlsplit(url).path
