"""Body images load in web readers: a referrer policy on each, and the optional image proxy,
with nothing else let through the sanitiser."""

from __future__ import annotations

import lxml.html

from feedbuilder.normalise.content import clean_body

BASE = "https://example.com/2024/01/02/post/"
PROXY = "https://proxy.example.net/?url={url_encoded}"
BODY = (
    '<p><img src="/a.png" referrerpolicy="unsafe-url" srcset="/a2.png 2x">'
    '<img src="data:image/gif;base64,R0l" data-src="https://cdn.example.org/b.jpg?x=1&amp;y=2">'
    '<a href="https://example.org/page">link</a></p>'
    '<picture><source srcset="/c.webp"><img src="/c.jpg"></picture>'
    '<video src="/v.mp4" poster="/p.jpg"></video><audio src="/s.mp3"></audio>'
)


def images(html: str) -> list[dict[str, str]]:
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return [dict(img.attrib) for img in root.iter("img")]


def test_every_image_gets_the_referrer_policy() -> None:
    cleaned = clean_body(BODY, "html", BASE, (), 200)
    assert [img.get("referrerpolicy") for img in images(cleaned.content_html)] == [
        "no-referrer"
    ] * 3


def test_no_policy_means_none_not_the_bodys_own() -> None:
    cleaned = clean_body(BODY, "html", BASE, (), 200, referrer_policy="")
    assert all("referrerpolicy" not in img for img in images(cleaned.content_html))


def test_the_proxy_rewrites_every_image_and_nothing_else() -> None:
    cleaned = clean_body(BODY, "html", BASE, (), 200, image_proxy=PROXY)
    assert [img["src"] for img in images(cleaned.content_html)] == [
        "https://proxy.example.net/?url=https%3A%2F%2Fexample.com%2Fa.png",
        "https://proxy.example.net/?url=https%3A%2F%2Fcdn.example.org%2Fb.jpg%3Fx%3D1%26y%3D2",
        "https://proxy.example.net/?url=https%3A%2F%2Fexample.com%2Fc.jpg",
    ]
    assert 'href="https://example.org/page"' in cleaned.content_html
    assert cleaned.first_image is not None
    assert cleaned.first_image.url == "https://example.com/a.png"  # the image, not the proxy


def test_the_allow_list_does_not_widen() -> None:
    html = clean_body(BODY, "html", BASE, (), 200, image_proxy=PROXY).content_html
    for absent in ("srcset", "<picture", "<source", "<video", "<audio", "poster", "unsafe-url"):
        assert absent not in html
    assert {key for img in images(html) for key in img} == {"src", "referrerpolicy"}
