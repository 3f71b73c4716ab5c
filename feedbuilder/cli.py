"""The ``feedbuilder`` command: a thin layer over :mod:`feedbuilder.pipeline`.

Exit codes: 0 built, 1 problems under ``--strict`` (or any problem for ``check``),
2 usage or configuration error, 3 the output dir cannot be written, 4 a feed's health is
what ``build --fail-on`` names (stale, shrink, oversize; the feeds are written), 70 a worker
process died, 75 another build holds the lock (EX_TEMPFAIL: cron may simply try again next time),
128 + the signal's number when SIGTERM, SIGINT or SIGHUP stopped it (143, 130, 129).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from . import __version__
from .category_list import list_categories, table
from .config import Config, load_settings
from .errors import ConfigError, LockedError, OutputError, WorkerError, WouldEmptySiteError
from .interrupt import Interrupted, signals_raise
from .models import BuildReport, HealthAlert, Problem, Severity
from .output.health import ALERT_KINDS, HEALTH_PATH, health_table, read_health
from .pipeline import build, check
from .pool import Workers
from .progress import log, progress_display

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_OUTPUT = 3
EXIT_HEALTH = 4  # build --fail-on: a feed is stale, shrunk or oversize (written all the same)
EXIT_SOFTWARE = 70  # EX_SOFTWARE
EXIT_LOCKED = 75


def _display(problem: Problem, config: Config) -> str:
    """``path[:line]: reason`` with the path as the user would type it."""
    path = Path(problem.path)
    full = path if path.is_absolute() else config.posts_dir / path
    try:
        shown = os.path.relpath(full)
    except ValueError:
        shown = str(full)
    if shown.startswith(".."):
        shown = str(full)
    return str(Problem(shown, problem.reason, problem.severity, problem.line))


def _config(ctx_options: dict[str, Any], verbose: bool = False) -> Config:
    config_file = ctx_options.pop("config_file")
    try:
        settings = load_settings(config_file, overrides=ctx_options)
    except ConfigError as exc:
        raise click.UsageError(f"configuration: {exc}") from None
    if verbose:  # which file each setting came from
        for key, source in sorted(settings.sources.items()):
            value = getattr(settings.config, key)
            shown = (
                "(Hexo's rules)"
                if key == "hexo"
                else repr(str(value) if isinstance(value, Path) else value)
            )
            click.echo(f"feedbuilder: {key} = {shown} from {source}", err=True)
        for note in settings.notes:
            click.echo(f"feedbuilder: {note}", err=True)
    return settings.config


@contextlib.contextmanager
def exits() -> Iterator[None]:
    """Every way a command can stop short, as one line on stderr and its exit code (no
    traceback); termination signals stop it cleanly (see :mod:`.interrupt`)."""
    try:
        with signals_raise():
            yield
    except Interrupted as exc:
        _fail(f"stopped by {exc.name}", exc.exit_code)
    except (ConfigError, WouldEmptySiteError) as exc:
        _fail(f"{exc}; nothing written", EXIT_USAGE)
    except LockedError as exc:
        _fail(str(exc), EXIT_LOCKED)
    except OutputError as exc:
        _fail(f"cannot write output: {exc}; previous feeds left as they were", EXIT_OUTPUT)
    except WorkerError as exc:
        _fail(str(exc), EXIT_SOFTWARE)


def _workers() -> Workers:
    """The process pool; ``FEEDBUILDER_POOL=always`` uses it for every pass, however small
    (how the fault and soak tests run real pools on small corpora), ``off`` for none."""
    mode = os.environ.get("FEEDBUILDER_POOL", "")
    if mode == "always":
        return Workers(always=True)
    return Workers(count=1) if mode == "off" else Workers()


def _fail(message: str, code: int) -> None:
    click.echo(f"feedbuilder: {message}", err=True)
    raise SystemExit(code) from None


def _print_problems(report: BuildReport, config: Config, quiet: bool) -> None:
    """Each problem the last build did not report already (same file, size, mtime and
    reason): cron mails only news. ``check`` passes a report with none known."""
    for problem in report.problems:
        if problem in report.known or (quiet and problem.severity is not Severity.ERROR):
            continue
        click.echo(_display(problem, config), err=True)


class AlertKinds(click.ParamType):  # type: ignore[type-arg]
    """``stale,shrink,oversize``: any of the health alerts, comma-separated."""

    name = "kinds"

    def convert(self, value: Any, param: Any, ctx: Any) -> frozenset[str]:
        if isinstance(value, frozenset):
            return value
        kinds = frozenset(k.strip() for k in str(value).split(",") if k.strip())
        unknown = sorted(kinds - set(ALERT_KINDS))
        if unknown:
            self.fail(f"unknown {', '.join(unknown)}; choose from {', '.join(ALERT_KINDS)}")
        return kinds


common_options = [
    click.option("--posts", "posts_dir", type=click.Path(path_type=Path), help="Posts folder."),
    click.option("--output", "output_dir", type=click.Path(path_type=Path), help="Output folder."),
    click.option(
        "--config",
        "config_file",
        type=click.Path(path_type=Path),
        help="Config file (default: feedbuilder.toml, else [tool.feedbuilder] in pyproject.toml).",
    ),
    click.option(
        "--site",
        "site_dir",
        type=click.Path(path_type=Path),
        help="A Hexo site's root: read its _config.yml (default: the current folder, if one).",
    ),
    click.option(
        "--limit", "items_per_feed", type=click.IntRange(min=0), help="Items per feed (0: all)."
    ),
    click.option("--site-url", "site_url", help="Site URL, the base for links."),
    click.option("--timezone", "timezone", help="IANA time zone for naive dates."),
]


def with_common_options(func: Any) -> Any:
    for option in reversed(common_options):
        func = option(func)
    return func


verbose_option = click.option(
    "--verbose", "-v", is_flag=True, help="Log each stage and its timing to stderr."
)


@contextlib.contextmanager
def observed(verbose: bool, quiet: bool = False) -> Iterator[None]:
    """Stage logs on stderr with ``--verbose``; a progress bar only when stderr is a terminal."""
    handler: logging.Handler | None = None
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("feedbuilder: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    try:
        if sys.stderr.isatty() and not (quiet or verbose):
            with progress_display():
                yield
        else:
            yield
    finally:
        if handler is not None:
            log.removeHandler(handler)
            log.setLevel(logging.NOTSET)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="feedbuilder")
def main() -> None:
    """Turn a folder of posts into per-category RSS 2.0 and Atom 1.0 feeds."""


@main.command(name="build")
@with_common_options
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Print only new errors: no summary, no warnings, nothing the last build reported.",
)
@click.option("--strict", is_flag=True, help="Exit 1 when any post was skipped.")
@click.option(
    "--wait",
    "wait",
    type=click.FloatRange(min=0),
    default=0,
    help="Seconds to wait for another running build to finish (default: don't wait).",
)
@click.option(
    "--no-cache",
    "no_cache",
    is_flag=True,
    help="Ignore and leave alone the build cache: read every post, render every feed.",
)
@click.option(
    "--fail-on",
    "fail_on",
    type=AlertKinds(),
    default="",
    help=f"Exit {EXIT_HEALTH} when a feed is any of {','.join(ALERT_KINDS)} (comma-separated): "
    "silent for over 3x its usual interval, under half its last build's items, a file over "
    "max_feed_bytes.",
)
@click.option(
    "--allow-shrink",
    "allow_shrink",
    is_flag=True,
    help="Build even when most posts that built last time are unusable now, or none is left.",
)
@verbose_option
def build_command(
    quiet: bool,
    strict: bool,
    wait: float,
    no_cache: bool,
    fail_on: frozenset[str],
    allow_shrink: bool,
    verbose: bool,
    **options: Any,
) -> None:
    """Build every feed into the output folder."""
    config = _config(options, verbose)
    with exits(), observed(verbose, quiet):
        report = build(
            config,
            cache=not no_cache,
            workers=_workers(),
            wait_seconds=wait,
            tune_gc=True,
            allow_shrink=allow_shrink,
        )
    _print_problems(report, config, quiet)
    if not quiet:
        click.echo(
            f"{report.posts_read} posts read, {report.posts_skipped} skipped, "
            f"{report.feeds_written} feeds written, {report.feeds_unchanged} unchanged"
            + (f", {report.files_removed} removed" if report.files_removed else "")
            + (
                f"; {len(report.known)} known problems not repeated (feedbuilder check lists them)"
                if report.known
                else ""
            ),
            err=True,
        )
    caught = [alert for alert in report.alerts if alert.kind in fail_on]
    _print_alerts(caught)
    if caught:
        raise SystemExit(EXIT_HEALTH)
    if strict and report.posts_skipped:
        raise SystemExit(EXIT_PROBLEMS)


def _print_alerts(alerts: list[HealthAlert]) -> None:
    for alert in alerts:
        click.echo(f"feedbuilder: health: {alert}", err=True)


@main.command(name="check")
@with_common_options
@verbose_option
def check_command(verbose: bool, **options: Any) -> None:
    """Read and render everything, write nothing; exit 1 when there is any problem."""
    config = _config(options, verbose)
    with exits(), observed(verbose):
        report = check(config, tune_gc=True)
    _print_problems(report, config, quiet=False)
    click.echo(
        f"{report.posts_read} posts read, {report.posts_skipped} skipped, "
        f"{len(report.problems)} problems",
        err=True,
    )
    if report.problems:
        raise SystemExit(EXIT_PROBLEMS)


@main.command(name="list")
@with_common_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON records for scripts.")
def list_command(as_json: bool, **options: Any) -> None:
    """List the categories: name, slug, hierarchy, post count, newest post."""
    config = _config(options)
    with exits():
        records = list_categories(config)
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
    else:
        click.echo(table(records))


@main.command(name="health")
@click.option("--output", "output_dir", type=click.Path(path_type=Path), help="Output folder.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="Config file.")
@click.option("--json", "as_json", is_flag=True, help=f"Print {HEALTH_PATH} as it is.")
def health_command(as_json: bool, **options: Any) -> None:
    """Show each feed's health from the last build's health.json (ages as of now)."""
    config = _config(options)
    health = read_health(config.output_dir)
    if health is None:
        raise click.UsageError(
            f"no readable {HEALTH_PATH} in {config.output_dir}: run feedbuilder build first"
        )
    if as_json:
        click.echo(health.to_json().decode(), nl=False)
    else:
        click.echo(health_table(health, datetime.now(UTC)))


@main.command(name="serve")
@click.option("--output", "output_dir", type=click.Path(path_type=Path), help="Output folder.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="Config file.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--bind", "host", default="127.0.0.1", show_default=True, help="Listen address.")
def serve_command(port: int, host: str, **options: Any) -> None:
    """Preview the output folder over HTTP (feed media types, ETag/304, gzip)."""
    config = _config(options)
    try:
        from .serve import OutputServer  # http.server: only for this command

        server = OutputServer(
            config.output_dir, host, port, hub=config.websub_hub, feeds_url=config.feeds_url
        )
    except NotADirectoryError as exc:
        raise click.UsageError(f"--output: {exc}") from None
    except OSError as exc:
        raise click.UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    click.echo(f"Serving {config.output_dir} at {server.url} (Ctrl-C to stop)", err=True)
    with server, contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
