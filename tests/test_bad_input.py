"""Every broken or odd post in tests/fixtures/broken/ gets its pinned outcome, and the run goes on.

The table below is the contract; tests/fixtures/broken/CASES.md says the same in prose and
``test_cases_md_matches_table`` keeps the two in step.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tracemalloc
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from lxml import etree

import feedbuilder.collect.files as files_module
import feedbuilder.collect.frontmatter as frontmatter_module
from feedbuilder.cache import Cache
from feedbuilder.collect.files import find_post_files, read_post
from feedbuilder.config import Config
from feedbuilder.incremental import Decider
from feedbuilder.models import Problem, Severity
from feedbuilder.pipeline import build, scan_posts
from feedbuilder.pool import Workers
from feedbuilder.stages import scan as scan_stage
from feedbuilder.stages.listing import list_posts
from feedbuilder.stages.scan import Scan

from .conftest import run_feedbuilder

BROKEN = Path(__file__).parent / "fixtures" / "broken"
NOW = datetime(2022, 6, 1, tzinfo=UTC)
LENIENT = "recovered with lenient front matter"
CONTROL = "control characters"


@dataclass(frozen=True)
class Expect:
    outcome: str  # "skip", "keep" or "keep+warn"
    keyword: str = ""
    title: str | None = None

    def __str__(self) -> str:
        return f"{self.outcome}: {self.keyword}" if self.keyword else self.outcome


def skip(keyword: str) -> Expect:
    return Expect("skip", keyword)


def keep(title: str | None = None, warn: str = "") -> Expect:
    return Expect("keep+warn" if warn else "keep", warn, title)


CASES: dict[str, Expect] = {
    "01_no_front_matter.md": skip("no front matter"),
    "02_unclosed_front_matter.md": skip("never closed"),
    "03_empty_file.md": skip("empty"),
    "04_whitespace_only.md": skip("empty"),
    "05_front_matter_only.md": keep("Front matter only, no body"),
    "06_yaml_colon_in_title.md": keep("Breaking: markets: what comes next", LENIENT),
    "07_yaml_tab_indent.md": keep("Tab indented categories", LENIENT),
    "08_yaml_bad_indent.md": keep("Bad indentation in tags", LENIENT),
    "09_yaml_unclosed_flow.md": keep("Unclosed flow mapping", LENIENT),
    "10_yaml_is_list.md": skip("not a mapping"),
    "11_yaml_is_scalar.md": skip("not a mapping"),
    "12_yaml_alias_bomb.md": skip("unsafe front matter"),
    "13_yaml_python_tag.md": skip("unsafe front matter"),
    "14_title_missing.md": skip("no title"),
    "15_title_empty.md": skip("no title"),
    "16_title_whitespace.md": skip("no title"),
    "17_title_list.md": skip("title must be text"),
    "18_title_mapping.md": skip("title must be text"),
    "19_title_number.md": keep("2014"),
    "20_categories_number.md": keep("Categories is a number"),
    "21_categories_mapping.md": keep("Categories is a mapping", "categories"),
    "22_categories_too_deep.md": keep("Categories nested four deep", "categories"),
    "23_tags_number.md": keep("Tags is a number"),
    "24_tags_mapping.md": keep("Tags is a mapping", "tags"),
    "25_thumbnail_list.md": keep("Thumbnail is a list"),
    "26_thumbnail_mapping.md": keep("Thumbnail is a mapping"),
    "27_thumbnail_javascript.md": keep("Thumbnail is javascript URL", "thumbnail"),
    "28_thumbnail_data_uri.md": keep("Thumbnail is a data URI", "thumbnail"),
    "29_thumbnail_bare_word.md": keep("Thumbnail is a bare word", "thumbnail"),
    "30_thumbnail_empty_null.md": keep("空缩略图"),
    "31_date_unparseable.md": skip("date"),
    "32_date_feb_30.md": skip("date"),
    "33_date_hour_25.md": skip("date"),
    "34_date_year_0.md": skip("date"),
    "35_date_year_9999.md": skip("implausible year"),
    "36_date_far_future.md": skip("in the future"),
    "37_updated_before_date.md": keep("Updated before published", "updated"),
    "38_date_missing.md": skip("no date"),
    "39_utf8_bom.md": keep("UTF-8 带 BOM 的文章"),
    "40_utf16_bom.md": keep("UTF-16 编码的文章", "decoded as utf-16"),
    "41_gb18030.md": keep("𠮷野家推出冬季限定牛丼套餐", "decoded as gb18030"),
    "42_gbk.md": keep("北京冬奥会倒计时一个月 冰雪运动热度持续攀升", "decoded as gb18030"),
    "43_invalid_utf8_bytes.md": keep("正文含有非法UTF-8字节", "encoding"),
    "44_nul_bytes.md": keep("NUL bytes in the body", CONTROL),
    "45_binary_png.md": skip("binary"),
    "46_crlf.md": keep("CRLF line endings"),
    "47_lone_cr.md": keep("Lone CR line endings"),
    "48_xml_forbidden_chars.md": keep("Control characters in the title", CONTROL),
    "49_xml_forbidden_body_only.md": keep("Forbidden characters only in the body", CONTROL),
    "50_duplicate_id_a.md": skip("duplicate id"),
    "51_duplicate_id_b.md": keep("Duplicate id, second post", "duplicate id"),
    "52_duplicate_permalink_a.md": keep("Duplicate permalink, first post"),
    "53_duplicate_permalink_b.md": keep("Duplicate permalink, second post", "same permalink"),
    "54_scraper_quoted_title.md": keep("转发", LENIENT),
    "55_scraper_quoted_title_long.md": keep("3月22日会员早报：紧缩的信号越来越多了", LENIENT),
    "56_scraper_quoted_title_dot.md": keep("P232. 非减数组 _ AlgoCasts 视频更新", LENIENT),
    "57_scraper_at_title.md": keep("@大道无形我有型 关注了股票 AMC娱乐", LENIENT),
    "58_scraper_multiline_title.md": keep("2022年01月18日 割引終了 わたし、あなた 02", LENIENT),
    "59_title_12_00.md": keep("12_00"),
    "60_title_201.md": keep("201"),
    "61_title_1e3.md": keep("1e3"),
    "62_title_yes.md": keep("yes"),
    "63_title_null.md": keep("null"),
    "64_author_octal.md": keep("Author looks like octal"),
    "65_category_path_traversal.md": keep("Path traversal in categories", "categories"),
    "66_category_reserved_names.md": keep("Reserved and punctuation-only categories"),
    "67_xss_script_body.md": keep("Post with a script tag"),
    "68_xss_onerror_img.md": keep("Post with an onerror image"),
    "69_good_football.md": keep("国足世预赛名单公布 多名归化球员入选"),
    "70_good_space.md": keep("Space telescope completes final mirror deployment"),
    "71_good_education.md": keep("多地中小学寒假作业减量 鼓励开展体育锻炼"),
    "72_good_health.md": keep("Study links regular walking to better sleep in older adults"),
    "73_good_ev.md": keep("新能源汽车12月销量创新高 全年渗透率接近15%"),
    "74_good_travel.md": keep("Ski resorts report record early-season bookings"),
    "75_good_books.md": keep("Debut novel about a lighthouse keeper wins regional prize"),
    "76_good_games.md": keep("主机新作首周销量突破百万套"),
}


def make_config(posts: Path, output: Path, **changes: object) -> Config:
    config = Config(
        posts_dir=posts,
        output_dir=output,
        site_url="https://example.com/",
        timezone="Asia/Shanghai",
        items_per_feed=500,
        dedupe=False,  # the cases share bodies on purpose: each kept one must be in the feeds
    )
    return config.replace(**changes)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, Scan]:
    root = tmp_path_factory.mktemp("broken")
    shutil.copytree(BROKEN, root / "posts", ignore=shutil.ignore_patterns("*.txt", "CASES.md"))
    config = make_config(root / "posts", root / "output")
    build(config, now=NOW)
    return config, scan_posts(config, now=NOW)


def problems_for(result: Scan, name: str) -> list[Problem]:
    return [p for p in result.problems if p.path == name]


def test_cases_md_matches_table() -> None:
    rows = re.findall(
        r"^\| `([^`]+)` \| [^|]*\| ([^|]+) \|", (BROKEN / "CASES.md").read_text(), re.M
    )
    assert {name: expected.strip() for name, expected in rows} == {
        name: str(expect) for name, expect in CASES.items()
    }
    on_disk = {p.name for p in BROKEN.iterdir() if p.name != "CASES.md"}
    assert on_disk == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_case(corpus: tuple[Config, Scan], name: str) -> None:
    _, result = corpus
    expect = CASES[name]
    metas = {m.rel_path: m for m in result.metas(result.refs)}
    problems = problems_for(result, name)
    reasons = [p.reason.lower() for p in problems]
    if expect.outcome == "skip":
        assert name not in metas
        errors = [p.reason.lower() for p in problems if p.severity is Severity.ERROR]
        assert any(expect.keyword.lower() in r for r in errors), problems
        return
    assert name in metas, problems
    assert metas[name].title == expect.title
    assert all(p.severity is Severity.WARNING for p in problems)
    if expect.outcome == "keep":
        assert problems == []
    else:
        assert any(expect.keyword.lower() in r for r in reasons), problems


def test_every_kept_post_is_in_the_all_feed(corpus: tuple[Config, Scan]) -> None:
    config, result = corpus
    parsed = feedparser.parse((config.output_dir / "feeds/all.atom.xml").read_bytes())
    assert not parsed.bozo
    assert sorted(e.title for e in parsed.entries) == sorted(
        m.title for m in result.metas(result.refs)
    )
    assert len(result.refs) == sum(1 for e in CASES.values() if e.outcome != "skip")


def test_every_feed_is_well_formed_and_clean(corpus: tuple[Config, Scan]) -> None:
    config, _ = corpus
    feeds = sorted((config.output_dir / "feeds").rglob("*.xml"))
    assert len(feeds) > 20
    for path in feeds:
        assert path.resolve().is_relative_to(config.output_dir.resolve())
        stem = path.name.split(".")[0].lower()
        assert stem not in {"con", "nul", "aux", "prn", ""}
        data = path.read_bytes()
        etree.fromstring(data)  # raises on anything not well-formed XML 1.0
        text = data.decode()
        for forbidden in ("\x01", "\x0b", "\x1f", "\ufffe", "\uffff", "\x00"):
            assert forbidden not in text
        assert "<script" not in text.lower()
        assert "javascript:" not in text.lower()
        assert not re.search(r"\son\w+\s*=", text.replace("&lt;", "<"))


def test_field_details(corpus: tuple[Config, Scan]) -> None:
    _, result = corpus
    metas = {m.rel_path: m for m in result.metas(result.refs)}
    assert metas["06_yaml_colon_in_title.md"].categories == (("金融", "评论"),)
    assert metas["54_scraper_quoted_title.md"].categories == (("社交媒体", "755 - 用户时间线"),)
    assert metas["20_categories_number.md"].categories == (("2022",),)
    assert metas["23_tags_number.md"].tags == ("42",)
    assert metas["64_author_octal.md"].author == "0123"
    bad_chars = metas["48_xml_forbidden_chars.md"]
    assert bad_chars.author == "Ann Smith"
    assert bad_chars.categories == (("BadChars", "Test"),)
    assert bad_chars.thumbnail is not None
    assert bad_chars.thumbnail.url == "https://img.example.com/ctrl.png"
    thumbs = {name: metas[name].thumbnail for name in metas if "thumbnail" in name}
    assert thumbs["25_thumbnail_list.md"].url == "https://img.example.com/list-first.jpg"  # type: ignore[union-attr]
    assert thumbs["26_thumbnail_mapping.md"].url == "https://img.example.com/mapping.jpg"  # type: ignore[union-attr]
    for name in ("27_thumbnail_javascript.md", "28_thumbnail_data_uri.md"):
        assert thumbs[name] is None
    assert thumbs["29_thumbnail_bare_word.md"] is None
    assert thumbs["30_thumbnail_empty_null.md"] is None
    assert metas["68_xss_onerror_img.md"].thumbnail.url == "https://img.example.com/ok.jpg"  # type: ignore[union-attr]
    assert {p for p in metas["65_category_path_traversal.md"].categories} == {
        ("../../etc", "passwd"),
        ("a/b\\c",),
    }
    a, b = metas["52_duplicate_permalink_a.md"], metas["53_duplicate_permalink_b.md"]
    assert a.link == b.link and a.id != b.id


def test_python_tag_never_runs(tmp_path: Path) -> None:
    marker = Path("/tmp/feedbuilder_pwned")
    marker.unlink(missing_ok=True)
    shutil.copy(BROKEN / "13_yaml_python_tag.md", tmp_path / "post.md")
    result = scan_posts(make_config(tmp_path, tmp_path / "out"), now=NOW)
    assert result.refs == []
    assert not marker.exists()


def _read(path: Path, config: Config) -> tuple[object, list[Problem]]:
    files, _ = find_post_files(path.parent)
    (file,) = [f for f in files.values() if f.path == path]
    return read_post(file, config.max_file_bytes, config.max_front_matter_bytes)


def test_alias_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    shutil.copy(BROKEN / "12_yaml_alias_bomb.md", tmp_path / "bomb.md")
    tracemalloc.start()
    try:
        post, problems = _read(tmp_path / "bomb.md", make_config(tmp_path, tmp_path / "out"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert post is None
    assert "unsafe front matter" in problems[-1].reason
    assert peak < 5_000_000  # 9**9 expanded leaves would need gigabytes


@pytest.mark.parametrize(
    "front_matter",
    [
        "title: " + "x" * 2_000_000 + "\ndate: 2022-01-01\n",
        "title: Many tags\ndate: 2022-01-01\ntags:\n"
        + "".join(f"- t{i}\n" for i in range(200_000)),
    ],
    ids=["2MB title", "200k tags"],
)
def test_huge_front_matter_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, front_matter: str
) -> None:
    def never(*args: object) -> None:
        raise AssertionError("front matter parsed despite its size")

    monkeypatch.setattr(frontmatter_module, "load_yaml", never)
    monkeypatch.setattr(frontmatter_module, "lenient_load", never)
    path = tmp_path / "huge.md"
    path.write_text(f"---\n{front_matter}---\nbody\n", encoding="utf-8")
    assert path.stat().st_size > 1_000_000
    post, problems = _read(path, make_config(tmp_path, tmp_path / "out"))
    assert post is None
    assert "front matter larger than" in problems[-1].reason


def test_many_values_are_refused_even_under_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "tags.md"
    tags = "".join(f"- {i}\n" for i in range(20_000))
    path.write_text(f"---\ntitle: t\ndate: 2022-01-01\ntags:\n{tags}---\nbody\n")
    config = make_config(tmp_path, tmp_path / "out", max_front_matter_bytes=1_000_000)
    post, problems = _read(path, config)
    assert post is None
    assert "unsafe front matter" in problems[-1].reason


# Cases that cannot live in a fixtures folder: made at run time next to one good post.


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    folder = tmp_path / "posts"
    folder.mkdir()
    shutil.copy(BROKEN / "70_good_space.md", folder / "good.md")
    return folder


def run_scan(posts: Path, **changes: object) -> Scan:
    result = scan_posts(make_config(posts, posts.parent / "out", **changes), now=NOW)
    assert [m.rel_path for m in result.refs] == ["good.md"]
    return result


def only_problem(result: Scan, name: str) -> Problem:
    (problem,) = problems_for(result, name)
    return problem


def test_unreadable_file(posts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = posts / "secret.md"
    shutil.copy(BROKEN / "69_good_football.md", target)
    if os.geteuid() == 0:  # root reads anything: make the open fail as chmod 000 would
        real_open = os.open

        def guarded_open(path: str, *args: int, **kwargs: object) -> int:
            if Path(path) == target:
                raise PermissionError(13, "Permission denied", path)
            return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(files_module.os, "open", guarded_open)
    else:
        target.chmod(0)
    result = run_scan(posts)
    problem = only_problem(result, "secret.md")
    assert problem.severity is Severity.ERROR
    assert "permission denied" in problem.reason.lower()
    assert result.posts_skipped == 1


def test_fifo_with_a_post_extension_is_never_opened(posts: Path) -> None:
    os.mkfifo(posts / "pipe.md")  # opening it for reading would block for ever
    result = run_scan(posts)
    assert "not a regular file" in only_problem(result, "pipe.md").reason
    assert result.posts_skipped == 1


def test_file_vanishing_between_listing_and_reading(posts: Path) -> None:
    shutil.copy(BROKEN / "69_good_football.md", posts / "gone.md")
    config = make_config(posts, posts.parent / "out")
    listing = list_posts(config.posts_dir, config.follow_symlinks, config.hexo)
    (posts / "gone.md").unlink()  # between the stages
    result = scan_stage.scan(listing, config, Decider(NOW), Cache.in_memory(), Workers(count=1))
    assert [m.rel_path for m in result.refs] == ["good.md"]
    assert "vanished" in only_problem(result, "gone.md").reason


@pytest.mark.parametrize("follow", [False, True])
def test_symlink_loop(posts: Path, follow: bool) -> None:
    (posts / "loop").symlink_to(posts, target_is_directory=True)
    (posts / "a.md").symlink_to(posts / "b.md")
    (posts / "b.md").symlink_to(posts / "a.md")
    result = run_scan(posts, follow_symlinks=follow)
    reasons = " ".join(p.reason for p in result.problems)
    assert ("symlink loop" in reasons) if follow else ("not followed" in reasons)


@pytest.mark.parametrize("follow", [False, True])
def test_symlink_outside_the_posts_folder(posts: Path, follow: bool) -> None:
    outside = posts.parent / "outside.md"
    shutil.copy(BROKEN / "69_good_football.md", outside)
    (posts / "escape.md").symlink_to(outside)
    result = run_scan(posts, follow_symlinks=follow)
    reason = only_problem(result, "escape.md").reason
    assert ("outside the posts folder" in reason) if follow else ("not followed" in reason)


def test_file_over_the_size_limit(posts: Path) -> None:
    shutil.copy(BROKEN / "69_good_football.md", posts / "big.md")
    with (posts / "big.md").open("a") as handle:
        handle.write("<p>padding</p>\n" * 1000)
    result = run_scan(posts, max_file_bytes=8000)
    assert "over the 8000-byte limit" in only_problem(result, "big.md").reason


# Through the command line, as cron runs it.

PROBLEM_LINE = re.compile(r"^posts/[^:]+(?::\d+)?: \S.*$")


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    options = ("--posts", "posts", "--output", "out", "--site-url", "https://example.com/")
    return run_feedbuilder(cwd, *args, *options, "--limit", "500")


@pytest.fixture
def broken_copy(tmp_path: Path) -> Path:
    shutil.copytree(BROKEN, tmp_path / "posts", ignore=shutil.ignore_patterns("CASES.md"))
    (tmp_path / "feedbuilder.toml").write_text("dedupe = false\n")  # see make_config
    return tmp_path


def check_stderr(stderr: str) -> list[str]:
    assert "Traceback" not in stderr
    *lines, summary = stderr.strip().splitlines()
    assert "posts read" in summary
    for line in lines:
        assert PROBLEM_LINE.match(line), line
    return lines


def test_cli_build_reports_each_problem_on_one_line(broken_copy: Path) -> None:
    run = cli(broken_copy, "build")
    assert run.returncode == 0, run.stderr
    lines = check_stderr(run.stderr)
    skipped = {name for name, e in CASES.items() if e.outcome == "skip"}
    for name in skipped | {n for n, e in CASES.items() if e.outcome == "keep+warn"}:
        assert any(line.startswith(f"posts/{name}") for line in lines), name
    assert any(line.startswith("posts/48_xml_forbidden_chars.md:2: ") for line in lines)
    feeds = list((broken_copy / "out" / "feeds").rglob("*.xml"))
    assert len(feeds) > 20
    titles = [e.title for e in feedparser.parse(broken_copy / "out/feeds/all.rss.xml").entries]
    assert len(titles) == len(CASES) - len(skipped)


def test_cli_strict_exits_1_when_anything_was_skipped(broken_copy: Path, tmp_path: Path) -> None:
    run = cli(broken_copy, "build", "--strict")
    assert run.returncode == 1
    check_stderr(run.stderr)
    assert (broken_copy / "out" / "feeds" / "all.atom.xml").is_file()  # still written
    good = tmp_path / "good"
    (good / "posts").mkdir(parents=True)
    for name in ("69_good_football.md", "70_good_space.md"):
        shutil.copy(BROKEN / name, good / "posts" / name)
    assert cli(good, "build", "--strict").returncode == 0


def test_cli_check_writes_nothing_and_exits_1(broken_copy: Path) -> None:
    run = cli(broken_copy, "check")
    assert run.returncode == 1
    lines = check_stderr(run.stderr)
    assert len(lines) >= sum(1 for e in CASES.values() if e.outcome != "keep")
    assert not (broken_copy / "out").exists()
