"""The fast reader for flat front matter must agree with libyaml wherever it answers."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from feedbuilder.collect.frontmatter import _libyaml, load_yaml, simple_yaml

from .test_content import SEED

_TRICKY = "'\"\\:#-?,[]{}&*!|>%@`~ \t\x85\u2028\ufeff\x7f"
scalars = st.one_of(
    st.text(alphabet=st.sampled_from("ab1 .:" + _TRICKY + "中文"), max_size=12),
    st.sampled_from(["null", "Null", "NULL", "~", "true", "12_00", "2021-12-08", "", "a: b"]),
).flatmap(
    lambda s: st.sampled_from([s, f"'{s}'", f'"{s}"', f"'{s}' # c", f"{s}:"]),
)
keys = st.sampled_from(["title", "date", "null", "on", "a-b", "_x", "Key9", "9k", "a b", "标题"])
lines = st.one_of(
    st.builds(
        lambda k, sep, v: f"{k}:{sep}{v}", keys, st.sampled_from([" ", "  ", "", "\t"]), scalars
    ),
    st.builds(lambda k: f"{k}:", keys),
    st.builds(
        lambda indent, sep, v: f"{indent}-{sep}{v}",
        st.sampled_from(["", " ", "  "]),
        st.sampled_from([" ", "", "  "]),
        scalars,
    ),
    st.builds(
        lambda k, items, sep, end: f"{k}: [{sep.join(items)}{end}",
        keys,
        st.lists(scalars, max_size=4),
        st.sampled_from([", ", ",", " , ", ",  "]),
        st.sampled_from(["]", "] ", "],", "]]", "", ",]", "] # c"]),
    ),
    st.sampled_from(["", "  ", "# comment", "---", "...", "  continued", "- - x", "a: [1, 2]"]),
)


@settings(max_examples=2000)
@given(st.lists(lines, min_size=1, max_size=8).map("\n".join))
@example("title: 'it''s'\ncategories:\n - 财经\n - 股票\ndate: Wed, 08 Dec 2021 07:57:20 GMT")
@example("tags:\n  - a\n - b")
@example("title: a\u2028b")
@example("categories: [体育, 篮球]\ntags: [ a b ,c,~, null ]\nx: []\ny: [ ]")
@example("tags: [a, , b]\nx: [a,]\ny: [-a, a-]\nz: [a:b]")
def test_simple_reader_agrees_with_libyaml(text: str) -> None:
    simple = simple_yaml(text)
    if simple is None:
        return  # not its shape: libyaml decides
    assert simple == _libyaml(text)
    assert list(simple) == list(_libyaml(text))  # and in the same key order


def test_simple_reader_takes_the_seeds_front_matter() -> None:
    front = SEED.read_text(encoding="utf-8").lstrip().split("\n---", 1)[0].removeprefix("---\n")
    simple = simple_yaml(front)
    assert simple is not None
    assert simple == _libyaml(front)
    assert simple["categories"] == ["金融", "新浪财经", "新浪财经－国內"]


def test_simple_reader_steps_aside() -> None:
    for text in (
        "title: a\n  folded",  # a multi-line plain scalar
        "title: 'a\n  b'",  # a multi-line quoted one
        'title: "a\\tb"',  # escapes
        "a: &x 1\nb: *x",  # anchors and aliases
        "title: a # comment",
        "a:\n  b: c",  # nesting
        "tags: [a, [b]]",  # nested flow collections
        "tags: {a: b}",
        "tags: [a,\n  b]",  # a flow list over lines
        "null: x",
        "\n".join(f"k{i}: v" for i in range(500)),  # long: left to libyaml's node budget
    ):
        assert simple_yaml(text) is None, text


def test_load_yaml_still_refuses_what_libyaml_refuses() -> None:
    assert load_yaml("title: a\ntags:\n - x\n - y", 2) == {"title": "a", "tags": ["x", "y"]}
