"""``feedbuilder list``: the categories as a table, or JSON for scripts."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from feedbuilder.category_list import display_width
from feedbuilder.cli import main

from .sitecorpus import CATEGORY_NAMES, POSTS, write_posts


def run(tmp_path: Path, *args: str) -> str:
    write_posts(tmp_path / "posts", "https://example.com/img/")
    result = CliRunner().invoke(
        main,
        ["list", "--posts", str(tmp_path / "posts"), "--timezone", "Asia/Shanghai", *args],
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_records(tmp_path: Path) -> None:
    records = {r["name"]: r for r in json.loads(run(tmp_path, "--json"))}
    assert set(records) == set(CATEGORY_NAMES)
    for name in CATEGORY_NAMES:
        assert records[name]["posts"] == sum(name in cats for _, _, cats, _, _ in POSTS)
    assert records["股市"]["hierarchy"] == ["金融 / 股市"]
    assert records["金融"]["hierarchy"] == ["金融"]
    assert records["金融"]["slug"] == "jin-rong"
    assert records["金融"]["newest"] == "2024-03-02T10:30:00+08:00"


def test_table_has_a_row_per_category_in_aligned_columns(tmp_path: Path) -> None:
    lines = run(tmp_path).splitlines()
    assert lines[0].split() == ["name", "slug", "hierarchy", "posts", "newest"]
    assert len(lines) == 1 + len(CATEGORY_NAMES)
    row = next(line for line in lines if line.startswith("股市"))
    assert "金融 / 股市" in row and "2024-03-02 10:30" in row
    slug_column = lines[0].index("slug")
    for line in lines[1:]:  # CJK characters take two cells, so columns line up on screen
        slug = line.split()[1]
        assert display_width(line[: line.index(f" {slug} ") + 1]) == slug_column
