"""One submission at a time: its own single-thread runner, busy state and progress line.

Not bound to a session generation: a submission's outcome is always reported, for the
sample it concerns, even after the user has moved on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from pvc_sample_editor.editing.autosave import Autosave
from pvc_sample_editor.editing.session import EditSession
from pvc_sample_editor.editing.workflows import SubmitResult
from pvc_sample_editor.ui.tasks import Task, TaskRunner

__all__ = ["Submitter", "adopt_read_back"]


def adopt_read_back(
    session: EditSession, history: QUndoStack, result: SubmitResult, autosave: Autosave
) -> tuple[bool, str]:
    """Adopt a submission's read-back in ``session``; if it confirms the edit the session
    still holds, that edit is now the server's: history clean, draft removed.

    Returns whether the draft was removed, and a sentence if removing it failed. Only a
    confirmed read-back may remove a draft.
    """
    session.apply_server_sample(result.sample, keep_edit=True)
    if not result.confirmed or session.edit != result.sent:
        return False, ""
    session.baseline = session.edit
    history.setClean()
    return True, autosave.remove(session, None)


class Submitter(QObject):
    """Runs submissions one at a time and says when one is in flight."""

    busy_changed = Signal(bool)  # a submission is in flight
    progress = Signal(str)  # what it is doing now

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = TaskRunner("submit", max_threads=1, parent=self)  # one write at a time
        self._task: Task[Any] | None = None
        self.busy = False

    def start(
        self,
        work: Callable[[threading.Event], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[BaseException], None],
    ) -> None:
        """Run ``work``; exactly one of ``on_done``/``on_failed`` follows unless cancelled."""

        def settled() -> None:
            self.busy = False
            self._task = None
            self.busy_changed.emit(False)

        self.busy = True
        self.busy_changed.emit(True)
        self.progress.emit("Submitting…")
        self._task = self._runner.submit(
            work,
            on_result=on_done,
            on_error=on_failed,
            on_progress=lambda message: self.progress.emit(str(message)),
            on_settled=settled,
            name="submit",
        )

    def wait(self, timeout_s: float) -> None:
        """Process events until the submission in flight settles, or ``timeout_s`` passes."""
        if not self.busy:
            return
        loop, timer = QEventLoop(), QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        self.busy_changed.connect(loop.quit)
        timer.start(round(timeout_s * 1000))
        loop.exec()
        timer.stop()
        self.busy_changed.disconnect(loop.quit)

    def cancel(self) -> None:
        """Stop waiting (retries stop; a request already sent may still land)."""
        if self._task is not None:
            self._task.cancel()
            self.progress.emit("Cancelling…")

    def shutdown(self) -> None:
        """Cancel and wait for the worker."""
        if self._task is not None:
            self._task.cancel()
        self._runner.shutdown()
