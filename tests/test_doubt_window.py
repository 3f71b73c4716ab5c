"""A post file edited within the doubt window (2 s before the build's clock), twice, keeping
its size, never gets the body cached for the earlier version (found by tests/test_soak.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from feedbuilder.config import Config
from feedbuilder.pipeline import build
from tests.conftest import make_post


def test_a_body_cached_while_in_doubt_is_never_reused(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    config = Config(posts_dir=posts, output_dir=tmp_path / "out", site_url="https://e.com/")
    for version in (1, 2):  # the same size each time
        path = make_post(
            posts, "p.md", f"title: P v{version}\ndate: 2022-01-01", f"<p>v{version}</p>"
        )
        mtime = path.stat().st_mtime_ns
        build(config, now=datetime.fromtimestamp(mtime / 1e9, UTC) + timedelta(seconds=1))
        atom = (config.output_dir / "feeds" / "all.atom.xml").read_text()
        assert f"P v{version}" in atom and f"v{version}&lt;/p&gt;" in atom, version
