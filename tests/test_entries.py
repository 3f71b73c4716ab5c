"""Entries rendered once and spliced into every document holding them (issue 13): a spliced
document is byte for byte the whole render, feedgen over all its posts, as it was made."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from feedbuilder import build
from feedbuilder.config import Config
from feedbuilder.feeds.decorate import decorate
from feedbuilder.feeds.formats import FORMATS
from feedbuilder.feeds.jsonfeed import _item
from feedbuilder.feeds.render import feed_path, render_tree
from feedbuilder.feeds.stories import Source, also_in
from feedbuilder.incremental import Decider
from feedbuilder.models import ArchiveLinks, Category, FeedSpec, Post, PostBody, PostMeta, Thumbnail
from feedbuilder.pipeline import scan_posts
from feedbuilder.pool import Workers, batches
from feedbuilder.stages.bodies import load_posts
from feedbuilder.stages.plan import plan
from feedbuilder.stages.render import render

from .test_stories import NOW, site, tree, write_story_site

T0 = datetime(2021, 3, 1, tzinfo=UTC)
# What would cut an entry in the wrong place if it were searched for as text.
TRAPS = [
    "]]>",
    "</item>",
    "\n    <item>",
    "<item>",
    "</entry>",
    "\n  <entry>",
    "<![CDATA[",
    "&amp;",
]
TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    max_size=12,
)
PIECE = st.one_of(TEXT, st.sampled_from(TRAPS))
HTML = st.lists(PIECE, max_size=5).map(lambda pieces: "<p>" + "".join(pieces) + "</p>")
NAMES = st.lists(st.sampled_from(["财经", "Tech", "a&b", "</item>", "x y"]), max_size=3)
THUMBNAIL = st.one_of(
    st.none(),
    st.builds(
        Thumbnail,
        st.sampled_from(["https://img.example/a.png", "https://img.example/b c.jpg?x=1&y=2"]),
        st.sampled_from(["image/png", None]),
    ),
)


@st.composite
def posts(draw: st.DrawFn) -> list[Post]:
    made = []
    for n in range(draw(st.integers(0, 7))):
        link = f"https://example.com/p/{n}/"
        published = T0 + timedelta(hours=draw(st.integers(0, 10_000)))
        meta = PostMeta(
            rel_path=f"p{n}.md",
            title=draw(PIECE.filter(bool)),  # feedgen wants a title (every post has one)
            link=link,
            id=draw(st.sampled_from([link, f"post {n}", f"urn:x:{n}"])),
            published=published,
            updated=published + timedelta(minutes=draw(st.integers(0, 600))),
            author=draw(st.one_of(st.none(), TEXT)),
            categories=tuple(tuple(path) for path in draw(st.lists(NAMES, max_size=2))),
            tags=tuple(draw(NAMES)),
            thumbnail=draw(THUMBNAIL),
            given_summary=None,
            body_format="html",
        )
        body = PostBody(draw(HTML), draw(st.one_of(st.just(""), PIECE)), draw(THUMBNAIL))
        post = Post(meta, body)
        if draw(st.booleans()):  # a merged story's "Also in" note: another entry
            post = also_in(post, [Source("源", "https://b.example/?a=1&b=2")], 2, "zh-CN")
        made.append(post)
    return made


CONFIGS = st.builds(
    Config,
    site_title=st.just("Site"),
    site_url=st.just("https://example.com/"),
    full_content=st.booleans(),
    thumbnail_in_content=st.booleans(),
    image_proxy=st.sampled_from(["", "https://proxy.example/?u={url_encoded}"]),
    websub_hub=st.sampled_from(["", "https://hub.example/"]),
    icon=st.sampled_from(["", "https://example.com/icon.png"]),
    logo=st.sampled_from(["", "https://example.com/logo.png"]),
    cover_image=st.sampled_from(["", "https://example.com/cover.png"]),
    accent_color=st.sampled_from(["", "00ff00"]),
    feed_xsl=st.booleans(),
    refresh_minutes=st.sampled_from([0, 30]),
)
ARCHIVES = st.sampled_from(
    [
        None,
        ArchiveLinks("all"),
        ArchiveLinks("all", previous="20240301-5f0c2a9d81be"),
        ArchiveLinks("all", "20240201-0a1b2c3d4e5f", "first", "20240301-5f0c2a9d81be"),
    ]
)


def make_spec(items: list[Post], archive: ArchiveLinks | None, category: bool) -> FeedSpec:
    key = "all" if archive is None or not archive.page else f"archive/all/{archive.page}"
    return FeedSpec(
        key=key,
        title="Feed & <title>",
        description="Every post",
        category=Category("财经", "cai-jing") if category else None,
        post_ids=tuple(post.meta.id for post in items),
        archive=archive,
    )


def whole(spec: FeedSpec, items: list[Post], config: Config, fmt: str) -> bytes:
    """The document as it was rendered before entries were reused: all at once."""
    if fmt == "json":
        head = json.loads(FORMATS["json"].assemble(spec, items, [], config))
        head["items"] = [_item(post, config) for post in items]
        text = json.dumps(head, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        return text.encode()
    root = render_tree(spec, items, config, fmt)
    return decorate(root, spec, feed_path(spec, fmt), fmt, config)


@settings(max_examples=100, deadline=None)
@given(
    posts(),
    st.data(),
    CONFIGS,
    ARCHIVES,
    st.booleans(),
    st.integers(1, 4),
)
def test_a_spliced_document_is_the_whole_render(
    pool: list[Post],
    data: st.DataObject,
    config: Config,
    archive: ArchiveLinks | None,
    category: bool,
    batch_size: int,
) -> None:
    # Entries are rendered in batches of other posts, then used in a feed of some of them.
    picked = data.draw(st.lists(st.sampled_from(range(len(pool))), unique=True)) if pool else []
    items = [pool[at] for at in picked]
    spec = make_spec(items, archive, category)
    for name, fmt in FORMATS.items():
        entries = [e for batch in batches(pool, batch_size) for e in fmt.entries(batch, config)]
        spliced = fmt.assemble(spec, items, [entries[at] for at in picked], config)
        assert spliced == whole(spec, items, config, name), name


def test_the_pool_writes_what_one_process_writes(tmp_path: Path) -> None:
    """Entries rendered over the pool, then feeds and archive pages put together there from
    the entries the workers inherit: the same bytes as in one process, where a merged story's
    note is in the feeds that merge it and not in its archive pages (they merge nothing)."""
    write_story_site(tmp_path / "posts")
    settings = {"archives": True, "archive_page_size": 1, "items_per_feed": 2}
    alone = site(tmp_path, **settings)
    pooled = site(tmp_path, output_dir=str(tmp_path / "pooled"), **settings)
    build(alone, now=NOW, cache=False, workers=Workers(count=1))
    build(pooled, now=NOW, cache=False, workers=Workers(count=2, always=True, batch_size=1))
    written = tree(alone.output_dir)
    assert written == tree(pooled.output_dir)
    assert b"also-in" in written["feeds/all.atom.xml"]
    pages = [path for path in written if path.startswith("feeds/archive/all/")]
    assert pages and not any(b"also-in" in written[path] for path in pages)


def test_each_post_is_rendered_once_per_note(tmp_path: Path) -> None:
    """The all-posts feed and its parent category show the kept copy with its note, its
    source's feed without: two entries of that post, each made once for every feed."""
    write_story_site(tmp_path / "posts")
    config = site(tmp_path, archives=True)
    scanned = scan_posts(config, now=NOW)
    planned = plan(scanned, config, Decider(NOW))
    posts, _, _ = load_posts(planned.needed(), scanned.files, config, Decider(NOW), None, Workers())
    rendered = render(planned.todo, planned.feeds.specs, posts, config, Workers(), planned.sources)
    ids = {post.meta.title: post_id for post_id, post in posts.items()}
    kept, copy, other = ids["银保监局印发意见"], ids["监管部门印发意见"], ids["另一篇"]
    assert sorted(rendered.entries) == sorted(
        [(kept, ()), (kept, (copy,)), (copy, ()), (other, ())]
    )
