"""Keeps the workspace list true to the controller: rows, the open sample's state, the gauge.

It listens to the controller (a voice read, the session's changes, a submission's
course) and to the waveform (a handle being dragged) and renders into the
:class:`~pvc_sample_editor.ui.workspace_panel.WorkspacePanel`; the sample the user picks
there is opened through the controller, with the local copy last used for it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject

from pvc_sample_editor.api.models import Voice
from pvc_sample_editor.editing.budget import kept_ms
from pvc_sample_editor.editing.drafts import DraftKey
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.editing.workflows import SubmitResult
from pvc_sample_editor.editing.workspace import sample_row, sample_rows
from pvc_sample_editor.ui.batch import BatchQueue
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.waveform import WaveformView
from pvc_sample_editor.ui.workspace_panel import WorkspacePanel

__all__ = ["WorkspaceBinder"]


class WorkspaceBinder(QObject):
    """Connects the controller and the waveform to the workspace panel."""

    def __init__(
        self,
        controller: EditorController,
        panel: WorkspacePanel,
        waveform: WaveformView,
        batch: BatchQueue,
    ) -> None:
        super().__init__(panel)
        self._c = controller
        self._panel = panel
        self._batch = batch
        # Per sample of the open voice: the local copy last used, why a submission failed.
        self._local_copies: dict[SampleRef, Path] = {}
        self._failures: dict[str, str] = {}
        controller.voice_loaded.connect(self._on_voice_loaded)
        controller.session_replaced.connect(self._on_session_replaced)
        controller.session_changed.connect(self._refresh_current)
        controller.busy_changed.connect(self._refresh_current)
        controller.submission_finished.connect(self._on_submitted)
        controller.submission_failed.connect(self._on_failed)
        waveform.trims_dragging.connect(self._show_live_budget)
        panel.sample_chosen.connect(self.open_sample)
        batch.rows_changed.connect(self.refresh_rows)

    def _current_ref(self) -> SampleRef | None:
        session = self._c.session
        return session.ref if session is not None else None

    def _on_session_replaced(self) -> None:
        session = self._c.session
        if session is not None and session.ref is not None and self._c.local_path is not None:
            self._local_copies[session.ref] = self._c.local_path

    def _on_voice_loaded(self, voice: Voice) -> None:
        c, ref = self._c, self._current_ref()
        current = ref.sample_id if ref is not None else ""
        live = {current: c.session.edit} if c.session is not None and current else {}
        b = self._batch
        b.samples.clear()  # this read of the voice is newer than the queue's read-backs
        submitting = ({current} if c.submitting and current else set()) | b.sending
        failed = {**self._failures, **b.failures}
        rows = sample_rows(
            voice, c.drafts, live=live, submitting=submitting, failed=failed, queued=b.queued
        )
        self._panel.show_voice(voice.name, rows, current)
        self._panel.show()

    def _refresh_current(self, *_args: object) -> None:
        session = self._c.session
        if session is None or session.ref is None or session.sample is None:
            return
        sample_id = session.ref.sample_id
        b = self._batch
        sample = session.sample
        if session.separation is not None:  # read since the sample was (polled, or Refresh)
            sample = replace(sample, speaker_separation=session.separation)
        row = sample_row(
            sample,
            session.edit,
            submitting=self._c.submitting or sample_id in b.sending,
            failure=b.failures.get(sample_id) or self._failures.get(sample_id, ""),
            queued=sample_id in b.queued,
        )
        self._panel.update_row(row)

    def refresh_rows(self, sample_ids: tuple[str, ...]) -> None:
        """Redraw the rows of ``sample_ids`` from the queue's state and their drafts."""
        current = self._current_ref()
        b = self._batch
        for sample_id in sample_ids:
            if current is not None and current.sample_id == sample_id:
                self._refresh_current()
                continue
            sample = b.sample(sample_id)
            if sample is None or current is None:
                continue
            ref = SampleRef(current.voice_id, sample_id)
            parked = self._c.histories.parked(ref)
            row = sample_row(
                sample,
                parked[0].edit if parked is not None else None,
                submitting=sample_id in b.sending,
                failure=b.failures.get(sample_id) or self._failures.get(sample_id, ""),
                draft=self._c.drafts.load(DraftKey.for_sample(ref)),
                queued=sample_id in b.queued,
            )
            self._panel.update_row(row)

    def _on_submitted(self, result: SubmitResult) -> None:
        self._failures.pop(result.sample.sample_id, None)
        self._refresh_current()

    def _on_failed(self, exc: object) -> None:
        ref = self._current_ref()
        if ref is not None:
            self._failures[ref.sample_id] = str(exc) or type(exc).__name__
            self._refresh_current()

    def _show_live_budget(self, start_ms: int, end_ms: int) -> None:
        session = self._c.session
        if session is None or session.ref is None or session.sample is None:
            return
        kept = kept_ms(session.sample, session.edit.with_trims(start_ms, end_ms))
        self._panel.show_live_kept(session.ref.sample_id, kept)

    def open_sample(self, sample_id: str) -> None:
        """Open ``sample_id`` of the open voice, with the local copy last used for it."""
        ref = self._current_ref()
        if ref is None or ref.sample_id == sample_id:
            return
        target = SampleRef(ref.voice_id, sample_id)
        # Text being typed is committed to the sample it was typed for (session_replacing).
        self._c.open_sample(target, self._local_copies.get(target))

    def step(self, step: int) -> None:
        """Open the sample ``step`` rows away in the list as shown."""
        ref = self._current_ref()
        if ref is not None:
            target = self._panel.neighbour(ref.sample_id, step)
            if target is not None:
                self.open_sample(target)
