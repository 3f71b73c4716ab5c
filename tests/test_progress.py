"""Progress and stage logging: a bar on terminals only, stage timings with ``--verbose``."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from feedbuilder.cli import main
from feedbuilder.config import Config, make_config
from feedbuilder.pipeline import build, check
from feedbuilder.pool import Workers
from feedbuilder.progress import progress_display, showing, stage

from .recording import Recording
from .sitecorpus import write_posts

STAGES = ["list", "scan", "plan", "clean", "render", "write", "remember"]


def run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    write_posts(tmp_path / "posts", "https://example.com/img/")
    result = CliRunner().invoke(
        main,
        ["build", "--posts", str(tmp_path / "posts"), "--output", str(tmp_path / "out"), *args],
    )
    return result.exit_code, result.stdout, result.stderr


def test_not_a_terminal_prints_only_the_summary(tmp_path: Path) -> None:
    code, out, err = run(tmp_path)
    assert code == 0 and out == ""
    assert err.splitlines() == [err.strip()]
    assert re.fullmatch(r"4 posts read, 0 skipped, \d+ feeds written, 0 unchanged\n", err)
    assert run(tmp_path, "--quiet")[1:] == ("", "")


def test_verbose_logs_every_stage_with_its_time(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "--verbose")
    assert code == 0
    logged = re.findall(r"^feedbuilder: (\w+)(?: \((\d+) items\))?: \d+\.\d{3}s$", err, re.M)
    assert [name for name, _ in logged] == STAGES
    assert dict(logged)["scan"] == "4"
    # logging is left as it was: the next run without --verbose logs nothing
    assert "feedbuilder: scan" not in run(tmp_path / "again")[2]


def test_a_terminal_sees_a_progress_bar_per_stage(tmp_path: Path) -> None:
    write_posts(tmp_path / "posts", "https://example.com/img/")
    config = make_config(
        {"posts_dir": str(tmp_path / "posts"), "output_dir": str(tmp_path / "out")}
    )
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80)
    with progress_display(console):
        build(config)
    shown = screen.getvalue()
    for name in STAGES:  # rich draws each task as it is added
        assert name in shown
    assert "0/4" in shown  # scan: four posts to go


def site(tmp_path: Path) -> Config:
    write_posts(tmp_path / "posts", "https://example.com/img/")
    return make_config({"posts_dir": str(tmp_path / "posts"), "output_dir": str(tmp_path / "out")})


@pytest.mark.parametrize(
    "workers", [Workers(count=1, batch_size=1), Workers(count=2, always=True, batch_size=1)]
)
def test_every_stage_moves_as_its_work_is_done(tmp_path: Path, workers: Workers) -> None:
    recording = Recording()
    with showing(recording):
        report = build(site(tmp_path), workers=workers)
    assert recording.stages() == STAGES
    totals = recording.totals()
    assert totals["scan"] == totals["clean"] == 4
    assert totals["render"] == report.feeds_written + 1  # each feed, then the site files
    for name, total in totals.items():
        if total is not None:  # one step per item, as each is done: never all at the end
            assert sum(recording.steps(name)) == total, name
            assert len(recording.steps(name)) > 1 or total <= 1, name
    assert totals["write"] == report.files_written - 1  # every file but the manifest


def test_check_shows_the_same_stages_up_to_render(tmp_path: Path) -> None:
    recording = Recording()
    with showing(recording):
        check(site(tmp_path))
    assert recording.stages() == STAGES[:5]
    assert not (tmp_path / "out").exists()


def test_stage_without_a_display_only_passes_through() -> None:
    with stage("y") as advance:
        advance(5)
