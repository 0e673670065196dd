"""The one place that changes the document: opening, loading, editing, submitting.

Widgets emit intents; the window calls the controller; the controller runs I/O on its
task runners and updates the :class:`EditSession`, which the widgets listen to. Every
change to the edit is an undoable command on one ``QUndoStack``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from pvc_sample_editor.api.models import Voice
from pvc_sample_editor.audio.document import AudioDocument, load_audio_document
from pvc_sample_editor.editing import operations as ops
from pvc_sample_editor.editing import workflows
from pvc_sample_editor.editing.autosave import Autosave
from pvc_sample_editor.editing.drafts import DraftKey, DraftStore
from pvc_sample_editor.editing.edit import SampleEdit
from pvc_sample_editor.editing.messages import left_sample_failed_message
from pvc_sample_editor.editing.session import Change, EditSession, SampleRef
from pvc_sample_editor.editing.workflows import OpenedSample, SubmitResult
from pvc_sample_editor.ui.audio_slot import AudioSlot
from pvc_sample_editor.ui.histories import EditCommand, Histories
from pvc_sample_editor.ui.separation import SeparationPoller
from pvc_sample_editor.ui.submission import Submitter, adopt_read_back
from pvc_sample_editor.ui.tasks import Task, TaskRunner, report_progress

if TYPE_CHECKING:  # the client (and requests) load only when a connection is made
    from pvc_sample_editor.api.client import ApiClient

__all__ = ["EditorController"]

log = logging.getLogger(__name__)

#: How much of a sample the server's preview holds (the API's sample audio: 30 s).
PREVIEW_MS = 30_000


class EditorController(QObject):
    """Owns the session, the audio document, the undo stack and all background work."""

    session_replacing = Signal()  # last call for the old session (commit typed text)
    session_replaced = Signal()
    audio_progress = Signal(object)  # LoadProgress
    audio_loaded = Signal()
    audio_failed = Signal(str)
    warning = Signal(str)  # persistent banner text ("" clears it)
    status = Signal(str)  # transient status-bar text
    error = Signal(str)  # a failure the user should read
    busy_changed = Signal(bool)  # a submission is in flight
    submission_progress = Signal(str)
    submission_finished = Signal(object)  # SubmitResult
    submission_failed = Signal(object)  # ApiError or other exception
    separation_polling = Signal(bool, str)
    draft_restored = Signal(object)  # the Draft now shown ("" → none)
    session_changed = Signal(object)  # a Change of the session shown (after its autosave)
    voice_loaded = Signal(object)  # the Voice of the sample just opened, all its samples

    def __init__(
        self,
        client: ApiClient | None,
        *,
        poll_interval_ms: int = 3000,
        poll_limit: int = 200,
        drafts: DraftStore | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.autosave = Autosave(drafts if drafts is not None else DraftStore())
        self.drafts = self.autosave.store
        self.local_path: Path | None = None
        self.session: EditSession | None = None
        self.voice_name = ""
        self.voice: Voice | None = None
        # One undo stack per sample, kept while the user moves between a voice's samples.
        self.histories = Histories(self)
        self.undo_group = self.histories.group
        # Bumped whenever the window moves to another session: the runners drop any
        # outcome of a task started for an earlier one (see ui.tasks).
        self.generation = 0
        current = self.generation_now
        self._api = TaskRunner("api", max_threads=2, parent=self, current_generation=current)
        self.submitter = Submitter(self)
        self.submitter.busy_changed.connect(self.busy_changed)
        self.submitter.progress.connect(self.submission_progress)
        self.audio_slot = AudioSlot(current, parent=self)
        self.audio_slot.progressed.connect(self.audio_progress)
        self._open_task: Task[Any] | None = None
        self.poller = SeparationPoller(
            self._api,
            current,
            lambda: self.session,
            lambda: self.client,
            interval_ms=poll_interval_ms,
            limit=poll_limit,
            parent=self,
        )
        self.poller.status.connect(self.status)
        self.poller.polling.connect(self.separation_polling)
        self.poller.failed.connect(self.error)
        self._unsubscribe: Callable[[], None] | None = None

    # ---------------------------------------------------------------- state

    @property
    def online(self) -> bool:
        """True when there is an API client and the session is attached to a sample."""
        return self.client is not None and self.session is not None and self.session.ref is not None

    @property
    def undo_stack(self) -> QUndoStack:
        """The undo history of the sample shown."""
        return self.histories.stack

    @property
    def audio(self) -> AudioDocument | None:
        """The audio the window shows (a local copy or the server's preview)."""
        return self.audio_slot.document

    def generation_now(self) -> int:
        """The current session's generation (for a runner that drops stale results)."""
        return self.generation

    @property
    def submitting(self) -> bool:
        """True while a submission's worker has not finished (even if cancelled)."""
        return self.submitter.busy

    def _replace_session(
        self,
        session: EditSession,
        *,
        local_path: Path | None,
        history: QUndoStack | None = None,
    ) -> None:
        # Text still being typed belongs to the old session, and its draft to the old key.
        self.session_replacing.emit()
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.stop_polling()
        self.generation += 1
        self.histories.switch(self.session, session, history)
        self.session = session
        self.local_path = local_path
        self._unsubscribe = session.subscribe(self._on_session_change)
        self.session_replaced.emit()
        if history is None:  # a session come back to still holds its edit
            self._restore_draft()

    # ---------------------------------------------------------------- drafts

    def draft_key(self) -> DraftKey | None:
        """Where this session's draft lives: by sample, or by local file when unattached."""
        return self.autosave.key(self.session, self.local_path)

    def _on_session_change(self, change: Change) -> None:
        if change is Change.EDIT:
            self._save_draft()
        self.session_changed.emit(change)

    def _save_draft(self) -> None:
        """Autosave: every change to the edit reaches the disk atomically, at once."""
        self._say(self.autosave.save(self.session, self.local_path))

    def _say(self, problem: str) -> None:
        if problem:
            self.error.emit(problem)

    def save_draft_now(self) -> None:
        """Write the current edit's draft immediately (e.g. after an unexpected error)."""
        self._save_draft()

    def _restore_draft(self) -> None:
        session = self.session
        draft = self.autosave.restorable(session, self.local_path) if session else None
        if session is not None and draft is not None:
            self.undo_stack.push(EditCommand(session, session.edit, draft.edit, "Restore draft"))
            self.draft_restored.emit(draft)

    def discard_draft(self) -> None:
        """Drop the restored draft: back to the server's state (undoable), file removed."""
        session = self.session
        if session is None or self.draft_key() is None:
            return
        self.change_edit(session.baseline, "Discard draft")
        self._say(self.autosave.remove(session, self.local_path))
        self.autosave.pending = False
        self.draft_restored.emit(None)

    # ---------------------------------------------------------------- opening

    def open_local_file(self, path: Path, *, ref: SampleRef | None = None) -> None:
        """Load a local audio file; attach it to ``ref`` (a server sample) if given."""
        self.status.emit(f"Loading {path.name}…")

        def work(cancel: threading.Event) -> AudioDocument:
            return load_audio_document(path, cancel=cancel, on_progress=report_progress)

        def loaded(doc: AudioDocument) -> None:
            if ref is not None and self.session is not None and self.session.ref == ref:
                self.session.local_duration_ms = doc.duration_ms
                self.local_path = path  # the draft names the copy being edited now
                if self.session.dirty:
                    self._save_draft()
                self._check_mismatch()
            elif ref is None:
                self._replace_session(
                    EditSession(
                        ref=None,
                        sample=None,
                        local_duration_ms=doc.duration_ms,
                        file_name=path.name,
                    ),
                    local_path=path,
                )
            self.audio_loaded.emit()
            self.status.emit(f"Loaded {path.name}")

        def failed(exc: BaseException) -> None:
            self.audio_failed.emit(str(exc) or type(exc).__name__)

        # A plain file opened by the user brings its own session, so it is not bound to one.
        generation = self.generation if ref is not None else None
        self.audio_slot.load(work, loaded, failed, name=f"load {path.name}", generation=generation)

    def open_sample(self, ref: SampleRef, local_path: Path | None) -> None:
        """Read the sample's state from the server; then load the local copy or the preview."""
        client = self._require_client()
        if client is None:
            return
        if self._open_task is not None:
            self._open_task.cancel()
        self.status.emit("Reading the sample from the server…")

        def work(cancel: threading.Event) -> OpenedSample:
            return workflows.open_sample(client, ref, cancel)

        def opened(result: OpenedSample) -> None:
            self._open_task = None
            self.status.emit("")  # "Reading the sample from the server…" is done
            self.voice_name = result.voice_name
            self.voice = result.voice
            parked = self.histories.take(ref)
            if parked is not None:  # back to a sample of this voice: its edit and history
                session, history = parked
                session.apply_server_sample(result.sample, keep_edit=True)
                self._replace_session(session, local_path=local_path, history=history)
            else:
                local_ms = (
                    self.audio.duration_ms
                    if self.audio is not None and local_path is None
                    else None
                )
                self._replace_session(
                    EditSession(ref=ref, sample=result.sample, local_duration_ms=local_ms),
                    local_path=local_path,
                )
            if local_path is not None:
                self.open_local_file(local_path, ref=ref)
            else:
                self.load_preview()
            if result.voice is not None:
                self.voice_loaded.emit(result.voice)
            for note in result.sample.notes:
                self.error.emit(note)
            sep = result.sample.speaker_separation
            # The voice's copy of the separation may leave the speakers out (the spec
            # allows null): read them, or a completed one would offer none to tick.
            if sep is None or (sep.completed and not sep.speakers):
                self.refresh_speakers()

        def failed(exc: BaseException) -> None:
            self._open_task = None
            if isinstance(exc, workflows.SampleGoneError):  # deleted elsewhere meanwhile
                self._sample_gone(ref, exc.voice)
                return
            self.error.emit(f"Could not open the sample: {exc}")

        self._open_task = self._api.submit(
            work, on_result=opened, on_error=failed, name="open sample"
        )

    def _sample_gone(self, ref: SampleRef, voice: Voice) -> None:
        """The sample asked for is no longer in its voice: say so, list what there is."""
        listed = self.voice.sample(ref.sample_id) if self.voice is not None else None
        name = f"“{listed.file_name}”" if listed is not None else "The sample"
        self.error.emit(
            f"{name} is no longer on the server: it was deleted there (in the web page or "
            "another app). The list now shows the voice as it is; an unsent edit of it "
            "stays in its draft file."
        )
        if self.voice is None or self.voice.voice_id == voice.voice_id:
            self.adopt_voice(voice)

    def adopt_voice(self, voice: Voice) -> None:
        """A fresh read of the voice: keep it, and let the list and the voice's tools
        show it (``voice_loaded``)."""
        self.voice = voice
        self.voice_loaded.emit(voice)

    def open_voice(self, voice_id: str, then: Callable[[Voice], None] | None = None) -> None:
        """Read a voice from the server and list its samples (``voice_loaded``), then call
        ``then`` with it (not if the read fails); the sample on screen stays until
        another is opened."""
        client = self._require_client()
        if client is None:
            return
        self.status.emit("Reading the voice from the server…")

        def opened(voice: Voice) -> None:
            self.adopt_voice(voice)
            count = len(voice.samples)
            self.status.emit(f"Opened “{voice.name}”: {count} sample{'s' * (count != 1)}.")
            if then is not None:
                then(voice)

        def failed(exc: BaseException) -> None:
            self.error.emit(f"Could not open the voice: {exc}")

        self._api.submit(
            lambda cancel: client.get_voice(voice_id, cancel=cancel),
            on_result=opened,
            on_error=failed,
            name="open voice",
        )

    def load_preview(self) -> None:
        """Load the server's 30-second preview as the waveform (no local copy)."""
        client = self._require_client()
        session = self.session
        if client is None or session is None or session.ref is None:
            return
        ref = session.ref
        length = session.sample.duration_ms if session.sample is not None else None
        whole = length is not None and length <= PREVIEW_MS
        self.warning.emit(
            "Showing the server's preview of the sample (all of it: it is under 30 "
            "seconds). Open the local copy (File → Open Local Copy) to hear your own file."
            if whole
            else "Showing the server's preview: only the FIRST 30 SECONDS of the sample. "
            "Open the local copy (File → Open Local Copy) to see and trim the whole file."
        )

        def work(cancel: threading.Event) -> AudioDocument:
            return workflows.fetch_preview(client, ref, cancel)

        def failed(exc: BaseException) -> None:
            self.audio_failed.emit(f"Could not load the server's preview: {exc}")

        self.audio_slot.load(
            work,
            lambda _doc: self.audio_loaded.emit(),
            failed,
            name="preview",
            generation=self.generation,
        )

    def close_sample(self, *, keep_history: bool = False) -> None:
        """Show no sample: the one open is gone from the server (its history goes with
        it), or belongs to a voice left for an empty one (``keep_history``: parked, to
        come back to, as a switch does). Its draft stays as autosave wrote it. The audio
        it showed is closed after the window has let go of it."""
        session = self.session
        if session is None or self.submitting:
            return
        self.session_replacing.emit()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._open_task is not None:
            self._open_task.cancel()
            self._open_task = None
        self.stop_polling()
        self.generation += 1
        self.histories.close(session if keep_history else None)
        self.session = None
        self.local_path = None
        self.autosave.pending = False
        document = self.audio_slot.release()
        self.warning.emit("")  # the preview's banner
        self.draft_restored.emit(None)
        self.session_replaced.emit()
        if document is not None:
            document.close()

    def _check_mismatch(self) -> None:
        session = self.session
        if session is None or session.sample is None or self.audio is None:
            return
        server_ms = session.sample.duration_ms
        if server_ms is None:
            return
        self.warning.emit(workflows.length_mismatch_warning(self.audio.duration_ms, server_ms))

    def _require_client(self) -> ApiClient | None:
        if self.client is None:
            self.error.emit("Not connected: enter an API key or start the offline demo first.")
        return self.client

    # ---------------------------------------------------------------- editing

    def change_edit(self, new: SampleEdit, text: str) -> None:
        """Apply ``new`` as one undoable step (no-op when nothing changes)."""
        session = self.session
        if session is None or new == session.edit:
            return
        self.undo_stack.push(EditCommand(session, session.edit, new, text))

    def _change(self, make: Callable[[EditSession], SampleEdit], text: str) -> None:
        if self.session is not None:
            self.change_edit(make(self.session), text)

    def set_trims(self, start_ms: int, end_ms: int) -> None:
        """Set both trims, clamped to the sample and kept in order."""
        self._change(
            lambda s: ops.with_trims(s.edit, s.duration_ms, start_ms, end_ms), "Move trims"
        )

    def set_start(self, start_ms: int) -> None:
        """Set the start trim (the end stays, pushed back if needed)."""
        self._change(lambda s: ops.with_start(s.edit, s.duration_ms, start_ms), "Move trims")

    def set_end(self, end_ms: int) -> None:
        """Set the end trim (the start stays, pulled back if needed)."""
        self._change(lambda s: ops.with_end(s.edit, s.duration_ms, end_ms), "Move trims")

    def nudge(self, handle: int, delta_ms: int) -> None:
        """Move the start (0) or end (1) handle by ``delta_ms``."""
        self._change(lambda s: ops.nudged(s.edit, s.duration_ms, handle, delta_ms), "Move trims")

    def set_noise(self, on: bool) -> None:
        """Switch background-noise removal."""
        self._change(
            lambda s: ops.with_noise(s.edit, on), f"Turn noise removal {'on' if on else 'off'}"
        )

    def set_file_name(self, name: str) -> None:
        """Rename the sample."""
        self._change(lambda s: ops.with_file_name(s.edit, name), "Rename")

    def set_speakers(self, ids: list[str]) -> None:
        """Choose the speakers to keep (the order of the separation's list)."""
        self._change(lambda s: ops.with_speakers(s.edit, s.separation, ids), "Choose speakers")

    # ---------------------------------------------------------------- speakers

    def refresh_speakers(self) -> None:
        """Read the speaker-separation state from the server."""
        self.poller.refresh()

    def start_separation(self) -> None:
        """Ask the server to separate speakers, then poll until done, failed or cancelled."""
        self.poller.start()

    def stop_polling(self) -> None:
        """Cancel the separation poll (the server keeps separating)."""
        self.poller.stop()

    def fetch_speaker_audio(
        self, speaker_id: str, deliver: Callable[[AudioDocument], None]
    ) -> None:
        """Fetch and decode one speaker's audio off the GUI thread; ``deliver`` it there."""
        self.poller.fetch_audio(speaker_id, deliver)

    # ---------------------------------------------------------------- submit

    def submit(self) -> bool:
        """Send the edit and read it back. Returns False when it cannot be sent now."""
        client, session = self.client, self.session
        if client is None or session is None or session.ref is None or self.submitting:
            return False
        if session.submit_block_reason() is not None:
            return False
        ref = session.ref
        sent = session.edit
        ctx = session.context

        def work(cancel: threading.Event) -> SubmitResult:
            return workflows.submit_and_confirm(client, ref, sent, ctx, cancel, report_progress)

        def done(result: SubmitResult) -> None:
            if self.settle(ref, result):
                self.submission_finished.emit(result)

        def failed(exc: BaseException) -> None:
            current = self.session
            if current is None or current.ref != ref:
                # The user moved on: this failure is not about what the window shows.
                self.error.emit(left_sample_failed_message(ref.sample_id, exc))
                return
            # The edit is left exactly as it was, ready to resubmit.
            self.submission_failed.emit(exc)

        self.autosave.pending = True
        self._save_draft()  # an interrupted submission keeps its draft, marked pending
        self.submitter.start(work, done, failed)
        return True

    def settle(self, ref: SampleRef, result: SubmitResult) -> bool:
        """Adopt a submission's read-back in ``ref``'s session if it is open in the window
        (shown, or left with its history); True when it is the one shown."""
        current = self.session
        shown = current is not None and current.ref == ref
        found = (current, self.undo_stack) if current is not None and shown else None
        found = found or self.histories.parked(ref)  # or the user moved on
        if found is None:
            return False
        cleared, problem = adopt_read_back(*found, result, self.autosave)
        self._say(problem)
        if shown and result.confirmed:
            self.autosave.pending = False
            if cleared:
                self.draft_restored.emit(None)
            else:
                self._save_draft()  # the user edited on while it was in flight
        return shown

    # ---------------------------------------------------------------- closing

    def shutdown(self) -> None:
        """Stop polls and wait for background work; close the audio file."""
        self.stop_polling()
        if self._open_task is not None:
            self._open_task.cancel()
        self.submitter.shutdown()
        self.audio_slot.shutdown()
        self._api.shutdown()
