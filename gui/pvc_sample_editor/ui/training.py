"""Train the voice and watch it: the Train button above the list, Voice → Train Voice, and
the line that says how each model's training stands.

Train is enabled once the server holds the 30-minute minimum; below it, its tooltip
and the line beside it say why (:func:`~pvc_sample_editor.editing.voice_actions.
train_readiness`). Pressing it reads the voice again, offers the unsent edits for
submission first (Submit All Edited, then training once the queue is done), asks which
model to train, and starts it. While any model's state changes the voice is polled on a
worker with backoff (:func:`~pvc_sample_editor.editing.voice_actions.poll_delays`); the
line shows each model's state and progress, the review's recording quality (its reason
on hover) and, when ElevenLabs needs the speaker to verify the voice, a link to do it.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from pvc_sample_editor.api.models import Voice
from pvc_sample_editor.api.training import DEFAULT_MODEL_ID, VoiceVerification
from pvc_sample_editor.editing.voice_actions import (
    TrainReadiness,
    poll_delays,
    train_readiness,
    training_line,
)
from pvc_sample_editor.editing.voice_summary import summarise_voice
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.tasks import Task, TaskRunner
from pvc_sample_editor.ui.workspace_panel import WorkspacePanel

if TYPE_CHECKING:
    from pvc_sample_editor.ui.batch import BatchQueue

__all__ = ["TrainingWatcher", "model_choices", "training_html"]


def model_choices(voice: Voice) -> list[str]:
    """The models to offer: the server's default first, then any the voice reports."""
    tuning = voice.fine_tuning
    reported = [m.model_id for m in tuning.models] if tuning is not None else []
    return [DEFAULT_MODEL_ID, *(m for m in reported if m != DEFAULT_MODEL_ID)]


def training_html(voice: Voice) -> str:
    """The header line as rich text: the training per model, and the speaker's
    verification where ElevenLabs asks for it (needed, with the link; or done)."""
    parts = [html.escape(training_line(voice))] if training_line(voice) else []
    verification = voice.verification
    if verification is not None and verification.needs_action:
        parts.append(
            "<b>Verification required</b>: ElevenLabs trains the voice once its speaker "
            f'verifies it, on <a href="{VoiceVerification.VERIFY_URL}">the ElevenLabs site</a>.'
        )
    elif verification is not None and verification.requires_verification:
        parts.append("Speaker verified.")
    return "<br>".join(parts)


def training_tooltip(voice: Voice) -> str:
    """The details behind the line: each model's message and the quality's reason."""
    lines = []
    tuning = voice.fine_tuning
    for model in tuning.models if tuning is not None else ():
        if model.message:
            lines.append(f"{model.model_id}: {model.message}")
    if voice.recording_quality_reason:
        lines.append(f"Recording quality: {voice.recording_quality_reason}")
    verification = voice.verification
    if verification is not None and verification.verification_failures:
        lines.append("Verification: " + "; ".join(verification.verification_failures))
    return "\n".join(lines)


def _ask_model(parent: QWidget, choices: list[str]) -> str | None:
    chosen, ok = QInputDialog.getItem(
        parent, "Train the voice", "Model to train:", choices, 0, editable=True
    )
    return chosen.strip() or None if ok else None


class TrainingWatcher(QObject):
    """The Train button and action, the training line, and the poll while it changes."""

    def __init__(
        self,
        controller: EditorController,
        panel: WorkspacePanel,
        batch: BatchQueue,
        *,
        submit_all: Callable[[], None],
        confirm: Callable[[str, str], bool],
        say: Callable[[str], None],
        menu: QMenu,
        choose_model: Callable[[list[str]], str | None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._c = controller
        self._panel = panel
        self._batch = batch
        self._submit_all = submit_all
        self._confirm = confirm
        self._say = say
        #: How the model is chosen (a dialog unless a caller answers).
        self.choose_model = choose_model or (lambda choices: _ask_model(panel, choices))
        self.voice: Voice | None = None
        self.readiness = TrainReadiness(False, "Open a voice first.")
        self._runner = TaskRunner("training", max_threads=1, parent=self)
        self._poll: Task[Voice] | None = None
        self._delays: Iterator[float] = poll_delays()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._poll_now)
        self._train_after_queue = False
        self.action = QAction("&Train Voice…", self)
        self.action.triggered.connect(self.train)
        menu.addAction(self.action)
        self._build_row()
        controller.voice_loaded.connect(self._on_voice)
        batch.progressed.connect(self._on_queue_progress)
        panel.queue_counts_changed.connect(lambda *_counts: self._render())
        self._render()

    def _build_row(self) -> None:
        """The Train button and the training line, under the list's title."""
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        self.button = QPushButton("Train Voice…")
        self.button.clicked.connect(self.train)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setOpenExternalLinks(True)
        self.label.setWordWrap(True)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.button)
        layout.addWidget(self.label, 1)
        box = self._panel.layout()
        assert isinstance(box, QVBoxLayout)
        box.insertWidget(1, row)
        self.row = row

    # ------------------------------------------------------------ state

    def _on_voice(self, voice: Voice) -> None:
        changed_voice = self.voice is None or self.voice.voice_id != voice.voice_id
        self.voice = voice
        if changed_voice:
            self._stop_polling()
            self._train_after_queue = False
        self._render()
        tuning = voice.fine_tuning
        if tuning is not None and tuning.changing and not self.polling:
            self._start_polling()

    def _render(self) -> None:
        voice = self.voice
        if voice is None:
            self.readiness = TrainReadiness(False, "Open a voice first.")
            text, tip = "", ""
        else:
            self.readiness = train_readiness(summarise_voice(voice, self._c.drafts))
            text, tip = training_html(voice), training_tooltip(voice)
        ready = self.readiness
        enabled = ready.enabled and self._c.client is not None and not self._train_after_queue
        self.button.setEnabled(enabled)
        self.action.setEnabled(enabled)
        self.button.setToolTip(ready.reason)
        self.action.setToolTip(ready.reason)
        if not text:  # before any training; where the voice stands is said under the gauge
            text = "No training yet."
            tip = tip or ready.reason
        self.label.setText(text)
        self.label.setToolTip(tip)

    @property
    def polling(self) -> bool:
        """True while the voice's training is being followed."""
        return self._timer.isActive() or self._poll is not None

    # ------------------------------------------------------------ training

    def train(self) -> None:
        """Read the voice, offer unsent edits first, ask for the model, start training."""
        voice, client = self.voice, self._c.client
        if voice is None or client is None:
            return
        self._run(lambda cancel: client.get_voice(voice.voice_id, cancel=cancel), self._decide)

    def _decide(self, voice: Voice) -> None:
        self.voice = voice
        self._render()
        ready = self.readiness
        if not ready.enabled:
            self._say(ready.reason)
            return
        if ready.unsent and self._confirm(
            "Send the edits first?",
            f"{ready.reason} Submit them all now and start training once they are saved? "
            "(No: train now, on what the server holds without them.)",
        ):
            self._train_after_queue = True
            self._render()
            self._submit_all()
            if not self._batch.busy:  # nothing could be queued: train now
                self._train_after_queue = False
                self._start_training()
            return
        self._start_training()

    def _on_queue_progress(self, _done: int, total: int) -> None:
        if total == 0 and self._train_after_queue:
            self._train_after_queue = False
            self.train()  # read again: what the queue saved now counts

    def _start_training(self) -> None:
        voice, client = self.voice, self._c.client
        if voice is None or client is None:
            return
        model = self.choose_model(model_choices(voice))
        if model is None:
            return
        voice_id = voice.voice_id
        self._say(f"Starting training ({model})…")

        def work(cancel: threading.Event) -> Voice:
            client.train_voice(voice_id, model_id=model, cancel=cancel)
            return client.get_voice(voice_id, cancel=cancel)

        def started(fresh: Voice) -> None:
            self._say(f"Training started ({model}).")
            self._on_voice(fresh)
            self._start_polling()

        self._run(work, started, what="start training")

    def _run(
        self,
        work: Callable[[threading.Event], Voice],
        done: Callable[[Voice], None],
        what: str = "read the voice",
    ) -> None:
        def failed(exc: BaseException) -> None:
            self._say(f"Could not {what}: {exc}")

        self._runner.submit(work, on_result=done, on_error=failed, name=what)

    # ------------------------------------------------------------ polling

    def _start_polling(self) -> None:
        self._stop_polling()
        self._delays = poll_delays()
        self._timer.start(int(next(self._delays) * 1000))

    def _stop_polling(self) -> None:
        self._timer.stop()
        if self._poll is not None:
            self._poll.cancel()
            self._poll = None

    def _poll_now(self) -> None:
        voice, client = self.voice, self._c.client
        if voice is None or client is None:
            return
        voice_id = voice.voice_id

        def polled(fresh: Voice) -> None:
            self._poll = None
            if self.voice is None or self.voice.voice_id != voice_id:
                return
            self.voice = fresh
            self._render()
            tuning = fresh.fine_tuning
            if tuning is not None and tuning.changing:
                self._timer.start(int(next(self._delays) * 1000))
            else:
                self._say("Training: " + (training_line(fresh) or "no model is training."))

        def failed(exc: BaseException) -> None:
            self._poll = None
            self._say(f"Could not read the training state (trying again): {exc}")
            self._timer.start(int(next(self._delays) * 1000))

        self._poll = self._runner.submit(
            lambda cancel: client.get_voice(voice_id, cancel=cancel),
            on_result=polled,
            on_error=failed,
            name="poll training",
        )

    def shutdown(self) -> None:
        """Stop following the training (the server goes on) and wait for the worker."""
        self._stop_polling()
        self._runner.shutdown()
