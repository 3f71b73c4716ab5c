"""The benchmark runs end to end at a tiny size, so it cannot rot. No timing is asserted."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from corpora import MARKER, corpus, link_tree  # noqa: E402
from generate_corpus import edit_posts  # noqa: E402


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def test_benchmark_prints_a_table(tmp_path: Path) -> None:
    command = [sys.executable, str(BENCHMARKS / "run.py"), "--sizes", "120", "--repeat", "1"]
    command += ["--anchors", "--corpus-dir", str(tmp_path / "c"), "--work-dir", str(tmp_path / "w")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [_cells(line) for line in result.stdout.splitlines() if line.startswith("| 120 |")]
    assert rows[0][1] == "floor"
    variants = ("RSS + Atom + JSON", "RSS + Atom", "RSS + Atom, dedupe off")
    for variant in (f"feedbuilder, {formats}" for formats in variants):
        steps = {row[2]: row for row in rows if row[1] == variant}
        assert len(steps) == 4
        assert steps["rebuild, nothing changed"][7:9] == ["0", "ok: wrote nothing"]
        incremental = next(row for step, row in steps.items() if step.startswith("incremental"))
        assert incremental[8] == "ok: same bytes as a cold build"
    hugo = [row for row in rows if row[1].startswith("Hugo")]
    if "Hugo skipped" not in result.stdout:  # no hugo binary: the anchors are left out
        assert [row[2] for row in hugo] == ["cold", "rebuild, nothing changed"]
        assert hugo[0][8] == "46 feeds"  # 23 feeds x RSS + Atom, like feedbuilder's
    assert "120 posts:" in result.stdout  # the corpus's size on disk


def test_a_pool_writes_the_same_corpus_as_one_process(tmp_path: Path) -> None:
    # The module as sys.modules has it now (test_cache loads it again): the pool pickles by name.
    generator = importlib.import_module("generate_corpus")
    generator.generate(tmp_path / "one", 230, seed=5, workers=1)
    generator.generate_in_pool(tmp_path / "pool", 230, seed=5, workers=2, chunk=40)
    one = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.txt"))
    pool = sorted(p.relative_to(tmp_path / "pool") for p in (tmp_path / "pool").rglob("*.txt"))
    assert one == pool and len(one) == 230
    for rel in one:
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "pool" / rel).read_bytes()


def test_a_half_generated_corpus_is_never_reused(tmp_path: Path) -> None:
    first = corpus(tmp_path, 30, seed=0)
    assert json.loads((first / MARKER).read_text())["files"] == 30
    next(first.rglob("*.txt")).unlink()  # damaged after it was marked complete
    again = corpus(tmp_path, 30, seed=0)
    assert again == first and len(list(again.rglob("*.txt"))) == 30
    (first / MARKER).unlink()  # never marked complete
    assert len(list(corpus(tmp_path, 30, seed=0).rglob("*.txt"))) == 30
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no partial folder left


def test_editing_linked_posts_leaves_the_corpus_alone(tmp_path: Path) -> None:
    pristine = corpus(tmp_path / "c", 20, seed=0)
    before = {p: p.read_bytes() for p in pristine.rglob("*.txt")}
    assert link_tree(pristine, tmp_path / "site") == 20
    assert len(edit_posts(tmp_path / "site", 5, seed=1)) == 5
    assert {p: p.read_bytes() for p in pristine.rglob("*.txt")} == before
