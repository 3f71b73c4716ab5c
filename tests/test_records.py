"""The typed records that cross the process pool and the cache: nothing is lost on the way,
and a field added to PostMeta cannot be forgotten by the packed form, the cache or the feeds'
fingerprints."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from feedbuilder.cache import Cache
from feedbuilder.collect.files import PostFile
from feedbuilder.incremental import feed_fingerprint, post_fingerprint
from feedbuilder.models import FeedSpec, PackedMeta, PostMeta, Thumbnail

NAMES = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=8)
ZONES = st.sampled_from(
    [
        UTC,
        ZoneInfo("Asia/Shanghai"),
        ZoneInfo("America/New_York"),
        timezone(timedelta(hours=-3, minutes=-30)),
    ]
)


@st.composite
def metas(draw: st.DrawFn) -> PostMeta:
    link = "https://example.com/" + draw(st.text("abc/", max_size=6))
    published = draw(
        st.datetimes(
            datetime(1990, 1, 1), datetime(2100, 1, 1), timezones=ZONES, allow_imaginary=False
        )
    )
    # later by an instant, not on the wall clock (which may land in a DST gap: no such time)
    later = published.astimezone(UTC) + draw(st.timedeltas(timedelta(0), timedelta(days=900)))
    updated = later.astimezone(published.tzinfo)
    return PostMeta(
        rel_path="a/b.md",
        title=draw(NAMES),
        link=link,
        id=draw(st.sampled_from([link, "urn:x", "4242"])),
        published=published,
        updated=updated,
        author=draw(st.none() | NAMES),
        categories=tuple(
            draw(
                st.lists(st.lists(NAMES, min_size=1, max_size=3).map(tuple), min_size=1, max_size=3)
            )
        ),
        tags=tuple(draw(st.lists(NAMES, max_size=3))),
        thumbnail=draw(
            st.none()
            | st.builds(Thumbnail, st.just("https://i/x.png"), st.none() | st.just("image/png"))
        ),
        given_summary=draw(st.none() | NAMES),
        body_format=draw(st.sampled_from(["html", "markdown"])),
        mtime=draw(st.floats(0, 2e9)),
    )


def same(left: PostMeta, right: PostMeta) -> bool:
    """Equal, and each datetime in the same zone (equal instants are not enough)."""
    return left == right and all(
        getattr(left, f).tzinfo == getattr(right, f).tzinfo for f in ("published", "updated")
    )


def test_packed_meta_has_a_field_for_every_post_meta_field() -> None:
    fields = {f.name for f in dataclasses.fields(PostMeta)} - {"rel_path"}
    zones = {"published_zone", "updated_zone", "thumbnail_type"}  # parts of a field
    scanned = {"queries", "in_all"}  # decided by the scan, not by normalising (PostRef's)
    from_the_body = {"story"}  # the story print: made in the scan from the raw body
    assert set(PackedMeta._fields) == fields | zones | scanned | from_the_body


@given(metas())
def test_a_post_meta_survives_packing(meta: PostMeta) -> None:
    packed = PackedMeta.of(meta)
    assert all(isinstance(v, str | int | float | type(None)) for v in packed)
    assert same(packed.unpack(meta.rel_path), meta)
    ref = packed.ref(meta.rel_path)
    assert (ref.id, ref.categories, ref.tags) == (meta.id, meta.categories, meta.tags)
    assert ref.published_at() == meta.published and ref.declared_id == (meta.id != meta.link)


def test_a_post_meta_survives_the_cache(tmp_path: Path) -> None:
    @given(metas(), st.sampled_from(["", "- 0123456789abcdef", "00ff00ff00ff00ff 0a 0b"]))
    def check(meta: PostMeta, story: str) -> None:
        cache = Cache.open(tmp_path / "cache.sqlite", "stamp")
        try:
            packed = PackedMeta.of(meta, ("q1", "q2"), False, story)
            with cache.transaction():
                cache.put_scans([((meta.rel_path, 1, 2), packed, [])])
            assert same(cache.metas([meta.rel_path])[meta.rel_path], meta)
            assert list(cache.changed([(meta.rel_path, 1, 2)])[0]) == []
            (ref,) = cache.refs(None)
            assert ref == packed.ref(meta.rel_path)
            assert (ref.queries, ref.in_all, ref.story) == (
                ("q1", "q2"),
                False,
                story,
            )
        finally:
            cache.close()

    check()


@given(metas(), st.sampled_from([f.name for f in dataclasses.fields(PostMeta)]), st.data())
def test_a_change_to_any_field_changes_the_feeds_fingerprint(
    meta: PostMeta, name: str, data: st.DataObject
) -> None:
    other = data.draw(metas())
    changed = dataclasses.replace(meta, **{name: getattr(other, name)})
    spec = FeedSpec("all", "t", "d", None, (meta.id,))
    file = PostFile("", meta.rel_path, 1, 2)
    before = feed_fingerprint(spec, [post_fingerprint(meta, file)])
    after = feed_fingerprint(spec, [post_fingerprint(changed, file)])
    assert (after == before) == same(changed, meta)
