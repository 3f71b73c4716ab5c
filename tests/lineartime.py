"""Timing checks for code applied to hostile input: fail on superlinear growth.

A pattern with catastrophic backtracking takes seconds on a few thousand characters where a
linear one takes microseconds, so growth is measured, not absolute time: the input grows by
``factor`` between sizes and the time may grow by at most ``factor * slack``. Each size's
time is the best of ``repeats`` runs of CPU time, not wall time: on a loaded machine a short
run fits in one time slice while a long one is preempted, which inflates wall-clock growth.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# Below this, timer noise dominates: growth is not judged on such small times.
NOISE_SECONDS = 0.002


def best_time(func: Callable[[], object], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        func()
        best = min(best, time.process_time() - started)
    return best


def assert_linear(
    run: Callable[[str], object],
    make_input: Callable[[int], str],
    sizes: tuple[int, ...] = (2_000, 8_000, 32_000),
    slack: float = 2.5,
    budget_seconds: float = 1.0,
) -> None:
    """``run(make_input(n))`` must grow at most linearly (times ``slack``) in ``n``,
    and the largest size must finish within ``budget_seconds``."""
    times = []
    for size in sizes:
        text = make_input(size)
        times.append(best_time(lambda text=text: run(text)))  # type: ignore[misc]
        assert times[-1] < budget_seconds, (
            f"{times[-1]:.3f}s on input of size {size}: over the {budget_seconds}s budget"
        )
    for (small, t_small), (large, t_large) in zip(
        zip(sizes, times, strict=True), zip(sizes[1:], times[1:], strict=True), strict=False
    ):
        if t_large < NOISE_SECONDS:
            continue
        allowed = max(t_small, NOISE_SECONDS) * (large / small) * slack
        assert t_large <= allowed, (
            f"superlinear: {t_small:.4f}s at size {small}, {t_large:.4f}s at size {large}"
        )
