"""Every config value is checked whole at load (issue 10, defect 10): a value that would fail
a build later, allocate without bound or corrupt the feeds exits 2 naming the key, and a
refused build creates nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from feedbuilder.cli import main
from feedbuilder.config import ConfigError, make_config

from .conftest import make_post

BAD = [
    ({"junk_selectors": ["div["]}, "junk_selectors"),
    ({"junk_selectors": [".promo["]}, "junk_selectors"),
    ({"junk_selectors": ["p", "a:not("]}, "junk_selectors"),
    ({"permalink": "{year:d}/{stem}/"}, "permalink"),
    ({"permalink": "{stem:>300000000}"}, "permalink"),
    ({"permalink": "{stem!r}/"}, "permalink"),
    ({"permalink": "{year.real}/"}, "permalink"),
    ({"permalink": "{year}/a b/"}, "permalink"),
    ({"permalink": '{year}/"x"/'}, "permalink"),
    ({"permalink": " "}, "permalink"),
    ({"site_title": "My\x07site"}, "site_title"),
    ({"site_title": "two\nlines"}, "site_title"),
    ({"site_title": "  "}, "site_title"),
    ({"default_category": "x\x00y"}, "default_category"),
    ({"default_category": ".."}, "default_category"),
    ({"description": "bad \x1b[31m escape"}, "description"),
    ({"author": "\x85"}, "author"),
    ({"categories": {"News": {"title": "News\x0b"}}}, "categories['News'].title"),
    ({"category_map": {"a\x01": "b"}}, "category_map['a\\x01']"),
    ({"site_url": "https://example.com/?page=1"}, "site_url"),
    ({"site_url": "https://example.com/#top"}, "site_url"),
    ({"site_url": 'https://example.com/"x'}, "site_url"),
    ({"site_url": "https://example.com/a b/"}, "site_url"),
    ({"site_url": "https://example.com:99999/"}, "site_url"),
    ({"site_url": "https://user:pw@example.com/"}, "site_url"),
    ({"feed_base_url": "https://example.com/?x"}, "feed_base_url"),
    ({"websub_hub": "https://hub.example/#x"}, "websub_hub"),
    ({"icon": "/icon.png"}, "icon"),
    ({"logo": "javascript:alert(1)"}, "logo"),
    ({"order_by": "title"}, "order_by"),
    ({"items_per_feed": -1}, "items_per_feed"),
    ({"hexo": {"root": "/"}}, "hexo"),
]


@pytest.mark.parametrize(("values", "key"), BAD)
def test_bad_values_are_refused_at_load(values: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_config(values)
    assert str(caught.value).startswith(f"{key}:"), caught.value


@pytest.mark.parametrize(
    "values",
    [
        {"junk_selectors": [".promo", "div[data-ad]", "p:has(> img.qr)", "a, b"]},
        {"permalink": "{year}/{month}/{stem}.html"},
        {"permalink": "posts/{path}/"},
        {"permalink": "archive-{year}/{stem}"},
        {"site_url": "https://例子.测试/blog/"},
        {"websub_hub": "https://hub.example/?topic=x"},
        {"description": "two\nlines\tand a tab"},
        {"items_per_feed": 0},
        {"order_by": "-updated"},
    ],
)
def test_good_values_pass(values: dict[str, Any]) -> None:
    make_config(values)


def _toml(value: Any) -> str:
    if isinstance(value, str):
        escaped = "".join(
            f"\\u{ord(c):04x}" if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in '"\\' else c
            for c in value
        )
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


@pytest.mark.parametrize(
    ("values", "key"), [(v, k) for v, k in BAD if not isinstance(next(iter(v.values())), dict)]
)
def test_cli_exits_2_naming_the_key_and_creates_nothing(
    tmp_path: Path, values: dict[str, Any], key: str
) -> None:
    posts = tmp_path / "posts"
    make_post(posts, "a.md", "title: A\ndate: 2024-01-01")
    config = tmp_path / "feedbuilder.toml"
    config.write_text("".join(f"{k} = {_toml(v)}\n" for k, v in values.items()))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["build", "--config", str(config), "--posts", str(posts), "--output", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert key in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
