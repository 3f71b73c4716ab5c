"""No category, tag, file name or tampered manifest makes feedbuilder write or delete outside
the output dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedbuilder.config import Config
from feedbuilder.feeds.render import feed_path
from feedbuilder.feeds.slugs import assign_slugs
from feedbuilder.models import FeedSpec, SourcePost
from feedbuilder.normalise import normalise_meta
from feedbuilder.output.writer import MANIFEST_NAME, OutputDir, OutputError, safe_target
from feedbuilder.pipeline import build

NOW = datetime(2023, 1, 1, tzinfo=UTC)

HOSTILE_NAMES = [
    "../../x",
    "..",
    ".",
    "../",
    "a/b\\c",
    "/etc/passwd",
    "C:\\Windows\\x",
    "feeds/../../../y",
    "~root",
    "CON",
    "nul.txt",
    "x" * 300,
    "%2e%2e%2f",
    "\u202e.lmx",
    "名字/../../逃逸",
]


def snapshot_tree(root: Path) -> dict[str, bytes | str]:
    """Every path under ``root`` with its bytes (or its link target)."""
    tree: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            tree[rel] = os.readlink(path)
        elif path.is_file():
            tree[rel] = path.read_bytes()
    return tree


def post(title: str, categories: list[str], tags: list[str]) -> str:
    return (
        f"---\ntitle: {json.dumps(title)}\ndate: 2022-01-02 10:00:00\n"
        f"categories: {json.dumps([[c] for c in categories])}\ntags: {json.dumps(tags)}\n"
        "---\n<p>Body.</p>\n"
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "hostile.md").write_text(post("Hostile", HOSTILE_NAMES, HOSTILE_NAMES))
    for i, name in enumerate(['quote"d', "what?", "hash#tag", "back\\slash", "<angle>", "%zz"]):
        (tmp_path / "posts" / f"{name}.md").write_text(post(f"File {i}", ["ok"], []))
    return tmp_path


def config_for(site: Path) -> Config:
    return Config(posts_dir=site / "posts", output_dir=site / "out", site_url="https://e.com/")


def test_hostile_names_stay_inside_the_output_dir(site: Path) -> None:
    before = snapshot_tree(site)
    report = build(config_for(site))
    assert report.posts_read == 7 and report.posts_skipped == 0
    after = snapshot_tree(site)
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    assert changed and all(path.startswith("out/") for path in changed), changed
    for path in (site / "out").rglob("*"):
        assert path.resolve().is_relative_to((site / "out").resolve())
        assert not path.is_symlink()


@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=8, unique=True))
def test_every_category_name_gets_a_safe_feed_path(names: list[str]) -> None:
    slugs, _ = assign_slugs(names, {})
    assert len(set(slugs.values())) == len(slugs)
    root = Path("/srv/out")
    for slug in slugs.values():
        spec = FeedSpec(f"category/{slug}", "t", "d", None, ())
        for fmt in ("rss", "atom"):
            target = safe_target(root, feed_path(spec, fmt))  # raises if it would escape
            assert target.parent == root / "feeds" / "category"


@given(st.text(min_size=1, max_size=60).filter(lambda s: "/" not in s and "\x00" not in s))
def test_any_file_name_gives_a_usable_permalink(stem: str) -> None:
    source = SourcePost(f"{stem}.md", {"title": "t", "date": "2022-01-01"}, "", 0)
    meta, problems = normalise_meta(source, Config(site_url="https://e.com/"), NOW)
    assert meta is not None, problems
    assert meta.link.startswith("https://e.com/2022/01/01/")
    assert not any(ch in meta.link for ch in ' "<>\\#?')


def test_tampered_manifest_never_deletes_outside(site: Path, tmp_path: Path) -> None:
    out = site / "out"
    build(config_for(site))
    victims = [tmp_path / "victim", site / "victim", Path(f"{tmp_path}/abs-victim")]
    for victim in victims:
        victim.write_text("precious")
    (out / "feeds" / "link-victim.xml").symlink_to(tmp_path / "victim")
    (out / "mine.txt").write_text("not written by feedbuilder")
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    manifest["files"] += [
        "../../victim",
        "../victim",
        str(tmp_path / "abs-victim"),
        "feeds/../../victim",
        "feeds/..\\..\\victim",
        "feeds/link-victim.xml",
    ]
    (out / MANIFEST_NAME).write_text(json.dumps(manifest))
    build(config_for(site))
    for victim in victims:
        assert victim.read_text() == "precious"
    assert (out / "mine.txt").read_text() == "not written by feedbuilder"
    assert (out / "feeds" / "link-victim.xml").is_symlink()  # resolves outside: left alone
    assert "../../victim" not in json.loads((out / MANIFEST_NAME).read_text())["files"]


def test_output_subdir_symlinked_elsewhere_is_refused(site: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (site / "out").mkdir()
    (site / "out" / "feeds").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(OutputError, match="outside the output dir"):
        build(config_for(site))
    assert list(elsewhere.iterdir()) == []
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "feedbuilder",
            "build",
            "--posts",
            "posts",
            "--output",
            "out",
            "--site-url",
            "https://e.com/",
        ],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 3
    assert "Traceback" not in run.stderr and "outside the output dir" in run.stderr
    assert list(elsewhere.iterdir()) == []


def test_safe_target_refuses_escapes(tmp_path: Path) -> None:
    for bad in ["../x", "/abs", "a/../../x", "a\\b", "", "."]:
        with pytest.raises(OutputError):
            safe_target(tmp_path, bad)
    assert safe_target(tmp_path, "feeds/all.rss.xml") == tmp_path / "feeds" / "all.rss.xml"
    os.symlink("/", tmp_path / "root-link")
    with pytest.raises(OutputError):
        safe_target(tmp_path, "root-link/etc/x")


def test_a_killed_writes_temporary_goes_even_when_its_feed_is_gone(tmp_path: Path) -> None:
    """A SIGKILL between a write's open and its rename leaves the temporary; the next build
    removes it, also when the feed it was for is no longer written (its category emptied):
    the soak test met one such leftover."""
    feeds = tmp_path / "feeds" / "category"
    feeds.mkdir(parents=True)
    gone = feeds / ".c11.json.eecb9159.tmp"  # for a feed no build writes any more
    kept_for = feeds / ".c10.json.0123abcd.tmp"
    theirs = feeds / ".notes.tmp"  # not a name write_atomic makes
    for path in (gone, kept_for, theirs):
        path.write_bytes(b"partial")
    output = OutputDir(tmp_path)
    output.write("feeds/category/c10.json", b"{}")
    output.finish()
    assert not gone.exists() and not kept_for.exists()
    assert theirs.exists()
