"""Nothing a post declares can claim what belongs to another: no category or tag takes another's
feed file, and no declared id evicts another post silently (issue 10, defect 8)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import feedparser
from hypothesis import given
from hypothesis import strategies as st

from feedbuilder.config import Config
from feedbuilder.feeds.dedupe import dedupe
from feedbuilder.feeds.slugs import assign_slugs, base_slug
from feedbuilder.models import PostRef, Severity
from feedbuilder.pipeline import build

from .conftest import make_post

NOW = datetime(2024, 1, 1, tzinfo=UTC)


def suffixed(name: str, category_map: dict[str, str] | None = None) -> str:
    """The slug the suffix scheme gives ``name`` when another name holds its plain slug."""
    digest = hashlib.sha1(name.encode()).hexdigest()[:6]
    return f"{base_slug(name, category_map or {})}-{digest}"


def test_a_name_equal_to_another_names_suffix_does_not_share_its_slug() -> None:
    planted = suffixed("news")  # "news" gives way to "News" (sorted first)
    slugs, clashes = assign_slugs(["News", "news", planted], {})
    assert len(set(slugs.values())) == 3
    assert slugs["News"] == "news" and slugs[planted] == planted  # plain slugs are kept
    assert slugs["news"].startswith(planted) and slugs["news"] != planted
    (clash,) = clashes
    assert (clash.name, clash.wanted, clash.holder) == ("news", planted, planted)


@given(
    st.lists(st.sampled_from(["News", "news", "NEWS", "金融", "Jin Rong", "a", "A"]), min_size=1),
    st.lists(st.integers(0, 6), max_size=4),
    st.lists(st.text(max_size=8), max_size=4),
)
def test_slugs_stay_distinct_whatever_is_planted(
    names: list[str], plants: list[int], extra: list[str]
) -> None:
    pool = sorted(set(names))
    planted = [suffixed(pool[i % len(pool)]) for i in plants]
    planted += [suffixed(p) for p in planted]  # suffixes of suffixes too
    everything = [*names, *planted, *(e for e in extra if e)]
    slugs, _ = assign_slugs(everything, {})
    assert len(set(slugs.values())) == len(set(everything))
    assert assign_slugs(list(reversed(everything)), {})[0] == slugs


def write(posts: Path, name: str, categories: str, tags: str = "[]", day: int = 1) -> None:
    make_post(
        posts,
        name,
        f"title: {name}\ndate: 2022-01-{day:02d} 10:00\ncategories: {categories}\ntags: {tags}",
    )


def entries(out: Path, key: str) -> list[str]:
    parsed = feedparser.parse((out / "feeds" / f"{key}.atom.xml").read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    return sorted(e.title for e in parsed.entries)


def test_a_planted_category_or_tag_never_takes_another_feed(tmp_path: Path) -> None:
    planted = suffixed("news")
    posts = tmp_path / "posts"
    write(posts, "good.md", "news", "[news]", day=1)
    write(posts, "other.md", "News", "[News]", day=2)
    write(posts, "planted.md", f"[[News], [{planted}]]", f"[News, {planted}]", day=3)
    config = Config(posts_dir=posts, output_dir=tmp_path / "out", tag_feeds=True)
    report = build(config, now=NOW)
    for kind in ("category", "tag"):
        feeds = sorted((tmp_path / "out" / "feeds" / kind).glob("*.atom.xml"))
        assert len(feeds) == 3, feeds
        by_posts = {tuple(entries(config.output_dir, f"{kind}/{f.name[:-9]}")) for f in feeds}
        assert by_posts == {("good.md",), ("other.md", "planted.md"), ("planted.md",)}
        clash = [p for p in report.problems if p.reason.startswith(f"{kind} 'news'")]
        assert len(clash) == 1 and clash[0].path == "good.md", report.problems


def ref(rel_path: str, post_id: str, declared: bool, updated: int = 0) -> PostRef:
    return PostRef(rel_path, post_id, declared, 0, UTC, updated, (("c",),), ())


def test_a_declared_id_equal_to_another_posts_permalink_evicts_nobody(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    write(posts, "b.md", "c", day=1)
    permalink = "https://example.com/2022/01/01/b/"
    make_post(posts, "a.md", f"title: a.md\ndate: 2022-01-02\nid: {permalink}")
    config = Config(posts_dir=posts, output_dir=tmp_path / "out", site_url="https://example.com/")
    report = build(config, now=NOW)
    assert (report.posts_read, report.posts_skipped) == (2, 0)
    assert entries(config.output_dir, "all") == ["a.md", "b.md"]
    parsed = feedparser.parse((config.output_dir / "feeds" / "all.rss.xml").read_bytes())
    ids = {e.title: e.id for e in parsed.entries}
    assert ids["a.md"] == permalink and ids["b.md"].startswith(permalink + "#")
    assert {p.path for p in report.problems} == {"a.md", "b.md"}  # both are told


def test_a_declared_id_equal_to_a_suffixed_id_is_not_shared() -> None:
    first, second = ref("p1.md", "L", False), ref("p2.md", "L", False)
    suffix = hashlib.sha1(b"p2.md").hexdigest()[:8]
    planted = ref("p3.md", f"L#{suffix}", True)
    kept, _ = dedupe([first, second, planted])
    assert len({r.id for r in kept}) == 3 and len(kept) == 3
    assert {r.rel_path: r.id for r in kept}["p3.md"] == f"L#{suffix}"


@given(
    st.lists(
        st.tuples(st.sampled_from(["x", "y", "x#1", "z"]), st.booleans(), st.integers(0, 3)),
        max_size=12,
    )
)
def test_ids_end_unique_and_only_declared_duplicates_are_dropped(
    posts: list[tuple[str, bool, int]],
) -> None:
    refs = [ref(f"p{i:02d}.md", pid, declared, upd) for i, (pid, declared, upd) in enumerate(posts)]
    kept, problems = dedupe(refs)
    assert len({r.id for r in kept}) == len(kept)
    kept_paths = {r.rel_path for r in kept}
    errors = {p.path for p in problems if p.severity is Severity.ERROR}
    for original in refs:
        if original.rel_path in kept_paths:
            continue
        assert original.rel_path in errors and original.declared_id
        holders = [r for r in kept if r.id == original.id]
        assert holders and holders[0].declared_id  # only a declared id takes a declared id's place
    # where a declared id is shared, every post sharing it is told (permalink twins: the later)
    shared = [[o for o in refs if o.id == r.id] for r in refs]
    involved = {
        r.rel_path
        for r, group in zip(refs, shared, strict=True)
        if len(group) > 1 and any(o.declared_id for o in group)
    }
    assert involved <= {p.path for p in problems}
    assert dedupe(list(reversed(refs))) == (kept, problems)
