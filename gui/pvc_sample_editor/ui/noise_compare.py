"""Hear noise removal before choosing it: an A/B switch over the server's two previews.

*Play → Compare Noise Removal (A/B)…* opens a small window beside the editor. It fetches
the sample's 30-second preview as recorded (A) and with background noise removed (B),
off the GUI thread, and shows each one's noise floor (the audio check's measure). Play
starts A or B; switching while it plays goes on in the other from the same frame, in
the same stream, with no gap and nothing repeated. *Use Noise Removal* or *Keep as
Recorded* sets the edit's noise switch (undoable) and closes it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
)

from pvc_sample_editor.audio.document import AudioDocument
from pvc_sample_editor.editing.noise_preview import NoisePreviews, fetch_noise_previews
from pvc_sample_editor.timecode import format_ms
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.playback_routes import PlaybackRoutes
from pvc_sample_editor.ui.tasks import TaskRunner

__all__ = ["NEEDS_A_SAMPLE", "NoiseCompare", "NoiseCompareDialog"]

NEEDS_A_SAMPLE = (
    "Noise removal is heard in the server's preview of a sample: open a sample from your "
    "account (File → Open Sample) to compare."
)
_VERSIONS = ("A  As recorded", "B  Noise removed")


class NoiseCompareDialog(QDialog):
    """The A/B window for the sample open in the editor (see the module docstring)."""

    def __init__(
        self, parent: QMainWindow, controller: EditorController, routes: PlaybackRoutes
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Hear noise removal")
        self.setModal(False)
        self.setMinimumWidth(460)
        self._c = controller
        self._routes = routes
        # Not the dialog's child: Qt deletes a closed dialog, and the runner (shut down
        # by then) must live as long as whoever still holds it.
        self._runner = TaskRunner("noise-compare")
        self.previews: NoisePreviews | None = None
        self.version = 0  # 0: A as recorded, 1: B noise removed
        self.position_ms = 0
        self._mine = False  # what the player plays is ours
        layout = QVBoxLayout(self)
        intro = QLabel(
            "The server's preview: the first 30 s of the sample. Switch between A and B "
            "while it plays (keys A and B): it goes on from the same place."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        row = QHBoxLayout()
        self.group = QButtonGroup(self)
        self.version_buttons: list[QPushButton] = []
        for index, text in enumerate(_VERSIONS):
            button = QPushButton(f"{text}\nnoise floor …")
            button.setCheckable(True)
            button.setMinimumHeight(52)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.group.addButton(button, index)
            row.addWidget(button)
            self.version_buttons.append(button)
        self.version_buttons[0].setChecked(True)
        self.group.idClicked.connect(self.switch_to)
        layout.addLayout(row)
        controls = QHBoxLayout()
        self.play_button = QPushButton("Play")
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.play_button.clicked.connect(self.toggle)
        self.position_label = QLabel(format_ms(0))
        self.position_label.setObjectName("mono")
        controls.addWidget(self.play_button)
        controls.addWidget(self.position_label, 1)
        layout.addLayout(controls)
        self.status = QLabel("Fetching both previews…")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.status)
        choose = QHBoxLayout()
        self.use_button = QPushButton("Use Noise Removal")
        self.keep_button = QPushButton("Keep as Recorded")
        self.use_button.clicked.connect(lambda: self._choose(True))
        self.keep_button.clicked.connect(lambda: self._choose(False))
        choose.addStretch(1)
        choose.addWidget(self.keep_button)
        choose.addWidget(self.use_button)
        layout.addLayout(choose)
        for key, slot in (
            ("Space", self.toggle),
            ("A", lambda: self.switch_to(0)),
            ("B", lambda: self.switch_to(1)),
        ):
            QShortcut(QKeySequence(key), self, slot)
        self._set_ready(False)
        self._listening_to = routes.player
        if self._listening_to is not None:
            self._listening_to.position_changed.connect(self._on_position)
            self._listening_to.state_changed.connect(self._on_state)
        self._fetch()

    # ---------------------------------------------------------------- fetching

    def _fetch(self) -> None:
        client, session = self._c.client, self._c.session
        ref = session.ref if session is not None else None
        if client is None or ref is None:
            self.status.setText(NEEDS_A_SAMPLE)
            return
        self._runner.submit(
            lambda cancel: fetch_noise_previews(client, ref, cancel),
            on_result=self._fetched,
            on_error=lambda exc: self.status.setText(f"The previews could not be fetched: {exc}"),
            name="noise previews",
        )

    def _fetched(self, previews: NoisePreviews) -> None:
        self.previews = previews
        floors = (previews.original_floor_dbfs, previews.denoised_floor_dbfs)
        for button, text, floor in zip(self.version_buttons, _VERSIONS, floors, strict=True):
            button.setText(f"{text}\nnoise floor {floor:.1f} dBFS")
        drop = floors[0] - floors[1]
        self.status.setText(
            f"Noise removal lowers the noise floor by {drop:.1f} dB."
            if drop >= 0.5
            else "Noise removal hardly changes the noise floor: the recording may be clean, "
            "and removal can make clean audio worse."
        )
        self._set_ready(True)

    def _set_ready(self, ready: bool) -> None:
        for w in (self.play_button, self.use_button, self.keep_button, *self.version_buttons):
            w.setEnabled(ready)

    # ---------------------------------------------------------------- playing

    @property
    def playing(self) -> bool:
        """True while one of the previews plays."""
        player = self._routes.player
        return self._mine and player is not None and player.playing

    def _doc(self, version: int) -> AudioDocument:
        assert self.previews is not None
        return self.previews.denoised if version else self.previews.original

    def toggle(self) -> None:
        """Play the chosen version from where it was, or stop."""
        if self.previews is None:
            return
        player = self._routes.player
        if self.playing:
            player.stop()
            return
        if reason := self._routes.unavailable_reason:
            self.status.setText(reason)
            return
        doc = self._doc(self.version)
        start = self.position_ms if self.position_ms < doc.duration_ms else 0
        self._mine = True
        player.play(doc, start, None)
        self.play_button.setText("Stop")

    def switch_to(self, version: int) -> None:
        """Choose A (0) or B (1); while playing, go on in it from the same frame."""
        if self.previews is None:
            return
        self.version_buttons[version].setChecked(True)
        if version == self.version:
            return
        self.version = version
        if not self.playing:
            return
        player = self._routes.player
        if player.switch_source(self._doc(version)) is not None:
            return  # seamless: the same stream goes on in the other version
        player.stop()  # the playhead lands on the frame where the fade begins
        self._mine = True
        player.play(self._doc(version), self.position_ms, None)
        self.play_button.setText("Stop")

    def _on_position(self, ms: int) -> None:
        if self._mine:
            self.position_ms = ms
            self.position_label.setText(format_ms(ms))

    def _on_state(self, playing: bool) -> None:
        if not playing:
            self._mine = False
            self.play_button.setText("Play")

    def _choose(self, remove: bool) -> None:
        self._c.set_noise(remove)
        self.close()

    # ---------------------------------------------------------------- closing

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop what plays, drop the fetch and release the previews. Safe to call twice."""
        if self.playing:
            self._routes.player.stop()
        player, self._listening_to = self._listening_to, None
        if player is not None:
            player.position_changed.disconnect(self._on_position)
            player.state_changed.disconnect(self._on_state)
        self._runner.shutdown()
        if self.previews is not None:
            self.previews.close()
            self.previews = None


class NoiseCompare(QObject):
    """Opens the A/B window from its action; one at a time, for the sample open now."""

    def __init__(
        self,
        window: QMainWindow,
        controller: EditorController,
        routes: PlaybackRoutes,
        action: QAction,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._c = controller
        self._routes = routes
        self.dialog: NoiseCompareDialog | None = None
        action.triggered.connect(self.open)
        controller.session_replaced.connect(self.close)  # its previews are another sample's

    def open(self) -> None:
        """Show the A/B window (a fresh one when the sample changed)."""
        self.close()
        self.dialog = NoiseCompareDialog(self._window, self._c, self._routes)
        self.dialog.show()

    def close(self) -> None:
        """Close the A/B window if open."""
        if self.dialog is not None:
            self.dialog.shutdown()
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
