"""Archives (issue 14.1) on a generated corpus: cold builds with and without, the chain, and
what adding 1% new posts rewrites.

On hard links to the pristine corpus of each size (corpora.py), alternating the two so the
machine's drifting load falls on both alike: ``--repeat`` cold ``--no-cache`` builds without
archives and with ``archives = true`` (medians, and their ratio); then, with archives and the
cache, a cold build, 1% new posts dated after every post (the generator's own posts, given
later dates: a feed grows at its new end), and a rebuild whose rewritten files are checked to
be the subscription feeds, each feed's last newest page and new pages. Every feed's
JSON chain is walked from its subscription feed (every post once; ``--parse`` also parses
every RSS and Atom page with feedparser). Exits 1 if a check failed.

CLI::

    nice -n 10 python benchmarks/archives.py --sizes 10000 100000 [--repeat 3] [--parse]
    nice -n 10 python benchmarks/archives.py --sizes 100000 --repeat 1 --cold-only
    nice -n 10 python benchmarks/archives.py --sizes 100000 --repeat 1 --keep  # then validate
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from email.utils import formatdate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import corpus, default_cache_dir, link_tree
from generate_corpus import DATE_END, add_posts
from run import CONFIG, output_state

from feedbuilder.feeds.archives import page_limits

NAME = r"(?P<page>[0-9a-z][0-9a-z-]*)"  # an archive page's name: "first", "20240103-5f0c2a9d81be"
PAGE = re.compile(rf"^feeds/archive/(?P<feed>.+)/{NAME}\.(?:rss\.xml|atom\.xml|json)$")
MARKER = re.compile(rf"^feeds/archive/(?P<feed>.+)/\.newest-{NAME}$")
# the site's own records of a build: a new post changes each of them
REWRITTEN_EACH_BUILD = {
    "index.html",
    "health.json",
    ".feedbuilder-manifest.json",
    ".feedbuilder-state.json",
}
DATE_LINE = re.compile(r"^date: .*$", re.MULTILINE)


def timed_build(site: Path, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "feedbuilder", "build", *args],
        cwd=site,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, done.stderr.strip().splitlines()[-1]


def add_new_posts(posts: Path, fraction: float) -> int:
    """1% more posts, dated one minute apart after every existing post."""
    written = add_posts(posts, fraction, seed=300)
    for offset, path in enumerate(sorted(written)):
        date = formatdate(DATE_END + 60 * (offset + 1), usegmt=True)
        path.write_text(DATE_LINE.sub(f"date: {date}", path.read_text("utf-8"), count=1), "utf-8")
    return len(written)


def newest_pages(state: dict[str, int]) -> dict[str, str]:
    """Each feed's newest archive page's name, from the marker the build leaves beside it."""
    return {m["feed"]: m["page"] for path in state if (m := MARKER.match(path))}


def check_rewrites(before: dict[str, int], after: dict[str, int]) -> tuple[int, list[str]]:
    """How many files the rebuild rewrote, and those it should not have."""
    changed = {p for p in {*before, *after} if before.get(p) != after.get(p)}
    last = newest_pages(before)
    wrong = []
    for path in changed:
        if match := PAGE.match(path):
            if path in before and match["page"] != last.get(match["feed"]):
                wrong.append(path)
        elif not (path.startswith("feeds/") or path in REWRITTEN_EACH_BUILD):
            wrong.append(path)
    return len(changed), sorted(wrong)


def walk_chains(output: Path, feeds_url: str, page_size: int) -> tuple[int, list[str]]:
    """Walk every feed's JSON chain: how many pages, and what was wrong."""
    problems: list[str] = []
    pages = 0
    for subscription in sorted((output / "feeds").rglob("*.json")):
        if "archive" in subscription.relative_to(output).parts:
            continue
        document = json.loads(subscription.read_text("utf-8"))
        first = {item["id"] for item in document["items"]}
        seen: list[str] = []
        sizes: list[int] = []
        while "next_url" in document:
            document = json.loads((output / document["next_url"][len(feeds_url) :]).read_bytes())
            seen += [item["id"] for item in document["items"]]
            sizes.append(len(document["items"]))
        pages += len(sizes)
        name = str(subscription.relative_to(output))
        if len(seen) != len(set(seen)):
            problems.append(f"{name}: a post in two pages")
        least, most = page_limits(page_size)
        if sizes and (not first <= set(seen) or any(not least <= s <= most for s in sizes[1:])):
            problems.append(f"{name}: pages do not hold the feed")
    return pages, problems


def parse_pages(output: Path) -> list[str]:
    import feedparser

    bad = []
    for path in sorted((output / "feeds/archive").rglob("*.xml")):
        parsed = feedparser.parse(path)
        if parsed.bozo or not parsed.entries:
            bad.append(str(path))
    return bad


def bench(size: int, args: argparse.Namespace) -> bool:
    pristine = corpus(args.corpus_dir, size, 0)
    site = args.work_dir / f"site-archives-{size}"
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    link_tree(pristine, site / "posts")
    plain, archived = site / "plain.toml", site / "archived.toml"
    plain.write_text(CONFIG, "utf-8")
    archived.write_text(CONFIG + "archives = true\n", "utf-8")
    output = site / "output"
    times: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(args.repeat):
        for name, config in (("without", plain), ("with", archived)):
            shutil.rmtree(output, ignore_errors=True)
            seconds, summary = timed_build(site, "--config", str(config), "--no-cache")
            times[name].append(seconds)
            print(f"{size}: cold --no-cache {name} archives: {seconds:.1f} s ({summary})")
    without, with_ = (statistics.median(times[n]) for n in ("without", "with"))
    print(f"{size}: median {without:.1f} s without, {with_:.1f} s with: {with_ / without:.2f}x")
    shutil.rmtree(output, ignore_errors=True)
    if args.cold_only:
        shutil.rmtree(site, ignore_errors=True)
        return True
    seconds, _ = timed_build(site, "--config", str(archived))
    print(f"{size}: cold with archives, writing the cache: {seconds:.1f} s")
    before = output_state(output)
    added = add_new_posts(site / "posts", 0.01)
    seconds, summary = timed_build(site, "--config", str(archived))
    count, wrong = check_rewrites(before, output_state(output))
    print(f"{size}: +{added} new posts: {seconds:.1f} s, {count} files rewritten ({summary})")
    print(f"{size}: rewritten below a feed's newest page: {wrong[:5] or 'none'}")
    pages, problems = walk_chains(output, "https://example.com/", 100)
    print(f"{size}: chains walked: {pages} JSON pages; {problems[:5] or 'every post once'}")
    bad = parse_pages(output) if args.parse else []
    if args.parse:
        print(f"{size}: feedparser: {bad[:5] or 'every RSS and Atom page parses'}")
    if args.keep:
        print(f"{size}: kept {output} (for tests/w3c_validate.py)")
    else:
        shutil.rmtree(site, ignore_errors=True)
    return not wrong and not problems and not bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parse", action="store_true", help="feedparser every page")
    parser.add_argument("--cold-only", action="store_true", help="only the cold builds' ratio")
    parser.add_argument("--keep", action="store_true", help="keep the last site and its output")
    parser.add_argument("--corpus-dir", type=Path, default=default_cache_dir() / "corpora")
    parser.add_argument("--work-dir", type=Path, default=default_cache_dir() / "work")
    args = parser.parse_args(argv)
    return 0 if all([bench(size, args) for size in args.sizes]) else 1


if __name__ == "__main__":
    sys.exit(main())
