"""The process pool: a build's big passes spread over forked workers, behind a ``map``.

A pass asks :class:`Workers` for a map function (lemon24/reader's ``make_pool_map`` is the
model): the builtin :func:`map` for passes too small to pay for a pool, or :func:`process_map`'s,
which forks workers that inherit this process's imports and data, sends them the items one at a
time and gives the results back in order, each as soon as it is there.

A build run from cron is killed in every way there is, so a worker never outlives it:

- it dies with the process that forked it (``PR_SET_PDEATHSIG``, and a thread that watches
  the parent where prctl is missing), so a ``kill -9`` of the build's PID alone takes its
  workers with it;
- it keeps no file the build has open but its own pipe: its standard streams and every other
  inherited descriptor (the build lock, the cache's database, a caller's stderr pipe) are
  pointed at ``/dev/null`` before it does any work, so nothing the build holds is held
  after it is gone;
- it ignores SIGINT and SIGHUP (a terminal sends them to the whole process group: the build
  decides) and dies at once on SIGTERM;
- the build kills every worker it started when the pass ends or fails, whatever the reason.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, Pipe, wait
from typing import Any, Protocol, TypeVar

from .errors import WorkerError
from .interrupt import SIGNALS

T = TypeVar("T")
R = TypeVar("R")
_PARENT_POLL_SECONDS = 0.25
_PR_SET_PDEATHSIG = 1


class MapFunction(Protocol):
    """``map(func, items)``: ``func`` of each item, in order, lazily."""

    def __call__(self, func: Callable[[T], R], items: Iterable[T], /) -> Iterator[R]: ...


def available_cpus() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass(frozen=True)
class Workers:
    """How many processes a build may spread its big passes over: the seam through which a
    caller (or a test) sizes the pool, forces it on for small passes, or turns it off.

    ``count``: processes at most (1: everything in this process). ``always``: use a pool
    even for a pass smaller than the size at which it pays (tests exercise the pool on small
    corpora this way). ``batch_size``: items per batch for passes batched by size.
    """

    count: int = field(default_factory=available_cpus)
    always: bool = False
    batch_size: int = 250

    def use_pool(self, items: int, pays_from: int) -> bool:
        """Whether a pass of ``items`` (a pool pays for itself from ``pays_from``) gets one."""
        return self.count > 1 and hasattr(os, "fork") and (self.always or items >= pays_from)

    def map(self, pool: bool) -> contextlib.AbstractContextManager[MapFunction]:
        """A map over a process pool (``pool``), else the builtin one."""
        return process_map(self.count) if pool else contextlib.nullcontext(map)


def batches(items: list[T], size: int) -> list[list[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@contextlib.contextmanager
def process_map(workers: int) -> Iterator[MapFunction]:
    """A map function over ``workers`` forked processes; every worker it started is killed
    when the block exits, normally or not.

    Each call forks its own workers (they inherit ``func`` and everything imported so far,
    so nothing is pickled but the items and results) and starts them at once, so the caller
    may do other work before it takes the first result.

    Raises (from the results):
        WorkerError: a worker died before it answered.
        Any exception ``func`` raised in a worker, with the worker's traceback as a note.
    """
    started: list[_Worker] = []

    def pooled(func: Callable[[T], R], items: Iterable[T], /) -> Iterator[R]:
        group = [_Worker.fork(func) for _ in range(workers)]
        started.extend(group)
        return _Pass(group, items)

    try:
        yield pooled
    finally:
        for worker in started:
            worker.kill()


class _Pass:
    """One map over a group of workers: each item to the next idle worker (the first ones
    at once, so the caller's own work overlaps theirs), the results in the items' order."""

    def __init__(self, workers: list[_Worker], items: Iterable[Any]) -> None:
        self._todo = enumerate(items)
        self._idle = list(reversed(workers))
        self._by_pipe = {worker.pipe: worker for worker in workers}
        self._busy: dict[Connection, int] = {}  # a worker's pipe: the index of its item
        self._done: dict[int, Any] = {}
        self._following = 0
        self._exhausted = False
        self._dispatch()

    def __iter__(self) -> _Pass:
        return self

    def __next__(self) -> Any:
        while self._following not in self._done:
            if not self._busy:
                raise StopIteration
            for ready in wait(list(self._busy)):
                assert isinstance(ready, Connection)
                self._done[self._busy.pop(ready)] = self._by_pipe[ready].answer()
                self._idle.append(self._by_pipe[ready])
            self._dispatch()
        self._following += 1
        return self._done.pop(self._following - 1)

    def _dispatch(self) -> None:
        while self._idle and not self._exhausted:
            taken = next(self._todo, None)
            if taken is None:
                self._exhausted = True
                return
            worker = self._idle.pop()
            worker.pipe.send(taken[1])
            self._busy[worker.pipe] = taken[0]


@dataclass
class _Worker:
    pid: int
    pipe: Connection

    @classmethod
    def fork(cls, func: Callable[[Any], Any]) -> _Worker:
        parent_pid = os.getpid()
        _prctl()  # looked up here, so the worker need not
        ours, theirs = Pipe()
        # A stop signal is held while forking: raised inside os.fork's after-fork hooks
        # (logging's lock release), it would be printed as "ignored" and lost.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
        pid = os.fork()
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        if pid == 0:  # the worker: never returns
            status = 1
            try:
                _serve(func, theirs, parent_pid)
                status = 0
            finally:
                os._exit(status)
        theirs.close()
        return cls(pid, ours)

    def answer(self) -> Any:
        """The worker's result for the item it holds, or its exception raised here."""
        try:
            ok, value, where = self.pipe.recv()
        except (EOFError, OSError):
            raise WorkerError(
                "a worker process died (killed, or out of memory?); nothing was written"
            ) from None
        if not ok:
            value.add_note(f"in a worker process:\n{where}")
            raise value
        return value

    def kill(self) -> None:
        self.pipe.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _serve(func: Callable[[Any], Any], pipe: Connection, parent_pid: int) -> None:
    """The worker's life: answer each item until the pipe closes or the parent dies."""
    _die_with(parent_pid)
    _keep_only(pipe.fileno())
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        try:
            item = pipe.recv()
        except EOFError:
            return
        try:
            reply = (True, func(item), "")
        except BaseException as exc:  # sent back, raised in the build
            reply = (False, exc, traceback.format_exc())
        try:
            pipe.send(reply)
        except Exception:  # an exception that cannot be pickled
            pipe.send((False, RuntimeError(repr(reply[1])), reply[2]))


def _die_with(parent_pid: int) -> None:
    """Be killed when the parent dies: by the kernel where prctl exists, else by a thread
    that polls for being re-parented."""
    prctl = _prctl()
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # it died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid,), daemon=True).start()


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(_PARENT_POLL_SECONDS)
    os._exit(1)


_libc: list[Callable[..., int] | None] = []


def _prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up once (in the build, so the workers inherit it), or None."""
    if not _libc:
        try:
            import ctypes

            _libc.append(ctypes.CDLL(None, use_errno=True).prctl)
        except (ImportError, OSError, AttributeError):
            _libc.append(None)
    return _libc[0]


def _keep_only(pipe_fd: int) -> None:
    """Point every inherited descriptor but ``pipe_fd`` at /dev/null (not closed: an object
    that still owns one may close it later, and must not close a file opened since)."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in _open_descriptors():
        if fd not in (pipe_fd, null):
            with contextlib.suppress(OSError):
                os.dup2(null, fd, inheritable=fd <= 2)


def _open_descriptors() -> list[int]:
    for listing in ("/proc/self/fd", "/dev/fd"):
        with contextlib.suppress(OSError):
            return [int(name) for name in os.listdir(listing)]
    return [0, 1, 2]
