"""The one pool of worker threads, and the budget each request may take of it.

Every parallel Prometheus request of the product runs here: the clusters of a
fan-out (:mod:`clusters.prometheus.fanout`) and the requests a cluster's work
runs side by side (:func:`beside`). Three rules keep it bounded and fair:

* **One pool** of ``KCLOUD_FANOUT_WORKERS`` threads for the whole process;
  nothing else in the product creates threads for Prometheus.
* **A budget per request** (``KCLOUD_REQUEST_THREADS``): one request holds at
  most that many of the pool's threads at a time, so a request over sixteen
  clusters cannot starve the others; its further clusters wait for its own
  threads to come back.
* **The caller runs what cannot start.** :func:`beside` never waits for a
  thread: when the pool or the budget is full, the work runs in the caller's
  thread when its result is asked for. A task therefore never waits on work
  queued behind it, so nesting cannot deadlock, and a request costs at most its
  budget plus its own thread.

The budget travels in a context variable: :func:`fan_out` opens one (or joins
the caller's), and the tasks it starts see it, so their :func:`beside` calls
draw on the same budget.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from django.conf import settings

T = TypeVar("T")


class Budget:
    """How many pool threads one request may hold at a time (counted under the pool's lock)."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.in_use = 0
        self.peak = 0  # the most held at once: what the tests check


_budget: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("kcloud_thread_budget", default=None)


def current_budget() -> Budget | None:
    return _budget.get()


@contextlib.contextmanager
def request_budget() -> Iterator[Budget]:
    """The budget of the running request: the caller's if it has one, else a new one for this block."""
    existing = _budget.get()
    if existing is not None:
        yield existing
        return
    budget = Budget(settings.KCLOUD_REQUEST_THREADS)
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


class Pool:
    """A thread pool that only accepts work it can start at once (see the module docstring)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kcloud-pool")
        self._busy = 0
        self.peak = 0
        # Notified whenever a task starts or a thread comes back: a fan-out waiting for a
        # thread or for a deadline wakes on it. ``generation`` makes a notification that
        # fell between a check and the wait impossible to miss.
        self._changed = threading.Condition()
        self.generation = 0

    def try_submit(self, fn: Callable[[], T], budget: Budget) -> concurrent.futures.Future[T] | None:
        """Start ``fn`` on a free thread within ``budget``; ``None`` when either is full (nothing queued)."""
        with self._changed:
            if self._busy >= self.workers or budget.in_use >= budget.limit:
                return None
            self._busy += 1
            budget.in_use += 1
            self.peak = max(self.peak, self._busy)
            budget.peak = max(budget.peak, budget.in_use)
        context = contextvars.copy_context()  # the budget (and anything else) follows the work

        def run() -> T:
            try:
                return context.run(fn)
            finally:
                with self._changed:
                    self._busy -= 1
                    budget.in_use -= 1
                    self._bump()

        try:
            return self._executor.submit(run)
        except RuntimeError:  # interpreter shutting down: give the slot back, the caller runs it
            with self._changed:
                self._busy -= 1
                budget.in_use -= 1
            return None

    def touch(self) -> None:
        """Wake the waiters (a task has started: its deadline now counts)."""
        with self._changed:
            self._bump()

    def _bump(self) -> None:
        self.generation += 1
        self._changed.notify_all()

    def wait(self, generation: int, timeout: float) -> None:
        """Sleep until something changed since ``generation`` was read, or ``timeout`` seconds."""
        with self._changed:
            self._changed.wait_for(lambda: self.generation != generation, timeout=max(0.0, timeout))

    @property
    def busy(self) -> int:
        return self._busy


_pool: Pool | None = None
_pool_lock = threading.Lock()


def pool() -> Pool:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = Pool(settings.KCLOUD_FANOUT_WORKERS)
        return _pool


class Pending(Generic[T]):
    """The result of work started by :func:`beside`: from a pool thread, or computed here on demand."""

    def __init__(self, future: concurrent.futures.Future[T] | None, fn: Callable[[], T]) -> None:
        self._future = future
        self._fn = fn

    def result(self) -> T:
        if self._future is not None:
            return self._future.result()
        return self._fn()  # no thread was free: the caller runs it (once; callers ask once)

    @property
    def in_thread(self) -> bool:
        return self._future is not None


def beside(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Pending[T]:
    """Start ``fn(*args, **kwargs)`` beside the caller if a thread of the budget is free.

    Ask for ``.result()`` after doing the caller's own share of the work. When
    no thread is free it runs then, in the caller's thread: slower, never stuck.
    """

    def call() -> T:
        return fn(*args, **kwargs)

    budget = _budget.get() or Budget(settings.KCLOUD_REQUEST_THREADS)
    return Pending(pool().try_submit(call, budget), call)
