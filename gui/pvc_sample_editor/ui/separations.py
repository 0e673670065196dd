"""Separate speakers in all samples: each start on the queue, then one shared poll loop.

Starting a separation is one request per sample, run on the
:class:`~pvc_sample_editor.ui.batch.BatchQueue` (two at a time, shared with Submit all).
Waiting for them is one loop for the whole voice, not a timer per sample: each round is
a single read of the voice (:func:`~pvc_sample_editor.editing.queue.poll_separations`),
the rounds back off (doubling up to a cap) and stop after a bounded number. Each
sample's new state goes to the queue's newest-known samples, so its row shows it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QTimer

from pvc_sample_editor.api.errors import NotFoundError
from pvc_sample_editor.api.models import Sample, SpeakerSeparation
from pvc_sample_editor.editing.queue import poll_delay_ms, poll_separations
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.editing.workflows import describe_error, start_separation
from pvc_sample_editor.editing.workspace import needs_separation
from pvc_sample_editor.ui.batch import BatchQueue
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.tasks import Task

__all__ = ["SeparationBatch"]

_RUNNING = ("pending", "not_started")


class SeparationBatch(QObject):
    """Starts the separation of every sample not separated yet, and polls them together."""

    def __init__(
        self,
        controller: EditorController,
        batch: BatchQueue,
        *,
        first_delay_ms: int,
        max_rounds: int = 60,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._c = controller
        self._batch = batch
        self._first_delay_ms = first_delay_ms
        self.max_rounds = max_rounds  # rounds before giving up: the loop is bounded
        #: The samples whose separation has started and not settled yet.
        self.pending: dict[str, SampleRef] = {}
        self.rounds = 0  # poll rounds so far (reset when all have settled)
        self._polling = False  # a round is queued or running
        self._closed = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._poll_round)

    def separate_all(self) -> int:
        """Start separating every sample of the open voice that needs it; how many."""
        voice, session = self._c.voice, self._c.session
        if voice is None or session is None or session.ref is None:
            return 0
        refs = []
        for sample in voice.samples:
            newest = self._batch.sample(sample.sample_id) or sample
            if needs_separation(newest) and sample.sample_id not in self.pending:
                refs.append(SampleRef(voice.voice_id, sample.sample_id))
        for ref in refs:
            self.pending[ref.sample_id] = ref
            self._batch.enqueue(ref.sample_id, partial(self._start, ref))
        return len(refs)

    def _start(self, ref: SampleRef, settled: Callable[[], None]) -> Task[Any] | None:
        client = self._c.client
        if client is None:
            self.pending.pop(ref.sample_id, None)
            return None

        def work(cancel: threading.Event) -> SpeakerSeparation:
            return start_separation(client, ref, cancel)

        return self._batch.runner.submit(
            work,
            on_result=lambda sep: self._started(ref, sep),
            on_error=lambda exc: self._failed(ref, exc),
            on_settled=settled,
            name=f"separate {ref.sample_id}",
        )

    def _started(self, ref: SampleRef, separation: SpeakerSeparation) -> None:
        sample = self._batch.sample(ref.sample_id)
        if sample is not None:
            self._show(replace(sample, speaker_separation=separation))
        self._schedule()

    def _failed(self, ref: SampleRef, exc: BaseException) -> None:
        self.pending.pop(ref.sample_id, None)
        if isinstance(exc, NotFoundError):
            self._batch.mark_removed(ref.sample_id)
        else:
            sample = self._batch.sample(ref.sample_id)
            name = sample.file_name if sample is not None else f"Sample {ref.sample_id}"
            self._batch.status.emit(
                f"Could not separate the speakers of {name}: {describe_error(exc)[0]}"
            )
        self._schedule()

    def _show(self, sample: Sample) -> None:
        """A sample's newest separation: on its row, in the editor if shown, and whether
        it still needs polling."""
        self._batch.samples[sample.sample_id] = sample
        sep = sample.speaker_separation
        session = self._c.session
        shown = session.ref.sample_id if session is not None and session.ref else None
        if sep is not None and session is not None and shown == sample.sample_id:
            session.set_separation(sep)
        if sep is None or sep.status not in _RUNNING:
            self.pending.pop(sample.sample_id, None)
            if sep is not None and sep.status == "failed":
                self._batch.status.emit(
                    f"Speaker separation failed on the server for {sample.file_name}."
                )
            elif not self.pending:
                self.rounds = 0
                self._batch.status.emit("Speaker separation finished in every sample.")
        self._batch.rows_changed.emit((sample.sample_id,))

    # ---------------------------------------------------------------- the shared loop

    def _schedule(self) -> None:
        if self.pending and not (self._polling or self._closed or self.timer.isActive()):
            self.timer.start(poll_delay_ms(self._first_delay_ms, self.rounds))

    def _poll_round(self) -> None:
        client = self._c.client
        refs = list(self.pending.values())
        if client is None or not refs:
            return
        if self.rounds >= self.max_rounds:
            names = len(refs)
            self.pending.clear()
            self.rounds = 0
            self._batch.status.emit(
                f"Stopped checking {names} separation{'s' if names != 1 else ''} that take "
                "too long; the server keeps separating. Separate All checks them again."
            )
            return
        self.rounds += 1
        self._polling = True
        voice_id = refs[0].voice_id
        ids = [r.sample_id for r in refs]

        def start(settled: Callable[[], None]) -> Task[Any]:
            def done() -> None:
                self._polling = False
                settled()
                self._schedule()

            return self._batch.runner.submit(
                lambda cancel: poll_separations(client, voice_id, ids, cancel),
                on_result=lambda found: self._polled(ids, found),
                on_error=lambda exc: self._batch.status.emit(
                    f"Checking the separations failed ({describe_error(exc)[0]}); "
                    "trying again shortly."
                ),
                on_settled=done,
                name="poll separations",
            )

        self._batch.enqueue("", start, counted=False)

    def _polled(self, ids: list[str], found: dict[str, Sample]) -> None:
        for sample_id in ids:
            sample = found.get(sample_id)
            if sample is not None:
                self._show(sample)
            elif self.pending.pop(sample_id, None) is not None:
                self._batch.mark_removed(sample_id)

    def shutdown(self) -> None:
        """Stop the loop (the server keeps separating)."""
        self._closed = True
        self.timer.stop()
        self.pending.clear()
