"""The task runner: work off the GUI thread, exactly one callback on it, stale results dropped."""

from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot

from pvc_sample_editor.ui.tasks import TaskRunner, report_progress


@pytest.fixture
def runner(qtbot: QtBot):  # type: ignore[no-untyped-def]
    r = TaskRunner("test", max_threads=2)
    yield r
    assert r.shutdown()
    r.deleteLater()


def test_result_arrives_on_gui_thread(qtbot: QtBot, runner: TaskRunner) -> None:
    """The function runs on a worker thread; its result is delivered on the GUI thread."""
    main = threading.get_ident()
    seen: dict[str, object] = {}

    def work(cancel: threading.Event) -> int:
        seen["worker"] = threading.get_ident()
        return 42

    def got(value: int) -> None:
        seen["value"] = value
        seen["callback"] = threading.get_ident()

    runner.submit(work, on_result=got, on_error=pytest.fail)
    qtbot.waitUntil(lambda: "value" in seen, timeout=5000)
    assert seen["value"] == 42
    assert seen["worker"] != main
    assert seen["callback"] == main


def test_error_is_delivered_not_lost(qtbot: QtBot, runner: TaskRunner) -> None:
    """An exception in the worker becomes exactly one on_error call on the GUI thread."""
    errors: list[BaseException] = []

    def work(cancel: threading.Event) -> None:
        raise ValueError("boom")

    runner.submit(
        work, on_result=lambda v: pytest.fail("no result expected"), on_error=errors.append
    )
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], ValueError)
    qtbot.wait(50)
    assert len(errors) == 1


def test_cancelled_task_result_is_dropped(qtbot: QtBot, runner: TaskRunner) -> None:
    """A result that arrives after cancel() never reaches the callback."""
    release = threading.Event()
    results: list[int] = []

    def work(cancel: threading.Event) -> int:
        release.wait(5)
        return 1

    task = runner.submit(work, on_result=results.append, on_error=pytest.fail)
    task.cancel()
    release.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    assert results == []


def test_progress_reaches_gui_thread_before_result(qtbot: QtBot, runner: TaskRunner) -> None:
    """report_progress values arrive in order, before the final result."""
    events: list[object] = []

    def work(cancel: threading.Event) -> str:
        for i in range(3):
            report_progress(i)
        return "done"

    runner.submit(work, on_result=events.append, on_error=pytest.fail, on_progress=events.append)
    qtbot.waitUntil(lambda: "done" in events, timeout=5000)
    assert events == [0, 1, 2, "done"]
