"""feedbuilder against Hexo 8 itself (skipped where node or Hexo is absent).

Whole sites (``python tests/hexo_oracle.py`` prints the same figures): daichangya+hexo-blog
as it is and with its posts in topic subfolders, and Hexo sites made from posts/, built by
Hexo 8 + hexo-generator-feed and by ``feedbuilder build`` in the site's root; then the
pieces: every permalink token, Hexo's URL encoding, slugs and _config.yml scalars.
"""

from __future__ import annotations

import random
import string
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from feedbuilder.hexo.site import load_yaml
from feedbuilder.hexo.slugs import escape_diacritic, slugize
from feedbuilder.hexo.urls import full_url_for

from .hexo_oracle import (
    DAICHANGYA,
    SITES,
    Figures,
    build_both,
    hexo_modules,
    oracle,
    prepare_site,
    run_node,
)

MODULES = hexo_modules()
pytestmark = pytest.mark.skipif(MODULES is None, reason="node with Hexo 8 is not installed")

MATCH = 0.99  # links, published instants, categories and tags (issue 9)
# Code blocks (line for line) and prose (closeness >= 0.9), by site: today's figures less a
# little. daichangya: 475 of 484 posts with code and 726 of 736 of prose match. posts/: of its
# two posts with code, the seed's scraper junk is removed on purpose; 17 of 18 proses match.
FLOORS = {"daichangya": (0.97, 0.97), "posts": (0.5, 0.94)}


@pytest.fixture(scope="module", params=list(SITES))
def figures(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Figures:
    if request.param.startswith("daichangya") and not DAICHANGYA.is_dir():
        pytest.skip("../shared/corpora is absent")
    assert MODULES is not None
    return oracle(request.param, tmp_path_factory.mktemp("hexo-oracle"), MODULES)


@pytest.mark.slow
def test_feedbuilder_gives_what_hexo_gives(figures: Figures) -> None:
    report = "\n".join(figures.lines())
    print(report)
    assert figures.hexo_posts > 0 and figures.found == figures.hexo_posts, report
    assert figures.with_code > 0, report  # Hexo rendered (and highlighted) code blocks
    for name in ("link", "published", "terms"):
        assert figures.rate(name) >= MATCH, report
    code_floor, prose_floor = FLOORS[figures.site.split("-")[0]]
    assert figures.rate("code") >= code_floor, report
    assert figures.rate("prose") >= prose_floor, report


# --- every token, dates near DST, the machine's zone ---------------------------------------

TOKENS = (
    "t/:year/:month/:day/:hour/:minute/:second/:i_month/:i_day/:title/:name/:post_title/"
    ":category/:id/:hash/:timestamp/:lang/"
)
TOKEN_POSTS = {
    "plain.md": "title: Plain\nid: 1\ndate: 2025-03-09 04:00:00\ncategories: [A, B]",
    "sub/dir/Ünï code.md": "title: 'Ünï: code, & more!'\nid: 2\ndate: 2025-11-02 01:30:00",
    "中文/标题 一.md": "title: 标题 一\nid: 3\ndate: 2025-06-13 23:59:59\n"
    "categories: [[X], [Y, Z]]\nlang: fr",
    "offset.md": "title: Offset\nid: 4\ndate: 2025-06-13T23:30:00+05:30\ncategory: C c",
    "quoted.md": "title: Quoted\nid: 5\ndate: '2025-01-31 10:00:00'\ntags: [a, b]",
    "fixed.md": "title: Fixed\nid: 6\ndate: 2025-01-01 00:00:00\npermalink: keep/this",
    "edge.md": "title: Edge\nid: 7\ndate: 2025-12-31 23:59:59.999\ntag: [solo]",
}


@pytest.mark.slow
@pytest.mark.parametrize("machine", ["UTC", "Asia/Tokyo"])
def test_every_token_as_hexo_makes_it(tmp_path: Path, machine: str) -> None:
    assert MODULES is not None
    site = tmp_path / "site"
    for rel_path, front_matter in TOKEN_POSTS.items():
        path = site / "source" / "_posts" / rel_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\n{front_matter}\n---\nBody.\n", encoding="utf-8")
    (site / "_config.yml").write_text(
        f"title: Tokens\nurl: https://example.com/blog\ntimezone: America/New_York\n"
        f"permalink: {TOKENS}\npermalink_defaults:\n  lang: en\ndefault_category: misc\n"
        "pretty_urls:\n  trailing_index: false\n",
        encoding="utf-8",
    )
    prepare_site(site, MODULES)
    figures = build_both(site, {"TZ": machine})
    report = "\n".join(figures.lines())
    assert figures.found == figures.hexo_posts == len(TOKEN_POSTS), report
    assert figures.link == figures.published == figures.terms == len(TOKEN_POSTS), report


# --- the pieces --------------------------------------------------------------------------

URL_SCRIPT = """
const full = require(M + '/hexo-util/dist/full_url_for.js');
const feed = require(M + '/hexo-generator-feed/node_modules/hexo-util/lib/encode_url.js');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify(input.map(([url, path, ti, th]) => {
  try {
    const config = {url, pretty_urls: {trailing_index: ti, trailing_html: th}};
    return feed(full.call({config}, path));
  } catch (e) { return null; }
})));
"""
PIECES = [*"abcXYZ019-_.~!$&'()*+,;=:@/ ", "%41", "%2F", "%e4%b8%ad", "?", "#", "\\", "..", "."]
PIECES += ["中", "é", "\t", "[", "]", "|", "^", "`", "{", "}", '"', "<", ">", "index.html"]
PIECES += [".html", "?a=b&c", "+", "%3F", "%25"]


def test_links_are_encoded_as_hexo_encodes_them() -> None:
    rng = random.Random(9)
    cases = [
        [
            rng.choice(["https://example.com/blog", "http://Ex.com:80", "https://例子.com"]),
            "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 12))),
            rng.random() < 0.5,
            rng.random() < 0.5,
        ]
        for _ in range(3000)
    ]
    assert MODULES is not None
    expected = run_node(URL_SCRIPT, cases, MODULES)
    assert isinstance(expected, list)
    compared = 0
    for (url, path, index, html), theirs in zip(cases, expected, strict=True):
        if theirs is None:  # Hexo throws on a malformed %-escape; feedbuilder keeps the %
            continue
        compared += 1
        mine = full_url_for(url, path, index, html)
        theirs_ascii = theirs.replace("例子.com", "xn--fsqu00a.com")  # we write hosts as URIs
        assert mine == theirs_ascii, (url, path, index, html)
    assert compared > 2000


SLUG_SCRIPT = """
const slugize = require(M + '/hexo-util/dist/slugize.js');
const escape = require(M + '/hexo-util/dist/escape_diacritic.js');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify({
  letters: input.letters.map(c => escape(c)),
  slugs: input.texts.map(t => [slugize(t), slugize(t, {transform: 1})]),
}));
"""
LATIN = [
    *range(0x80, 0x180),
    *range(0x1E00, 0x1F00),
    *range(0x24B6, 0x24EA),
    *range(0xFF21, 0xFF5B),
]


def test_slugs_are_hexos() -> None:
    rng = random.Random(3)
    alphabet = string.printable + "ÀÉÎõüßøłŁĳ你好，。！①\u3000\u00a0\ufeff—–"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(500)]
    letters = [chr(code) for code in LATIN]
    assert MODULES is not None
    result = run_node(SLUG_SCRIPT, {"letters": letters, "texts": texts}, MODULES)
    assert isinstance(result, dict)
    assert [escape_diacritic(c) for c in letters] == result["letters"]
    assert [[slugize(t), slugize(t, 1)] for t in texts] == result["slugs"]


YAML_SCRIPT = """
const yaml = require(M + '/js-yaml');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify(input.map(text => {
  const value = yaml.load('v: ' + text).v;
  return value instanceof Date ? {date: value.toISOString()} : value;
})));
"""
SCALARS = [
    "yes",
    "no",
    "on",
    "off",
    "true",
    "True",
    "FALSE",
    "~",
    "null",
    "Null",
    "",
    "012",
    "0o12",
    "0x1F",
    "0b101",
    "1_000",
    "+5",
    "-0",
    "1e3",
    "1.50",
    ".5",
    "1:20",
    "2024-01-02",
    "2024-01-02 03:04:05",
    "2024-1-2T03:04:05Z",
    "'quoted'",
    '"a\\tb"',
    "plain text",
    "0.1.2",
    "3.",
    "12e",
    "2024-01-02 03:04:05 +08:00",
]


def test_config_scalars_are_read_as_js_yaml_reads_them() -> None:
    assert MODULES is not None
    expected = run_node(YAML_SCRIPT, SCALARS, MODULES)
    assert isinstance(expected, list)
    for text, theirs in zip(SCALARS, expected, strict=True):
        mine = load_yaml(f"v: {text}")["v"]
        if isinstance(mine, date):  # js-yaml: a Date in UTC (naive times are UTC too)
            if not isinstance(mine, datetime):
                mine = datetime(mine.year, mine.month, mine.day)
            instant = mine if mine.tzinfo else mine.replace(tzinfo=UTC)
            assert isinstance(theirs, dict), text
            assert instant == datetime.fromisoformat(theirs["date"].replace("Z", "+00:00")), text
        else:  # JavaScript has one number type: 1e3 is 1000 either way
            kind = [
                "number" if isinstance(v, int | float) and not isinstance(v, bool) else type(v)
                for v in (mine, theirs)
            ]
            assert mine == theirs and kind[0] == kind[1], (text, mine, theirs)
