"""Speaker separation for the open sample: read it, start it, and poll until it settles.

The Qt side of :mod:`pvc_sample_editor.editing.workflows`' speaker functions: a single-shot
timer paces the polls, each poll runs on the controller's API runner under the session's
generation, and the state it reads is given to the session it was read for (and to
``separation_read``). It never touches a widget.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from pvc_sample_editor.api.models import SpeakerSeparation
from pvc_sample_editor.audio.document import AudioDocument
from pvc_sample_editor.editing.session import EditSession, SampleRef
from pvc_sample_editor.editing.workflows import (
    fetch_speaker_audio,
    read_speakers,
    start_separation,
)
from pvc_sample_editor.ui.tasks import Task, TaskRunner

if TYPE_CHECKING:
    from pvc_sample_editor.api.client import ApiClient

__all__ = ["SeparationPoller"]

_STILL_RUNNING = ("pending", "not_started")


class SeparationPoller(QObject):
    """Reads and polls one sample's speaker separation at a time."""

    separation_read = Signal(object)  # SpeakerSeparation
    status = Signal(str)  # a transient status line
    polling = Signal(bool, str)  # still checking?, what to show meanwhile
    failed = Signal(str)  # a sentence for the user

    def __init__(
        self,
        runner: TaskRunner,
        generation: Callable[[], int],
        session: Callable[[], EditSession | None],
        client: Callable[[], ApiClient | None],
        *,
        interval_ms: int,
        limit: int,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._generation = generation
        self._session = session  # the session shown, and the client, when online
        self._client = client
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._poll_once)
        self._limit = limit
        self._left = 0
        self._task: Task[Any] | None = None
        self._target: tuple[ApiClient, SampleRef] | None = None
        self.separation_read.connect(self._apply)

    def _shown(self) -> tuple[ApiClient, SampleRef] | None:
        session, client = self._session(), self._client()
        if client is None or session is None or session.ref is None:
            return None
        return client, session.ref

    def _apply(self, separation: SpeakerSeparation) -> None:
        session = self._session()
        if session is None or session.ref is None or separation.sample_id != session.ref.sample_id:
            return  # the server answered for another sample than the one asked about
        session.set_separation(separation)

    def refresh(self) -> None:
        """Read the shown sample's separation state once."""
        target = self._shown()
        if target is not None:
            self._run(*target, read_speakers, "speakers", self.separation_read.emit)

    def fetch_audio(self, speaker_id: str, deliver: Callable[[AudioDocument], None]) -> None:
        """Fetch and decode one speaker's separated audio; ``deliver`` it on the GUI thread.

        Decoded off the GUI thread: a speaker of an hour-long interview can have many
        minutes of audio. A failure (network, undecodable bytes) is reported.
        """
        target = self._shown()
        if target is None:
            return
        client, ref = target
        self.status.emit(f"Fetching {speaker_id}'s audio…")
        self._runner.submit(
            lambda cancel: fetch_speaker_audio(client, ref, speaker_id, cancel),
            on_result=deliver,
            on_error=lambda exc: self.failed.emit(str(exc) or type(exc).__name__),
            name="speaker audio",
            generation=self._generation(),
        )

    def start(self) -> None:
        """Ask the server to separate, then poll until done, failed or stopped."""
        target = self._shown()
        if target is None:
            return
        client, ref = self._target = target

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
