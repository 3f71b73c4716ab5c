"""Each thread keeps one lxml parser for every body it cleans: what one body leaves in it
(an unclosed tag, a declared encoding, markup flattened for its depth) never reaches the
next. A new thread has a parser of its own, fresh: the reference here."""

from __future__ import annotations

import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from feedbuilder.config import DEFAULT_JUNK_SELECTORS
from feedbuilder.models import PostBody
from feedbuilder.normalise.content import clean_body

BASE = "https://example.com/post/"
BODIES = [
    "<p>plain <b>text</b></p>",
    "<div><p>unclosed <b>bold <i>italic",
    '<?xml version="1.0" encoding="gbk"?><p>declared</p>',
    '<html><head><meta charset="windows-1252"></head><body><p>caf\u00e9</p></body></html>',
    "<svg xmlns='http://www.w3.org/2000/svg'><g><text>ns</text></g></svg><p>after</p>",
    "</html></body><p>stray ends</p></div></div>",
    "<table><tr><td>cell<td>next</table><pre>\n\ncode</pre>",
    "<div>" * 300 + "deep" + "</div>" * 300,
    '<img data-src="/a.png" src="x.gif"><a href="../b">b</a>',
    "",
    "text with no tags & an ampersand",
]


def clean(body: str) -> PostBody:
    return clean_body(body, "html", BASE, DEFAULT_JUNK_SELECTORS, 200)


def clean_in_a_new_thread(body: str) -> PostBody:
    found: list[PostBody] = []
    thread = threading.Thread(target=lambda: found.append(clean(body)))
    thread.start()
    thread.join()
    return found[0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(BODIES), min_size=1, max_size=4), st.sampled_from(BODIES))
def test_a_body_cleans_the_same_whatever_was_cleaned_before(before: list[str], body: str) -> None:
    for other in before:
        clean(other)
    assert clean(body) == clean_in_a_new_thread(body)
