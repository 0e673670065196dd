"""The editor window: waveform on top, edit fields and speakers below, Submit at the bottom.

The window renders the session and forwards what the user does to the controller; it
never changes the session itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from pvc_sample_editor import APP_NAME
from pvc_sample_editor.audio.document import AudioDocument, LoadProgress
from pvc_sample_editor.editing.budget import window_kept
from pvc_sample_editor.editing.drafts import Draft
from pvc_sample_editor.editing.messages import (
    close_questions,
    restored_draft_message,
    submit_failed_message,
    submitted_message,
)
from pvc_sample_editor.editing.session import Change
from pvc_sample_editor.editing.workflows import (
    ReadBackFailedError,
    SubmitResult,
)
from pvc_sample_editor.timecode import format_ms
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.insight import InsightBinder
from pvc_sample_editor.ui.listening import Listening
from pvc_sample_editor.ui.queue_binder import QueueBinder
from pvc_sample_editor.ui.settings import Settings, open_dialog_folder, remember_open_folder
from pvc_sample_editor.ui.speakers import speaker_color
from pvc_sample_editor.ui.voice_actions import VoiceActions
from pvc_sample_editor.ui.waveform import SpeakerBands
from pvc_sample_editor.ui.window_layout import (
    AUDIO_FILE_FILTER,
    STYLE_SHEET,
    EditorLayout,
    first_size,
)
from pvc_sample_editor.ui.workspace import WorkspaceBinder

__all__ = ["AUDIO_FILE_FILTER", "MainWindow"]


# How long closing waits for a submission in flight before cancelling it.
_SUBMIT_GRACE_S = 2.0


class MainWindow(EditorLayout):
    """The editor window for one sample (or one local file)."""

    def __init__(
        self,
        controller: EditorController,
        *,
        player: Any = None,
        settings: QSettings | None = None,
        connection_label: str = "",
        confirm: Callable[[str, str], bool] | None = None,
    ) -> None:
        super().__init__()
        self.controller = controller
        # The window owns the controller: Qt deletes it with the window, in order. Left to
        # Python, a controller caught in a reference cycle was deleted by the garbage
        # collector at any allocation, once inside another object's destructor, where its
        # undo group's destructor waited on a lock that destructor held: a hang.
        controller.setParent(self)
        self.settings = settings
        #: How the window asks a yes/no question (title, text) before closing; a modal
        #: box unless the caller (a script, the self-test, a test) answers instead.
        self.confirm: Callable[[str, str], bool] = confirm if confirm is not None else self._ask
        self._unsubscribe: Callable[[], None] | None = None
        self.setAcceptDrops(True)
        self.setStyleSheet(STYLE_SHEET)
        self.resize(*first_size())
        self.setMinimumSize(720, 520)  # fits small laptop screens and the 800x800 test screen

        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.editor_page = QWidget()
        self.stack.addWidget(self.editor_page)
        self._build_editor(connection_label)
        self._build_actions()
        self.listening = Listening(self, controller)
        self.playback = self.listening.routes
        self.export = self.listening.export
        self.sound_label = self.listening.sound_label
        if player is not None:
            self.set_player(player)
        else:  # the app attaches it once a file given at start-up is on screen
            self.playback.refresh()
        self._connect_controller()
        self._update_title()
        self._render_all()
        if settings is not None:
            geometry = settings.value("window/geometry", QByteArray(), type=QByteArray)
            if isinstance(geometry, QByteArray) and not geometry.isEmpty():
                self.restoreGeometry(geometry)

    # ---------------------------------------------------------------- layout

    def set_player(self, player: Any) -> None:
        """Attach the audio player (it may come after the window is first painted).

        ``None`` means there is none to be had: the playback module could not be loaded.
        """
        self.playback.attach(player)

    @property
    def player(self) -> Any:
        """The audio player, or None."""
        return self.playback.player

    # ---------------------------------------------------------------- wiring

    def _connect_controller(self) -> None:
        c = self.controller
        wf = self.waveform
        panel = self.edit_panel
        # While a handle is dragged the fields follow at most 30 times a second: any
        # widget painted besides the waveform cost ~0.7 ms of a drag frame, and the
        # handle moves up to 100 times a second. The release renders the final value.
        self._live_trims = (0, 0)
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(33)
        self._live_timer.timeout.connect(self._show_live_trims)
        wf.trims_dragging.connect(self._follow_drag)
        wf.trims_changed.connect(c.set_trims)
        panel.start_committed.connect(c.set_start)
        panel.end_committed.connect(c.set_end)
        panel.noise_toggled.connect(c.set_noise)
        panel.file_name_committed.connect(c.set_file_name)
        sp = self.speakers_panel
        sp.selection_changed.connect(c.set_speakers)
        sp.separate_requested.connect(c.start_separation)
        sp.cancel_requested.connect(c.stop_polling)
        sp.listen_requested.connect(self.playback.listen_to_speaker)

        c.session_replaced.connect(self._on_session_replaced)
        c.audio_progress.connect(self._on_audio_progress)
        c.audio_loaded.connect(self._on_audio_loaded)
        c.audio_failed.connect(self._show_open_error)
        c.warning.connect(self._show_banner)
        # Bound methods, not lambdas: Qt drops these connections when the window dies.
        c.status.connect(self._show_status)
        c.error.connect(self._show_error)
        c.busy_changed.connect(self._on_busy)
        c.submission_progress.connect(self.busy_label.setText)
        c.submission_finished.connect(self._on_submitted)
        c.submission_failed.connect(self._on_submit_failed)
        c.separation_polling.connect(sp.set_polling)
        c.draft_restored.connect(self._on_draft_restored)
        c.session_replacing.connect(self.edit_panel.commit_typing)
        self.keep_draft_button.clicked.connect(self.draft_bar.hide)
        self.discard_draft_button.clicked.connect(c.discard_draft)
        c.undo_group.cleanChanged.connect(self._on_clean_changed)
        self.queue = QueueBinder(c, self)  # Submit all, Separate all: the panel, the menu
        self.batch = self.queue.batch
        self.batch.rows_changed.connect(self._render_submit_state)
        self.workspace_binder = WorkspaceBinder(
            c,
            self.workspace,
            wf,
            self.batch,
            settings=Settings(self.settings) if self.settings is not None else None,
        )
        self.workspace_binder.message.connect(self._show_local_notice)
        # Delete and Train: the list's menu and Delete key, the Voice menu, the Train row.
        self.voice_actions = VoiceActions(c, self, self.workspace_binder, self.queue)
        self.insight = InsightBinder(c, self.report_panel, wf, lambda t, x: self.confirm(t, x))
        self.insight.region_checked.connect(self.workspace_binder.set_verdict)
        # Queued: the view says it from inside a redraw, and the answer is a modal box.
        wf.source_failed.connect(self._on_audio_gone, Qt.ConnectionType.QueuedConnection)

    def _follow_drag(self, start_ms: int, end_ms: int) -> None:
        self._live_trims = (start_ms, end_ms)
        if not self._live_timer.isActive():
            self._live_timer.start()

    def _show_live_trims(self) -> None:
        self.edit_panel.show_trims(*self._live_trims)

    def _show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 5000)

    def _on_clean_changed(self, _clean: bool) -> None:
        self._update_title()

    def _on_session_replaced(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        session = self.controller.session
        if session is not None:
            self._unsubscribe = session.subscribe(self._on_session_changed)
        self.saved_label.clear()
        self.submit_error.clear()
        self.edit_panel.forget_typing()  # the old session's text was committed to it
        if session is None:  # the sample was closed: as before the first one
            self.playback.stop()
            self.waveform.show_empty()
            self.edit_panel.clear()
            self.speakers_panel.show_separation(None, [], online=False)
        self._render_all()

    def _on_session_changed(self, change: Change) -> None:
        if change is Change.EDIT:
            self._render_edit()
        else:
            self._render_all()

    # ---------------------------------------------------------------- rendering

    def _render_all(self) -> None:
        session = self.controller.session
        has = session is not None
        for w in (self.edit_panel, self.speakers_panel, self.waveform):
            w.setEnabled(has)
        if session is None:
            self.title_label.setText("No sample open")
            self.info_label.setText("Open a sample (Ctrl+O) or drop an audio file on the window.")
            self._render_submit_state()
            self._update_title()
            return
        name = session.sample.file_name if session.sample else session.edit.file_name
        voice = self.controller.voice_name
        self.title_label.setText(f"{voice} › {name}" if voice else name)
        parts = []
        if session.sample is not None and session.sample.duration_ms is not None:
            parts.append(f"server: {format_ms(session.sample.duration_ms)}")
        if self.controller.audio is not None:
            # Without a local copy the audio shown is the server's preview: say which.
            shown = "local" if self.controller.local_path is not None else "preview"
            parts.append(f"{shown}: {format_ms(self.controller.audio.duration_ms)}")
        if session.ref is None:
            parts.append("not attached to a sample")
        self.info_label.setText("   ".join(parts))
        self.edit_panel.set_duration(session.duration_ms)
        self.waveform.set_bounds_secs(session.duration_ms / 1000.0)
        self._render_edit()

    def _render_edit(self) -> None:
        session = self.controller.session
        if session is None:
            return
        edit = session.edit
        self.edit_panel.kept_of = window_kept(session.sample, session.separation, edit)
        self.edit_panel.show_edit(edit)
        self.waveform.set_trims(edit.trim_start_ms, edit.trim_end_ms)
        self.speakers_panel.show_separation(
            session.separation, edit.selected_speaker_ids, online=self.controller.online
        )
        bands = []
        if session.separation is not None and session.separation.completed:
            for index, speaker in enumerate(session.separation.speakers):
                bands.append(
                    SpeakerBands(
                        speaker.speaker_id,
                        speaker_color(index),
                        tuple((u.start, u.end) for u in speaker.utterances),
                        speaker.speaker_id in edit.selected_speaker_ids,
                    )
                )
        self.waveform.set_speaker_bands(bands)
        problems = {p.field: p.message for p in session.problems}
        self.edit_panel.show_errors(problems)
        self.speakers_panel.show_error(problems.get("selected_speaker_ids", ""))
        self._render_submit_state()
        self._update_title()

    def _render_submit_state(self, *_changed: object) -> None:
        session = self.controller.session
        reason = "Open a sample first." if session is None else session.submit_block_reason()
        busy = self.controller.submitting or self.batch.holds(session.ref if session else None)
        self.submit_button.setEnabled(reason is None and not busy)
        self.submit_action.setEnabled(reason is None and not busy)
        self.reason_label.setText(reason or "")
        self.reason_label.setVisible(bool(reason) and not busy)

    def _update_title(self) -> None:
        session = self.controller.session
        name = ""
        if session is not None:
            name = session.edit.file_name or (session.sample.file_name if session.sample else "")
        title = f"{name}[*] — {APP_NAME}" if name else f"{APP_NAME}[*]"
        self.setWindowTitle(title)
        self.setWindowModified(bool(session and session.dirty))

    def _on_audio_progress(self, progress: LoadProgress) -> None:
        loading = f"Loading {progress.name}…"
        self.load_progress.setFormat(f"{loading} %p%")
        self.load_progress.show()
        self.load_progress.setValue(int(progress.fraction * 1000))
        self.title_label.setText(loading)
        self.info_label.clear()  # the lengths said are the old file's
        partial = progress.document
        if self.waveform.duration == 0:
            self.waveform.set_source(partial, partial.duration_secs)
        elif partial is self.waveform.source:
            self.waveform.redraw()
        else:  # the file shown stays until this one is in, dimmed: it is not current
            self.waveform.set_loading(loading)

    def _on_audio_loaded(self) -> None:
        self.load_progress.hide()
        if self.controller.audio is not None:
            self._show_document(self.controller.audio)

    def _show_document(self, audio: AudioDocument | None) -> None:
        """Draw ``audio`` (or nothing) over the session's length and render the panels."""
        session = self.controller.session
        secs = audio.duration_secs if audio is not None else 0.0
        if audio is not None and session is not None:
            secs = max(secs, session.duration_ms / 1000.0)
        self.waveform.set_source(audio, secs)
        self._render_all()

    def _on_draft_restored(self, draft: Draft | None) -> None:
        if draft is None:
            self.draft_bar.hide()
            return
        session = self.controller.session
        baseline = session.baseline if session is not None else None
        ctx = session.context if session is not None else None
        self.draft_label.setText(restored_draft_message(draft, baseline, ctx))
        self.draft_bar.show()

    def _show_banner(self, text: str) -> None:
        self.banner_label.setText(text)
        self.banner.setVisible(bool(text))

    def _show_local_notice(self, text: str) -> None:
        """Why the sample on screen is not its recordings-folder file: before the preview's
        own warning, on the banner, and on the status line."""
        shown = self.banner_label.text() if self.banner.isVisibleTo(self) else ""
        self._show_banner(f"{text}\n{shown}" if shown and text not in shown else text)
        self.statusBar().showMessage(text, 10000)

    def _show_error(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)
        self.submit_error.setText(text)

    def _on_audio_gone(self, text: str) -> None:
        self._show_error(text)
        QMessageBox.warning(self, "The audio file changed", text)

    def _show_open_error(self, text: str) -> None:
        self.load_progress.hide()
        # A partial draw of the failed file may be on screen; its reader is closed now.
        if self.waveform.source is not self.controller.audio:
            self._show_document(self.controller.audio)
        else:  # the file shown is current again
            self.waveform.set_loading(None)
            self._render_all()
        self._show_error(text)
        QMessageBox.warning(self, "Could not open the audio", text)

    # ---------------------------------------------------------------- submit

    def submit(self) -> None:
        """Commit pending field text (trims and file name), then submit if allowed."""
        self.edit_panel.commit_typing()
        self.submit_error.clear()
        self.edit_panel.show_errors({})
        self.controller.submit()
        self._render_submit_state()

    def _on_busy(self, busy: bool) -> None:
        self.busy_bar.setVisible(busy)
        self.busy_label.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.saved_label.clear()
        self._render_submit_state()

    def _on_submitted(self, result: SubmitResult) -> None:
        self.saved_label.setText(submitted_message(result))
        self.statusBar().showMessage("Saved", 5000)
        self._render_all()

    def _on_submit_failed(self, exc: object) -> None:
        assert isinstance(exc, BaseException)
        message, fields = submit_failed_message(exc)
        self.submit_error.setText(message)
        if isinstance(exc, ReadBackFailedError):
            return  # it was sent: no field is wrong
        self.edit_panel.show_errors(fields)
        self.speakers_panel.show_error(fields.get("selected_speaker_ids", ""))

    # ---------------------------------------------------------------- files

    def choose_local_file(self) -> None:
        """Pick the local copy of the sample's audio."""
        folder = open_dialog_folder(self.settings, self.controller.local_path)
        path, _ = QFileDialog.getOpenFileName(
            self, "Open the local copy", folder, AUDIO_FILE_FILTER
        )
        if path:
            remember_open_folder(self.settings, Path(path).parent)
            self.open_path(Path(path))

    def open_path(self, path: Path) -> None:
        """Open a local file: as the attached sample's copy if one is open, else on its own."""
        session = self.controller.session
        ref = session.ref if session is not None else None
        self.controller.open_local_file(path, ref=ref)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_path(files[0])

    # ---------------------------------------------------------------- playback

    def suggest_trims(self) -> None:
        """Put the handles at the first and last speech, padded (Trim → Suggest Trims)."""
        self.insight.suggest_trims()

    def toggle_snapping(self) -> None:
        """Snap a dragged handle to speech edges, or not."""
        self.waveform.snapping = self.snap_action.isChecked()

    def jump_to_marker(self, step: int) -> None:
        """Put the cursor on the next (1) or previous (-1) marker and bring it into view."""
        if not self.insight.jump_to_marker(step):
            self.statusBar().showMessage("No more markers that way.", 3000)

    def step_sample(self, step: int) -> None:
        """Open the sample ``step`` rows away in the workspace list (Ctrl+PgDown/PgUp)."""
        self.workspace_binder.step(step)

    def set_at_playhead(self, handle: int) -> None:
        """Put the start (0) or end (1) trim at the playhead."""
        ms = self.waveform.playhead_ms()
        if ms is None:
            self.statusBar().showMessage("Click on the waveform to place the cursor first.", 4000)
            return
        self.waveform.select_handle(handle)
        if handle == 0:
            self.controller.set_start(ms)
        else:
            self.controller.set_end(ms)

    # ---------------------------------------------------------------- closing

    def _ask(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(
            self,
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:
        self.edit_panel.commit_typing()  # a half-typed value is an edit: drafted, asked about
        session = self.controller.session
        questions = close_questions(
            submitting=self.controller.submitting,
            queue_left=self.batch.left(),
            unsaved=session is not None and session.dirty,
            draft_save_error=self.controller.autosave.save_error,
        )
        if not all(self.confirm(q.title, q.text) for q in questions):
            event.ignore()
            return
        # Closing anyway during a submission: give it a moment to land, so its draft
        # ends up true (removed once confirmed), then cancel what remains.
        # An edit the server applied then has its draft removed instead of staying pending.
        self.controller.submitter.wait(_SUBMIT_GRACE_S)
        if self.settings is not None:
            self.settings.setValue("window/geometry", self.saveGeometry())
        self.playback.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.insight.shutdown()
        self.workspace_binder.shutdown()
        self.listening.shutdown()
        self.voice_actions.shutdown()
        self.waveform.set_source(None, 0.0)  # before the controller closes the reader
        self.queue.shutdown()  # what it had still to send stays in its journal
        self.controller.shutdown()
        self.closed.emit()
        event.accept()
