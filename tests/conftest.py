"""Shared fixtures: the repo's paths, and one build of the bundled posts per session."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from feedbuilder import Config, build, load_config
from feedbuilder.models import BuildReport, PostMeta
from feedbuilder.stages.scan import Scan

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SCHEMA = Path(__file__).resolve().parent / "schemas" / "atom-rfc4287.rng"
CORPORA = ROOT.parent / "shared" / "corpora"


@pytest.fixture(scope="session")
def atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMA)))


@pytest.fixture(scope="session")
def bundled_config() -> Config:
    """The repo's own config (pyproject.toml) with its bundled posts/."""
    return load_config(ROOT / "pyproject.toml")


@pytest.fixture(scope="session")
def bundled_build(
    tmp_path_factory: pytest.TempPathFactory, bundled_config: Config
) -> Iterator[tuple[Path, BuildReport]]:
    """Build posts/ once into a temporary output dir."""
    output = tmp_path_factory.mktemp("bundled-output")
    report = build(bundled_config.replace(output_dir=output))
    yield output, report
    shutil.rmtree(output, ignore_errors=True)


def make_post(directory: Path, name: str, front_matter: str, body: str = "<p>Body.</p>") -> Path:
    """Write a small post file for a test."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front_matter.strip()}\n---\n{body}\n", encoding="utf-8")
    return path


def all_metas(scanned: Scan) -> list[PostMeta]:
    """Every usable post's full metadata, in the scan's order."""
    return scanned.metas(scanned.refs)


def run_feedbuilder(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m feedbuilder ARGS`` in ``cwd``, as a user runs it; its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "feedbuilder", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
