"""The editor window's widgets, menus, toolbar and shortcuts: built here, wired in main_window.

Like a Qt Designer form class, :class:`EditorLayout` only creates and arranges; the
subclass :class:`~pvc_sample_editor.ui.main_window.MainWindow` renders the session into
these widgets and forwards what the user does to the controller.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.edit_panel import EditPanel
from pvc_sample_editor.ui.overview import OverviewStrip
from pvc_sample_editor.ui.play_menu import PlayMenu
from pvc_sample_editor.ui.report_panel import ReportPanel
from pvc_sample_editor.ui.settings import PlaybackPrefs
from pvc_sample_editor.ui.speakers import SpeakersPanel
from pvc_sample_editor.ui.waveform import WaveformView
from pvc_sample_editor.ui.workspace_panel import WorkspacePanel

__all__ = ["AUDIO_FILE_FILTER", "STYLE_SHEET", "EditorLayout", "first_size"]


def first_size() -> tuple[int, int]:
    """The window's size on a first start (later ones restore the last): 85 % of the
    screen, from 1280 × 820 up to 1600 × 900. At 1600 the sample list is 600 px wide and
    shows every column; at 1280 its speaker and noise columns give way to the names."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return 1280, 820
    room = screen.availableGeometry()
    return (
        max(1280, min(1600, round(room.width() * 0.85))),
        max(820, min(900, round(room.height() * 0.85))),
    )


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


class EditorLayout(QMainWindow):
    """The editor page and the actions; the slots the actions call are the subclass's."""

    open_sample_requested = Signal()
    connect_requested = Signal()
    closed = Signal()

    controller: EditorController
    editor_page: QWidget
    confirm: Callable[[str, str], bool]  # asks a yes/no question (title, text)
    settings: QSettings | None

    # ---------------------------------------------------------------- slots (subclass)

    def choose_local_file(self) -> None:
        """Pick the local copy of the sample's audio."""
        raise NotImplementedError

    def submit(self) -> None:
        """Submit the edit."""
        raise NotImplementedError

    def set_at_playhead(self, handle: int) -> None:
        """Put the start (0) or end (1) trim at the playhead."""
        raise NotImplementedError

    def step_sample(self, step: int) -> None:
        """Open the sample ``step`` rows away in the workspace list."""
        raise NotImplementedError

    def suggest_trims(self) -> None:
        """Put the handles at the first and last speech."""
        raise NotImplementedError

    def toggle_snapping(self) -> None:
        """Turn snapping to speech edges on or off."""
        raise NotImplementedError

    def jump_to_marker(self, step: int) -> None:
        """Move the cursor to the next (1) or previous (-1) marker."""
        raise NotImplementedError

    # ---------------------------------------------------------------- layout

    def _build_editor(self, connection_label: str) -> None:
        outer = QHBoxLayout(self.editor_page)
        outer.setContentsMargins(0, 0, 0, 0)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(self.splitter)
        # The voice's samples, shown once a sample of a voice is open.
        self.workspace = WorkspacePanel()
        self.workspace.setContentsMargins(10, 10, 0, 10)
        self.workspace.hide()
        self.splitter.addWidget(self.workspace)
        editor = QWidget()
        self.splitter.addWidget(editor)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([560, 1000])
        page = QVBoxLayout(editor)
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
        # A load's progress sits in the header line, no taller than the title: as a row
        # of its own, it made the waveform 16 px shorter while it was shown.
        self.load_progress = QProgressBar()
        self.load_progress.setRange(0, 1000)
        self.load_progress.setFormat("Loading audio… %p%")
        self.load_progress.setMaximumHeight(16)
        self.load_progress.setFixedWidth(280)
        self.load_progress.hide()
        header.addWidget(self.title_label)
        header.addSpacing(12)
        header.addWidget(self.info_label, 1)
        header.addWidget(self.load_progress)
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

        self.waveform = WaveformView()
        self.overview = OverviewStrip(self.waveform)
        page.addWidget(self.overview)
        page.addWidget(self.waveform, 1)

        lower = QHBoxLayout()
        lower.setSpacing(12)
        edit_box = QGroupBox("Edit")
        edit_layout = QVBoxLayout(edit_box)
        self.edit_panel = EditPanel()
        edit_layout.addWidget(self.edit_panel)
        # Edit over Speakers, the audio check beside them: three boxes side by side left
        # a laptop-wide window too narrow for a speaker's row or the noise switch.
        left = QVBoxLayout()
        left.setSpacing(8)
        left.addWidget(edit_box)
        speakers_box = QGroupBox("Speakers")
        speakers_layout = QVBoxLayout(speakers_box)
        self.speakers_panel = SpeakersPanel()
        speakers_layout.addWidget(self.speakers_panel)
        left.addWidget(speakers_box, 1)
        lower.addLayout(left, 1)
        check_box = QGroupBox("Audio check")
        check_layout = QVBoxLayout(check_box)
        self.report_panel = ReportPanel()
        check_layout.addWidget(self.report_panel)
        lower.addWidget(check_box, 0)
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
        # The messages by Submit come and go; their area keeps three lines' height so
        # that nothing above it moves when one does.
        messages_host = QWidget()
        messages = QVBoxLayout(messages_host)
        messages.setContentsMargins(0, 0, 0, 0)
        messages.setSpacing(2)
        messages.addWidget(self.submit_error)
        messages.addWidget(self.saved_label)
        messages.addWidget(self.reason_label)
        messages.addStretch(1)
        messages_host.setFixedHeight(3 * self.fontMetrics().lineSpacing() + 4)
        bar.addWidget(messages_host, 1)
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
        self.statusBar()  # made now: made by the first message, it shrank the whole page

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
        # Wired by ExportRoutes (ui/export_routes.py).
        self.export_action = QAction("&Export Kept Region…", self)
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.addAction(self.export_action)
        quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.connect_action = self._action("&Connect…", self.connect_requested.emit)
        for a in (
            self.connect_action,
            self.open_sample_action,
            self.open_file_action,
            self.export_action,
            self.submit_action,
            quit_action,
        ):
            file_menu.addAction(a)
        file_menu.insertSeparator(self.submit_action)

        edit_menu = menu.addMenu("&Edit")
        self.undo_action = c.undo_group.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = c.undo_group.createRedoAction(self, "&Redo")
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
            "Set Start at Playhead", lambda: self.set_at_playhead(0), "I"
        )
        self.set_end_action = self._action(
            "Set End at Playhead", lambda: self.set_at_playhead(1), "O"
        )
        trim_menu.addAction(self.set_start_action)
        trim_menu.addAction(self.set_end_action)
        trim_menu.addSeparator()
        select_start = self._action("Select Start Handle", lambda: wf.select_handle(0), "[")
        select_end = self._action("Select End Handle", lambda: wf.select_handle(1), "]")
        trim_menu.addAction(select_start)
        trim_menu.addAction(select_end)
        trim_menu.addSeparator()
        self.suggest_action = self._action("Suggest &Trims", self.suggest_trims, "T")
        self.snap_action = self._action("Snap to Speech While Dragging", self.toggle_snapping)
        self.snap_action.setCheckable(True)
        self.snap_action.setChecked(True)
        self.snap_action.setToolTip("Hold Shift while dragging to place a handle freely")
        self.next_marker_action = self._action(
            "Next Marker", lambda: self.jump_to_marker(1), "N", widget=wf
        )
        self.previous_marker_action = self._action(
            "Previous Marker", lambda: self.jump_to_marker(-1), "Shift+N", widget=wf
        )
        for a in (
            self.suggest_action,
            self.snap_action,
            self.next_marker_action,
            self.previous_marker_action,
        ):
            trim_menu.addAction(a)
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

        self.next_sample_action = self._action(
            "&Next Sample", lambda: self.step_sample(1), "Ctrl+PgDown"
        )
        self.previous_sample_action = self._action(
            "&Previous Sample", lambda: self.step_sample(-1), "Ctrl+PgUp"
        )
        view_menu = menu.addMenu("&View")
        self.zoom_in_action = self._action("Zoom &In", wf.zoom_in, QKeySequence.StandardKey.ZoomIn)
        self.zoom_out_action = self._action(
            "Zoom &Out", wf.zoom_out, QKeySequence.StandardKey.ZoomOut
        )
        self.zoom_sel_action = self._action("Zoom to &Selection", wf.zoom_to_selection, "Z")
        self.fit_action = self._action("&Fit All", wf.fit_all, "F")
        for a in (self.zoom_in_action, self.zoom_out_action, self.zoom_sel_action, self.fit_action):
            view_menu.addAction(a)
        view_menu.addSeparator()
        self.amplitude_in_action = self._action(
            "Zoom Amplitude In", lambda: wf.zoom_amplitude(2.0), "Ctrl+Up"
        )
        self.amplitude_out_action = self._action(
            "Zoom Amplitude Out", lambda: wf.zoom_amplitude(0.5), "Ctrl+Down"
        )
        self.amplitude_reset_action = self._action(
            "Reset Amplitude Zoom", wf.reset_amplitude_zoom, "Ctrl+0"
        )
        self.db_action = self._action(
            "Amplitude in &dB", lambda: wf.set_db(self.db_action.isChecked())
        )
        self.db_action.setCheckable(True)
        self.db_action.setToolTip("A decibel scale: quiet speech and tails at -40 dB show")
        for a in (
            self.amplitude_in_action,
            self.amplitude_out_action,
            self.amplitude_reset_action,
            self.db_action,
        ):
            view_menu.addAction(a)
        view_menu.addSeparator()
        view_menu.addAction(self.next_sample_action)
        view_menu.addAction(self.previous_sample_action)
        # "+" without Shift on many layouts; "=" is the same key.
        self._action("Zoom In (=)", wf.zoom_in, "=")

        self.play_menu = PlayMenu(self, menu.addMenu("&Play"), PlaybackPrefs(self.settings))
        self.play_kept_action = self.play_menu.kept
        self.play_cursor_action = self.play_menu.from_cursor
        self.toggle_play_action = self.play_menu.toggle
        self.stop_action = self.play_menu.stop

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
        toolbar.addAction(self.db_action)
        toolbar.addSeparator()
        # Fixed labels: the stack's own actions grow with the command text.
        for text, slot, signal in (
            ("Undo", c.undo_group.undo, c.undo_group.canUndoChanged),
            ("Redo", c.undo_group.redo, c.undo_group.canRedoChanged),
        ):
            button = QAction(text, self)
            button.setEnabled(False)
            button.triggered.connect(slot)
            signal.connect(button.setEnabled)
            toolbar.addAction(button)

        self.submit_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(c.submitter.cancel)
