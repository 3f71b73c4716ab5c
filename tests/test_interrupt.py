"""A stop signal always stops the command, even when it first lands where Python cannot
raise it (a fork's after-fork hooks, a ``__del__``): it is raised again once the work ends."""

from __future__ import annotations

import os
import signal

import pytest

from feedbuilder.interrupt import Interrupted, signals_raise


def test_a_swallowed_stop_is_raised_again_when_the_block_ends() -> None:
    with pytest.raises(Interrupted) as stopped, signals_raise():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            signal.pthread_sigmask(signal.SIG_BLOCK, [])  # a point where the handler runs
        except Interrupted:
            pass  # as Python does with an exception raised in a hook: printed, then gone
    assert stopped.value.exit_code == 143
