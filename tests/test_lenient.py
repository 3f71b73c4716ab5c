"""Front matter YAML rejects is recovered with its structure, the way a person reads it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from feedbuilder.collect.frontmatter import (
    RECOVERED,
    FrontMatterError,
    UnsafeFrontMatter,
    split_post,
)
from feedbuilder.collect.lenient import MAX_NESTING
from feedbuilder.config import Config
from feedbuilder.pipeline import scan_posts

from .conftest import all_metas, make_post

_NOW = datetime(2030, 1, 1, tzinfo=UTC)


def recovered(front_matter: str) -> tuple[dict[str, Any], list[tuple[int | None, str]]]:
    """The metadata and notes of a post with this front matter (which YAML must reject)."""
    split = split_post(f"---\n{front_matter}\n---\nbody\n", 1_000_000)
    assert RECOVERED in split.notes[0][1], split
    return split.metadata, split.notes[1:]


def test_the_issue_example_keeps_its_structure(tmp_path: Path) -> None:
    make_post(
        tmp_path,
        "post.md",
        """
title: 'It's the end of the world'
date: 2022-01-02 03:04:05
tags: ['One', 'Two']
categories: [News, Anime]
cover:
  url: https://img.example.com/a.jpg
  alt: a cover
""",
    )
    result = scan_posts(Config(posts_dir=tmp_path, site_url="https://example.com/"), now=_NOW)
    (meta,) = all_metas(result)
    assert meta.title == "It's the end of the world"
    assert meta.tags == ("One", "Two")
    assert meta.categories == (("News", "Anime"),)  # Hexo: a list is one hierarchy
    assert meta.thumbnail is not None
    assert meta.thumbnail.url == "https://img.example.com/a.jpg"
    (problem,) = result.problems
    assert RECOVERED in problem.reason
    assert problem.line == 2  # the title's line, where YAML stopped


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("""x: [a, 'b', "c, d"]""", ["a", "b", "c, d"]),
        ("x: ['It's', 'b']", ["It's", "b"]),
        ("x: ['It''s', 'a'b'c', b]", ["It's", "a'b'c", "b"]),
        ("x: [a, [b, c], {d: e}]", ["a", ["b", "c"], {"d": "e"}]),
        ("x: [a,\n  b]", ["a", "b"]),
        ("x: [  ]", []),
        ("x: {a: 1, b: [x, y], c}", {"a": "1", "b": ["x", "y"], "c": None}),
        ('x: {a: \'It\'s\', "b": "say "hi""}', {"a": "It's", "b": 'say "hi"'}),
        ("x: [a, null, ~, 'null']", ["a", None, None, "null"]),
        ("x: [a # a comment\n  , b]", ["a", "b"]),
        ("x: [http://a.com/x:y, b]", ["http://a.com/x:y", "b"]),
        ("x: 'It's here'", "It's here"),
        ("x: 'It's here' # a comment", "It's here"),
        ("x: 'it''s and it's'", "it's and it's"),
        ('x: "He said "hi""', 'He said "hi"'),
        ('x: "tab\\there "x""', 'tab\there "x"'),
        ("x: 'a long\n  title'y'", "a long title'y"),
        ('x: """"\'转发\'""""', "转发"),
        ('x: \'""""\'"', ""),
        ("x: @handle said: hi", "@handle said: hi"),
        ("x: a: b: c", "a: b: c"),
        ("x: a\n\n\ncontinued at column 0", "a continued at column 0"),
        ("x:\n  - a\n - b\n  - 'c'd'", ["a", "b", "c'd"]),
        ("x:\n\t- tab\n\t- indented", ["tab", "indented"]),
        ("x:\n- indentless\n- 'list's'", ["indentless", "list's"]),
        (
            "x:\n  url: 'https://a.com/it's.jpg'\n  w: 1",
            {"url": "https://a.com/it's.jpg", "w": "1"},
        ),
        ("x:\n  a:\n    b: 'deep'er'", {"a": {"b": "deep'er"}}),
        (
            "x:\n  - name: 'a'b'\n    url: c\n  - - d\n    - e",
            [{"name": "a'b", "url": "c"}, ["d", "e"]],
        ),
        ("x:\n  'on': 'It's'", {"on": "It's"}),
        ("x: |\n  keep\n    this", "keep\n  this\n"),
    ],
)
def test_each_recovery_shape(line: str, value: Any) -> None:
    metadata, notes = recovered(f"title: 'It's'\n{line}\nlast: 'ok'")
    assert metadata == {"title": "It's", "x": value, "last": "ok"}
    assert notes == []


def test_a_flow_document_left_open_is_read_to_its_end() -> None:
    metadata, notes = recovered('{title: "Unclosed", date: 2022-01-22, categories: [Test]')
    assert metadata == {"title": "Unclosed", "date": "2022-01-22", "categories": ["Test"]}
    assert notes == [(2, "flow collection never closed; closed at its end")]


def test_a_line_it_cannot_read_is_reported_and_the_rest_lands(tmp_path: Path) -> None:
    make_post(
        tmp_path,
        "post.md",
        "  stray: indented line before any key\ntitle: 'It's kept'\ndate: 2022-01-02\n"
        "tags:\n  just text\n  - a\ncategories: [A, [B\nthumbnail: 'never closed",
    )
    result = scan_posts(Config(posts_dir=tmp_path, site_url="https://example.com/"), now=_NOW)
    (meta,) = all_metas(result)
    assert meta.title == "It's kept"
    assert meta.categories == (("A",), ("B",))
    problems = [(p.line, p.reason) for p in result.problems]
    assert problems[1:] == [
        (8, "flow collection never closed; closed at its end"),
        (9, "quoted value never closed; read to the end of its lines"),
        (None, "thumbnail: not an image URL: 'never closed'; ignored"),
    ]


def _nested(levels: int, leaf: str) -> str:
    return "x:\n" + "".join(f"{'  ' * (i + 1)}k{i}:\n" for i in range(levels)) + leaf


def _deepest_kept(metadata: dict[str, Any]) -> Any:
    level = metadata["x"]
    for i in range(MAX_NESTING - 1):
        level = level[f"k{i}"]
    return level


@pytest.mark.parametrize("leaf", ["", "      'deep'er'"], ids=["YAML reads it", "recovered"])
def test_values_nested_too_deep_are_left_out_with_their_line(leaf: str) -> None:
    metadata, notes = recovered(f"title: 'It's'\n{_nested(MAX_NESTING + 3, leaf)}\nlast: ok")
    assert metadata["last"] == "ok"
    assert _deepest_kept(metadata) == {f"k{MAX_NESTING - 1}": None}
    if leaf:  # cut while reading, at the first line too deep
        assert notes == [(MAX_NESTING + 4, f"nested deeper than {MAX_NESTING} levels; left out")]
    else:  # cut after YAML read it, at its key's line
        assert notes == [(3, f"x: nested deeper than {MAX_NESTING} levels; left out")]


def test_flow_collections_nested_too_deep_are_left_out() -> None:
    flow = "x: " + "[" * (MAX_NESTING + 5) + "'a'b'" + "]" * (MAX_NESTING + 5)
    metadata, notes = recovered(f"title: 'It's'\n{flow}\nlast: ok")
    assert metadata["last"] == "ok"
    level = metadata["x"]
    for _ in range(MAX_NESTING - 1):
        (level,) = level
    assert level == [None]
    assert notes == [(3, f"nested deeper than {MAX_NESTING} levels; left out")]


def test_recovery_never_constructs_objects_or_expands_bombs() -> None:
    with pytest.raises(UnsafeFrontMatter):
        split_post("---\ntitle: 'It's'\nx: !!python/object/apply:os.system ['true']\n---\n", 10**6)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcde", "bcdef", strict=True)
    )
    with pytest.raises(UnsafeFrontMatter):
        split_post(f"---\ntitle: 'It's'\nz:\n{_indent(bomb)}\n---\n", 10**6)


def test_nothing_readable_is_still_an_error() -> None:
    with pytest.raises(FrontMatterError, match="invalid YAML"):
        split_post("---\n  - [unclosed\n---\n", 10**6)


# Any mapping PyYAML writes, broken by one stray quote in one scalar: that scalar is read
# with its quote as text, every other value exactly as YAML reads it.

_KEYS = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True)
_TEXT = st.text(
    alphabet=st.sampled_from([*"ab Z9.,:#-_?!&*[]{}|>%@`\"'\\/", "中", "é", "\u3000"]),
    max_size=30,
)
_SCALARS = st.one_of(st.none(), _TEXT, st.sampled_from(["null", "~", "yes", "12_00", "1e3"]))
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=12,
)
_PLACEHOLDER = "PLACEHOLDERzq"


def _paths_to_text(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, str):
        return [path]
    items = value.items() if isinstance(value, dict) else enumerate(value or [])
    return [p for key, item in items for p in _paths_to_text(item, (*path, key))]


def _set(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _set(value[path[0]], path[1:], new)
    return copy


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mapping=st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=6),
    width=st.sampled_from([20, 80, 10_000]),
    data=st.data(),
)
def test_one_stray_quote_costs_nothing_else(mapping: dict[str, Any], width: int, data: Any) -> None:
    paths = _paths_to_text(mapping)
    assume(paths)
    path = data.draw(st.sampled_from(paths))
    text: str = _get(mapping, path)
    # A value that begins or ends with quotes reads like a scraper's wrapped title instead.
    assume(text and text.strip()[:1] not in "'\"" and text.strip()[-1:] not in "'\"")
    at = data.draw(st.integers(0, len(text)))
    broken_text = text[:at] + "'" + text[at:]
    quoted = "'" + text[:at].replace("'", "''") + "'" + text[at:].replace("'", "''") + "'"
    dumped = yaml.safe_dump(
        _set(mapping, path, _PLACEHOLDER), allow_unicode=True, sort_keys=False, width=width
    )
    assume(dumped.count(_PLACEHOLDER) == 1)
    front = dumped.replace(_PLACEHOLDER, quoted)
    try:
        yaml.safe_load(front)
    except yaml.YAMLError:
        pass
    else:
        assume(False)  # still YAML: nothing to recover
    split = split_post(f"---\n{front}---\nbody\n", 1_000_000)
    assert RECOVERED in split.notes[0][1]
    assert split.metadata == _set(mapping, path, broken_text)
    assert len(split.notes) == 1, split.notes


def test_a_stray_quote_in_a_list_item_is_not_a_key() -> None:
    # Found by the property above: `- '9': '` is one quoted value, not {'9': "'"}.
    split = split_post("---\na:\n- _: ''\n- - '9': '\n---\nbody\n", 1_000_000)
    assert split.metadata == {"a": [{"_": ""}, ["9': "]]}


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from([*"ab :-'\"[]{},#|>\n\t &*!?", "  ", "\n  ", "中"]), max_size=60).map(
        "".join
    )
)
def test_any_text_is_read_or_refused_never_crashes(text: str) -> None:
    try:
        split = split_post(f"---\n{text}\n---\nbody\n", 1_000_000)
    except FrontMatterError:
        return
    assert isinstance(split.metadata, dict)
    for line, _ in split.notes:
        assert line is None or 2 <= line <= text.count("\n") + 3  # up to the closing ---
