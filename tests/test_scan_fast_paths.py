"""The scan's shortcuts (every post pays for the scan) give what the long way gives."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedbuilder.config import make_config
from feedbuilder.models import SourcePost
from feedbuilder.normalise import normalise_meta
from feedbuilder.normalise.categories import parse_categories
from feedbuilder.normalise.urls import path_segment

EVERY_FIELD = (
    "p/{year}/{month}/{day}/{i_month}/{i_day}/{hour}{minute}{second}/{stem}/{slug}/{path}/"
)
STAMP = "p/2021/03/05/3/5/060506"  # 2021-03-04T22:05:06Z in Asia/Shanghai


@pytest.mark.parametrize(
    ("rel_path", "made"),
    [
        ("a.md", "a/a/a"),
        ("folder/Hello World.md", "Hello%20World/hello-world/folder/Hello%20World"),
        (
            "新闻/北京 2021?#.html",
            "%E5%8C%97%E4%BA%AC%202021%3F%23/bei-jing-2021/"
            "%E6%96%B0%E9%97%BB/%E5%8C%97%E4%BA%AC%202021%3F%23",
        ),
        ("x/100%;a=b@c.txt", "100%25;a=b@c/100-a-b-c/x/100%25;a=b@c"),
        ("deep/er/%41 ok.markdown", "%41%20ok/41-ok/deep/er/%41%20ok"),
    ],
)
def test_every_permalink_field(rel_path: str, made: str) -> None:
    """The links as they were made before only the pattern's own fields were."""
    config = make_config(
        {"site_url": "https://example.com/blog/", "timezone": "Asia/Shanghai"}
        | {"permalink": EVERY_FIELD}
    )
    source = SourcePost(rel_path, {"title": "t", "date": "2021-03-04T22:05:06Z"}, "", 0.0)
    meta = normalise_meta(source, config, None)[0]
    assert meta is not None
    assert meta.link == f"https://example.com/blog/{STAMP}/{made}/"


@given(st.text(alphabet=st.sampled_from("aZ09_.~-!$&'()*+,;=:@/?#% é中\\\""), max_size=20))
def test_path_segment_escapes_all_but_safe_characters(text: str) -> None:
    segment = path_segment(text)
    assert segment.isascii() and "/" not in segment and "?" not in segment
    if "%" not in text:
        assert unquote(segment) == text


def test_category_names_cleaned_once_are_cleaned_alike() -> None:
    warnings: list[str] = []
    for _ in range(2):  # the second time from the cache
        assert parse_categories(["  a&amp;b ", "e\u0301"], warnings.append) == (("a&b", "é"),)
    assert warnings == []
