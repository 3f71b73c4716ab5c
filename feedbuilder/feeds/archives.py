"""Full-history archives (RFC 5005, "Feed Paging and Archiving", section 4), planned.

With ``archives = true`` every feed's whole history is also written as *archive pages* of
``archive_page_size`` posts, numbered from the oldest: page 1 holds the oldest posts (in
publication order, whatever ``order_by`` says), page n the newest ones, which may be fewer.
So a new post changes only the newest page (or starts a page), and no older page's bytes
depend on how many pages follow it, on the build time or on anything a new post changes:

- a page carries ``current`` (the subscription document), ``prev-archive`` (the page before
  it, if any) and ``next-archive`` (the page after it, only once that page exists: the one
  change a full page sees, when the page after it first appears);
- the subscription document carries ``prev-archive`` to the newest page, or ``fh:complete``
  when it holds every post of the feed (then the feed has no archive pages);
- JSON Feed chains the same documents by ``next_url``: the subscription feed's points at the
  newest page, each page's at the next older one.

Every post of a feed is in exactly one of its archive pages; the subscription document's
items are also in the newest page(s), the overlap section 4 allows ("the most recent entry
wins"): a reader walking the chain from the subscription document and merging by id (as
RFC 5005 asks) holds every post once, and the archive pages alone hold each post once.

Deleting a post, or adding one dated before older posts, moves the posts after it by one
place, so it rewrites its page and every later one: page boundaries are a function of the
posts alone, so that a cold build and an incremental one write the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..config import Config
from ..models import ArchiveLinks, FeedSpec, PostRef
from .index import PostIndex
from .plan import FeedPlan

FH_NS = "http://purl.org/syndication/history/1.0"
ARCHIVE_DIR = "archive"  # feeds/archive/<feed key>/<n>.<format>


@dataclass
class ArchivePlan:
    """Every archive page of every feed (oldest feed page first within each feed), and the
    posts of each page (newest first, as in its spec)."""

    pages: list[FeedSpec] = field(default_factory=list)
    posts: dict[str, list[PostRef]] = field(default_factory=dict)  # by page key


def page_key(feed_key: str, page: int) -> str:
    """``archive/category/jin-rong/3``: the page's key, so its files are
    ``feeds/archive/category/jin-rong/3.atom.xml`` and so on."""
    return f"{ARCHIVE_DIR}/{feed_key}/{page}"


def document_path(key: str, fmt: str) -> str:
    """The path of a feed document (a subscription feed or a page) by key, in ``fmt``: as
    :func:`.render.feed_path` and :func:`.jsonfeed.json_path` name it."""
    return f"feeds/{key}.json" if fmt == "json" else f"feeds/{key}.{fmt}.xml"


def newest_marker(feed_key: str, newest: int) -> str:
    """An empty file beside a feed's pages naming its newest page, the one that still
    changes: what web servers test (nginx ``if -f``, Caddy ``file``) to cache the others
    for long, since they cannot count to the next page."""
    return f"feeds/{ARCHIVE_DIR}/{feed_key}/.newest-{newest}"


def linked_path(links: ArchiveLinks, page: int, fmt: str) -> str:
    """The path of page ``page`` of the chain ``links`` is in (0: the subscription one)."""
    key = links.feed_key if page == 0 else page_key(links.feed_key, page)
    return document_path(key, fmt)


def _members(index: PostIndex, spec: FeedSpec, config: Config) -> list[PostRef] | None:
    """Every post of the feed ``spec`` (None: a kind of feed that has no archives, such as
    a saved query with ``max_age_days``, whose history is out of the query by definition)."""
    kind, _, name = spec.key.partition("/")
    if kind == "all":
        return index.feed_posts(0).newest
    if kind == "query":
        query = config.feeds.get(name)
        if query is None or query.max_age_days:
            return None
        return index.feed_posts(0, query=name).newest
    if spec.category is None:
        return None
    if kind == "category":
        return index.feed_posts(0, category=spec.category.name).newest
    if kind == "tag":
        return index.feed_posts(0, tag=spec.category.name).newest
    return None


def plan_archives(index: PostIndex, plan: FeedPlan, config: Config) -> ArchivePlan:
    """Every feed's archive pages; each spec of ``plan`` gains its :class:`ArchiveLinks`
    (a feed whose subscription document holds all its posts gets no page: complete)."""
    archives = ArchivePlan()
    size = config.archive_page_size
    for at, spec in enumerate(plan.specs):
        if len(spec.post_ids) >= spec.post_count:  # complete
            plan.specs[at] = replace(spec, archive=ArchiveLinks(spec.key, 0, 0))
            continue
        members = _members(index, spec, config)
        if members is None:  # a kind of feed without archives: left as it is
            continue
        oldest_first = sorted(members, key=lambda ref: (ref.published, ref.id))
        newest = -(-len(oldest_first) // size)
        plan.specs[at] = replace(spec, archive=ArchiveLinks(spec.key, 0, newest))
        for page in range(1, newest + 1):
            refs = oldest_first[(page - 1) * size : page * size][::-1]
            key = page_key(spec.key, page)
            archives.posts[key] = refs
            archives.pages.append(
                FeedSpec(
                    key=key,
                    title=spec.title,
                    description=spec.description,
                    category=spec.category,
                    post_ids=tuple(ref.id for ref in refs),
                    post_count=len(refs),
                    newest=refs[0].published_at(),
                    archive=ArchiveLinks(spec.key, page, newest),
                )
            )
    return archives


def json_chain(spec: FeedSpec, config: Config) -> dict[str, str]:
    """A JSON Feed document's place in the chain: ``next_url`` to the next older document
    (none from page 1); a page's ``feed_url`` is its feed's, the identity it shares."""
    links = spec.archive
    if links is None:
        return {}
    fields = {}
    if links.page:
        fields["feed_url"] = config.feeds_url + linked_path(links, 0, "json")
    if links.previous:
        fields["next_url"] = config.feeds_url + linked_path(links, links.previous, "json")
    return fields
