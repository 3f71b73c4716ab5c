"""Where archive pages end (issue 14.1), as a function of a feed's history alone: every post
once, pages within their limits, and a change to the history moves only the cuts near it."""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from datetime import UTC

from hypothesis import given, settings
from hypothesis import strategies as st

from feedbuilder.feeds.archives import (
    FIRST_PAGE,
    HASH_SPACE,
    PostHash,
    cut_threshold,
    page_lengths,
    page_limits,
    paginate,
)
from feedbuilder.models import PostRef

HOUR = 3_600_000_000  # microseconds
Page = tuple[str, tuple[str, ...], str, str]  # name, ids, previous and following names


def history(numbers: Sequence[int]) -> list[PostRef]:
    """Posts ``post-<n>`` dated ``n`` hours after the epoch, for ``numbers`` in order."""
    return [
        PostRef(f"p{n}.md", f"post-{n}", True, n * HOUR, UTC, n * HOUR, (), ()) for n in numbers
    ]


def documents(refs: Sequence[PostRef], size: int) -> list[Page]:
    """Each page as its bytes depend on it: its name, posts and the names it links to."""
    pages = [(name, tuple(ref.id for ref in posts)) for name, posts in paginate(refs, size, {})]
    names = ["", *(name for name, _ in pages), ""]
    return [(name, ids, names[at], names[at + 2]) for at, (name, ids) in enumerate(pages)]


def forced(pages: Sequence[Page], size: int) -> bool:
    """Whether a page may have been cut for its length alone, not at a candidate."""
    return any(len(ids) == page_limits(size)[1] for _, ids, _, _ in pages)


def changed(before: Sequence[Page], after: Sequence[Page]) -> list[Page]:
    """The pages of ``after`` not in ``before`` as they were: those written again."""
    kept = set(before)
    return [page for page in after if page not in kept]


HISTORIES = st.lists(st.integers(0, 10**6), unique=True, max_size=200).map(sorted)
SIZES = st.integers(1, 12)


@settings(max_examples=300, deadline=None)
@given(HISTORIES, SIZES)
def test_every_post_is_in_one_page_and_pages_keep_their_limits(
    numbers: list[int], size: int
) -> None:
    refs = history(numbers)
    pages = documents(refs, size)
    assert [post_id for _, ids, _, _ in pages for post_id in ids] == [r.id for r in refs]
    least, most = page_limits(size)
    assert all(least <= len(ids) <= most for _, ids, _, _ in pages[:-1])
    assert not pages or 0 < len(pages[-1][1]) <= most
    names = [name for name, *_ in pages]
    assert names[:1] == ([FIRST_PAGE] if refs else []) and len(set(names)) == len(names)


@settings(max_examples=300, deadline=None)
@given(HISTORIES, st.lists(st.integers(1, 10**6), unique=True, max_size=50), SIZES)
def test_new_posts_change_only_the_newest_page(
    numbers: list[int], later: list[int], size: int
) -> None:
    before = documents(history(numbers), size)
    newest = max(numbers, default=0)
    after = documents(history([*numbers, *sorted(newest + n for n in later)]), size)
    if before:  # as they were, links and all; the newest keeps its name, place and posts
        assert after[: len(before) - 1] == before[:-1]
        name, ids, previous, _ = before[-1]
        grown = after[len(before) - 1]
        assert (grown[0], grown[1][: len(ids)], grown[2]) == (name, ids, previous)


@settings(max_examples=500, deadline=None)
@given(HISTORIES.filter(bool), st.data(), SIZES)
def test_deleting_a_post_moves_only_the_cuts_next_to_it(
    numbers: list[int], data: st.DataObject, size: int
) -> None:
    gone = data.draw(st.sampled_from(numbers))
    refs = history(numbers)
    before = documents(refs, size)
    after = documents([ref for ref in refs if ref.id != f"post-{gone}"], size)
    holding = next(at for at, page in enumerate(before) if f"post-{gone}" in page[1])
    assert after[: max(holding - 1, 0)] == before[: max(holding - 1, 0)]  # older pages stay
    if not forced(before, size) and not forced(after, size):
        assert len(changed(before, after)) <= 3  # its page, one it merged with, a link
        if page_limits(size)[0] == 1 and before[holding][1][-1] != f"post-{gone}":
            assert len(changed(before, after)) == 1  # not where its page ended: only its page


@settings(max_examples=500, deadline=None)
@given(HISTORIES, st.data(), SIZES)
def test_adding_an_old_post_moves_only_the_cuts_next_to_it(
    numbers: list[int], data: st.DataObject, size: int
) -> None:
    """A post dated before others (backdated, or an old post moved by its date)."""
    new = data.draw(st.integers(0, 10**6).filter(lambda n: n not in numbers))
    before = documents(history(numbers), size)
    after = documents(history(sorted([*numbers, new])), size)
    if not forced(before, size) and not forced(after, size):
        assert len(changed(before, after)) <= 3


@settings(max_examples=200, deadline=None)
@given(HISTORIES, st.data(), SIZES)
def test_pages_without_a_deleted_post_or_a_moved_neighbour_keep_their_bytes(
    numbers: list[int], data: st.DataObject, size: int
) -> None:
    """Random deletions, one after another: where no page of any of the histories was cut for
    its length, each rewrites at most three pages, so a page away from them keeps its bytes."""
    gone = data.draw(st.lists(st.sampled_from(numbers), unique=True)) if numbers else []
    refs = history(numbers)
    states = [documents(refs, size)]
    for number in gone:
        refs = [ref for ref in refs if ref.id != f"post-{number}"]
        states.append(documents(refs, size))
    after = states[-1]
    assert sorted(post_id for _, ids, _, _ in after for post_id in ids) == sorted(
        f"post-{n}" for n in numbers if n not in gone
    )
    if not any(forced(state, size) for state in states):
        assert len(changed(states[0], after)) <= 3 * len(gone)


def test_pages_hold_the_size_on_average() -> None:
    rng = random.Random(0)
    hashes = [rng.getrandbits(64) for _ in range(200_000)]
    for size in (1, 5, 8, 20, 100):
        lengths = page_lengths(hashes, size)[:-1]
        assert abs(statistics.mean(lengths) - size) < size * 0.05, size
        least, most = page_limits(size)
        assert min(lengths) >= least and max(lengths) <= most
    assert cut_threshold(1) == HASH_SPACE  # every post its own page, as ever


def test_a_candidate_ends_its_page_once_both_it_and_its_gap_are_long_enough() -> None:
    high, low = HASH_SPACE - 1, 0  # a post that is no candidate, one that is
    assert page_limits(8) == (2, 32)
    #  a page of 2 ends at its candidate; the next page's candidates 1 and 2 come too soon
    #  (its first post, then one post after a candidate): it ends at its fourth
    assert page_lengths([high, low, low, low, high, low, high], 8) == [2, 4, 1]
    assert page_lengths([high] * 70, 8) == [32, 32, 6]  # no candidate: cut by length


def test_page_names_are_unique_within_a_feed() -> None:
    refs = history(range(12))
    same = {ref.id: PostHash(0, "5f0c2a9d81be") for ref in refs}  # every cut a candidate
    names = [name for name, _ in paginate(refs, 1, same)]
    day = "19700101-5f0c2a9d81be"
    assert names == [FIRST_PAGE, day, *(f"{day}-{n}" for n in range(2, 12))]
    assert [name for name, _ in paginate(refs, 1, dict(same))] == names  # deterministic
    assert PostHash.of("post-1") == PostHash.of("post-1") != PostHash.of("post-2")
    assert PostHash.of("\ud800") != PostHash.of("\ud801")  # not valid Unicode, still hashed
