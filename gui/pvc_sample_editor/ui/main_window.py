"""The editor window: waveform on top, edit fields and speakers below, Submit at the bottom.

The window renders the session and forwards what the user does to the controller; it
never changes the session itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from pvc_sample_editor import APP_NAME
from pvc_sample_editor.audio.output import SpanTimeline
from pvc_sample_editor.audio_document import AudioDocument
from pvc_sample_editor.drafts import Draft
from pvc_sample_editor.edit import format_ms, validate_edit
from pvc_sample_editor.session import Change
from pvc_sample_editor.ui.controller import (
    EditorController,
    ReadBackFailedError,
    SubmitResult,
    describe_error,
)
from pvc_sample_editor.ui.edit_panel import EditPanel
from pvc_sample_editor.ui.speakers import SpeakersPanel, speaker_color
from pvc_sample_editor.ui.waveform import SpeakerBands, WaveformView

__all__ = ["AUDIO_FILE_FILTER", "MainWindow"]

AUDIO_FILE_FILTER = (
    "Audio files (*.wav *.wave *.flac *.ogg *.oga *.opus *.mp3 *.aif *.aiff *.aifc *.w64 *.caf);;"
    "All files (*)"
)

STYLE_SHEET = """
QLabel#fieldError { color: #e5484d; }
QLabel#secondary { color: palette(mid); }
QLabel#mono { font-family: monospace; }
QFrame#banner { background: #4a3b12; border: 1px solid #b8860b; border-radius: 4px; }
QFrame#banner QLabel { color: #ffe3a3; }
QLabel#saved { color: #3fb8af; }
QLabel#title { font-size: 15px; font-weight: 600; }
"""


class MainWindow(QMainWindow):
    """The editor window for one sample (or one local file)."""

    open_sample_requested = Signal()
    connect_requested = Signal()
    closed = Signal()

    def __init__(
        self,
        controller: EditorController,
        *,
        player: Any = None,
        settings: QSettings | None = None,
        connection_label: str = "",
    ) -> None:
        super().__init__()
        self.controller = controller
        self.player = player
        # Until set_player: the app probes the audio output after a given file is shown.
        self._no_player_reason = "Playback is available once the audio output has been checked."
        self.settings = settings
        self._confirm_close: Callable[[str, str], bool] = self._ask
        self._unsubscribe: Callable[[], None] | None = None
        self.setAcceptDrops(True)
        self.setStyleSheet(STYLE_SHEET)
        self.resize(1280, 820)
        self.setMinimumSize(720, 520)  # fits small laptop screens and the 800x800 test screen

        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.editor_page = QWidget()
        self.stack.addWidget(self.editor_page)
        self._build_editor(connection_label)
        self._build_actions()
        self._connect_controller()
        self._update_title()
        self._render_all()
        if settings is not None:
            geometry = settings.value("window/geometry", QByteArray(), type=QByteArray)
            if isinstance(geometry, QByteArray) and not geometry.isEmpty():
                self.restoreGeometry(geometry)

    # ---------------------------------------------------------------- layout

    def _build_editor(self, connection_label: str) -> None:
        page = QVBoxLayout(self.editor_page)
        page.setContentsMargins(12, 10, 12, 10)
        page.setSpacing(8)

        header = QHBoxLayout()
        self.title_label = QLabel("No sample open")
        self.title_label.setObjectName("title")
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        self.info_label = QLabel("")
        self.info_label.setObjectName("secondary")
        self.info_label.setTextFormat(Qt.TextFormat.PlainText)
        self.connection_label = QLabel(connection_label)
        self.connection_label.setObjectName("secondary")
        self.connection_label.setTextFormat(Qt.TextFormat.PlainText)
        header.addWidget(self.title_label)
        header.addSpacing(12)
        header.addWidget(self.info_label, 1)
        header.addWidget(self.connection_label)
        page.addLayout(header)

        self.banner, self.banner_label, _row = self._banner()
        page.addWidget(self.banner)
        self.draft_bar, self.draft_label, draft_row = self._banner()
        page.addWidget(self.draft_bar)
        self.keep_draft_button = QPushButton("Keep Draft")
        self.discard_draft_button = QPushButton("Discard Draft")
        self.discard_draft_button.setToolTip("Go back to what the server holds (undoable)")
        draft_row.addWidget(self.keep_draft_button)
        draft_row.addWidget(self.discard_draft_button)

        self.load_progress = QProgressBar()
        self.load_progress.setRange(0, 1000)
        self.load_progress.setFormat("Loading audio… %p%")
        self.load_progress.setMaximumHeight(16)
        self.load_progress.hide()
        page.addWidget(self.load_progress)

        self.waveform = WaveformView()
        page.addWidget(self.waveform, 1)

        lower = QHBoxLayout()
        lower.setSpacing(12)
        edit_box = QGroupBox("Edit")
        edit_layout = QVBoxLayout(edit_box)
        self.edit_panel = EditPanel()
        edit_layout.addWidget(self.edit_panel)
        lower.addWidget(edit_box, 1)
        speakers_box = QGroupBox("Speakers")
        speakers_layout = QVBoxLayout(speakers_box)
        self.speakers_panel = SpeakersPanel()
        speakers_layout.addWidget(self.speakers_panel)
        speakers_layout.addStretch(1)
        lower.addWidget(speakers_box, 1)
        page.addLayout(lower)

        bar = QHBoxLayout()
        self.reason_label = QLabel()
        self.reason_label.setObjectName("secondary")
        self.reason_label.setTextFormat(Qt.TextFormat.PlainText)
        self.reason_label.setWordWrap(True)
        self.saved_label = QLabel()
        self.saved_label.setObjectName("saved")
        self.saved_label.setTextFormat(Qt.TextFormat.PlainText)
        self.saved_label.setWordWrap(True)
        self.submit_error = QLabel()
        self.submit_error.setObjectName("fieldError")
        self.submit_error.setTextFormat(Qt.TextFormat.PlainText)
        self.submit_error.setWordWrap(True)
        messages = QVBoxLayout()
        messages.setSpacing(2)
        messages.addWidget(self.submit_error)
        messages.addWidget(self.saved_label)
        messages.addWidget(self.reason_label)
        bar.addLayout(messages, 1)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(140)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.hide()
        self.busy_label = QLabel()
        self.busy_label.setTextFormat(Qt.TextFormat.PlainText)
        self.busy_label.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.submit_button = QPushButton("Submit")
        self.submit_button.setDefault(True)
        self.submit_button.setMinimumWidth(120)
        self.submit_button.setToolTip("Send the edit to the server (Ctrl+S)")
        bar.addWidget(self.busy_label)
        bar.addWidget(self.busy_bar)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.submit_button)
        page.addLayout(bar)

    @staticmethod
    def _banner() -> tuple[QFrame, QLabel, QHBoxLayout]:
        """A hidden, amber message strip with a plain-text label (room for buttons)."""
        frame = QFrame()
        frame.setObjectName("banner")
        row = QHBoxLayout(frame)
        row.setContentsMargins(10, 6, 10, 6)
        label = QLabel()
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        row.addWidget(label, 1)
        frame.hide()
        return frame, label, row

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        *,
        icon: QStyle.StandardPixmap | None = None,
        widget: QWidget | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        action.triggered.connect(lambda _checked=False: slot())
        if widget is not None:
            # Only while the waveform has focus, so text fields keep their arrow keys.
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            widget.addAction(action)
        else:
            self.addAction(action)
        return action

    def _build_actions(self) -> None:
        c = self.controller
        wf = self.waveform
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self.file_menu = file_menu
        self.open_sample_action = self._action(
            "Open &Sample…", self.open_sample_requested.emit, QKeySequence.StandardKey.Open
        )
        self.open_file_action = self._action(
            "Open &Local Copy…",
            self.choose_local_file,
            "Ctrl+Shift+O",
            icon=QStyle.StandardPixmap.SP_DialogOpenButton,
        )
        self.submit_action = self._action("S&ubmit", self.submit, QKeySequence.StandardKey.Save)
        quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.connect_action = self._action("&Connect…", self.connect_requested.emit)
        for a in (
            self.connect_action,
            self.open_sample_action,
            self.open_file_action,
            self.submit_action,
            quit_action,
        ):
            file_menu.addAction(a)
        file_menu.insertSeparator(self.submit_action)

        edit_menu = menu.addMenu("&Edit")
        self.undo_action = c.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = c.undo_stack.createRedoAction(self, "&Redo")
        # The platform's Redo keys differ (Ctrl+Y on Windows); accept both everywhere.
        redo_keys = list(QKeySequence.keyBindings(QKeySequence.StandardKey.Redo))
        for extra in ("Ctrl+Shift+Z", "Ctrl+Y"):
            if QKeySequence(extra) not in redo_keys:
                redo_keys.append(QKeySequence(extra))
        self.redo_action.setShortcuts(redo_keys)
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        self.addAction(self.undo_action)
        self.addAction(self.redo_action)

        trim_menu = menu.addMenu("&Trim")
        self.set_start_action = self._action(
            "Set Start at Playhead", lambda: self._set_at_playhead(0), "I"
        )
        self.set_end_action = self._action(
            "Set End at Playhead", lambda: self._set_at_playhead(1), "O"
        )
        trim_menu.addAction(self.set_start_action)
        trim_menu.addAction(self.set_end_action)
        trim_menu.addSeparator()
        select_start = self._action("Select Start Handle", lambda: wf.select_handle(0), "[")
        select_end = self._action("Select End Handle", lambda: wf.select_handle(1), "]")
        trim_menu.addAction(select_start)
        trim_menu.addAction(select_end)
        trim_menu.addSeparator()
        self.nudge_actions: dict[tuple[int, str], QAction] = {}

        def nudger(delta: int) -> Callable[[], None]:
            return lambda: c.nudge(wf.active_handle, delta)

        for step, mod in ((1, "Alt+"), (10, ""), (100, "Shift+")):
            for sign, key, word in ((-1, "Left", "Earlier"), (1, "Right", "Later")):
                action = self._action(
                    f"Nudge {word} {step} ms", nudger(sign * step), f"{mod}{key}", widget=wf
                )
                trim_menu.addAction(action)
                self.nudge_actions[(sign * step, key)] = action

        view_menu = menu.addMenu("&View")
        self.zoom_in_action = self._action("Zoom &In", wf.zoom_in, QKeySequence.StandardKey.ZoomIn)
        self.zoom_out_action = self._action(
            "Zoom &Out", wf.zoom_out, QKeySequence.StandardKey.ZoomOut
        )
        self.zoom_sel_action = self._action("Zoom to &Selection", wf.zoom_to_selection, "Z")
        self.fit_action = self._action("&Fit All", wf.fit_all, "F")
        for a in (self.zoom_in_action, self.zoom_out_action, self.zoom_sel_action, self.fit_action):
            view_menu.addAction(a)
        # "+" without Shift on many layouts; "=" is the same key.
        self._action("Zoom In (=)", wf.zoom_in, "=")

        play_menu = menu.addMenu("&Play")
        self.play_kept_action = self._action(
            "Play &Kept Region",
            self.play_kept,
            "Ctrl+Space",
            icon=QStyle.StandardPixmap.SP_MediaPlay,
        )
        self.play_cursor_action = self._action(
            "Play from &Cursor",
            self.play_from_cursor,
            "Shift+Space",
            icon=QStyle.StandardPixmap.SP_MediaSeekForward,
        )
        self.toggle_play_action = self._action("Play/Stop", self.toggle_play, "Space")
        self.stop_action = self._action(
            "&Stop", self.stop_playback, icon=QStyle.StandardPixmap.SP_MediaStop
        )
        for a in (
            self.toggle_play_action,
            self.play_kept_action,
            self.play_cursor_action,
            self.stop_action,
        ):
            play_menu.addAction(a)

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.open_sample_action.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon)
        )
        toolbar.addAction(self.open_sample_action)
        toolbar.addAction(self.open_file_action)
        toolbar.addSeparator()
        toolbar.addAction(self.play_kept_action)
        toolbar.addAction(self.play_cursor_action)
        toolbar.addAction(self.stop_action)
        toolbar.addSeparator()
        for a in (self.zoom_in_action, self.zoom_out_action, self.zoom_sel_action, self.fit_action):
            toolbar.addAction(a)
        toolbar.addSeparator()
        # Fixed labels: the stack's own actions grow with the command text.
        for text, slot, signal in (
            ("Undo", c.undo_stack.undo, c.undo_stack.canUndoChanged),
            ("Redo", c.undo_stack.redo, c.undo_stack.canRedoChanged),
        ):
            button = QAction(text, self)
            button.setEnabled(False)
            button.triggered.connect(slot)
            signal.connect(button.setEnabled)
            toolbar.addAction(button)

        self.submit_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(c.cancel_submit)
        if self.player is not None:
            self.set_player(self.player)
        else:  # the app attaches it once a file given at start-up is on screen
            self._apply_player_availability()

    def set_player(self, player: Any) -> None:
        """Attach the audio player (it may come after the window is first painted).

        ``None`` means there is none to be had: QtMultimedia could not be loaded.
        """
        self.player = player
        self._no_player_reason = "Playback is not available: QtMultimedia could not be loaded."
        if player is not None:
            player.position_changed.connect(self.waveform.set_playhead)
            player.failed.connect(self._show_status)
            player.state_changed.connect(self._apply_player_availability)
            player.availability_changed.connect(self._apply_player_availability)
        self._apply_player_availability()

    # ---------------------------------------------------------------- wiring

    def _connect_controller(self) -> None:
        c = self.controller
        wf = self.waveform
        panel = self.edit_panel
        wf.trims_dragging.connect(panel.show_trims)
        wf.trims_changed.connect(c.set_trims)
        panel.start_committed.connect(c.set_start)
        panel.end_committed.connect(c.set_end)
        panel.noise_toggled.connect(c.set_noise)
        panel.file_name_committed.connect(c.set_file_name)
        sp = self.speakers_panel
        sp.selection_changed.connect(c.set_speakers)
        sp.separate_requested.connect(c.start_separation)
        sp.cancel_requested.connect(c.stop_polling)
        sp.listen_requested.connect(self.listen_to_speaker)

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
        c.undo_stack.cleanChanged.connect(self._on_clean_changed)

    def _apply_player_availability(self, *_args: object) -> None:
        """Enable playback, or disable it with the reason in every tooltip."""
        available = bool(self.player is not None and self.player.available)
        reason = (
            ""
            if available
            else getattr(self.player, "unavailable_reason", "") or self._no_player_reason
        )
        for a in (self.play_kept_action, self.play_cursor_action, self.toggle_play_action):
            a.setEnabled(available)
            a.setToolTip(reason or a.text().replace("&", ""))
        self.stop_action.setEnabled(available and bool(self.player and self.player.playing))
        self.speakers_panel.set_listen_enabled(available, reason)

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
            return
        name = session.sample.file_name if session.sample else session.edit.file_name
        voice = self.controller.voice_name
        self.title_label.setText(f"{voice} › {name}" if voice else name)
        parts = []
        if session.sample is not None and session.sample.duration_ms is not None:
            parts.append(f"server: {format_ms(session.sample.duration_ms)}")
        if self.controller.audio is not None:
            parts.append(f"local: {format_ms(self.controller.audio.duration_ms)}")
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

    def _render_submit_state(self) -> None:
        session = self.controller.session
        reason = "Open a sample first." if session is None else session.submit_block_reason()
        busy = self.controller.submitting
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

    def _on_audio_progress(self, fraction: float) -> None:
        self.load_progress.show()
        self.load_progress.setValue(int(fraction * 1000))
        partial = self.controller.partial_audio
        if partial is not None and self.waveform.duration == 0:
            self.waveform.set_source(partial, partial.duration_secs)
        elif partial is not None and partial is self.waveform.source:
            self.waveform.redraw()  # a file already shown stays as it is until this one is in

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
        saved = time.strftime("%Y-%m-%d %H:%M", time.localtime(draft.saved_at))
        text = f"Restored your unsubmitted draft of this edit (saved {saved})."
        session = self.controller.session
        changes = draft.server_changes(session.baseline) if session is not None else ()
        if changes:
            text += (
                f" Since then the server's sample changed: {', '.join(changes)}. Submit sends"
                " your draft over those changes; Discard Draft shows the server's version."
            )
        if session is not None and validate_edit(draft.edit, session.context):
            text += " It does not fit the sample as it is now: fix the marked fields."
        elif draft.submission_pending:
            text += " Its submission was interrupted: press Submit to send it again."
        self.draft_label.setText(text)
        self.draft_bar.show()

    def _show_banner(self, text: str) -> None:
        self.banner_label.setText(text)
        self.banner.setVisible(bool(text))

    def _show_error(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)
        self.submit_error.setText(text)

    def _show_open_error(self, text: str) -> None:
        self.load_progress.hide()
        # A partial draw of the failed file may be on screen; its reader is closed now.
        if self.waveform.source is not self.controller.audio:
            self._show_document(self.controller.audio)
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
        s = result.sample
        speakers = ""
        sep = s.speaker_separation
        if sep is not None and sep.selected_speaker_ids is not None:
            speakers = f"; speakers {', '.join(sep.selected_speaker_ids) or 'none'}"
        values = (
            f"start {format_ms(s.trim_start or 0)}, end {format_ms(s.trim_end or 0)}, "
            f"noise removal {'on' if s.remove_background_noise else 'off'}, "
            f"file name {s.file_name!r}{speakers}"
        )
        if result.confirmed:
            self.saved_label.setText(f"Saved. The server now holds: {values}.")
        else:
            self.saved_label.setText(
                f"Sent, but the server's read-back differs ({'; '.join(result.differences)}). "
                f"It holds: {values}."
            )
        self.statusBar().showMessage("Saved", 5000)
        self._render_all()

    def _on_submit_failed(self, exc: object) -> None:
        assert isinstance(exc, BaseException)
        message, fields = describe_error(exc)
        if isinstance(exc, ReadBackFailedError):
            self.submit_error.setText(
                f"Sent, but it could not be confirmed: {message} The edit is kept as a draft; "
                "submit again to confirm it."
            )
            return
        self.submit_error.setText(
            f"Not saved: {message} Your edit is kept and can be submitted again."
        )
        self.edit_panel.show_errors(fields)
        self.speakers_panel.show_error(fields.get("selected_speaker_ids", ""))

    # ---------------------------------------------------------------- files

    def choose_local_file(self) -> None:
        """Pick the local copy of the sample's audio."""
        path, _ = QFileDialog.getOpenFileName(self, "Open the local copy", "", AUDIO_FILE_FILTER)
        if path:
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

    def _set_at_playhead(self, handle: int) -> None:
        ms = self.waveform.playhead_ms()
        if ms is None:
            self.statusBar().showMessage("Click on the waveform to place the cursor first.", 4000)
            return
        self.waveform.select_handle(handle)
        if handle == 0:
            self.controller.set_start(ms)
        else:
            self.controller.set_end(ms)

    def play_kept(self) -> None:
        """Play the region between the trims."""
        session, audio = self.controller.session, self.controller.audio
        if self.player is None or session is None or audio is None:
            return
        self.player.play(audio, session.edit.trim_start_ms, session.edit.trim_end_ms)

    def play_from_cursor(self) -> None:
        """Play from the playhead (or the start trim) to the end of the file."""
        session, audio = self.controller.session, self.controller.audio
        if self.player is None or session is None or audio is None:
            return
        start = self.waveform.playhead_ms()
        self.player.play(audio, start if start is not None else session.edit.trim_start_ms, None)

    def toggle_play(self) -> None:
        """Space: stop if playing, else play from the cursor."""
        if self.player is not None and self.player.playing:
            self.player.stop()
        else:
            self.play_from_cursor()

    def stop_playback(self) -> None:
        """Stop playback."""
        if self.player is not None:
            self.player.stop()

    def listen_to_speaker(self, speaker_id: str) -> None:
        """Fetch and play the server's separated audio of one speaker."""
        if self.player is None or not self.player.available:
            return
        separation = self.controller.session.separation if self.controller.session else None
        utterances = [
            (u.start, u.end)
            for s in (separation.speakers if separation else ())
            if s.speaker_id == speaker_id
            for u in s.utterances
        ]
        spans = SpanTimeline.from_seconds(utterances)

        def play(clip: AudioDocument) -> None:
            if self.player is not None:  # the playhead follows the clip through the recording
                self.player.play(clip, 0, None, timeline=spans if spans.spans_ms else None)
                self.statusBar().showMessage(f"Playing {speaker_id}'s audio.", 3000)

        self.controller.fetch_speaker_audio(speaker_id, play)

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
        if self.controller.submitting and not self._confirm_close(
            "Submission in progress",
            "A submission is still being sent. Close anyway? The server may or may not apply it.",
        ):
            event.ignore()
            return
        session = self.controller.session
        unsaved = session is not None and session.dirty and not self.controller.submitting
        kept = (
            "It is kept as a draft and restored when you open this sample again."
            if not self.controller.draft_save_error
            else f"Its draft could not be saved ({self.controller.draft_save_error}), so "
            "the edit will be lost."
        )
        if unsaved and not self._confirm_close(
            "Unsaved changes", f"This edit has not been submitted. Close anyway? {kept}"
        ):
            event.ignore()
            return
        if self.settings is not None:
            self.settings.setValue("window/geometry", self.saveGeometry())
        if self.player is not None:
            self.player.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.waveform.set_source(None, 0.0)  # before the controller closes the reader
        self.controller.shutdown()
        self.closed.emit()
        event.accept()
