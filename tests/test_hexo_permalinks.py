"""Hexo's permalinks, token by token: Hexo's documented results (hexo.io/docs/permalinks) and
the links Hexo 8.1.2 itself generated for the same posts (recorded on a UTC machine; the
live comparison is in test_hexo_oracle.py)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedbuilder.config import Config, ConfigError, make_config
from feedbuilder.hexo import HexoRules
from feedbuilder.hexo.dates import from_wall_clock, hexo_date
from feedbuilder.hexo.permalink import parse_filename
from feedbuilder.hexo.rules import glob_match, is_post
from feedbuilder.hexo.slugs import slugize
from feedbuilder.hexo.urls import full_url_for
from feedbuilder.models import PostMeta, Problem, SourcePost
from feedbuilder.normalise import normalise_meta

NOW = datetime(2030, 1, 1, tzinfo=UTC)
HELLO = {"title": "Hello World", "date": "2013-07-14 17:01:34", "categories": ["foo", "bar"]}


def hexo_config(permalink: str, **changes: Any) -> Config:
    """A Hexo site's config; the machine zone (that of :year … :second) pinned to UTC."""
    rules = HexoRules(**{"permalink_zone": "UTC", **changes.pop("rules", {})})
    values = {"site_url": "http://localhost:4000/", "timezone": "UTC", "permalink": permalink}
    return make_config({**values, **changes, "hexo": rules})


def post(
    config: Config, rel_path: str, metadata: dict[str, Any], mtime: float = 0.0
) -> tuple[PostMeta, list[Problem]]:
    meta, problems = normalise_meta(SourcePost(rel_path, metadata, "", mtime), config, NOW)
    assert meta is not None, problems
    return meta, problems


def path_of(config: Config, rel_path: str, metadata: dict[str, Any]) -> str:
    return post(config, rel_path, metadata)[0].link.removeprefix(config.base_url)


@pytest.mark.parametrize(
    ("rel_path", "permalink", "expected"),
    [
        ("hello-world.md", ":year/:month/:day/:title/", "2013/07/14/hello-world/"),
        ("hello-world.md", ":year-:month-:day-:title.html", "2013-07-14-hello-world.html"),
        ("hello-world.md", ":category/:title/", "foo/bar/hello-world/"),
        ("hello-world.md", ":title-:hash/", "hello-world-a2c8ac003b43/"),
        ("lorem/hello-world.md", ":year/:month/:day/:title/", "2013/07/14/lorem/hello-world/"),
        ("lorem/hello-world.md", ":year/:month/:day/:name/", "2013/07/14/hello-world/"),
    ],
)
def test_hexo_documented_examples(rel_path: str, permalink: str, expected: str) -> None:
    assert path_of(hexo_config(permalink), rel_path, HELLO) == expected


def test_permalink_defaults_and_front_matter_fill_other_tokens() -> None:
    config = hexo_config(":lang/:title/", rules={"permalink_defaults": {"lang": "en"}})
    assert path_of(config, "hello-world.md", HELLO) == "en/hello-world/"
    assert path_of(config, "hello-world.md", {**HELLO, "lang": "tw"}) == "tw/hello-world/"


# A post in a subfolder with a Unicode name, dated in Asia/Shanghai on a UTC machine.
NOTE = {
    "title": "Ünïcode & Friends: 你好，世界",
    "date": "2024-03-05 07:08:09",
    "categories": ["Tech", "Pythön"],
    "id": "42",
}
NOTE_PATH = "notes/Hello World.md"
NOTE_UNIX = int(datetime(2024, 3, 4, 23, 8, 9, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        # Dates are formatted in the machine's zone, as Hexo's moment() does.
        (":year", "2024"),
        (":month", "03"),
        (":day", "04"),
        (":i_month", "3"),
        (":i_day", "4"),
        (":hour", "23"),
        (":minute", "08"),
        (":second", "09"),
        (":timestamp", str(NOTE_UNIX)),
        (":title", "notes/Hello%20World"),
        (":name", "Hello%20World"),
        (":post_title", "unicode-friends-%E4%BD%A0%E5%A5%BD%EF%BC%8C%E4%B8%96%E7%95%8C"),
        (":id", "42"),
        (":category", "Tech/Python"),
        (":hash", hashlib.sha1(f"notes/Hello World{NOTE_UNIX}".encode()).hexdigest()[:12]),
        (":slug", "notes/Hello%20World"),
        (":nope", "undefined"),
    ],
)
def test_each_token(token: str, expected: str) -> None:
    config = hexo_config(f"x/{token}/", timezone="Asia/Shanghai")
    assert path_of(config, NOTE_PATH, NOTE) == f"x/{expected}/"


# Recorded from Hexo 8.1.2 (url https://example.com/blog, timezone Asia/Shanghai, machine UTC,
# permalink_defaults lang: en, pretty_urls.trailing_html: false).
HEXO8_PATTERN = (
    "p/:year/:i_month/:i_day/:hour-:minute-:second/:name/:post_title/:category/:hash/:lang/"
    ":title.html"
)
HEXO8 = [
    (
        "LeetCode/0567_Perm.md",
        {"title": "Perm", "date": "2025-06-13 01:30:00", "categories": [["A", "B"], ["C"]]},
        "p/2025/6/12/17-30-00/0567_Perm/perm/C/1f626c49b066/en/LeetCode/0567_Perm",
    ),
    (
        "off.md",
        {
            "title": "Café Über, déjà vu！你好，世界 ①",
            "date": "2025-06-13T01:30:00+02:00",
            "categories": ["Café", "Ünï"],
        },
        "p/2025/6/12/15-30-00/off/cafe-uber-deja-vu%EF%BC%81%E4%BD%A0%E5%A5%BD%EF%BC%8C%E4%B8%96"
        "%E7%95%8C-%E2%91%A0/Cafe/Uni/54e6f249bd00/en/off",
    ),
    (
        "中文 标题.md",
        {"title": "z", "date": "2025/06/13 23:30"},
        "p/2025/6/13/15-30-00/%E4%B8%AD%E6%96%87%20%E6%A0%87%E9%A2%98/z/uncategorized/"
        "38ad12fe6aff/en/%E4%B8%AD%E6%96%87%20%E6%A0%87%E9%A2%98",
    ),
    (
        "quoted.md",
        {"title": "q", "date": "2025-06-13"},
        "p/2025/6/12/16-00-00/quoted/q/uncategorized/22d4c256d3a4/en/quoted",
    ),
    (
        "page.html",
        {"title": "htmlpost", "date": "2025-06-13"},
        "p/2025/6/12/16-00-00/page/htmlpost/uncategorized/5e1fe85d5240/en/page",
    ),
    (
        "fm.md",
        {"title": "fm", "date": "2025-01-02 03:04:05", "permalink": "archives/fm-link"},
        "archives/fm-link",
    ),
]


@pytest.mark.parametrize(("rel_path", "metadata", "expected"), HEXO8)
def test_what_hexo_8_generated(rel_path: str, metadata: dict[str, Any], expected: str) -> None:
    config = hexo_config(
        HEXO8_PATTERN,
        site_url="https://example.com/blog",
        timezone="Asia/Shanghai",
        default_category="uncategorized",
        rules={"permalink_defaults": {"lang": "en"}, "trailing_html": False},
    )
    assert path_of(config, rel_path, metadata) == expected


def test_hexo_8_id_token_and_dates() -> None:
    config = hexo_config(
        "p/:year/:i_month/:i_day/:hour-:minute-:second/:name/:post_title/:category/:id/:hash/"
        ":lang/:title.html",
        site_url="https://example.com/blog",
        timezone="Asia/Shanghai",
        rules={"permalink_defaults": {"lang": "en"}, "trailing_html": False},
    )
    meta, _ = post(
        config,
        "LeetCode/idpost.md",
        {
            "title": "Hello: World / Ünïcode 中文",
            "id": "1267",
            "lang": "fr",
            "date": "2025-01-02 03:04:05",
            "categories": "Tech",
        },
    )
    assert meta.link == (
        "https://example.com/blog/p/2025/1/1/19-04-05/idpost/hello-world-unicode-%E4%B8%AD%E6%96"
        "%87/Tech/1267/6a6a9c6ed84b/fr/LeetCode/idpost"
    )
    assert meta.published == datetime(2025, 1, 1, 19, 4, 5, tzinfo=UTC)
    assert meta.id == meta.link  # Hexo's feed: the id is the link; front-matter id is :id


def test_front_matter_permalink_wins_as_in_hexo() -> None:
    config = hexo_config(":title/", rules={"post_asset_folder": True})
    assert path_of(config, "a.md", {**HELLO, "permalink": "archives/a"}) == "archives/a/"
    assert path_of(config, "a.md", {**HELLO, "permalink": "/b.html"}) == "b.html"
    assert path_of(config, "a.md", HELLO) == "a/"  # post_asset_folder: posts are folders


@pytest.mark.parametrize(
    ("rules", "permalink", "expected"),
    [
        ({"trailing_index": False}, ":title/index.html", "hello-world/"),
        ({"trailing_html": False}, ":title.html", "hello-world"),
        ({"trailing_html": False}, ":title/index.html", "hello-world/index.html"),
        ({}, ":title.html", "hello-world.html"),
    ],
)
def test_pretty_urls(rules: dict[str, bool], permalink: str, expected: str) -> None:
    assert path_of(hexo_config(permalink, rules=rules), "hello-world.md", HELLO) == expected


def test_root_folder_of_the_site_url_is_kept() -> None:
    config = hexo_config(":title/", site_url="https://u.github.io/blog/")
    assert post(config, "a b.md", HELLO)[0].link == "https://u.github.io/blog/a%20b/"


def test_category_map_filename_case_and_default_category() -> None:
    config = hexo_config(
        ":category/:title/",
        category_map={"计算机": "Computing"},
        default_category="未分类",
        rules={"filename_case": 1},
    )
    assert path_of(config, "a.md", {**HELLO, "categories": ["计算机", "Deep Dive"]}) == (
        "computing/deep-dive/a/"
    )
    assert path_of(config, "a.md", {"title": "t", "date": "2020-01-01"}) == (
        "%E6%9C%AA%E5%88%86%E7%B1%BB/a/"  # default_category as written, as Hexo uses it
    )


def test_tokens_hexo_cannot_fill_are_reported() -> None:
    config = hexo_config(":id/:abbrlink/")
    meta, problems = post(config, "a.md", {"title": "t", "date": "2020-01-01"})
    assert meta.link == "http://localhost:4000/a/undefined/"
    reasons = " ".join(p.reason for p in problems)
    assert ":id needs an id" in reasons and ":abbrlink has no value" in reasons
    meta, _ = post(config, "a.md", {"title": "t", "date": "2020-01-01", "abbrlink": "3a2b"})
    assert meta.link == "http://localhost:4000/a/3a2b/"


def test_new_post_name_gives_title_and_date() -> None:
    rules = {"new_post_name": ":year-:month-:day-:title.md"}
    config = hexo_config(":year/:title/", rules=rules, timezone="Asia/Shanghai")
    meta, _ = post(config, "2020-01-02-hello.md", {"title": "t"})
    assert meta.link == "http://localhost:4000/2020/hello/"
    assert meta.published == datetime(2020, 1, 1, 16, tzinfo=UTC)  # midnight in the zone
    # A name the pattern does not match is slugged whole, folders and all.
    assert parse_filename(":year-:month-:day-:title.md", "a b/c.md") == {"title": "a-b-c"}


def test_values_that_would_break_the_url_stay_literal() -> None:
    config = hexo_config(":title/")
    assert path_of(config, "100% ?#\\x.md", HELLO) == "100%25%20%3F%23%5Cx/"


def test_plain_folders_gain_a_path_field() -> None:
    config = make_config({"site_url": "https://e.com/", "permalink": "{path}/"})
    meta, _ = normalise_meta(
        SourcePost("notes/Hello World.md", {"title": "t", "date": "2020-01-01"}, "", 0), config, NOW
    )
    assert meta is not None and meta.link == "https://e.com/notes/Hello%20World/"


def test_plain_folders_may_use_hexo_tokens() -> None:
    config = make_config({"site_url": "https://e.com/", "permalink": ":year/:title/"})
    meta, _ = normalise_meta(SourcePost("a/b.md", HELLO, "", 0), config, NOW)
    assert meta is not None and meta.link == "https://e.com/2013/a/b/"


# --- dates --------------------------------------------------------------------------------


SHANGHAI = Config(timezone="Asia/Shanghai").zone


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-06-13 01:30:00", datetime(2025, 6, 12, 17, 30, tzinfo=UTC)),
        # A written offset is dropped after converting to UTC, as Hexo does.
        ("2025-06-13T01:30:00+02:00", datetime(2025, 6, 12, 15, 30, tzinfo=UTC)),
        ("2025-06-13", datetime(2025, 6, 12, 16, tzinfo=UTC)),
        # A bare number is JavaScript's new Date(number): milliseconds.
        ("1641971200", datetime(1970, 1, 19, 16, 6, 11, 200000, tzinfo=UTC)),
        ("2022-01-07 10:20:30.123456", datetime(2022, 1, 7, 2, 20, 30, 123000, tzinfo=UTC)),
    ],
)
def test_hexo_dates(value: str, expected: datetime) -> None:
    assert hexo_date(value, SHANGHAI, UTC) == expected


def test_hexo_dates_near_dst_take_offsets_where_hexo_takes_them() -> None:
    new_york = Config(timezone="America/New_York").zone
    # 04:00 EDT on the day DST starts is 08:00Z, but Hexo takes the offset at 04:00Z (EST).
    assert from_wall_clock(datetime(2025, 3, 9, 4), new_york, UTC) == datetime(
        2025, 3, 9, 9, tzinfo=UTC
    )
    assert from_wall_clock(datetime(2025, 3, 10, 4), new_york, UTC) == datetime(
        2025, 3, 10, 8, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("mtime", datetime(2026, 1, 1, tzinfo=UTC)),
        ("date", datetime(2013, 7, 14, 17, 1, 34, tzinfo=UTC)),
        ("empty", datetime(2013, 7, 14, 17, 1, 34, tzinfo=UTC)),
    ],
)
def test_updated_follows_updated_option(option: str, expected: datetime) -> None:
    config = hexo_config(":title/", rules={"updated_option": option})
    mtime = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    assert post(config, "a.md", HELLO, mtime)[0].updated == expected
    given_updated = {**HELLO, "updated": "2014-01-01 00:00:00"}
    assert post(config, "a.md", given_updated, mtime)[0].updated == datetime(2014, 1, 1, tzinfo=UTC)


def test_hexo_reads_only_its_own_keys() -> None:
    config = hexo_config(":title/")
    meta, problems = post(
        config, "a.md", {"title": "t", "pubDate": "2001-01-01", "tag": "one", "category": "c"}, 5.0
    )
    assert meta.published == datetime.fromtimestamp(5, UTC)  # pubDate is not Hexo's: file time
    assert meta.tags == ("one",) and meta.categories == (("c",),)
    assert any("no date" in p.reason for p in problems)


def test_untitled_hexo_posts_are_titled_by_their_file() -> None:
    meta, problems = post(hexo_config(":title/"), "notes/Hello World.md", {"date": "2020-01-01"})
    assert meta.title == "Hello World" and "no title" in problems[0].reason


def test_hexo_drafts_in_posts_are_left_out() -> None:
    config = hexo_config(":title/")
    meta, problems = normalise_meta(
        SourcePost("a.md", {**HELLO, "published": "false"}, "", 0), config, NOW
    )
    assert meta is None and problems == []


# --- which files are posts, slugs, URLs ------------------------------------------------------


@pytest.mark.parametrize(
    ("rel_path", "rules", "expected"),
    [
        ("a.md", {}, True),
        ("sub/a.markdown", {}, True),
        ("a.html", {}, True),
        ("a.html", {"post_asset_folder": True}, False),
        ("a.txt", {}, False),
        ("a.MD", {}, False),
        ("_a.md", {}, False),
        ("sub/_partials/a.md", {}, False),
        (".hidden/a.md", {}, False),
        ("a.md~", {}, False),
        ("a.md%", {}, False),
        ("raw/a.md", {"skip_render": ("_posts/raw/**",)}, False),
    ],
)
def test_which_files_are_posts(rel_path: str, rules: dict[str, Any], expected: bool) -> None:
    assert is_post(rel_path, HexoRules(**rules)) is expected


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("_posts/raw/**", "_posts/raw/a/b.md", True),
        ("_posts/*.md", "_posts/a/b.md", False),
        ("**/*.{md,html}", "_posts/a/b.html", True),
        ("_posts/?.md", "_posts/a.md", True),
        ("_posts/[ab].md", "_posts/c.md", False),
    ],
)
def test_glob_match(pattern: str, path: str, expected: bool) -> None:
    assert glob_match(pattern, path) is expected


@pytest.mark.parametrize(
    ("text", "transform", "expected"),
    [
        ("Hello World", 0, "Hello-World"),
        ("  Hello   World!! ", 0, "Hello-World"),
        ("Hello World", 1, "hello-world"),
        ("Hello World", 2, "HELLO-WORLD"),
        ("Ünïcode Straße Łódź", 0, "Unicode-Strase-Lodz"),
        ("你好，世界", 0, "你好，世界"),
        ("a\u3000b", 0, "a-b"),
        ("a/b:c", 0, "a-b-c"),
    ],
)
def test_slugize(text: str, transform: int, expected: str) -> None:
    assert slugize(text, transform) == expected


def test_full_url_for_encodes_as_hexo() -> None:
    assert full_url_for("https://e.com/blog", "/中文 a/../b/", True, True) == (
        "https://e.com/blog/b/"
    )
    assert full_url_for("https://e.com", "a%c3%a9/", True, True) == "https://e.com/a%C3%A9/"
    assert full_url_for("https://e.com", "https://other.org/x", True, True) == (
        "https://other.org/x"
    )


@given(st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s and s[0] not in "_."))
def test_any_file_name_gives_a_usable_hexo_link(stem: str) -> None:
    config = hexo_config(":year/:title/")
    meta, problems = normalise_meta(SourcePost(f"{stem}.md", HELLO, "", 0), config, NOW)
    assert meta is not None, problems
    assert meta.link.startswith("http://localhost:4000/2013/")
    assert not any(ch in meta.link for ch in ' "<>\\#?') and meta.link.isascii()


def test_bad_hexo_permalink_is_refused_at_load() -> None:
    with pytest.raises(ConfigError, match="permalink"):
        hexo_config("http://a b/:title")
