"""Configuration: defaults, files, overrides, and clear errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from feedbuilder.cli import main
from feedbuilder.config import Config, ConfigError, load_config, make_config


def test_defaults() -> None:
    config = make_config({})
    assert config.items_per_feed == 50
    assert config.permalink == "{year}/{month}/{day}/{stem}/"
    assert config.timezone == "UTC"


def test_feedbuilder_toml_beats_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.feedbuilder]\nsite_title = "py"\n')
    (tmp_path / "feedbuilder.toml").write_text('site_title = "fb"\n')
    assert load_config(cwd=tmp_path).site_title == "fb"


def test_pyproject_table_and_relative_dirs(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.feedbuilder]\nposts_dir = "content"\n')
    config = load_config(cwd=tmp_path)
    assert config.posts_dir == tmp_path / "content"
    assert config.output_dir == tmp_path / "output"


def test_overrides_win(tmp_path: Path) -> None:
    config = load_config(cwd=tmp_path, overrides={"items_per_feed": 5, "posts_dir": "p"})
    assert config.items_per_feed == 5
    assert config.posts_dir == tmp_path / "p"


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"site_tittle": "x"}, "site_tittle"),
        ({"items_per_feed": "ten"}, "items_per_feed"),
        ({"items_per_feed": -1}, "items_per_feed"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"site_url": "example.com"}, "site_url"),
        ({"permalink": "{year}/{nope}/"}, "permalink"),
        ({"missing_date": "guess"}, "missing_date"),
        ({"category_map": {"a": 1}}, "category_map"),
        ({"thumbnail_in_content": "yes"}, "thumbnail_in_content"),
        ({"language": "english please"}, "language"),
    ],
)
def test_bad_values_name_the_key(values: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        make_config(values)


def test_cli_config_error_exits_2_without_traceback(tmp_path: Path) -> None:
    config = tmp_path / "feedbuilder.toml"
    config.write_text("items_per_feed = -1\n")
    result = CliRunner().invoke(main, ["build", "--config", str(config)])
    assert result.exit_code == 2
    assert "items_per_feed" in result.output
    assert "Traceback" not in result.output


def test_cli_invalid_toml_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "feedbuilder.toml"
    config.write_text("site_title = \n")
    result = CliRunner().invoke(main, ["build", "--config", str(config)])
    assert result.exit_code == 2
    assert "invalid TOML" in result.output


def test_fingerprint_ignores_dirs() -> None:
    a = Config(posts_dir=Path("a"), output_dir=Path("b"))
    assert a.output_fingerprint() == Config().output_fingerprint()
    assert Config(site_title="x").output_fingerprint() != Config().output_fingerprint()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"image_proxy": "https://proxy.example/"}, "image_proxy: expected a URL template"),
        ({"image_proxy": "/img?u={url_encoded}"}, "image_proxy: expected an absolute"),
        ({"image_referrer_policy": "never"}, "image_referrer_policy: must be one of"),
    ],
)
def test_image_settings_are_checked_at_load(value: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_config(value)


def test_image_proxy_template_fields() -> None:
    from feedbuilder.normalise.urls import proxy_image_url

    url = "https://n.sinaimg.cn/a b.jpg?x=1&y=2"
    assert proxy_image_url(url, "") == url
    assert proxy_image_url(url, "https://p.example/{url}") == f"https://p.example/{url}"
    assert (
        proxy_image_url(url, "https://p.example/?u={url_encoded}")
        == "https://p.example/?u=https%3A%2F%2Fn.sinaimg.cn%2Fa%20b.jpg%3Fx%3D1%26y%3D2"
    )
