"""The audio check of the kept region: one line per figure with its verdict, and Suggest Trims.

It renders a :class:`~pvc_sample_editor.analysis.Report` it is given and says what the
user asked for (suggested trims, the padding); the analysis itself runs elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:  # the analysis package loads when the first check runs, not at start-up
    from pvc_sample_editor.analysis import Report

__all__ = ["CHECK_NAMES", "NO_AUDIO_TEXT", "ReportPanel"]

#: How each check reads in the panel, and what it means (its tooltip).
CHECK_NAMES: dict[str, tuple[str, str]] = {
    "rms": ("Level (RMS)", "Average level; ElevenLabs asks for −23 to −18 dB RMS."),
    "true_peak": ("True peak", "Highest peak between samples; keep it at or below −3 dBTP."),
    "integrated_loudness": ("Loudness", "Integrated loudness (ITU-R BS.1770), for comparison."),
    "noise_floor": ("Noise floor", "The quietest half second; ACX asks for −60 dB or lower."),
    "snr": ("Signal to noise", "How far the voice stands above the room."),
    "clipping": ("Clipping", "Runs of samples at full scale: distortion the clone copies."),
    "dc_offset": ("DC offset", "A constant shift of the waveform; should be near zero."),
    "speech": ("Speech", "The share of the region that is speech."),
    "long_pauses": ("Long pauses", "Pauses over 1.5 s: the model copies them; edit them out."),
    "sample_rate": ("Sample rate", "44.1 kHz or more is advised."),
    "bit_depth": ("Bit depth", "16-bit or more is advised."),
}
_VERDICT_COLOURS = {"ok": "#30a46c", "warn": "#d9a400", "fail": "#e5484d"}

#: What the panel says before any file is open.
NO_AUDIO_TEXT = "Open a local copy to check its audio."


_UNITS = {
    "rms": " dBFS",
    "true_peak": " dBTP",
    "integrated_loudness": " LUFS",
    "noise_floor": " dBFS",
    "snr": " dB",
    "sample_rate": " Hz",
    "bit_depth": " bit",
}


def _value_text(check: str, value: object) -> str:
    """A figure with its unit: "-24.6 dBFS", "70 %", "2 runs"."""
    if value is None:
        return "—"
    if check == "speech" and isinstance(value, (int, float)):
        return f"{value:.0%}"
    if check in ("clipping", "long_pauses") and isinstance(value, int):
        noun = "run" if check == "clipping" else "pause"
        return f"{value} {noun}{'s' if value != 1 else ''}"
    if check == "dc_offset" and isinstance(value, float):
        return f"{value:.4f}"
    text = f"{value:.1f}" if isinstance(value, float) else str(value)
    return text + _UNITS.get(check, "")


class _LinesLabel(QLabel):
    """A wrapped label of a fixed number of lines: a longer text ends in "…" where it is
    cut, and says itself whole on hover (cut mid-sentence, it read as if complete)."""

    def __init__(self, text: str, *, lines: int) -> None:
        super().__init__()
        self._lines = lines
        self._full = ""
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setFixedHeight(lines * self.fontMetrics().lineSpacing())
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        self._fit()

    def full_text(self) -> str:
        """The text as given, before any of it was cut to fit."""
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        text, width = self._full, max(self.width(), 1)
        metrics = self.fontMetrics()
        room = self._lines * metrics.lineSpacing()
        flags = int(Qt.TextFlag.TextWordWrap)
        words = text.split(" ")
        while (
            len(words) > 1
            and metrics.boundingRect(0, 0, width, 10_000, flags, text).height() > room
        ):
            words.pop()
            text = " ".join(words).rstrip(" ,;:") + "…"
        super().setText(text)
        self.setToolTip(self._full if text != self._full else "")


class ReportPanel(QWidget):
    """Findings of the kept region, a one-sentence summary, and Suggest Trims."""

    suggest_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["", "Check", "Figure"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 4)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        # Three lines kept for it: a longer or shorter finding must not move the edit
        # panel beside it (the page is laid out to the taller of the two).
        self.summary = _LinesLabel(NO_AUDIO_TEXT, lines=3)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        row = QHBoxLayout()
        self.suggest_button = QPushButton("Suggest Trims")
        self.suggest_button.setToolTip(
            "Put the handles at the first and last speech, with the padding (undoable)"
        )
        self.suggest_button.setEnabled(False)
        self.padding = QSpinBox()
        self.padding.setRange(0, 2000)
        self.padding.setSingleStep(50)
        self.padding.setValue(150)
        self.padding.setSuffix(" ms")
        self.padding.setToolTip("Silence kept before the first and after the last word")
        row.addWidget(self.suggest_button)
        row.addWidget(QLabel("padding"))
        row.addWidget(self.padding)
        row.addStretch(1)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addLayout(row)
        self.report: Report | None = None
        self.suggest_button.clicked.connect(self.suggest_requested)
        self.table.currentCellChanged.connect(self._on_current)

    def show_checking(self, fraction: float | None = None) -> None:
        """Say that the kept region is being measured."""
        done = "" if fraction is None else f" {fraction:.0%}"
        self.summary.setText(f"Checking the kept region…{done}")

    def show_unavailable(self, text: str) -> None:
        """No report to show, and why."""
        self.report = None
        self.table.setRowCount(0)
        self.summary.setText(text)

    def show_report(self, report: Report) -> None:
        """Show ``report`` (a partial one while the region is still being read)."""
        self.report = report
        self.table.setRowCount(len(report.findings))
        for i, finding in enumerate(report.findings):
            name, meaning = CHECK_NAMES.get(finding.check, (finding.check, ""))
            mark = QTableWidgetItem("●")
            mark.setForeground(QColor(_VERDICT_COLOURS[finding.verdict.value]))
            mark.setToolTip(finding.verdict.value)
            check = QTableWidgetItem(name)
            figure = QTableWidgetItem(_value_text(finding.check, finding.value))
            for item in (mark, check, figure):
                item.setToolTip(f"{meaning}\n{finding.message}".strip())
                item.setData(Qt.ItemDataRole.UserRole, finding.check)
            self.table.setItem(i, 0, mark)
            self.table.setItem(i, 1, check)
            self.table.setItem(i, 2, figure)
        worst = max(report.findings, key=lambda f: f.verdict.rank, default=None)
        if not report.complete:
            self.summary.setText("Checking the kept region… (first figures)")
        elif worst is None or worst.verdict.value == "ok":
            self.summary.setText("The kept region meets ElevenLabs' guidance.")
        else:
            self.summary.setText(worst.message)

    def _on_current(self, row: int, *_args: int) -> None:
        report = self.report
        if report is not None and 0 <= row < len(report.findings):
            self.summary.setText(report.findings[row].message)
