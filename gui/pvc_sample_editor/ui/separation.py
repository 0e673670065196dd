"""Speaker separation for the open sample: read it, start it, and poll until it settles.

The Qt side of :mod:`pvc_sample_editor.editing.workflows`' speaker functions: a single-shot
timer paces the polls, each poll runs on the controller's API runner under the session's
generation, and the state it reads goes to ``separation_read``. It never touches a widget.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from pvc_sample_editor.api.models import SpeakerSeparation
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.editing.workflows import read_speakers, start_separation
from pvc_sample_editor.ui.tasks import Task, TaskRunner

if TYPE_CHECKING:
    from pvc_sample_editor.api.client import ApiClient

__all__ = ["SeparationPoller"]

_STILL_RUNNING = ("pending", "not_started")


class SeparationPoller(QObject):
    """Reads and polls one sample's speaker separation at a time."""

    separation_read = Signal(object)  # SpeakerSeparation
    polling = Signal(bool, str)  # still checking?, what to show meanwhile
    failed = Signal(str)  # a sentence for the user

    def __init__(
        self,
        runner: TaskRunner,
        generation: Callable[[], int],
        *,
        interval_ms: int,
        limit: int,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._generation = generation
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._poll_once)
        self._limit = limit
        self._left = 0
        self._task: Task[Any] | None = None
        self._target: tuple[ApiClient, SampleRef] | None = None

    def refresh(self, client: ApiClient, ref: SampleRef) -> None:
        """Read the separation state once."""
        self._run(client, ref, read_speakers, "speakers", self.separation_read.emit)

    def start(self, client: ApiClient, ref: SampleRef) -> None:
        """Ask the server to separate, then poll until done, failed or stopped."""
        self._target = (client, ref)

        def started(separation: SpeakerSeparation) -> None:
            self.separation_read.emit(separation)
            self._left = self._limit
            self._after_poll(separation)

        self.polling.emit(True, "Speakers: starting separation…")
        self._task = self._run(client, ref, start_separation, "separate", started, polling=True)

    def stop(self) -> None:
        """Stop checking (the server keeps separating)."""
        self.timer.stop()
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._target = None
        self.polling.emit(False, "")

    def _run(
        self,
        client: ApiClient,
        ref: SampleRef,
        fn: Callable[[ApiClient, SampleRef, threading.Event], SpeakerSeparation],
        name: str,
        on_result: Callable[[SpeakerSeparation], None],
        *,
        polling: bool = False,
    ) -> Task[SpeakerSeparation]:
        def failed(exc: BaseException) -> None:
            if polling:
                self.polling.emit(False, "")
            self.failed.emit(str(exc) or type(exc).__name__)

        return self._runner.submit(
            lambda cancel: fn(client, ref, cancel),
            on_result=on_result,
            on_error=failed,
            name=name,
            generation=self._generation(),
        )

    def _after_poll(self, separation: SpeakerSeparation) -> None:
        if separation.status in _STILL_RUNNING and self._left > 0:
            done = self._limit - self._left
            self.polling.emit(True, f"Speakers: separating… (check {done + 1})")
            self.timer.start()
            return
        self.polling.emit(False, "")
        if separation.status == "failed":
            self.failed.emit("Speaker separation failed on the server. You can try again.")
        elif self._left <= 0 and not separation.completed:
            self.failed.emit(
                "Speaker separation is taking too long; stopped checking. Try Refresh later."
            )

    def _poll_once(self) -> None:
        if self._target is None:
            return
        client, ref = self._target
        self._left -= 1

        def got(separation: SpeakerSeparation) -> None:
            self.separation_read.emit(separation)
            self._after_poll(separation)

        self._task = self._run(client, ref, read_speakers, "poll speakers", got, polling=True)
