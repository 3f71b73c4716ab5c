"""Build the bundled posts/ through the CLI and read every feed back like a reader would."""

from __future__ import annotations

import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml
from lxml import etree

from feedbuilder.collect.files import find_post_files

from .conftest import ROOT, run_feedbuilder

SEED_TITLE = (
    "上海银保监局、上海市科委联合印发关于进一步做好科技型中小微企业贷款履约保证险工作的意见"
)
SEED_THUMB = "https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png"
SEED_CATEGORIES = ["金融", "新浪财经", "新浪财经－国內"]


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return run_feedbuilder(cwd, *args)


@pytest.fixture(scope="module")
def cli_output(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    output = tmp_path_factory.mktemp("cli-output")
    result = run_cli("build", "--output", str(output))
    return output, result


def feeds(output: Path, pattern: str = "*.xml") -> list[Path]:
    return sorted((output / "feeds").rglob(pattern))


def expected_category_counts() -> Counter[str]:
    """Count posts per category name with plain PyYAML, independently of feedbuilder."""
    counts: Counter[str] = Counter()
    files, _ = find_post_files(ROOT / "posts")
    for file in files.values():
        text = file.path.read_text(encoding="utf-8").lstrip()
        meta: dict[str, Any] = yaml.safe_load(text.split("---", 2)[1])
        cats = meta.get("categories") or ["Uncategorized"]
        cats = [cats] if isinstance(cats, str) else cats
        names = {str(n) for c in cats for n in (c if isinstance(c, list) else [c])}
        counts.update(names)
    return counts


def test_build_succeeds_quietly(cli_output: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    _, result = cli_output
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith("18 posts read, 0 skipped, ")


def test_every_feed_parses_without_bozo(
    cli_output: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    output, _ = cli_output
    paths = feeds(output)
    assert len(paths) == 2 * (1 + len(expected_category_counts()))
    for path in paths:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.version in ("rss20", "atom10")
        assert parsed.feed.title.startswith("Feedbuilder demo")
        for entry in parsed.entries:
            assert entry.title and entry.link.startswith("https://")
            assert entry.published_parsed is not None
            if parsed.version == "atom10":
                assert entry.updated_parsed is not None
            assert entry.id


def test_atom_feeds_match_rfc4287_schema(
    cli_output: tuple[Path, subprocess.CompletedProcess[str]], atom_schema: etree.RelaxNG
) -> None:
    output, _ = cli_output
    for path in feeds(output, "*.atom.xml"):
        doc = etree.parse(str(path))
        assert atom_schema.validate(doc), (path, atom_schema.error_log)
        ns = {"a": "http://www.w3.org/2005/Atom"}
        for entry in doc.findall("a:entry", ns):  # the schema's Schematron rules
            assert entry.find("a:author/a:name", ns) is not None
            assert len(entry.findall("a:link[@rel='alternate']", ns)) == 1


def test_category_feeds_hold_their_posts(
    cli_output: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    output, _ = cli_output
    expected = expected_category_counts()
    seen: Counter[str] = Counter()
    for path in feeds(output, "*.rss.xml"):
        if path.parent.name != "category":
            assert len(feedparser.parse(path.read_bytes()).entries) == 18
            continue
        parsed = feedparser.parse(path.read_bytes())
        name = parsed.feed.title.split(" – ", 1)[1]
        seen[name] = len(parsed.entries)
        for entry in parsed.entries:
            assert name in [t.term for t in entry.tags]
    assert seen == expected


def test_items_newest_first_with_aware_dates(
    cli_output: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    output, _ = cli_output
    for path in feeds(output):
        entries = feedparser.parse(path.read_bytes()).entries
        stamps = [datetime(*e.published_parsed[:6], tzinfo=UTC) for e in entries]
        assert stamps == sorted(stamps, reverse=True)


def seed_entries(output: Path) -> list[Any]:
    found = []
    for path in feeds(output):
        for entry in feedparser.parse(path.read_bytes()).entries:
            if entry.title == SEED_TITLE:
                found.append((path, entry))
    return found


def test_seed_post_in_every_feed_it_belongs_to(
    cli_output: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    output, _ = cli_output
    found = seed_entries(output)
    names = {p.name for p, _ in found}
    for slug in ("all", "jin-rong", "xin-lang-cai-jing", "xin-lang-cai-jing-guo-nei"):
        assert {f"{slug}.rss.xml", f"{slug}.atom.xml"} <= names
    assert len(found) == 8
    for path, entry in found:
        assert entry.published == (
            "2021-12-08T07:57:20+00:00"
            if "atom" in path.name
            else "Wed, 08 Dec 2021 07:57:20 +0000"
        )
        assert datetime(*entry.published_parsed[:6]) == datetime(2021, 12, 8, 7, 57, 20)
        assert [t.term for t in entry.tags] == SEED_CATEGORIES
        assert entry.author == "新浪财经"
        assert entry.media_thumbnail[0]["url"] == SEED_THUMB
        assert entry.media_content[0]["url"] == SEED_THUMB
        enclosures = [link for link in entry.links if link.get("rel") == "enclosure"]
        assert len(enclosures) == 1
        assert enclosures[0]["href"] == SEED_THUMB and enclosures[0]["type"] == "image/png"
        content = entry.content[0].value
        assert "《意见》的印发，是上海银保监局、上海市科委落实党中央" in content
        assert "<style" not in content and "<!--" not in content
        assert "appendQr" not in content and "新浪财经APP" not in content
        assert entry.summary.startswith("原标题")


def test_rss_specifics(cli_output: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    output, _ = cli_output
    ns = {"atom": "http://www.w3.org/2005/Atom", "dc": "http://purl.org/dc/elements/1.1/"}
    doc = etree.parse(str(output / "feeds" / "category" / "jin-rong.rss.xml"))
    channel = doc.find("channel")
    assert channel is not None
    assert channel.findtext("link") == "https://example.com/"
    self_link = channel.find("atom:link[@rel='self']", ns)
    assert self_link is not None
    assert self_link.get("href") == "https://example.com/feeds/category/jin-rong.rss.xml"
    assert channel.findtext("language") == "zh-CN"
    newest_item = channel.find("item/pubDate")
    assert newest_item is not None
    assert channel.findtext("lastBuildDate") == newest_item.text
    for item in channel.findall("item"):
        assert item.find("author") is None  # RSS <author> must be an e-mail address
        assert item.findtext("dc:creator", namespaces=ns)
        enclosures = item.findall("enclosure")
        assert len(enclosures) <= 1
        for enclosure in enclosures:
            assert enclosure.get("length") == "0" and enclosure.get("type", "").startswith("image/")


def test_non_ascii_paths_are_percent_encoded(
    cli_output: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    output, _ = cli_output
    text = (output / "feeds" / "all.rss.xml").read_text(encoding="utf-8")
    assert "https://example.com/2021/12/06/%E5%A4%AE%E8%A1%8C%E9%99%8D%E5%87%86/" in text


def test_markdown_post_and_more_marker(
    cli_output: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    output, _ = cli_output
    entries = feedparser.parse((output / "feeds" / "all.atom.xml").read_bytes()).entries
    entry = next(e for e in entries if e.title.startswith("Release notes: tinyqueue"))
    assert "<h2>What changed</h2>" in entry.content[0].value
    assert entry.summary.startswith("The tinyqueue project shipped version 2.0")
    assert "What changed" not in entry.summary


def test_thumbnail_forms(cli_output: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    output, _ = cli_output
    entries = feedparser.parse((output / "feeds" / "all.rss.xml").read_bytes()).entries
    thumbs = {e.title: e.get("media_thumbnail", [{}])[0].get("url") for e in entries}
    assert (
        thumbs["国产AI芯片厂商发布新一代推理加速卡，能效比提升约40%"]
        == "https://img.example.com/a.jpg"
    )
    assert thumbs["Open Source Foundation Launches Fund to Audit Critical Logging Libraries"] == (
        "https://example.com/images/b.png"
    )
    for title, url in thumbs.items():
        assert url is None or url.startswith(("https://", "http://")), title


def test_second_build_rewrites_nothing(tmp_path: Path) -> None:
    first = run_cli("build", "--output", str(tmp_path))
    assert first.returncode == 0, first.stderr
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    contents = {p: p.read_bytes() for p in before}
    second = run_cli("build", "--output", str(tmp_path))
    assert second.returncode == 0, second.stderr
    assert " 0 feeds written, " in second.stderr
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before
    assert {p: p.read_bytes() for p in after} == contents


def test_version_and_help() -> None:
    version = run_cli("--version")
    assert version.returncode == 0 and "feedbuilder" in version.stdout
    helptext = run_cli("build", "--help")
    assert (
        helptext.returncode == 0 and "--posts" in helptext.stdout and "--strict" in helptext.stdout
    )
    bad = run_cli("build", "--limit", "-1")
    assert bad.returncode == 2


def test_missing_posts_folder_leaves_the_feeds_alone(tmp_path: Path) -> None:
    """An unmounted volume must not empty every feed (nor delete the category feeds)."""
    built = run_cli("build", "--output", str(tmp_path))
    assert built.returncode == 0, built.stderr
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    for command in ("build", "check", "list"):
        result = run_cli(command, "--posts", str(tmp_path / "gone"), "--output", str(tmp_path))
        assert result.returncode == 2, (command, result.stderr)
        assert "posts_dir" in result.stderr and "Traceback" not in result.stderr
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_empty_posts_folder_does_not_empty_a_built_site(tmp_path: Path) -> None:
    """An empty mount point looks like a site with no posts: refuse rather than empty it."""
    out, empty = tmp_path / "out", tmp_path / "empty"
    empty.mkdir()
    assert run_cli("build", "--output", str(out)).returncode == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = run_cli("build", "--posts", str(empty), "--output", str(out))
    assert result.returncode == 2 and "refusing to empty" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    fresh = run_cli("build", "--posts", str(empty), "--output", str(tmp_path / "new"))
    assert fresh.returncode == 0, fresh.stderr  # a new site may start empty
