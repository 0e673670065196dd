"""Keeps the workspace list true to the controller: rows, the open sample's state, the gauge.

It listens to the controller (a voice read, the session's changes, a submission's
course) and to the waveform (a handle being dragged) and renders into the
:class:`~pvc_sample_editor.ui.workspace_panel.WorkspacePanel`; the sample the user picks
there is opened through the controller, with its local copy: the file last opened for it
by hand, else its match in the voice's recordings folder, else the server's preview.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from pvc_sample_editor.analysis import Report
from pvc_sample_editor.api.models import Voice
from pvc_sample_editor.editing.budget import kept_ms
from pvc_sample_editor.editing.drafts import DraftKey
from pvc_sample_editor.editing.recordings import (
    FolderGoneError,
    LocalCopy,
    match_samples,
    scan_folder,
)
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.editing.workflows import SubmitResult
from pvc_sample_editor.editing.workspace import (
    SampleRow,
    local_state,
    sample_row,
    sample_rows,
)
from pvc_sample_editor.ui.batch import BatchQueue
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.settings import Settings
from pvc_sample_editor.ui.tasks import Task, TaskRunner
from pvc_sample_editor.ui.waveform import WaveformView
from pvc_sample_editor.ui.workspace_panel import NO_FOLDER, NO_FOLDER_TIP, WorkspacePanel

__all__ = ["WorkspaceBinder"]


def _ask_for_folder(parent: QWidget, start: Path | None) -> Path | None:
    chosen = QFileDialog.getExistingDirectory(
        parent, "Choose the voice's recordings folder", str(start) if start else ""
    )
    return Path(chosen) if chosen else None


class WorkspaceBinder(QObject):
    """Connects the controller and the waveform to the workspace panel."""

    #: Why the sample just opened shows the preview instead of its file in the folder
    #: (a wrong match, a file gone), or why the folder cannot be searched.
    message = Signal(str)

    def __init__(
        self,
        controller: EditorController,
        panel: WorkspacePanel,
        waveform: WaveformView,
        batch: BatchQueue,
        *,
        settings: Settings | None = None,
        choose_folder: Callable[[Path | None], Path | None] | None = None,
    ) -> None:
        super().__init__(panel)
        self._c = controller
        self._panel = panel
        self._batch = batch
        self._settings = settings
        #: How the user picks a recordings folder (a dialog unless a caller answers).
        self.choose_folder = choose_folder or (lambda start: _ask_for_folder(panel, start))
        # Per sample: a file the user opened for it by hand; why a submission failed; the
        # audio check's verdict of its kept region.
        self._by_hand: dict[SampleRef, Path] = {}
        self._failures: dict[str, str] = {}
        self._verdicts: dict[str, str] = {}
        self._notices: dict[str, str] = {}  # said once the sample is on screen
        # A sample whose file went missing, opened once the folder is matched again.
        self._reopen: tuple[SampleRef, Path] | None = None
        # The recordings folder's answer for the open voice (sample id → copy).
        self._folders: dict[str, Path] = {}  # voice id → folder, when there are no settings
        self._copies: dict[str, LocalCopy] = {}
        self._matched_for: tuple[str, frozenset[tuple[str, int | None]]] | None = None
        self._voice: Voice | None = None
        # A voice opened by its id alone, read: its first sample opens once its files are
        # matched (set only once the read succeeded, so a failed one leaves nothing behind).
        self._first_of: str | None = None
        self._runner = TaskRunner("recordings", max_threads=1, parent=self)
        self._scan: Task[Any] | None = None
        controller.voice_loaded.connect(self._on_voice_loaded)
        controller.audio_loaded.connect(self._on_audio_loaded)
        controller.session_changed.connect(self._refresh_current)
        controller.busy_changed.connect(self._refresh_current)
        controller.submission_finished.connect(self._on_submitted)
        controller.submission_failed.connect(self._on_failed)
        waveform.trims_dragging.connect(self._show_live_budget)
        panel.sample_chosen.connect(self.open_sample)
        panel.folder_requested.connect(self.choose_recordings_folder)
        batch.rows_changed.connect(self.refresh_rows)

    def _current_ref(self) -> SampleRef | None:
        session = self._c.session
        return session.ref if session is not None else None

    def _on_audio_loaded(self) -> None:
        ref, path = self._current_ref(), self._c.local_path
        if ref is None:
            return
        notice = self._notices.pop(ref.sample_id, "")
        if notice:
            self.message.emit(notice)
        if path is None:
            return
        copy = self._copies.get(ref.sample_id)
        if copy is None or copy.path != path:  # not the folder's: the user chose it
            self._by_hand[ref] = path
            self._refresh_current()

    def _on_voice_loaded(self, voice: Voice) -> None:
        self._voice = voice
        self._render_rows()
        self._panel.show()
        # The folder is matched again for another voice, or when samples came or went.
        samples = frozenset((s.sample_id, s.size_bytes) for s in voice.samples)
        if self._matched_for != (voice.voice_id, samples):
            self._matched_for = (voice.voice_id, samples)
            self.match_folder()

    def open_voice(self, voice_id: str) -> None:
        """List ``voice_id``'s samples and open the first, with its file from the voice's
        recordings folder when one is matched there (else the server's preview)."""
        self._c.open_voice(voice_id, then=self._opened_voice)

    def _opened_voice(self, voice: Voice) -> None:
        """The voice asked for is listed: its first sample opens once its files are
        matched (at once when there is no folder to search)."""
        self._first_of = voice.voice_id
        if self._scan is None:
            self._open_first()

    def _open_first(self) -> bool:
        """Open the first sample of a voice opened by its id; True when one was asked for."""
        voice = self._voice
        if voice is None or self._first_of != voice.voice_id:
            return False
        self._first_of = None
        first = self._panel.first_sample_id()
        ref = self._current_ref()
        if first is not None:
            self.open_sample(first)
        elif ref is not None and ref.voice_id != voice.voice_id:
            # An empty voice: another voice's sample must not stay beside its list.
            self._c.close_sample(keep_history=True)
        return True

    def _decorate(self, row: SampleRow) -> SampleRow:
        """``row`` with its local copy and audio-check verdict, which the core does not know."""
        voice = self._voice
        by_hand = self._by_hand.get(SampleRef(voice.voice_id, row.sample_id)) if voice else None
        folder = self._folder(voice.voice_id) if voice is not None else None
        copy = self._copies.get(row.sample_id) if folder is not None else None
        local, note = local_state(copy, opened_by_hand=by_hand)
        verdict = self._verdicts.get(row.sample_id, "")
        return dataclasses.replace(row, local=local, local_note=note, verdict=verdict)

    # ------------------------------------------------------------ recordings folder

    def _folder(self, voice_id: str) -> Path | None:
        if self._settings is not None:
            return self._settings.recordings_folder(voice_id)
        return self._folders.get(voice_id)

    def choose_recordings_folder(self) -> None:
        """Ask for the open voice's recordings folder, remember it, and match its files."""
        voice = self._voice
        if voice is None:
            return
        chosen = self.choose_folder(self._folder(voice.voice_id))
        if chosen is None:
            return
        if self._settings is not None:
            self._settings.set_recordings_folder(voice.voice_id, chosen)
        else:
            self._folders[voice.voice_id] = chosen
        self.match_folder()

    def match_folder(self) -> None:
        """Match the open voice's samples with its recordings folder, off the GUI thread."""
        voice = self._voice
        if voice is None:
            return
        if self._scan is not None:
            self._scan.cancel()
        folder = self._folder(voice.voice_id)
        if folder is None:
            self._copies = {}
            self._panel.show_folder(NO_FOLDER, tooltip=NO_FOLDER_TIP)
            self._render_rows()
            return
        self._panel.show_folder(f"Looking for the samples' files in {folder}…", tooltip=str(folder))
        samples = voice.samples

        def work(cancel: threading.Event) -> dict[str, LocalCopy]:
            found = scan_folder(folder, should_stop=cancel.is_set)
            return match_samples(samples, found, should_stop=cancel.is_set)

        def failed(exc: BaseException) -> None:
            self._copies = {}
            text = (
                str(exc)
                if isinstance(exc, FolderGoneError)
                else f"{folder} could not be searched: {exc}"
            )
            self._panel.show_folder(text, problem=True, tooltip=text)
            self._render_rows()
            if not self._finish_reopen(text):
                self.message.emit(text)
                self._open_first()

        def settled() -> None:
            self._scan = None

        self._scan = self._runner.submit(
            work,
            on_result=lambda copies: self._on_matched(voice.voice_id, folder, copies),
            on_error=failed,
            on_settled=settled,
            name="match recordings",
        )

    def _on_matched(self, voice_id: str, folder: Path, copies: dict[str, LocalCopy]) -> None:
        if self._voice is None or self._voice.voice_id != voice_id:
            return  # another voice opened meanwhile
        self._copies = copies
        found = sum(c.usable for c in copies.values())
        differs = sum(bool(c.problem) for c in copies.values())
        text = f"{found} of {len(copies)} samples have their file in “{folder.name}”"
        text += f"; {differs} differ{'s' if differs == 1 else ''}" if differs else "."
        self._panel.show_folder(text, problem=bool(differs), tooltip=str(folder))
        self._render_rows()
        if self._finish_reopen("") or self._open_first():
            return
        ref = self._current_ref()
        copy = copies.get(ref.sample_id) if ref is not None else None
        if ref is None or copy is None:
            return
        if copy.problem:
            self.message.emit(copy.problem)
        elif copy.usable and copy.path is not None and self._c.local_path is None:
            self._c.open_local_file(copy.path, ref=ref)  # the open preview becomes its file

    def _finish_reopen(self, folder_problem: str) -> bool:
        """Open the sample whose file went missing, now that the folder was searched again.

        Says what became of its file: found under another name, or gone (the preview
        opens, and its edit is kept either way). False when no sample was waiting.
        """
        if self._reopen is None:
            return False
        target, lost = self._reopen
        self._reopen = None
        path = self._local_copy(target)
        gone = f"“{lost.name}” is no longer in the recordings folder"
        if path is not None:
            notice = f"{gone}: its recording was found again as “{path.name}”."
        elif folder_problem:
            notice = f"{folder_problem} Your edits are kept."
        else:
            notice = (
                f"{gone} (renamed, moved or deleted), and no other file there matches it: "
                "showing the server's preview. Your edits are kept."
            )
        self._notices[target.sample_id] = notice
        self._c.open_sample(target, path)
        return True

    def _render_rows(self) -> None:
        """Every row again, from the voice last read, the drafts and the open edit."""
        voice, c, ref = self._voice, self._c, self._current_ref()
        if voice is None:
            return
        current = ref.sample_id if ref is not None else ""
        live = {current: c.session.edit} if c.session is not None and current else {}
        b = self._batch
        b.samples.clear()  # this read of the voice is newer than the queue's read-backs
        submitting = ({current} if c.submitting and current else set()) | b.sending
        failed = {**self._failures, **b.failures}
        rows = sample_rows(
            voice, c.drafts, live=live, submitting=submitting, failed=failed, queued=b.queued
        )
        self._panel.show_voice(voice.name, tuple(self._decorate(r) for r in rows), current)

    def _local_copy(self, target: SampleRef) -> Path | None:
        """The file to open for ``target``: by hand, else the folder's usable match."""
        by_hand = self._by_hand.get(target)
        if by_hand is not None and by_hand.exists():
            return by_hand
        copy = self._copies.get(target.sample_id)
        if copy is None or copy.path is None:
            return None
        if copy.problem:
            self._notices[target.sample_id] = copy.problem
            return None
        return copy.path

    def _lost_copy(self, target: SampleRef) -> Path | None:
        """The folder file matched for ``target`` if it has gone from the disk since."""
        copy = self._copies.get(target.sample_id)
        if target in self._by_hand or copy is None or not copy.usable or copy.path is None:
            return None
        return None if copy.path.exists() else copy.path

    def adopt_local_copies(self, copies: dict[SampleRef, Path]) -> None:
        """Files just uploaded as these samples: each opens its file, not the preview."""
        self._by_hand.update(copies)
        self._render_rows()

    def set_verdict(self, report: Report) -> None:
        """The audio check finished the open sample's kept region: show its verdict."""
        ref = self._current_ref()
        if ref is not None:
            self._verdicts[ref.sample_id] = report.verdict.value
            self._refresh_current()

    def shutdown(self) -> None:
        """Stop a folder search and wait for it."""
        if self._scan is not None:
            self._scan.cancel()
        self._runner.shutdown()

    def _refresh_current(self, *_args: object) -> None:
        session = self._c.session
        if session is None or session.ref is None or session.sample is None:
            return
        sample_id = session.ref.sample_id
        b = self._batch
        sample = session.sample
        if session.separation is not None:  # read since the sample was (polled, or Refresh)
            sample = dataclasses.replace(sample, speaker_separation=session.separation)
        row = sample_row(
            sample,
            session.edit,
            submitting=self._c.submitting or sample_id in b.sending,
            failure=b.failures.get(sample_id) or self._failures.get(sample_id, ""),
            queued=sample_id in b.queued,
        )
        self._panel.update_row(self._decorate(row))

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
            self._panel.update_row(self._decorate(row))

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
        ref, voice = self._current_ref(), self._voice
        # The voice listed may not be the open sample's (a new voice, just made).
        voice_id = voice.voice_id if voice is not None else ref.voice_id if ref else None
        if voice_id is None or ref == SampleRef(voice_id, sample_id):
            return
        target = SampleRef(voice_id, sample_id)
        lost = self._lost_copy(target)
        if lost is not None:  # renamed or moved since the folder was matched: look again first
            self._reopen = (target, lost)
            self._matched_for = None
            self.match_folder()
            return
        # Text being typed is committed to the sample it was typed for (session_replacing).
        self._c.open_sample(target, self._local_copy(target))

    def step(self, step: int) -> None:
        """Open the sample ``step`` rows away in the list as shown."""
        ref = self._current_ref()
        if ref is not None:
            target = self._panel.neighbour(ref.sample_id, step)
            if target is not None:
                self.open_sample(target)
