"""Ids that no reader should ever follow are replaced by the post's link."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from feedbuilder.config import Config
from feedbuilder.models import Severity
from feedbuilder.pipeline import build, scan_posts
from feedbuilder.stages.scan import Scan

from .conftest import all_metas, make_post

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def config(posts: Path, **changes: object) -> Config:
    base = Config(posts_dir=posts, output_dir=posts.parent / "out", site_url="https://e.com/")
    return base.replace(**changes)


def one_post(tmp_path: Path, front_matter: str, **changes: object) -> Scan:
    make_post(tmp_path / "posts", "post.md", f"title: T\ndate: 2022-01-02\n{front_matter}")
    return scan_posts(config(tmp_path / "posts", **changes), now=NOW)


def reasons(result: Scan) -> list[str]:
    assert all(p.severity is Severity.WARNING for p in result.problems)
    return [str(p) for p in result.problems]


def test_an_id_with_a_dangerous_scheme_is_replaced_by_the_link(tmp_path: Path) -> None:
    result = one_post(tmp_path, "id: javascript:alert(1)")
    (meta,) = all_metas(result)
    assert meta.id == meta.link == "https://e.com/2022/01/02/post/"
    assert reasons(result) == [
        "post.md: id: the scheme 'javascript:' is not fit for an id; using the link"
    ]
    build(config(tmp_path / "posts"), now=NOW)
    for path in (tmp_path / "out" / "feeds").rglob("*.*"):
        assert "javascript" not in path.read_text(encoding="utf-8").lower(), path


def test_ids_fit_for_ids_are_kept(tmp_path: Path) -> None:
    for value in (
        "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
        "tag:e.com,2021:1",
        "42",
    ):
        (meta,) = all_metas(one_post(tmp_path, f"guid: '{value}'"))
        assert meta.id == value
