"""Full-history archives (RFC 5005, "Feed Paging and Archiving", section 4), planned.

With ``archives = true`` every feed's whole history is also written as *archive pages* of
about ``archive_page_size`` posts, in publication order (whatever ``order_by`` says).

Where pages end is decided by the posts themselves, as rsync and restic cut files into
chunks: walking a feed's posts oldest first, a post whose id hashes below a threshold is a
*cut candidate*, and a candidate ends its page when the page holds at least :func:`page_limits`'
minimum and the previous candidate is at least that many posts back; a page that reaches the
maximum ends there whatever its posts. The threshold (:func:`cut_threshold`) makes pages hold
``archive_page_size`` posts on average. The minimum counts from the previous candidate, not
only from the page's start, so whether a candidate cuts depends on it and on the candidate
before it alone (counted from the page's start, a merged page would let a candidate near the
old start cut, and every cut after it could shift). So:

- a new post changes only the newest page (or starts one, and the page before it gains its
  ``next-archive``), as nothing after a cut moves it;
- deleting or editing an old post rewrites only its page; deleting (or adding) a candidate, or
  a post between two candidates the minimum apart, moves at most two cuts: at most three
  pages change, the neighbour whose link changed among them;
- only a run without a cut longer than the maximum is cut by count, where a deletion moves
  the cuts after it to the end of the run. The limits trade even pages for such runs: with a
  quarter and four times the size, 0.6% of pages (2.3% of posts) are cut by count, and pages
  hold 98 posts on average for a size of 100; a larger minimum or a smaller maximum makes
  pages more even and more of them cut by count;
- a page is named after the post that ends the page before it (its date and a hash of its
  id; "first" for the oldest page), so a deletion that merges two pages renames none of the
  pages after them, and one that does not end its page renames none.

Each page links ``current`` (the subscription document), ``prev-archive`` (the page before
it, if any) and ``next-archive`` (the page after it, only once that page exists); the
subscription document links ``prev-archive`` to the newest page, or is ``fh:complete`` when it
holds every post of the feed (then the feed has no archive pages). JSON Feed chains the same
documents by ``next_url``: from the subscription feed to the newest page, from each page to
the next older one. No page's bytes depend on the build time, so an incremental build writes
what a cold build writes.

Every post of a feed is in exactly one of its archive pages; the subscription document's
items are also in the newest page(s), the overlap section 4 allows ("the most recent entry
wins"): a reader walking the chain from the subscription document and merging by id (as
RFC 5005 asks) holds every post once, and the archive pages alone hold each post once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC

from ..config import Config
from ..models import ArchiveLinks, FeedSpec, PostRef, from_epoch_micros
from .index import PostIndex
from .plan import FeedPlan

FH_NS = "http://purl.org/syndication/history/1.0"
ARCHIVE_DIR = "archive"  # feeds/archive/<feed key>/<page name>.<format>
FIRST_PAGE = "first"  # the oldest page's name: no page ends before it
HASH_SPACE = 1 << 64  # a post's cut hash is 64 bits


@dataclass
class ArchivePlan:
    """Every archive page of every feed (oldest feed page first within each feed), and the
    posts of each page (newest first, as in its spec)."""

    pages: list[FeedSpec] = field(default_factory=list)
    posts: dict[str, list[PostRef]] = field(default_factory=dict)  # by page key


def page_key(feed_key: str, page: str) -> str:
    """``archive/category/jin-rong/20240103-5f0c2a9d81be``: the page's key, so its files are
    ``feeds/archive/category/jin-rong/20240103-5f0c2a9d81be.atom.xml`` and so on."""
    return f"{ARCHIVE_DIR}/{feed_key}/{page}"


def document_path(key: str, fmt: str) -> str:
    """The path of a feed document (a subscription feed or a page) by key, in ``fmt``: as
    :func:`.render.feed_path` and :func:`.jsonfeed.json_path` name it."""
    return f"feeds/{key}.json" if fmt == "json" else f"feeds/{key}.{fmt}.xml"


def newest_marker(feed_key: str, newest: str) -> str:
    """An empty file beside a feed's pages naming its newest page, the one that still
    changes: what web servers test (nginx ``if -f``, Caddy ``file``) to cache the others
    for long, since they cannot tell from a page's name whether another follows it."""
    return f"feeds/{ARCHIVE_DIR}/{feed_key}/.newest-{newest}"


def linked_path(links: ArchiveLinks, page: str, fmt: str) -> str:
    """The path of page ``page`` of the chain ``links`` is in ("": the subscription one)."""
    key = page_key(links.feed_key, page) if page else links.feed_key
    return document_path(key, fmt)


def page_limits(size: int) -> tuple[int, int]:
    """The fewest and most posts a finished page holds, for ``archive_page_size`` ``size``."""
    return max(1, size // 4), 4 * size


def cut_threshold(size: int) -> int:
    """The cut hash below which a post is a cut candidate: the odds ``p`` that make pages
    hold ``size`` posts on average. A page is the gaps between candidates (each ``1/p`` on
    average) up to the first gap of at least the minimum ``m`` (odds ``(1 - p) ** (m - 1)``),
    so it averages ``1 / p / (1 - p) ** (m - 1)`` posts (Wald's identity), which grows with
    ``1/p`` above ``m``: solved by bisection between ``size / 2`` and ``size``."""
    least = page_limits(size)[0]
    low, high = size / 2, float(size)
    for _ in range(60):
        gap = (low + high) / 2
        if gap / (1 - 1 / gap) ** (least - 1) < size:
            low = gap
        else:
            high = gap
    return int(HASH_SPACE / high)


def page_lengths(hashes: Sequence[int], size: int) -> list[int]:
    """How many posts each page holds, oldest first, for posts whose cut hashes (oldest
    first) are ``hashes``: the cuts the module's docstring describes (the last page, still
    open, may hold fewer than the minimum)."""
    least, most = page_limits(size)
    threshold = cut_threshold(size)
    lengths: list[int] = []
    length = 0
    since_candidate = 0  # posts since the previous candidate (none: since the start)
    for value in hashes:
        length += 1
        since_candidate += 1
        candidate = value < threshold
        if (candidate and length >= least and since_candidate >= least) or length == most:
            lengths.append(length)
            length = 0
        if candidate:
            since_candidate = 0
    if length:
        lengths.append(length)
    return lengths


@dataclass(frozen=True, slots=True)
class PostHash:
    """What a post's id hashes to: where pages are cut, and the name of the page it ends."""

    cut: int  # 64 bits
    name: str  # 48 bits, as hex

    @classmethod
    def of(cls, post_id: str) -> PostHash:
        """A post's hashes (any id hashes, even one that is not valid Unicode)."""
        digest = hashlib.blake2b(post_id.encode("utf-8", "surrogatepass"), digest_size=14).digest()
        return cls(int.from_bytes(digest[:8], "big"), digest[8:].hex())


def paginate(
    oldest_first: Sequence[PostRef], size: int, hashes: dict[str, PostHash]
) -> Iterator[tuple[str, list[PostRef]]]:
    """A feed's pages, oldest first: each one's name and posts (oldest first). ``hashes``:
    the posts' hashes by id, filled in as needed (a post is in several feeds)."""
    for ref in oldest_first:
        if ref.id not in hashes:
            hashes[ref.id] = PostHash.of(ref.id)
    known = [hashes[ref.id] for ref in oldest_first]
    names: set[str] = set()
    start = 0
    for length in page_lengths([hashed.cut for hashed in known], size):
        name = FIRST_PAGE if not start else _name(oldest_first[start - 1], known[start - 1])
        name = _unique(name, names)
        yield name, list(oldest_first[start : start + length])
        start += length


def _name(boundary: PostRef, hashed: PostHash) -> str:
    """A page's name from the post that ends the page before it: that post's day (UTC, so
    pages sort by date) and its id's name hash (for the posts of one day)."""
    day = from_epoch_micros(boundary.published, UTC)
    return f"{day:%Y%m%d}-{hashed.name}"


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or if an older page of the feed has it (two ids whose 48-bit name hashes
    match on one day), the first ``name-2``, ``name-3``... free."""
    unique, count = name, 1
    while unique in taken:
        count += 1
        unique = f"{name}-{count}"
    taken.add(unique)
    return unique


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
    hashes: dict[str, PostHash] = {}
    for at, spec in enumerate(plan.specs):
        if len(spec.post_ids) >= spec.post_count:  # complete
            plan.specs[at] = replace(spec, archive=ArchiveLinks(spec.key))
            continue
        members = _members(index, spec, config)
        if members is None:  # a kind of feed without archives: left as it is
            continue
        oldest_first = sorted(members, key=lambda ref: (ref.published, ref.id))
        pages = list(paginate(oldest_first, config.archive_page_size, hashes))
        names = [name for name, _ in pages]
        newest = names[-1] if names else ""
        plan.specs[at] = replace(spec, archive=ArchiveLinks(spec.key, previous=newest))
        for number, (name, oldest) in enumerate(pages):
            refs = oldest[::-1]
            key = page_key(spec.key, name)
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
                    archive=ArchiveLinks(
                        spec.key,
                        name,
                        previous=names[number - 1] if number else "",
                        following=names[number + 1] if number + 1 < len(names) else "",
                    ),
                )
            )
    return archives


def json_chain(spec: FeedSpec, config: Config) -> dict[str, str]:
    """A JSON Feed document's place in the chain: ``next_url`` to the next older document
    (none from the oldest page); a page's ``feed_url`` is its feed's, the identity it shares."""
    links = spec.archive
    if links is None:
        return {}
    fields = {}
    if links.page:
        fields["feed_url"] = config.feeds_url + linked_path(links, "", "json")
    if links.previous:
        fields["next_url"] = config.feeds_url + linked_path(links, links.previous, "json")
    return fields
