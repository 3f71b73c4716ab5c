"""A stop signal always stops the command, even when it first lands where Python cannot
raise it (a fork's after-fork hooks, a ``__del__``): it is raised again once the work ends."""

from __future__ import annotations

import os
import signal

import pytest

from feedbuilder.errors import WorkerError
from feedbuilder.interrupt import Interrupted, signals_raise


def test_a_swallowed_stop_is_raised_again_when_the_block_ends() -> None:
    with pytest.raises(Interrupted) as stopped, signals_raise():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            signal.pthread_sigmask(signal.SIG_BLOCK, [])  # a point where the handler runs
        except Interrupted:
            pass  # as Python does with an exception raised in a hook: printed, then gone
    assert stopped.value.exit_code == 143


def test_a_swallowed_stop_wins_over_the_error_it_caused() -> None:
    """SIGTERM to the whole group kills the pool's workers as well: when the main process
    meets a dead worker before its own stop is raised (or its stop was swallowed), the build
    was stopped by the signal (143), not broken by a worker's death (70). The soak test met
    this race on a clean clone."""
    with pytest.raises(Interrupted) as stopped, signals_raise():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            signal.pthread_sigmask(signal.SIG_BLOCK, [])
        except Interrupted:
            pass
        raise WorkerError("a worker process died")
    assert stopped.value.exit_code == 143
    assert isinstance(stopped.value.__cause__, WorkerError)
