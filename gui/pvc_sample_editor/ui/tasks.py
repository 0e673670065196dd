"""Run plain functions off the GUI thread; get exactly one callback back on it.

A task is a plain callable (usually a core function returning a frozen dataclass). The
runner executes it on its own ``QThreadPool`` and delivers exactly one of
``on_result(value)`` or ``on_error(exception)`` on the GUI thread. Workers never touch a
widget. ``shutdown()`` waits for running tasks.

Stale results are dropped here, in one place, never by hand in a callback:
- a cancelled task's late outcome is dropped;
- a task started for a session (``generation=``) is dropped once the runner's
  ``current_generation()`` has moved on: a slow reply for sample A can never reach
  sample B's window.
In both cases ``on_settled`` still runs, so bookkeeping ends.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

__all__ = ["Task", "TaskRunner", "report_progress"]

log = logging.getLogger(__name__)
T = TypeVar("T")

_ids = itertools.count(1)


class _Relay(QObject):
    """Lives on the GUI thread; signals emitted by the worker reach its slots queued.

    The callbacks are bound-method slots of this GUI-thread object, so Qt delivers them
    on the GUI thread whatever thread emits.
    """

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(object)

    def __init__(
        self,
        task: Task[Any],
        finish: Callable[[Task[Any]], None],
        on_result: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
        on_progress: Callable[[Any], None] | None,
        on_settled: Callable[[], None] | None = None,
        on_dropped: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__()
        self._on_settled = on_settled
        self._on_dropped = on_dropped

        self.task = task
        self._finish = finish
        self._on_result = on_result
        self._on_error = on_error
        self._on_progress = on_progress
        # Connected before the task starts, so an instant result cannot be missed.
        self.succeeded.connect(self._deliver_ok)
        self.failed.connect(self._deliver_err)
        self.progressed.connect(self._deliver_progress)

    @Slot(object)
    def _deliver_ok(self, value: object) -> None:
        self._finish(self.task)
        try:
            if not self.task.stale:
                self._on_result(value)
            elif self._on_dropped is not None:
                self._on_dropped(value)
        finally:  # a callback that raises (a bug, reported) must not leave the task unsettled
            self._settle()

    @Slot(object)
    def _deliver_err(self, exc: object) -> None:
        self._finish(self.task)
        try:
            if not self.task.stale and isinstance(exc, BaseException):
                self._on_error(exc)
        finally:
            self._settle()

    def _settle(self) -> None:
        if self._on_settled is not None:
            self._on_settled()

    @Slot(object)
    def _deliver_progress(self, value: object) -> None:
        if self._on_progress is not None and not self.task.stale and not self.task.done:
            self._on_progress(value)


class Task(Generic[T]):
    """Handle of one submitted function: cancel it, or ask whether it is still running."""

    def __init__(
        self,
        name: str,
        generation: int | None = None,
        current_generation: Callable[[], int] | None = None,
    ) -> None:
        self.id = next(_ids)
        self.name = name
        self.generation = generation
        self._current_generation = current_generation
        self.cancel_event = threading.Event()
        self.done = False

    @property
    def cancelled(self) -> bool:
        """True once ``cancel()`` was called; the callbacks will not run after that."""
        return self.cancel_event.is_set()

    @property
    def stale(self) -> bool:
        """True when the outcome must be dropped: cancelled, or for a session now gone."""
        if self.cancelled:
            return True
        current = self._current_generation
        return self.generation is not None and current is not None and current() != self.generation

    def cancel(self) -> None:
        """Ask the function to stop (it sees ``cancel_event``) and drop its outcome."""
        self.cancel_event.set()

    def __repr__(self) -> str:
        return f"Task({self.name!r}, id={self.id}, done={self.done}, cancelled={self.cancelled})"


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay, name: str) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay
        self._name = name
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            value = self._fn()
        except BaseException as exc:  # delivered to on_error; never lost in a worker
            log.debug("task %s failed: %r", self._name, exc)
            self._relay.failed.emit(exc)
        else:
            self._relay.succeeded.emit(value)


class TaskRunner(QObject):
    """A private thread pool plus the bookkeeping to call back on the GUI thread."""

    def __init__(
        self,
        name: str,
        max_threads: int = 1,
        parent: QObject | None = None,
        *,
        current_generation: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self._current_generation = current_generation
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        # Idle threads exit at once instead of lingering for 30 s after the work.
        self._pool.setExpiryTimeout(0)
        self._relays: dict[int, _Relay] = {}
        self._closed = False

    @property
    def busy(self) -> bool:
        """True while any submitted task has not delivered its outcome."""
        return bool(self._relays) or self._pool.activeThreadCount() > 0

    def submit(
        self,
        fn: Callable[[threading.Event], T],
        *,
        on_result: Callable[[T], None],
        on_error: Callable[[BaseException], None],
        name: str = "task",
        on_progress: Callable[[Any], None] | None = None,
        on_settled: Callable[[], None] | None = None,
        generation: int | None = None,
        on_dropped: Callable[[T], None] | None = None,
    ) -> Task[T]:
        """Run ``fn(cancel_event)`` on the pool. Exactly one callback follows, unless stale.

        With ``generation`` (the session the task is for), the outcome is dropped when the
        runner's ``current_generation()`` differs by the time it arrives. ``on_settled``
        runs last in every case, stale or not, once the worker is done with the task.
        ``on_dropped`` receives a result that arrived stale, to release what it holds.
        ``fn`` may call :func:`report_progress` (from its own thread); the value reaches
        ``on_progress`` on the GUI thread.
        """
        if self._closed:
            raise RuntimeError(f"runner {self.name!r} is shut down")
        if generation is not None and self._current_generation is None:
            raise ValueError(f"runner {self.name!r} has no current_generation to check against")
        task: Task[T] = Task(name, generation, self._current_generation)
        relay = _Relay(task, self._finish, on_result, on_error, on_progress, on_settled, on_dropped)
        self._relays[task.id] = relay
        report = relay.progressed.emit

        def call() -> T:
            if task.cancelled:
                raise _SkippedError()
            return _call_with_reporter(fn, task.cancel_event, report)

        self._pool.start(_Runnable(call, relay, name))
        return task

    def _finish(self, task: Task[Any]) -> None:
        task.done = True
        relay = self._relays.pop(task.id, None)
        if relay is not None:
            relay.deleteLater()

    def shutdown(self, timeout_ms: int = 15_000) -> bool:
        """Refuse new work, cancel every task, wait for the running ones; True if all ended.

        A running task sees its cancel event set: the API client ends its exchange within
        a fraction of a second, so closing never waits for a slow server.
        """
        self._closed = True
        self._pool.clear()
        for relay in list(self._relays.values()):
            relay.task.cancel()
        ok = bool(self._pool.waitForDone(timeout_ms))
        for task_id in list(self._relays):
            relay = self._relays.pop(task_id)
            relay.deleteLater()
        return ok


class _SkippedError(Exception):
    """A task cancelled before it started; its outcome is dropped anyway."""


_REPORTER = threading.local()


def _call_with_reporter(
    fn: Callable[[threading.Event], T], cancel: threading.Event, report: Callable[[object], None]
) -> T:
    _REPORTER.report = report
    try:
        return fn(cancel)
    finally:
        _REPORTER.report = None


def report_progress(value: object) -> None:
    """From inside a task function: send ``value`` to the task's ``on_progress``."""
    report = getattr(_REPORTER, "report", None)
    if report is not None:
        report(value)
