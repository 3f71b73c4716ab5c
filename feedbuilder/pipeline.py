"""The library API: collect → normalise → plan feeds → clean feed-bound bodies → write.

Front matter is read for every post; bodies are read again and cleaned only for the posts
that land in at least one feed, so a build's cost is dominated by the cheap pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .collect.files import PostFile, find_post_files, read_post
from .config import Config
from .feeds.formats import configured
from .feeds.plan import dedupe, plan_feeds
from .models import BuildReport, Category, FeedSpec, Post, PostBody, PostMeta, Problem, Severity
from .normalise import normalise_meta
from .normalise.content import clean_body
from .output.writer import OutputDir, build_lock
from .progress import stage, track
from .site.page import site_files


@dataclass
class Scan:
    """Every usable post's metadata, and what went wrong with the rest."""

    metas: list[PostMeta] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: dict[str, PostFile] = field(default_factory=dict)
    posts_read: int = 0
    posts_skipped: int = 0


def scan_file(
    file: PostFile, config: Config, now: datetime
) -> tuple[PostMeta | None, list[Problem]]:
    """Read one file and normalise its front matter."""
    source, problems = read_post(file, config.max_file_bytes, config.max_front_matter_bytes)
    if source is None:
        return None, problems
    meta, more = normalise_meta(source, config, now)
    return meta, problems + more


def scan(config: Config, now: datetime) -> Scan:
    """Read every post's front matter (the pass that touches every file)."""
    files, problems = find_post_files(config.posts_dir, config.follow_symlinks)
    result = Scan(problems=problems, files={f.rel_path: f for f in files})
    result.posts_skipped = sum(1 for p in problems if p.severity is Severity.ERROR)
    for file in track(files, "scan"):
        meta, file_problems = scan_file(file, config, now)
        _collect(result, meta, file_problems)
    result.metas, duplicates = dedupe(result.metas)
    result.problems.extend(duplicates)
    result.posts_skipped += sum(1 for p in duplicates if p.severity is Severity.ERROR)
    return result


def _collect(result: Scan, meta: PostMeta | None, problems: list[Problem]) -> None:
    result.problems.extend(problems)
    if meta is None:
        result.posts_skipped += 1
    else:
        result.posts_read += 1
        result.metas.append(meta)


def load_body(meta: PostMeta, file: PostFile, config: Config) -> PostBody:
    """Read a post's body again and clean it (only for posts that land in a feed)."""
    source, _ = read_post(file, config.max_file_bytes, config.max_front_matter_bytes)
    raw = source.body if source is not None else ""
    return clean_body(
        raw,
        meta.body_format,
        meta.link,
        config.all_junk_selectors,
        config.summary_length,
        meta.given_summary,
    )


def feed_bound_ids(specs: Iterable[FeedSpec]) -> list[str]:
    seen: dict[str, None] = {}
    for spec in specs:
        for post_id in spec.post_ids:
            seen.setdefault(post_id, None)
    return list(seen)


@dataclass
class Plan:
    """A scan turned into feeds with their posts, ready to render."""

    scan: Scan
    specs: list[FeedSpec]
    categories: dict[str, Category]
    posts: dict[str, Post]


def plan(config: Config, now: datetime | None = None) -> Plan:
    """Scan, plan the feeds and clean the bodies they need."""
    result = scan(config, now or datetime.now(UTC))
    with stage("plan"):
        specs, categories = plan_feeds(result.metas, config)
    by_id = {meta.id: meta for meta in result.metas}
    posts = {
        post_id: Post(
            by_id[post_id], load_body(by_id[post_id], result.files[by_id[post_id].rel_path], config)
        )
        for post_id in track(feed_bound_ids(specs), "clean")
    }
    return Plan(result, specs, categories, posts)


def render_all(plan_: Plan, config: Config) -> dict[str, bytes]:
    """Every output file's path and bytes."""
    files: dict[str, bytes] = {}
    for spec in track(plan_.specs, "render"):
        posts: Sequence[Post] = [plan_.posts[i] for i in spec.post_ids]
        for fmt in configured(config):
            files[fmt.path(spec)] = fmt.render(spec, posts, config)
    with stage("site"):
        files.update(site_files(plan_.specs, plan_.scan.metas, config))
    return files


def check(config: Config, now: datetime | None = None) -> BuildReport:
    """Read and render everything, write nothing: a dry run that reports every problem."""
    plan_ = plan(config, now)
    render_all(plan_, config)
    return _report(plan_)


def build(config: Config, now: datetime | None = None, wait_seconds: float = 0) -> BuildReport:
    """Build every feed into the output dir. Raises OutputError or LockedError."""
    with build_lock(config.output_dir, wait_seconds):
        plan_ = plan(config, now)
        output = OutputDir(config.output_dir)
        for rel_path, data in track(list(render_all(plan_, config).items()), "write"):
            output.write(rel_path, data)
        report = _report(plan_)
        report.feeds_written = len(output.written)
        report.feeds_unchanged = len(output.unchanged)
        removed = output.finish()
        report.files_removed = len(removed)
    return report


def _report(plan_: Plan) -> BuildReport:
    return BuildReport(
        posts_read=plan_.scan.posts_read,
        posts_skipped=plan_.scan.posts_skipped,
        problems=list(plan_.scan.problems),
    )
