"""A Hexo site's root is all feedbuilder needs: its _config.yml read as Hexo reads it, its
posts (not drafts, pages or assets), output beside Hexo's, never over it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from feedbuilder.cli import main
from feedbuilder.config import ConfigError, load_settings
from feedbuilder.hexo import HexoRules
from feedbuilder.hexo.site import load_yaml, machine_zone

from .conftest import FIXTURES

FIXTURE = FIXTURES / "hexo-site"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "blog"
    shutil.copytree(FIXTURE, root)
    return root


def config_text(site: Path, extra: str) -> None:
    path = site / "_config.yml"
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")


def test_a_hexo_root_gives_every_setting(site: Path) -> None:
    settings = load_settings(cwd=site)
    config = settings.config
    assert config.site_title == "Fixture Blog"
    assert config.description == "Notes on things"
    assert config.author == "Ada"
    assert config.site_url == "https://blog.example.com/sub/"
    assert config.feed_base_url == "https://blog.example.com/sub/feedbuilder/"
    assert config.posts_dir == site / "source" / "_posts"
    assert config.output_dir == site / "public" / "feedbuilder"
    assert config.permalink == ":year/:month/:day/:title/"
    assert config.timezone == "Asia/Shanghai"
    assert config.default_category == "misc"
    assert config.category_map == {"计算机": "computing"}
    assert config.tag_map == {"C++": "cpp"}
    assert config.future_posts == "keep"
    assert config.items_per_feed == 0  # feed.limit: 0, every post
    assert config.full_content is True
    assert config.summary_length == 140  # hexo-generator-feed's content_limit default
    assert config.icon == "https://blog.example.com/sub/images/icon.png"
    assert config.hexo == HexoRules(
        root="/sub/",
        post_asset_folder=True,
        updated_option="date",
        permalink_zone=machine_zone(),
    )
    config_yml = str(site / "_config.yml")
    assert settings.sources["site_url"] == f"{config_yml} (url)"
    assert (
        settings.sources["summary_length"] == f"{config_yml} (feed.content_limit, Hexo's default)"
    )


def test_the_sites_favicon_is_the_feeds_icon_when_the_feed_names_none(site: Path) -> None:
    path = site / "_config.yml"
    text = re.sub(r"^  icon: .*\n", "", path.read_text(encoding="utf-8"), flags=re.M)
    path.write_text(text + "favicon: /img/favicon.png\n", encoding="utf-8")
    settings = load_settings(cwd=site)
    assert settings.config.icon == "https://blog.example.com/sub/img/favicon.png"
    assert settings.sources["icon"] == f"{path} (favicon)"


def test_feedbuilder_config_and_command_line_win(site: Path) -> None:
    (site / "feedbuilder.toml").write_text('site_title = "Mine"\nitems_per_feed = 5\n')
    settings = load_settings(cwd=site, overrides={"items_per_feed": 7})
    assert settings.config.site_title == "Mine"
    assert settings.config.items_per_feed == 7
    assert settings.config.site_url == "https://blog.example.com/sub/"
    assert settings.sources["site_title"] == str(site / "feedbuilder.toml")
    assert settings.sources["items_per_feed"] == "command line"


@pytest.mark.parametrize("where", ["site_dir", "posts_dir root", "posts_dir _posts"])
def test_the_site_is_found_from_site_or_posts(site: Path, tmp_path: Path, where: str) -> None:
    overrides = {
        "site_dir": {"site_dir": site},
        "posts_dir root": {"posts_dir": site},
        "posts_dir _posts": {"posts_dir": site / "source" / "_posts"},
    }[where]
    config = load_settings(cwd=tmp_path, overrides=overrides).config
    assert config.hexo is not None
    assert config.posts_dir == site / "source" / "_posts"


def test_a_plain_folder_stays_plain(tmp_path: Path) -> None:
    (tmp_path / "_config.yml").write_text("title: Jekyll\n")  # no source/_posts: not Hexo
    assert load_settings(cwd=tmp_path).config.hexo is None


def test_build_in_the_root_with_no_flags(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hexo_home = (site / "public" / "index.html").read_bytes()
    monkeypatch.chdir(site)
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert (site / "public" / "index.html").read_bytes() == hexo_home  # Hexo's, untouched
    feed = feedparser.parse(
        (site / "public" / "feedbuilder" / "feeds" / "all.atom.xml").read_bytes()
    )
    assert feed.feed.title == "Fixture Blog"
    links = {entry.link: entry for entry in feed.entries}
    assert sorted(links) == [
        "https://blog.example.com/sub/2013/07/14/hello-world/",
        "https://blog.example.com/sub/2024/03/04/notes/%C3%9Cn%C3%AFcode%20notes/",
        "https://blog.example.com/sub/archives/fixed/",
    ]  # not the draft, the page, the partial, the .txt, the .html asset or `published: false`
    hello = links["https://blog.example.com/sub/2013/07/14/hello-world/"]
    assert hello.published == "2013-07-14T17:01:34+08:00"
    assert [t.term for t in hello.tags] == ["foo", "bar", "intro", "C++"]
    unicode_notes = links[
        "https://blog.example.com/sub/2024/03/04/notes/%C3%9Cn%C3%AFcode%20notes/"
    ]
    assert [t.term for t in unicode_notes.tags] == ["计算机", "single"]  # tag: is Hexo's alias
    assert "3 posts read, 0 skipped" in result.output  # `published: false` is a draft, no problem


def test_verbose_names_each_settings_file(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (site / "feedbuilder.toml").write_text('site_title = "Mine"\n')
    monkeypatch.chdir(site)
    result = CliRunner().invoke(main, ["check", "-v", "--site-url", "https://x.org/"])
    config_yml = site / "_config.yml"
    assert f"timezone = 'Asia/Shanghai' from {config_yml} (timezone)" in result.output
    assert f"site_title = 'Mine' from {site / 'feedbuilder.toml'}" in result.output
    assert "site_url = 'https://x.org/' from command line" in result.output


def test_output_never_mixes_with_hexo_pages(site: Path) -> None:
    (site / "source" / "feedbuilder").mkdir()
    with pytest.raises(ConfigError, match=r"output_dir: .* would mix with the pages Hexo makes"):
        load_settings(cwd=site)
    assert load_settings(cwd=site, overrides={"output_dir": "feeds"}).config.hexo is not None


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("url: https://blog.example.com/?p=1\n", "url"),
        ("url: https://blog.example.com/#top\n", "url"),
        ("url: 'https://blog.example.com/\"x'\n", "url"),
        ("url: ftp://blog.example.com/\n", "url"),
        ("root: ''\n", "root"),
        ("timezone: Mars/Olympus\n", "timezone"),
        ('title: "a\\u0007b"\n', "title"),
        ('default_category: "x\\ny"\n', "default_category"),
        ("permalink: '{year:d}/'\n", "permalink"),
        ("category_map: [a, b]\n", "category_map"),
        ("feed:\n  limit: -3\n", "feed.limit"),
        ("language: english please\n", "language"),
    ],
)
def test_bad_config_yml_values_exit_2_naming_the_key(
    site: Path, extra: str, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (site / "_config.yml").read_text(encoding="utf-8")
    block = re.compile(rf"^{extra.split(':', 1)[0]}:.*\n(?:[ \t]+.*\n)*", re.MULTILINE)
    (site / "_config.yml").write_text(block.sub("", text) + extra, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(cwd=site)
    assert f"_config.yml: {key}" in str(caught.value)
    monkeypatch.chdir(site.parent)  # no feedbuilder config here to override the site's
    result = CliRunner().invoke(main, ["build", "--site", "blog"])
    assert result.exit_code == 2
    assert f"_config.yml: {key}" in result.output
    assert "Traceback" not in result.output
    assert not (site / "public" / "feedbuilder").exists()


def test_config_yml_is_read_as_js_yaml_reads_it() -> None:
    data = load_yaml(
        "a: yes\nb: on\nc: true\nd: 012\ne: 0o12\nf: 1_000\ng: ~\nh: 1e3\ni: 0x1F\n"
        "base: &b {x: 1}\nj:\n  <<: *b\n  y: 2\nk:\n\t- one\n"
    )
    assert data["a"] == "yes" and data["b"] == "on" and data["c"] is True
    assert data["d"] == 12 and data["e"] == 10 and data["f"] == "1_000"
    assert data["g"] is None and data["h"] == 1000.0 and data["i"] == 31
    assert data["j"] == {"x": 1, "y": 2}
    assert data["k"] == ["one"]  # leading tabs become spaces, as Hexo's yaml renderer does


def test_config_yml_future_false_skips_future_posts(site: Path) -> None:
    config_text(site, "future: false\n")
    assert load_settings(cwd=site).config.future_posts == "skip"


def test_machine_zone_follows_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert machine_zone() == "Asia/Tokyo"
    monkeypatch.setenv("TZ", ":America/New_York")
    assert machine_zone() == "America/New_York"
    monkeypatch.setenv("TZ", "")
    assert machine_zone() == "UTC"


def test_empty_timezone_is_the_machines(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_text(site, "timezone: ''\n")
    monkeypatch.setenv("TZ", "Europe/Paris")
    assert load_settings(cwd=site).config.timezone == "Europe/Paris"
