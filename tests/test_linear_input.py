"""Every regular expression and hand-written reader that collect/ and normalise/ apply to a
post's input takes time linear in it: each is timed on adversarial input of growing size.

The first three were catastrophic before (a date with 2,000 spaces took 61 s, a title of
2,000 ``'"`` pairs 147 s, a 200 KB ``title: a   ...   b:`` line over a minute): their small
sizes make the old patterns fail in seconds, the large ones check the new code where its
times can be measured. The rest were linear already and are pinned so they stay so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC
from typing import Any

import pytest

from feedbuilder.collect.frontmatter import FrontMatterError, simple_yaml, split_post
from feedbuilder.feeds.slugs import base_slug
from feedbuilder.models import Problem
from feedbuilder.normalise.categories import parse_categories, parse_tags
from feedbuilder.normalise.dates import DateError, parse_date
from feedbuilder.normalise.thumbnails import thumbnail_from_metadata
from feedbuilder.normalise.urls import BadURL, absolute_http_url, to_uri, unfit_id_scheme

from .lineartime import assert_linear

LARGE = (10_000, 40_000, 160_000)  # x4 a step: a quadratic cost grows 16x, over the 10x allowed


def _front_matter(text: str) -> None:
    with contextlib.suppress(FrontMatterError):
        split_post(f"---\n{text}\n---\nbody\n", 10**8)


def _date(text: str) -> None:
    with contextlib.suppress(DateError):
        parse_date(text, UTC)


def _url(text: str) -> None:
    with contextlib.suppress(BadURL):
        absolute_http_url(text, "https://example.com/")


def _ignore(_: str) -> None:
    pass


BROKEN = "title: 'It's'\n"  # makes YAML fail, so the lenient reader reads the rest

Case = tuple[Callable[[str], Any], Callable[[int], str], tuple[int, ...]]
CASES: dict[str, Case] = {
    # Were catastrophic: sizes that make the old patterns fail fast, then big ones.
    "dates._LOCAL_FORMS": (_date, lambda n: "2021-12-08" + " " * n + "x", (50, 200, 400)),
    "frontmatter._WRAPPING_QUOTES (lenient quotes)": (
        _front_matter,
        lambda n: "title: " + "'\"" * n + "x\ndate: 2021-01-01",
        (50, 200, 400),
    ),
    "frontmatter._PLAIN": (
        simple_yaml,
        lambda n: "title: a" + " " * n + "b:",
        (2_000, 8_000, 16_000),
    ),
    # Linear before and after.
    "frontmatter._SIMPLE_KEY": (simple_yaml, lambda n: "k" * n + " x", LARGE),
    "frontmatter._SIMPLE_ITEM": (
        simple_yaml,
        lambda n: "tags:\n" + " " * n + "- " + " " * n,
        LARGE,
    ),
    "frontmatter: single quotes": (simple_yaml, lambda n: "title: '" + "''" * n + "x", LARGE),
    "frontmatter: double quotes": (simple_yaml, lambda n: 'title: "' + "a" * n, LARGE),
    "frontmatter._SIMPLE_FLOW": (simple_yaml, lambda n: "tags: [" + "a, " * (n // 3), LARGE),
    "frontmatter: flow items": (simple_yaml, lambda n: "tags: [" + "a " * (n // 2) + "]", LARGE),
    "frontmatter._NOT_SIMPLE": (simple_yaml, lambda n: "title: " + "a" * n + "\t", LARGE),
    "frontmatter: the handler's --- boundary": (
        _front_matter,
        lambda n: "-" * n + "x\n" + " " * n + "x",
        LARGE,
    ),
    "frontmatter: null words kept as text": (
        _front_matter,
        lambda n: "title: null\n" + "titles: x\n" * (n // 10),
        (2_000, 8_000, 32_000),
    ),
    "lenient: the 200 KB plain line": (
        _front_matter,
        lambda n: "title: a" + " " * n + "b:\ndate: 2021-01-01",
        LARGE,
    ),
    "lenient._PLAIN_KEY": (_front_matter, lambda n: BROKEN + "a" * n + " " * n + "x", LARGE),
    "lenient: quotes never closed": (_front_matter, lambda n: BROKEN + "x: '" + "' #" * n, LARGE),
    "lenient._QUOTE_RUN": (_front_matter, lambda n: BROKEN + "x: '" + "'a" * n + "'y", LARGE),
    "lenient._DOUBLE_ESCAPES": (_front_matter, lambda n: BROKEN + 'x: "' + '\\"a"' * n, LARGE),
    "lenient: unreadable lines": (_front_matter, lambda n: BROKEN + "  junk\n" * (n // 7), LARGE),
    "lenient: flow plain scalars": (_front_matter, lambda n: BROKEN + "x: [" + "a:" * n, LARGE),
    "lenient: flow quotes": (_front_matter, lambda n: BROKEN + "x: [" + "' " * n, LARGE),
    "lenient: flow escaped quotes": (_front_matter, lambda n: BROKEN + "x: [" + "''" * n, LARGE),
    "lenient: flow nested too deep": (
        _front_matter,
        lambda n: BROKEN + "x: " + "[" * 20 + "[a]," * (n // 4),
        (2_000, 8_000, 32_000),
    ),
    "lenient: nested blocks": (
        _front_matter,
        lambda n: BROKEN + "x:\n" + "".join(f"{' ' * (i % 40)}- a\n" for i in range(n // 20)),
        (2_000, 8_000, 32_000),
    ),
    "dates._EPOCH": (_date, lambda n: "1234567890." + "1" * n + "x", LARGE),
    "dates._RFC822_HINT": (_date, lambda n: "1" * n, LARGE),
    "dates._ZONE_WORD": (_date, lambda n: "HKT " * (n // 4) + "x", LARGE),
    "dates._RFC1123": (_date, lambda n: "Mon, 1 Jan 2021 00:00:00 " + "+" * n, LARGE),
    "dates: email.utils": (_date, lambda n: "Mon, " + "a " * (n // 2), LARGE),
    "urls._PLAIN_ABSOLUTE (host)": (_url, lambda n: "http://" + "a." * (n // 2) + "%", LARGE),
    "urls._PLAIN_ABSOLUTE (path)": (_url, lambda n: "http://a" + "/" * n + "%", LARGE),
    "urls._PLAIN_ABSOLUTE (segments)": (
        _url,
        lambda n: "http://a/" + "a.a" * (n // 3) + "%",
        LARGE,
    ),
    "urls._PLAIN_ROOTED (segments)": (_url, lambda n: "/" + "a.a" * (n // 3) + "%", LARGE),
    "urls._PLAIN_ROOTED (path)": (_url, lambda n: "/a" + "/" * n + "%", LARGE),
    "urls._BAD_PERCENT": (_url, lambda n: "http://a/" + "%" * n, LARGE),
    "urls._UNUSABLE": (_url, lambda n: "a" * n + "<", LARGE),
    "urls.to_uri (IDN host)": (
        lambda text: _ignore(_url(text)),
        lambda n: "http://" + "ü" * n + ".de/",
        (2_000, 8_000, 32_000),
    ),
    "urls.to_uri (path)": (to_uri, lambda n: "http://a/" + "é%" * (n // 2), LARGE),
    "urls._SCHEME": (unfit_id_scheme, lambda n: "a" * n + "!", LARGE),
    "urls._IGNORED_IN_SCHEME": (unfit_id_scheme, lambda n: " \t" * (n // 2) + "x", LARGE),
    "categories._SAFE_SLUG and slugify": (lambda t: base_slug(t, {}), lambda n: "a-" * n, LARGE),
    "categories: parsing": (
        lambda t: parse_categories([[name] for name in t.split(",")], _ignore),
        lambda n: ",".join(str(i) for i in range(n // 6)),
        LARGE,
    ),
    "categories: tags": (
        lambda t: parse_tags(t.split(","), _ignore),
        lambda n: ",".join(str(i) for i in range(n // 6)),
        LARGE,
    ),
    "thumbnails": (
        lambda t: thumbnail_from_metadata({"cover": t}, "https://example.com/", _ignore),
        lambda n: "https://a.com/" + "x." * (n // 2),
        LARGE,
    ),
    "models.Problem: escaping": (lambda t: str(Problem(t, t)), lambda n: "\n\udcb1" * n, LARGE),
}


WERE_CATASTROPHIC = {
    "dates._LOCAL_FORMS",
    "frontmatter._WRAPPING_QUOTES (lenient quotes)",
    "frontmatter._PLAIN",
}


def assert_linear_twice(run: Callable[[str], Any], make: Callable[[int], str], sizes: Any) -> None:
    """:func:`assert_linear`, given a second chance: on this shared machine a neighbour's
    burst can slow one size; superlinear growth fails both times."""
    try:
        assert_linear(run, make, sizes)
    except AssertionError:
        assert_linear(run, make, sizes)


@pytest.mark.parametrize("name", sorted(CASES))
def test_linear(name: str) -> None:
    run, make_input, sizes = CASES[name]
    assert_linear_twice(run, make_input, sizes)
    if name in WERE_CATASTROPHIC:  # small enough to fail the old pattern fast; now big too
        assert_linear_twice(run, make_input, LARGE)
