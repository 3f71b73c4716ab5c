"""Hexo 8 as the oracle: build a Hexo site with Hexo and hexo-generator-feed, build it with
``feedbuilder build`` run in its root (no flags, no feedbuilder config), and compare the two
all-posts Atom feeds post by post.

    python tests/hexo_oracle.py [SITE ...]     # figures for the named sites (default: all)

prints, per site, how many of Hexo's posts feedbuilder gives the same link, published
instant, categories and tags, code blocks (line for line) and prose (closeness) as Hexo.
Hexo comes from FEEDBUILDER_HEXO_MODULES, .hexo-oracle/node_modules (``.ci/run`` installs it
there).
"""

from __future__ import annotations

import json
import operator
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from lxml import etree, html

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
DAICHANGYA = CORPORA / "daichangya+hexo-blog"
ATOM = "{http://www.w3.org/2005/Atom}"
NEEDED = ("hexo", "hexo-cli", "hexo-generator-feed", "hexo-renderer-marked")
FEED_SECTION = "feed:\n  type: atom\n  limit: 0\n  content: true\n"
_TOP_LEVEL_FEED = re.compile(r"^feed:.*\n(?:[ \t]+.*\n|[ \t]*\n)*", re.MULTILINE)
_SPACES = re.compile(r"\s+")


def hexo_modules() -> Path | None:
    """A node_modules folder with Hexo 8 and the plugins the oracle needs, when node runs."""
    if shutil.which("node") is None:
        return None
    candidates = [
        os.environ.get("FEEDBUILDER_HEXO_MODULES", ""),
        str(ROOT / ".hexo-oracle" / "node_modules"),
    ]
    for candidate in filter(None, candidates):
        path = Path(candidate)
        if all((path / name / "package.json").is_file() for name in NEEDED):
            return path
    return None


# --- sites ------------------------------------------------------------------------------


def prepare_site(site: Path, modules: Path) -> None:
    """Give ``site`` hexo-generator-feed's all-posts feed and the oracle's Hexo."""
    config = site / "_config.yml"
    text = _TOP_LEVEL_FEED.sub("", config.read_text(encoding="utf-8"))
    config.write_text(text.rstrip("\n") + "\n\n" + FEED_SECTION, encoding="utf-8")
    dependencies = {name: "*" for name in ("hexo", "hexo-generator-feed", "hexo-renderer-marked")}
    version = json.loads((modules / "hexo" / "package.json").read_text())["version"]
    package = {  # hexo-cli runs Hexo only in a folder whose package.json names it
        "name": "oracle-site",
        "private": True,
        "hexo": {"version": version},
        "dependencies": dependencies,
    }
    (site / "package.json").write_text(json.dumps(package), encoding="utf-8")
    (site / "node_modules").symlink_to(modules)
    # Hexo's feed shows every post, reposts too: compare like with like (issue 14.3).
    (site / "feedbuilder.toml").write_text("dedupe = false\n", encoding="utf-8")


def copy_daichangya(site: Path) -> None:
    shutil.copytree(DAICHANGYA, site)


def copy_daichangya_in_topics(site: Path) -> None:
    """daichangya with every post moved into a folder named by its first category (or
    "misc"), front-matter permalinks removed: links come from :title, with subfolders."""
    shutil.copytree(DAICHANGYA, site)
    posts = site / "source" / "_posts"
    for path in sorted(posts.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        head, sep, body = text.partition("\n---\n")
        head = re.sub(r"^permalink:.*\n", "", head + "\n", flags=re.MULTILINE).rstrip("\n")
        match = re.search(r"^categories:\s*\n\s*-\s*(.+)$|^categories:\s*(\S.*)$", head, re.M)
        topic = (match.group(1) or match.group(2)).strip(" '\"[]") if match else "misc"
        topic = topic.split(",")[0].strip(" '\"") or "misc"
        folder = posts / topic.replace("/", "-")
        folder.mkdir(exist_ok=True)
        (folder / path.name).write_text(head + sep + body, encoding="utf-8")
        path.unlink()


def site_from_posts(site: Path, topics: bool = False) -> None:
    """A Hexo site holding the repo's posts/ (``.txt`` posts renamed ``.md``, as Hexo reads
    no ``.txt``), in topic subfolders when asked."""
    posts = site / "source" / "_posts"
    posts.mkdir(parents=True)
    (site / "_config.yml").write_text(
        "title: Feedbuilder demo\nurl: https://example.com/news\ntimezone: Asia/Shanghai\n"
        "language: zh-CN\n",
        encoding="utf-8",
    )
    topic_names = ("市场", "tech/chips", "life")
    for index, path in enumerate(sorted(p for p in (ROOT / "posts").rglob("*") if p.is_file())):
        rel = path.relative_to(ROOT / "posts")
        if path.suffix == ".txt":
            rel = rel.with_suffix(".md")
        if topics:
            rel = Path(topic_names[index % len(topic_names)]) / rel
        target = posts / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())  # a new file: its birth and mtime agree


SITES: dict[str, Callable[[Path], None]] = {
    "daichangya": copy_daichangya,
    "daichangya-topics": copy_daichangya_in_topics,
    "posts": site_from_posts,
    "posts-topics": lambda site: site_from_posts(site, topics=True),
}


# --- the two builds ---------------------------------------------------------------------


def run_hexo(site: Path, env: dict[str, str] | None = None) -> Path:
    """``hexo generate`` in ``site``; returns its Atom feed."""
    cli = site / "node_modules" / "hexo-cli" / "bin" / "hexo"
    result = subprocess.run(
        ["node", str(cli), "generate"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **(env or {})},
    )
    feed = site / "public" / "atom.xml"
    if result.returncode != 0 or not feed.is_file():
        raise RuntimeError(f"hexo generate failed:\n{result.stdout}\n{result.stderr}")
    return feed


def run_feedbuilder(site: Path, env: dict[str, str] | None = None) -> Path:
    """``feedbuilder build`` in ``site`` with no flags; returns its all-posts Atom feed."""
    result = subprocess.run(
        [sys.executable, "-m", "feedbuilder", "build", "--quiet"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **(env or {})},
    )
    if result.returncode != 0:
        raise RuntimeError(f"feedbuilder build failed:\n{result.stderr}")
    return site / "public" / "feedbuilder" / "feeds" / "all.atom.xml"


# --- comparing --------------------------------------------------------------------------


@dataclass
class Entry:
    link: str
    title: str
    published: datetime
    terms: set[str]
    code: list[list[str]]  # each code block's lines
    prose: str


def _label(text: str) -> str:
    return unicodedata.normalize("NFC", _SPACES.sub(" ", text).strip())


def _code_blocks(root: html.HtmlElement) -> list[list[str]]:
    """Each code block's lines: Hexo's highlight tables give one ``span.line`` a line."""
    blocks = []
    for pre in root.iter("pre"):
        if pre.getparent() is not None and "gutter" in (pre.getparent().get("class") or ""):
            continue  # line numbers
        lines = pre.find_class("line")
        if lines:
            blocks.append([line.text_content() for line in lines])
        else:
            text = pre.text_content()
            blocks.append(text[:-1].split("\n") if text.endswith("\n") else text.split("\n"))
    return blocks


_CONTROL = str.maketrans("", "", "".join(map(chr, range(32))) + "\x7f")


def same_code(hexo: list[list[str]], ours: list[list[str]]) -> bool:
    """Whether every code block of a post is the same in Hexo's feed and ours, line by line.

    hexo-generator-feed's template drops every control character from the content
    (``noControlChars``): the site shows tabs and the newlines of unhighlighted code, its
    feed does not. So lines compare without them, and a Hexo block left as one line by
    that filter compares with our block's lines joined.
    """
    if len(hexo) != len(ours):
        return False
    for theirs, mine in zip(hexo, ours, strict=True):
        mine = [line.translate(_CONTROL) for line in mine]
        theirs = [line.translate(_CONTROL) for line in theirs]
        if theirs != mine and not (len(theirs) == 1 and theirs[0] == "".join(mine)):
            return False
    return True


def _prose(root: html.HtmlElement) -> str:
    for element in list(root.iter("pre", "figure")):
        if element.getparent() is not None:
            element.drop_tree()
    return _label(root.text_content())


def read_feed(path: Path) -> list[Entry]:
    entries = []
    for entry in etree.parse(str(path)).getroot().iter(f"{ATOM}entry"):
        link = entry.find(f"{ATOM}link")
        content = entry.findtext(f"{ATOM}content") or ""
        root = html.fragment_fromstring(content or "<p></p>", create_parent="div")
        entries.append(
            Entry(
                link=link.get("href", "") if link is not None else "",
                title=_label(entry.findtext(f"{ATOM}title") or ""),
                published=datetime.fromisoformat(entry.findtext(f"{ATOM}published") or ""),
                terms={_label(c.get("term", "")) for c in entry.iter(f"{ATOM}category")},
                code=_code_blocks(root),
                prose=_prose(root),
            )
        )
    return entries


def closeness(a: str, b: str) -> float:
    """Dice similarity of character bigrams: 1.0 for the same text, fast on long posts."""
    grams_a = Counter(map(operator.add, a, a[1:]))  # map and Counter count in C
    grams_b = Counter(map(operator.add, b, b[1:]))
    total = sum(grams_a.values()) + sum(grams_b.values())
    return 1.0 if total == 0 else 2 * sum((grams_a & grams_b).values()) / total


PROSE_CLOSE = 0.9
# Posts without a date are dated by their file's time: Hexo reads its birth time, which
# Python cannot read on Linux, so feedbuilder reads the modification time; the oracle's
# files are written in one go, so the two differ by at most a few milliseconds.
# A post without a date is dated by its file: Hexo takes the birth time, feedbuilder the
# mtime; copying the site sets both, apart by however long the copy took on a busy machine.
FILE_TIME_SLACK = timedelta(seconds=2)


@dataclass
class Figures:
    """Per-field match counts over Hexo's posts, with examples of what differs."""

    site: str
    hexo_posts: int = 0
    found: int = 0  # Hexo posts feedbuilder has (by link, else by title and date)
    link: int = 0
    published: int = 0
    terms: int = 0
    with_code: int = 0
    code: int = 0
    prose: int = 0
    prose_mean: float = 0.0
    file_times: int = 0  # published matches within FILE_TIME_SLACK
    differences: dict[str, list[str]] = field(default_factory=dict)

    def rate(self, name: str) -> float:
        total = self.with_code if name == "code" else self.hexo_posts
        return 1.0 if total == 0 else getattr(self, name) / total

    def note(self, name: str, text: str) -> None:
        examples = self.differences.setdefault(name, [])
        if len(examples) < 5:
            examples.append(text)

    def lines(self) -> Iterator[str]:
        yield f"{self.site}: {self.hexo_posts} posts in Hexo's feed, {self.found} found"
        for name in ("link", "published", "terms", "prose"):
            count = getattr(self, name)
            yield f"  {name:<9} {count:>5} / {self.hexo_posts}  {self.rate(name):7.2%}"
        yield f"  {'code':<9} {self.code:>5} / {self.with_code}  {self.rate('code'):7.2%}"
        if self.file_times:
            slack = FILE_TIME_SLACK.total_seconds()
            yield f"  ({self.file_times} published dates are file times, within {slack:g} s)"
        yield f"  prose closeness, mean: {self.prose_mean:.3f} (a post counts at >= {PROSE_CLOSE})"
        for name, examples in self.differences.items():
            for example in examples:
                yield f"  differs ({name}): {example}"


def compare(site: str, hexo: list[Entry], ours: list[Entry]) -> Figures:
    figures = Figures(site, hexo_posts=len(hexo))
    by_link = {entry.link: entry for entry in ours}
    by_title = {(entry.title, entry.published): entry for entry in ours}
    closeness_sum = 0.0
    for theirs in hexo:
        mine = by_link.get(theirs.link) or by_title.get((theirs.title, theirs.published))
        if mine is None:
            figures.note("found", f"{theirs.title!r} {theirs.link}")
            continue
        figures.found += 1
        if mine.link == theirs.link:
            figures.link += 1
        else:
            figures.note("link", f"{theirs.link} != {mine.link}")
        if mine.published == theirs.published:
            figures.published += 1
        elif abs(mine.published - theirs.published) <= FILE_TIME_SLACK:
            figures.published += 1  # dated by file time: Hexo's birth time, our mtime
            figures.file_times += 1
        else:
            figures.note("published", f"{theirs.title!r}: {theirs.published} != {mine.published}")
        if theirs.terms <= mine.terms:
            figures.terms += 1
        else:
            figures.note("terms", f"{theirs.title!r}: missing {sorted(theirs.terms - mine.terms)}")
        if theirs.code:
            figures.with_code += 1
            if same_code(theirs.code, mine.code):
                figures.code += 1
            else:
                figures.note("code", theirs.link)
        score = closeness(theirs.prose, mine.prose)
        closeness_sum += score
        if score >= PROSE_CLOSE:
            figures.prose += 1
        else:
            figures.note("prose", f"{theirs.link} ({score:.2f})")
    figures.prose_mean = closeness_sum / max(1, figures.found)
    return figures


def build_both(site: Path, env: dict[str, str] | None = None) -> Figures:
    """Hexo and feedbuilder side by side (neither reads what the other writes), compared."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        hexo_feed = pool.submit(run_hexo, site, env)
        ours = run_feedbuilder(site, env)
        return compare(site.name, read_feed(hexo_feed.result()), read_feed(ours))


def oracle(name: str, workdir: Path, modules: Path) -> Figures:
    """Build site ``name`` in ``workdir`` with Hexo and with feedbuilder, and compare."""
    site = workdir / name
    SITES[name](site)
    prepare_site(site, modules)
    return build_both(site)


def run_node(script: str, data: object, modules: Path) -> object:
    """Run a Node script that reads JSON on stdin and prints JSON, with ``modules`` on its
    require path (``M``: the node_modules folder)."""
    result = subprocess.run(
        ["node", "-e", f"const M = {json.dumps(str(modules))};\n{script}"],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(result.stdout)


def main(names: list[str]) -> int:
    import tempfile

    modules = hexo_modules()
    if modules is None:
        print("node and Hexo 8 (with hexo-generator-feed, hexo-renderer-marked) are needed")
        return 2
    with tempfile.TemporaryDirectory(prefix="hexo-oracle-") as tmp:
        for name in names or list(SITES):
            for line in oracle(name, Path(tmp), modules).lines():
                print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
