"""One error tree: every error a build raises on purpose is a FeedbuilderError, each its own."""

from __future__ import annotations

from pathlib import Path

import pytest

import feedbuilder
from feedbuilder import (
    Config,
    ConfigError,
    FeedbuilderError,
    LockedError,
    OutputError,
    WouldEmptySiteError,
    build,
)
from feedbuilder.errors import CacheError, WorkerError
from feedbuilder.output.writer import build_lock

from .conftest import make_post


@pytest.mark.parametrize(
    "error",
    [ConfigError, WouldEmptySiteError, OutputError, LockedError, CacheError, WorkerError],
)
def test_every_error_is_a_feedbuilder_error(error: type[Exception]) -> None:
    assert issubclass(error, FeedbuilderError)
    assert error.__doc__


def test_errors_are_found_where_they_always_were() -> None:
    from feedbuilder.config import ConfigError as from_config
    from feedbuilder.output.writer import LockedError as locked
    from feedbuilder.output.writer import OutputError as output

    assert (from_config, locked, output) == (ConfigError, LockedError, OutputError)
    assert "FeedbuilderError" in feedbuilder.__all__


def config(tmp_path: Path, posts: str = "posts") -> Config:
    return Config(posts_dir=tmp_path / posts, output_dir=tmp_path / "out")


def test_a_missing_posts_folder_is_a_config_error_and_creates_nothing(tmp_path: Path) -> None:
    settings = config(tmp_path, "gone").replace(cache_dir=tmp_path / "state")
    with pytest.raises(ConfigError, match="posts_dir"):
        build(settings)
    assert sorted(tmp_path.iterdir()) == []  # no output dir, lock, cache or cache dir


def test_refusing_to_empty_a_built_site_is_its_own_error(tmp_path: Path) -> None:
    make_post(tmp_path / "posts", "a.md", "title: A\ndate: 2022-01-01")
    build(config(tmp_path))
    (tmp_path / "posts" / "a.md").unlink()
    with pytest.raises(WouldEmptySiteError, match="refusing to empty") as raised:
        build(config(tmp_path))
    assert not isinstance(raised.value, ConfigError)


def test_a_held_lock_is_a_locked_error(tmp_path: Path) -> None:
    make_post(tmp_path / "posts", "a.md", "title: A\ndate: 2022-01-01")
    with build_lock(tmp_path / "out"), pytest.raises(LockedError):
        build(config(tmp_path))
