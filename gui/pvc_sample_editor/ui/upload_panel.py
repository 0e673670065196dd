"""The upload's progress under the sample list: a bar per file, one for all, and Cancel.

It renders what it is told (a split being written, a batch's files and bytes) and says
when Cancel is pressed; it never uploads anything itself.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pvc_sample_editor.editing.upload_journal import EntryState, UploadBatch, UploadProgress

__all__ = ["UploadPanel"]

_SCALE = 1000  # bars count in thousandths: byte counts overflow a QProgressBar's int


def _bar(fmt: str = "%p%") -> QProgressBar:
    bar = QProgressBar()
    bar.setRange(0, _SCALE)
    bar.setMaximumHeight(14)
    bar.setFormat(fmt)
    return bar


class UploadPanel(QWidget):
    """Hidden while no upload runs; a row per file while one does."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.cancel_button = QPushButton("Cancel Upload")
        self.cancel_button.clicked.connect(self.cancel_requested)
        head.addWidget(self.title, 1)
        head.addWidget(self.cancel_button)
        layout.addLayout(head)
        self.files = QGridLayout()
        self.files.setColumnStretch(1, 1)
        layout.addLayout(self.files)
        self.total = _bar("All: %p%")
        layout.addWidget(self.total)
        self.file_bars: list[QProgressBar] = []
        self.file_labels: list[QLabel] = []
        self.hide()

    def _clear_files(self) -> None:
        while self.files.count():
            item = self.files.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.file_bars, self.file_labels = [], []

    def show_splitting(self, name: str, fraction: float) -> None:
        """A long recording's parts being written before the upload."""
        self._clear_files()
        self.title.setText(f"Splitting “{name}” at its pauses…")
        self.total.setFormat("Split: %p%")
        self.total.setValue(round(fraction * _SCALE))
        self.cancel_button.setEnabled(True)
        self.show()

    def start(self, batch: UploadBatch) -> None:
        """A row per file of ``batch``; those already on the server shown full."""
        self._clear_files()
        for row, entry in enumerate(batch.entries):
            label = QLabel(entry.name)
            label.setTextFormat(Qt.TextFormat.PlainText)
            bar = _bar()
            if entry.state is EntryState.DONE:
                bar.setValue(_SCALE)
                bar.setFormat("on the server")
            self.files.addWidget(label, row, 0)
            self.files.addWidget(bar, row, 1)
            self.file_labels.append(label)
            self.file_bars.append(bar)
        count = len(batch.entries)
        self.title.setText(f"Uploading {count} recording{'s' * (count != 1)}…")
        self.total.setFormat("All: %p%")
        self.total.setValue(0)
        self.cancel_button.setEnabled(True)
        self.show()

    def show_progress(self, progress: UploadProgress) -> None:
        """Bytes sent of the file being sent, and of the whole batch."""
        if 0 <= progress.index < len(self.file_bars):
            bar = self.file_bars[progress.index]
            total = max(progress.file_total, 1)
            bar.setValue(round(progress.file_sent / total * _SCALE))
            # Every byte sent is not yet a sample: the server answers once it has stored it.
            sent = progress.file_sent >= progress.file_total
            bar.setFormat("sent: waiting for the server…" if sent else "%p%")
        self.total.setValue(round(progress.batch_sent / max(progress.batch_total, 1) * _SCALE))

    def mark(self, index: int, text: str, *, failed: bool = False) -> None:
        """Say what became of file ``index`` on its bar."""
        if 0 <= index < len(self.file_bars):
            bar = self.file_bars[index]
            bar.setValue(_SCALE if not failed else bar.value())
            bar.setFormat(text)
            bar.setToolTip(text)

    def cancelling(self) -> None:
        """Cancel was pressed: the run is stopping."""
        self.title.setText("Stopping the upload…")
        self.cancel_button.setEnabled(False)

    def finish(self) -> None:
        """No upload runs any more."""
        self.hide()
        self._clear_files()
