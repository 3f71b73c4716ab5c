"""Stage reporting: each stage's timing goes to :mod:`logging`; a progress display is optional.

The pipeline marks its stages with :func:`stage` and knows nothing about
terminals. The CLI installs a rich progress bar only when stderr is a terminal, so cron output
stays exactly as it was.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # rich is imported only when a terminal will show it: cron never pays
    from rich.console import Console
    from rich.progress import TaskID

log = logging.getLogger("feedbuilder")


class Display(Protocol):
    """Something that shows one stage at a time."""

    def begin(self, name: str, total: int | None) -> None: ...
    def advance(self, steps: int) -> None: ...
    def end(self) -> None: ...


_display: ContextVar[Display | None] = ContextVar("feedbuilder_display", default=None)


@contextlib.contextmanager
def stage(name: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """Time a stage, log it, and show it on the display if one is installed.

    Yields a function to call with the number of steps done since the last call.
    """
    display = _display.get()
    started = time.perf_counter()
    if display is not None:
        display.begin(name, total)
    try:
        yield display.advance if display is not None else _ignore
    finally:
        if display is not None:
            display.end()
        count = "" if total is None else f" ({total} items)"
        log.info("%s%s: %.3fs", name, count, time.perf_counter() - started)


def _ignore(steps: int) -> None:
    pass


class RichDisplay:
    """A transient rich progress bar on the given console."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description:<8}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task: TaskID | None = None

    def begin(self, name: str, total: int | None) -> None:
        self.task = self.progress.add_task(name, total=total)

    def advance(self, steps: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, steps)

    def end(self) -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
            self.task = None


@contextlib.contextmanager
def progress_display(console: Console | None = None) -> Iterator[None]:
    """Show stages as progress bars on ``console`` (stderr) while the block runs."""
    from rich.console import Console

    display = RichDisplay(console or Console(stderr=True))
    with showing(display), display.progress:
        yield


@contextlib.contextmanager
def showing(display: Display) -> Iterator[None]:
    """Send every stage of the builds run in this block (in this context) to ``display``."""
    token = _display.set(display)
    try:
        yield
    finally:
        _display.reset(token)
