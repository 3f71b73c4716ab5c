"""Feed health: ``health.json`` beside the feeds, and the alerts cron can act on.

Per feed: its items and posts, its newest post, its usual interval between posts, the share
of its items without a date or an image, duplicates merged, and each format's bytes. The file
holds instants, not ages, so a rebuild with nothing new leaves it byte-identical; ages are
taken at the clock of whoever reads it (``feedbuilder health``, ``build --fail-on``).

The usual interval is the mean gap over the feed's items (their span over one less than their
count), not the median gap: scraped sources post in bursts, and a median of a burst's
seconds-apart gaps would call a feed stale an hour after its daily batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..models import FeedSpec, HealthAlert, PostMeta

HEALTH_PATH = "health.json"
ALERT_KINDS = ("stale", "shrink", "oversize")
STALE_INTERVALS = 3  # silent for over this many usual intervals: stale
SHRINK_SHARE = 0.5  # fewer than this share of the last build's items: shrunk


@dataclass(frozen=True)
class FeedHealth:
    """One feed's figures; shares are of its items, from 0 to 1."""

    key: str
    title: str
    items: int  # in the feed
    posts: int  # every post of the feed, not just those it holds
    newest: str | None  # the newest post's publication, ISO 8601 in UTC
    interval_seconds: int | None  # the usual gap between its posts (None: under two items)
    undated_share: float  # dated by their file's mtime (missing_date = "mtime")
    imageless_share: float  # no thumbnail and no image in the body
    duplicates_merged: int = 0  # copies of its stories merged away (FeedSpec's)
    bytes: dict[str, int] = field(default_factory=dict)  # per format name

    def age_seconds(self, now: datetime) -> int | None:
        """How long the feed has been silent at ``now``."""
        if self.newest is None:
            return None
        return int((now - datetime.fromisoformat(self.newest)).total_seconds())

    def silent_too_long(self, now: datetime) -> bool:
        """Whether, at ``now``, it has been silent for over three usual intervals (a feed with
        no interval, under two items or all at one instant, never is)."""
        age, interval = self.age_seconds(now), self.interval_seconds
        return age is not None and interval is not None and age > STALE_INTERVALS * interval > 0


@dataclass(frozen=True)
class Health:
    """Every feed's health, in the plan's order, and the size cap it was judged by."""

    feeds: list[FeedHealth]
    max_feed_bytes: int

    def to_json(self) -> bytes:
        data = {"max_feed_bytes": self.max_feed_bytes, "feeds": [asdict(f) for f in self.feeds]}
        return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> Health:
        """Raises ValueError (and the like) when ``data`` is not a health file."""
        parsed: dict[str, Any] = json.loads(data)
        return cls([FeedHealth(**f) for f in parsed["feeds"]], int(parsed["max_feed_bytes"]))

    def by_key(self) -> dict[str, FeedHealth]:
        return {f.key: f for f in self.feeds}


def read_health(root: Path) -> Health | None:
    """The health file a build left in the output dir ``root`` (None: none, or unreadable)."""
    try:
        return Health.from_json((root / HEALTH_PATH).read_bytes())
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def feed_health(
    spec: FeedSpec,
    metas: Sequence[PostMeta],
    has_image: Sequence[bool],
    sizes: Mapping[str, int],
    undated_by_mtime: bool,
) -> FeedHealth:
    """One feed's health from its items' metadata (in feed order), whether each has an
    image, and its files' sizes by format name."""
    count = len(metas)
    dates = sorted(m.published for m in metas)
    interval = None
    if count >= 2:
        interval = int((dates[-1] - dates[0]).total_seconds()) // (count - 1)
    undated = sum(1 for m in metas if _dated_by_mtime(m)) if undated_by_mtime else 0
    return FeedHealth(
        key=spec.key,
        title=spec.title,
        items=count,
        posts=spec.post_count,
        newest=None if spec.newest is None else spec.newest.astimezone(UTC).isoformat(),
        interval_seconds=interval,
        undated_share=_share(undated, count),
        imageless_share=_share(count - sum(has_image), count),
        duplicates_merged=spec.duplicates_merged,
        bytes=dict(sizes),
    )


def _dated_by_mtime(meta: PostMeta) -> bool:
    return abs(meta.published.timestamp() - meta.mtime) < 1e-6


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def site_health(
    specs: Sequence[FeedSpec],
    metas: Mapping[str, PostMeta],
    image_of: Callable[[FeedSpec], Sequence[bool] | None],
    sizes_of: Callable[[FeedSpec], Mapping[str, int]],
    previous: Health | None,
    max_feed_bytes: int,
    undated_by_mtime: bool,
) -> Health:
    """Every feed's health. ``image_of`` tells for a feed rendered in this build whether
    each item has an image; None for a feed kept as the last build wrote it, whose share is
    then the ``previous`` health file's (its items are the same; the build renders again a
    feed that file does not describe)."""
    last = previous.by_key() if previous is not None else {}
    feeds = []
    for spec in specs:
        items = [metas[i] for i in spec.post_ids]
        images = image_of(spec)
        health = feed_health(spec, items, images or (), sizes_of(spec), undated_by_mtime)
        if images is None:
            health = _with_share(health, last[spec.key].imageless_share)
        feeds.append(health)
    return Health(feeds, max_feed_bytes)


def _with_share(health: FeedHealth, imageless: float) -> FeedHealth:
    return FeedHealth(**{**asdict(health), "imageless_share": imageless})


def alerts(current: Health, previous: Health | None, now: datetime) -> list[HealthAlert]:
    """What cron should hear about, in feed order: stale feeds (silent for over three usual
    intervals at ``now``), shrunk ones (under half the items of the ``previous`` build, or
    gone) and oversize files."""
    found: list[HealthAlert] = []
    for feed in current.feeds:
        if feed.silent_too_long(now):
            age, interval = feed.age_seconds(now), feed.interval_seconds
            found.append(
                HealthAlert(
                    "stale",
                    feed.key,
                    f"no post for {_duration(age or 0)}, over {STALE_INTERVALS}× its usual "
                    f"interval of {_duration(interval or 0)}",
                )
            )
        for name, size in feed.bytes.items():
            if size > current.max_feed_bytes:
                found.append(
                    HealthAlert(
                        "oversize",
                        feed.key,
                        f"its {name} file is {size} bytes, over max_feed_bytes "
                        f"({current.max_feed_bytes})",
                    )
                )
    found.extend(_shrunk(current, previous))
    return found


def _shrunk(current: Health, previous: Health | None) -> Iterable[HealthAlert]:
    now = current.by_key()
    for feed in previous.feeds if previous is not None else []:
        items = now[feed.key].items if feed.key in now else 0
        if feed.items and items < feed.items * SHRINK_SHARE:
            gone = "" if feed.key in now else " (the feed is gone)"
            yield HealthAlert(
                "shrink", feed.key, f"{items} items, down from {feed.items} last build{gone}"
            )


def _duration(seconds: int) -> str:
    """A rough length of time for people: 3d, 5h, 12m, 40s."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def health_table(health: Health, now: datetime) -> str:
    """The health file as a table for people, ages taken at ``now``; flags name what
    ``--fail-on`` would catch (shrinking needs two builds, so it is not shown)."""
    header = ("feed", "items", "posts", "newest", "interval", "undated", "no image", "dups")
    rows = [(*header, "bytes", "flags")]
    for feed in health.feeds:
        age = feed.age_seconds(now)
        flags = []
        if feed.silent_too_long(now):
            flags.append("stale")
        if any(size > health.max_feed_bytes for size in feed.bytes.values()):
            flags.append("oversize")
        rows.append(
            (
                feed.key,
                str(feed.items),
                str(feed.posts),
                "-" if age is None else f"{_duration(max(age, 0))} ago",
                "-" if feed.interval_seconds is None else _duration(feed.interval_seconds),
                f"{feed.undated_share:.0%}",
                f"{feed.imageless_share:.0%}",
                str(feed.duplicates_merged),
                " ".join(f"{name}:{size}" for name, size in feed.bytes.items()),
                ",".join(flags),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    numeric = {1, 2, 5, 6, 7}
    lines = [
        "  ".join(
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    return "\n".join(lines)
