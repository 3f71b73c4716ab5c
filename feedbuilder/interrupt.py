"""Termination signals as an exception, so a stopped build unwinds instead of dying mid-step.

Under :func:`signals_raise`, SIGTERM (``timeout``, systemd, a cron wrapper), SIGINT (Ctrl-C)
and SIGHUP (a closed terminal) raise :class:`Interrupted` in the main thread. The build then
unwinds as for any error: the pool's workers are killed, a half-written temporary file is
removed, the cache's transaction rolled back and the lock released; files already replaced
are whole, the others as the last build left them. The CLI exits with 128 + the signal's
number (143, 130, 129), as a shell reports a process the signal killed.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Interrupted(BaseException):
    """A termination signal arrived; a BaseException, like KeyboardInterrupt, so that no
    ``except Exception`` on the way out swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """Raise :class:`Interrupted` on SIGTERM, SIGINT or SIGHUP while the block runs: once
    (later signals are ignored, so the unwinding itself is never cut short). Only the main
    thread can handle signals; elsewhere the block runs unchanged."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if not fired:
            fired.append(signum)
            raise Interrupted(signum)

    previous = {signum: signal.signal(signum, handler) for signum in SIGNALS}
    try:
        yield
        if fired:  # raised where Python could only print it ("Exception ignored in ...")
            raise Interrupted(fired[0])
    except Interrupted:
        raise
    except BaseException as exc:
        if fired:  # its Interrupted was swallowed: a signal to the whole group kills the
            raise Interrupted(fired[0]) from exc  # workers too, whose death is not the cause
        raise
    finally:
        for signum, action in previous.items():
            signal.signal(signum, action)
