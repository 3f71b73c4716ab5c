"""The process pool behind a map: in order, errors raised where the map is read, and workers
that start at once, hold nothing of the build's and never outlive the pass."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from feedbuilder.errors import WorkerError
from feedbuilder.pool import Workers, process_map

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the pool needs fork")


def slow_square(n: int) -> int:
    time.sleep(0.02 * (5 - n % 5))  # later items finish first
    return n * n


def test_results_come_in_the_items_order() -> None:
    with process_map(3) as map_:
        assert list(map_(slow_square, range(12))) == [n * n for n in range(12)]
        assert list(map_(slow_square, [])) == []


def fail_on_three(n: int) -> int:
    if n == 3:
        raise ValueError("three")
    return n


def test_an_error_in_a_worker_is_raised_where_the_map_is_read() -> None:
    with process_map(2) as map_, pytest.raises(ValueError, match="three") as raised:
        list(map_(fail_on_three, range(6)))
    assert any("in a worker process" in note for note in raised.value.__notes__)


def die(n: int) -> int:
    os._exit(3)


def test_a_worker_that_dies_is_a_worker_error() -> None:
    with process_map(2) as map_, pytest.raises(WorkerError):
        list(map_(die, range(4)))


def test_workers_start_before_the_first_result_is_asked_for(tmp_path: Path) -> None:
    def mark(n: int) -> int:
        (tmp_path / str(n)).touch()
        return n

    with process_map(2) as map_:
        results = map_(mark, range(2))
        deadline = time.monotonic() + 10
        while not (tmp_path / "0").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert (tmp_path / "0").exists()  # working while this process does something else
        assert list(results) == [0, 1]


def descriptors(_: int) -> tuple[int, dict[int, str]]:
    found = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            found[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
    return os.getpid(), found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_workers_keep_nothing_this_process_holds_and_die_with_the_pass(tmp_path: Path) -> None:
    held = tmp_path / "held.lock"
    fd = os.open(held, os.O_RDWR | os.O_CREAT)
    try:
        with process_map(2) as map_:
            answers = list(map_(descriptors, range(4)))
    finally:
        os.close(fd)
    for _, found in answers:
        assert str(held) not in found.values()
        assert all(found[std] == os.devnull for std in (0, 1, 2))
        assert (
            sum(not target.startswith(("/dev/null", "socket:")) for target in found.values()) <= 1
        )
    for pid in {pid for pid, _ in answers}:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # killed and reaped when the block ended


def test_workers_pool_only_what_pays_unless_told() -> None:
    assert not Workers(count=2).use_pool(10, pays_from=100)
    assert Workers(count=2).use_pool(100, pays_from=100)
    assert Workers(count=2, always=True).use_pool(1, pays_from=100)
    assert not Workers(count=1, always=True).use_pool(10**6, pays_from=1)
    with Workers(count=1).map(False) as map_:
        assert list(map_(slow_square, [2])) == [4]
