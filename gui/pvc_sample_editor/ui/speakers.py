"""Speaker separation: its status, the Separate button, one checkbox per speaker."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pvc_sample_editor.api.models import SeparationStatus, SpeakerSeparation
from pvc_sample_editor.timecode import format_ms

__all__ = ["SPEAKER_COLORS", "SpeakersPanel", "speaker_color"]

# Distinct on the dark waveform and for the common colour-vision deficiencies.
SPEAKER_COLORS = ("#4e9cf5", "#f5a04e", "#b77cf0", "#5fd068", "#f06f8b", "#e6d85c")


def speaker_color(index: int) -> str:
    """The colour of the ``index``-th speaker (cycled)."""
    return SPEAKER_COLORS[index % len(SPEAKER_COLORS)]


def _swatch(color: str) -> QPixmap:
    pix = QPixmap(14, 14)
    pix.fill(QColor(color))
    return pix


class SpeakersPanel(QWidget):
    """Shows separation status and lets the user choose which speakers to keep.

    Emits user intent only: ``separate_requested``, ``cancel_requested``,
    ``selection_changed(list of ids)`` and ``listen_requested(id)``.
    """

    separate_requested = Signal()
    cancel_requested = Signal()
    selection_changed = Signal(list)
    listen_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._boxes: dict[str, QCheckBox] = {}
        self._listen: dict[str, QPushButton] = {}
        self._listen_state: tuple[bool, str] = (True, "")
        self._can_separate = False  # what the last show_separation allowed
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.status_label = QLabel("Speakers: not started")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        top.addWidget(self.status_label, 1)
        self.separate_button = QPushButton("Separate speakers")
        self.separate_button.setToolTip(
            "Ask the server to find who speaks when. Then tick the speakers to keep."
        )
        self.separate_button.clicked.connect(self.separate_requested)
        top.addWidget(self.separate_button)
        layout.addLayout(top)
        busy = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(10)
        busy.addWidget(self.progress, 1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_requested)
        busy.addWidget(self.cancel_button)
        self._busy_row = QWidget()
        self._busy_row.setLayout(busy)
        busy.setContentsMargins(0, 0, 0, 0)
        self._busy_row.hide()
        layout.addWidget(self._busy_row)
        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setContentsMargins(0, 4, 0, 0)
        self._grid.setHorizontalSpacing(10)
        layout.addWidget(self._grid_host)
        self.error_label = QLabel()
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setWordWrap(True)
        self.error_label.setObjectName("fieldError")
        self.error_label.hide()
        layout.addWidget(self.error_label)

    # ---------------------------------------------------------------- rendering

    def show_separation(
        self, separation: SpeakerSeparation | None, selected: Sequence[str], *, online: bool
    ) -> None:
        """Render the status and (when completed) one row per speaker."""
        status = separation.status if separation else SeparationStatus.NOT_STARTED
        label = status.label if isinstance(status, SeparationStatus) else str(status)
        self.status_label.setText(f"Speakers: {label}")
        completed = bool(separation and separation.completed)
        pending = status == SeparationStatus.PENDING
        self._can_separate = online and not pending
        self.separate_button.setEnabled(self._can_separate)
        self.separate_button.setText("Separate again" if completed else "Separate speakers")
        if completed and separation is not None:
            self._build_rows(separation)
        else:
            self._clear_rows()
        self.set_selected(selected)

    def set_polling(self, polling: bool, message: str = "") -> None:
        """Show or hide the progress row while separation is being polled."""
        self._busy_row.setVisible(polling)
        # From what the last render allows, not from the button (polling disabled it).
        self.separate_button.setEnabled(not polling and self._can_separate)
        if polling and message:
            self.status_label.setText(message)

    def set_selected(self, selected: Sequence[str]) -> None:
        """Tick exactly the ``selected`` speakers without emitting ``selection_changed``."""
        chosen = set(selected)
        for sid, box in self._boxes.items():
            box.blockSignals(True)
            box.setChecked(sid in chosen)
            box.blockSignals(False)

    def set_listen_enabled(self, enabled: bool, reason: str = "") -> None:
        """Enable the Listen buttons, or disable them with a tooltip saying why."""
        self._listen_state = (enabled, reason)  # rows built later follow it too
        for button in self._listen.values():
            button.setEnabled(enabled)
            button.setToolTip("" if enabled else reason)

    def show_error(self, text: str) -> None:
        """Show a field error for the speaker selection (empty text hides it)."""
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def checkbox(self, speaker_id: str) -> QCheckBox:
        """The checkbox of one speaker (tests click it)."""
        return self._boxes[speaker_id]

    def listen_button(self, speaker_id: str) -> QPushButton:
        """The Listen button of one speaker."""
        return self._listen[speaker_id]

    def _clear_rows(self) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self._boxes.clear()
        self._listen.clear()

    def _build_rows(self, separation: SpeakerSeparation) -> None:
        if tuple(self._boxes) == separation.speaker_ids:
            return
        self._clear_rows()
        for row, speaker in enumerate(separation.speakers):
            swatch = QLabel()
            swatch.setPixmap(_swatch(speaker_color(row)))
            box = QCheckBox(speaker.speaker_id)
            box.setToolTip(f"Keep {speaker.speaker_id} in the training sample")
            box.toggled.connect(self._emit_selection)
            ms = speaker.duration_ms
            talk = QLabel(f"{format_ms(ms)} speech" if ms is not None else "speech: unknown")
            talk.setTextFormat(Qt.TextFormat.PlainText)
            talk.setObjectName("secondary")
            count = QLabel(f"{len(speaker.utterances)} utterances")
            count.setObjectName("secondary")
            listen = QPushButton("Listen")
            listen.setToolTip(f"Play the server's separated audio for {speaker.speaker_id}")
            listen.clicked.connect(
                lambda _=False, sid=speaker.speaker_id: self.listen_requested.emit(sid)
            )
            self._grid.addWidget(swatch, row, 0)
            self._grid.addWidget(box, row, 1)
            self._grid.addWidget(talk, row, 2)
            self._grid.addWidget(count, row, 3)
            self._grid.addWidget(listen, row, 4)
            self._boxes[speaker.speaker_id] = box
            self._listen[speaker.speaker_id] = listen
        self._grid.setColumnStretch(3, 1)
        self.set_listen_enabled(*self._listen_state)

    def _emit_selection(self) -> None:
        self.selection_changed.emit([sid for sid, box in self._boxes.items() if box.isChecked()])
