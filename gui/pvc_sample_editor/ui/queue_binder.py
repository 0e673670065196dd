"""Wires the background queue to the window: the panel's buttons and bar, the Voice menu,
the status line, and the question to resume a queue an earlier run left unfinished.

While the queue holds the sample shown (waiting or sending it), the window's own Submit
waits: the window reads :meth:`BatchQueue.holds` when it renders its Submit button.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence

from pvc_sample_editor.api.models import Voice
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.ui.batch import BatchQueue
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.separations import SeparationBatch
from pvc_sample_editor.ui.window_layout import EditorLayout

__all__ = ["QueueBinder", "resume_question"]


def resume_question(count: int) -> tuple[str, str]:
    """The title and text of the question asked when a queue was left unfinished."""
    samples = f"{count} sample{'s' if count != 1 else ''}"
    return (
        "Resume the unfinished queue?",
        f"Submit all was still sending {samples} of this voice when the editor stopped. "
        "Send them now? Each is read from the server first, so an edit that already "
        "landed is not sent again. No keeps their edits as drafts, to send later.",
    )


class QueueBinder(QObject):
    """Connects the panel's queue buttons and the menu's actions to the queue."""

    def __init__(self, controller: EditorController, window: EditorLayout) -> None:
        super().__init__(window)
        panel = window.workspace
        self._c = controller
        self._panel = panel
        self.batch = batch = BatchQueue(controller, parent=self)
        self._batch = batch
        self._confirm: Callable[[str, str], bool] = lambda t, x: window.confirm(t, x)
        self._say: Callable[[str], None] = lambda text: window.statusBar().showMessage(text, 5000)
        # A half-typed value is part of the edit being sent.
        self._before_submit = window.edit_panel.commit_typing
        self._asked: set[str] = set()  # voices whose unfinished queue was asked about
        self.submit_all_action = QAction("Submit &All Edited", self)
        self.submit_all_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.retry_action = QAction("&Retry Failed", self)
        self.separate_all_action = QAction("&Separate Speakers in All Samples", self)
        self.actions = (self.submit_all_action, self.retry_action, self.separate_all_action)
        self.separations = SeparationBatch(
            controller, batch, first_delay_ms=controller.poller.timer.interval(), parent=self
        )
        self.submit_all_action.triggered.connect(self.submit_all)
        self.retry_action.triggered.connect(self.retry_failed)
        self.separate_all_action.triggered.connect(self.separate_all)
        panel.submit_all_requested.connect(self.submit_all)
        panel.retry_requested.connect(self.retry_failed)
        panel.separate_all_requested.connect(self.separate_all)
        panel.queue_counts_changed.connect(self._enable_actions)
        batch.progressed.connect(panel.show_progress)
        batch.status.connect(self._say)
        controller.voice_loaded.connect(self._offer_resume)
        self._enable_actions(0, 0, 0)
        window.menuBar().addMenu("&Voice").addActions(list(self.actions))

    def _enable_actions(self, edited: int, failed: int, unseparated: int) -> None:
        self.submit_all_action.setEnabled(edited > 0)
        self.retry_action.setEnabled(failed > 0)
        self.separate_all_action.setEnabled(unseparated > 0)

    def submit_all(self) -> None:
        """Send every edited sample of the open voice on the queue (the shown one as is)."""
        self._before_submit()
        count = self._batch.submit_all()
        self._say(
            f"Submitting {count} edited sample{'s' if count != 1 else ''}…"
            if count
            else "No unsent edits to submit."
        )

    def retry_failed(self) -> None:
        """Send again the samples whose submission failed."""
        self._before_submit()
        count = self._batch.retry_failed()
        if count:
            self._say(f"Retrying {count} sample{'s' if count != 1 else ''}…")

    def separate_all(self) -> None:
        """Separate the speakers of every sample of the voice not separated yet."""
        count = self.separations.separate_all()
        self._say(
            f"Separating the speakers of {count} sample{'s' if count != 1 else ''}…"
            if count
            else "Every sample's speakers are separated or being separated."
        )

    def shutdown(self) -> None:
        """Stop the queue and the separation loop; the journal keeps what was not sent."""
        self.separations.shutdown()
        self._batch.shutdown()

    def _offer_resume(self, voice: Voice) -> None:
        if voice.voice_id in self._asked or not self._batch.unfinished(voice.voice_id):
            return
        self._asked.add(voice.voice_id)
        # From the event loop: the answer is a modal box, not to be run inside this signal.
        QTimer.singleShot(0, self, lambda: self._ask_resume(voice.voice_id))

    def _ask_resume(self, voice_id: str) -> None:
        refs: tuple[SampleRef, ...] = self._batch.unfinished(voice_id)
        if not refs:
            return
        if self._confirm(*resume_question(len(refs))):
            self._batch.submit(list(refs))
            self._say(f"Resuming the queue: {len(refs)} sample{'s' if len(refs) != 1 else ''}…")
        else:
            self._batch.drop_unfinished(refs)
            self._say("The unfinished queue was dropped; its edits stay as drafts.")
