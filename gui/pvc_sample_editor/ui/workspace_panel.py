"""The voice workspace beside the waveform: every sample of the voice, and the minutes that count.

A sortable, filterable list (one row per sample: name, length, kept time, speakers,
noise removal, state) over a budget gauge with ElevenLabs' marks. It renders rows it is
given and says which sample the user chose; it never opens anything itself.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pvc_sample_editor.editing.budget import (
    BEST_MAX_MS,
    BEST_MIN_MS,
    MINIMUM_MS,
    RECOMMENDED_MS,
    budget_sentence,
)
from pvc_sample_editor.editing.workspace import SampleRow, SampleState

__all__ = ["BudgetGauge", "SampleListModel", "WorkspacePanel"]

COLUMNS = ("Name", "Length", "Kept", "Speakers", "Noise", "State")
_STATE_COLOURS = {
    SampleState.EDITED: "#d9a400",
    SampleState.QUEUED: "#8e8e93",
    SampleState.SUBMITTING: "#3e8ed0",
    SampleState.FAILED: "#e5484d",
}
_Index = QModelIndex | QPersistentModelIndex


def _minutes_text(ms: int) -> str:
    total_s = round(ms / 1000)
    hours, rest = divmod(total_s, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class SampleListModel(QAbstractTableModel):
    """The rows of the open voice; one row changes alone while its sample is edited."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[SampleRow] = []
        self._current = ""
        self._bold = QFont()
        self._bold.setBold(True)

    @property
    def rows(self) -> tuple[SampleRow, ...]:
        """The rows, in the voice's order."""
        return tuple(self._rows)

    def set_rows(self, rows: tuple[SampleRow, ...], current: str) -> None:
        """Show ``rows``; ``current`` (a sample id) is the one open in the editor."""
        self.beginResetModel()
        self._rows = list(rows)
        self._current = current
        self.endResetModel()

    def update_row(self, row: SampleRow) -> None:
        """Replace the row of ``row.sample_id`` (a live edit); nothing else repaints."""
        for i, old in enumerate(self._rows):
            if old.sample_id == row.sample_id:
                if old != row:
                    self._rows[i] = row
                    self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))
                return

    def row_of(self, sample_id: str) -> int:
        """The model row of ``sample_id``, or -1."""
        return next((i for i, r in enumerate(self._rows) if r.sample_id == sample_id), -1)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.UserRole:  # what sorting compares
            return self._sort_key(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.reason or (row.file_name if column == 0 else None)
        if role == Qt.ItemDataRole.ForegroundRole and column == 5:
            colour = _STATE_COLOURS.get(row.state)
            return QColor(colour) if colour else None
        if role == Qt.ItemDataRole.FontRole and row.sample_id == self._current:
            return self._bold
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (1, 2):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _text(row: SampleRow, column: int) -> str:
        if column == 0:
            return row.file_name
        if column == 1:
            return _minutes_text(row.duration_ms) if row.duration_ms is not None else "—"
        if column == 2:
            return _minutes_text(row.kept_ms)
        if column == 3:
            return row.speakers
        if column == 4:
            return "on" if row.noise else "off"
        return row.label + (" *" if row.state is SampleState.EDITED else "")

    @staticmethod
    def _sort_key(row: SampleRow, column: int) -> Any:
        keys = (
            row.file_name.casefold(),
            row.duration_ms if row.duration_ms is not None else -1,
            row.kept_ms,
            row.speakers,
            row.noise,
            row.state.value,
        )
        return keys[column]


class BudgetGauge(QWidget):
    """The voice's kept minutes on a bar marked at 30 min, 1 h, 2 h and 3 h."""

    MARKS = ((MINIMUM_MS, "30 min"), (RECOMMENDED_MS, "1 h"), (BEST_MIN_MS, "2 h"),
             (BEST_MAX_MS, "3 h"))  # fmt: skip

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.total_ms = 0
        self.setMinimumHeight(34)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(
            "ElevenLabs asks for at least 30 minutes of clean single-speaker audio, "
            "recommends about an hour, and clones best from two to three hours."
        )

    def set_total(self, total_ms: int) -> None:
        """Show ``total_ms``; repaints only when the drawn bar would change."""
        if total_ms != self.total_ms:
            self.total_ms = total_ms
            self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        full = max(BEST_MAX_MS * 1.1, self.total_ms)
        bar = QRectF(1, 2, self.width() - 2, 12)
        painter.setPen(pal.color(QPalette.ColorRole.Mid))
        painter.setBrush(pal.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(bar, 3, 3)
        total = self.total_ms
        colour = (
            "#e5484d" if total < MINIMUM_MS else "#d9a400" if total < RECOMMENDED_MS else "#30a46c"
        )
        filled = QRectF(bar.left(), bar.top(), bar.width() * min(total / full, 1.0), bar.height())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawRoundedRect(filled, 3, 3)
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        metrics = painter.fontMetrics()
        for ms, text in self.MARKS:
            x = bar.left() + bar.width() * ms / full
            painter.drawLine(int(x), int(bar.top()) - 1, int(x), int(bar.bottom()) + 2)
            width = metrics.horizontalAdvance(text)
            painter.drawText(int(x - width / 2), int(bar.bottom()) + 2 + metrics.ascent(), text)
        painter.end()


class WorkspacePanel(QWidget):
    """The open voice's samples and its budget; emits the sample the user picks."""

    sample_chosen = Signal(str)  # sample id
    submit_all_requested = Signal()
    retry_requested = Signal()
    separate_all_requested = Signal()
    queue_counts_changed = Signal(int, int, int)  # edited, failed, not separated

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        # Wide enough for a readable name beside the five short columns: without it the
        # splitter gave the list what the editor's panels left, and names read "…".
        self.setMinimumWidth(480)
        self.title = QLabel("Samples")
        self.title.setObjectName("title")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by name")
        self.filter.setClearButtonEnabled(True)
        self.model = SampleListModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterKeyColumn(0)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the voice's own order
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        # Takes keep their distinguishing ends ("…take 2.flac"); the tooltip has it all.
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.gauge = BudgetGauge()
        self.budget_label = QLabel()
        self.budget_label.setWordWrap(True)
        self.budget_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.title)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addLayout(self._build_queue_row())
        layout.addWidget(self.queue_progress)
        layout.addWidget(self.gauge)
        layout.addWidget(self.budget_label)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.table.clicked.connect(self._on_clicked)
        self.table.activated.connect(self._on_clicked)
        self._live_total_base = 0  # the other samples' kept time, while one is edited
        self._show_queue_counts()

    def _build_queue_row(self) -> QHBoxLayout:
        """Submit all edited, Retry failed, Separate all; the queue's bar goes below."""
        row = QHBoxLayout()
        self.submit_all_button = QPushButton("Submit All Edited")
        self.submit_all_button.setToolTip(
            "Send every sample with an unsent edit, two at a time, and confirm each"
        )
        self.retry_button = QPushButton("Retry Failed")
        self.retry_button.setToolTip("Send again the samples whose submission failed")
        self.separate_all_button = QPushButton("Separate All")
        self.separate_all_button.setToolTip(
            "Separate the speakers of every sample not separated yet"
        )
        for button in (self.submit_all_button, self.retry_button, self.separate_all_button):
            row.addWidget(button)
        row.addStretch(1)
        self.submit_all_button.clicked.connect(self.submit_all_requested)
        self.retry_button.clicked.connect(self.retry_requested)
        self.separate_all_button.clicked.connect(self.separate_all_requested)
        self.queue_progress = QProgressBar()
        self.queue_progress.setMaximumHeight(16)
        self.queue_progress.setFormat("Queue: %v of %m")
        self.queue_progress.hide()
        return row

    def _show_queue_counts(self) -> None:
        """Enable the queue's buttons for what there is to do, and say how much."""
        rows = self.model.rows
        edited = sum(r.state is SampleState.EDITED for r in rows)
        failed = sum(r.state is SampleState.FAILED for r in rows)
        unseparated = sum(r.separable for r in rows)
        self.submit_all_button.setEnabled(edited > 0)
        self.submit_all_button.setText(
            f"Submit All Edited ({edited})" if edited else "Submit All Edited"
        )
        self.retry_button.setEnabled(failed > 0)
        self.retry_button.setText(f"Retry Failed ({failed})" if failed else "Retry Failed")
        self.separate_all_button.setEnabled(unseparated > 0)
        self.queue_counts_changed.emit(edited, failed, unseparated)

    def show_progress(self, done: int, total: int) -> None:
        """The queue's progress (hidden when ``total`` is 0: idle)."""
        self.queue_progress.setVisible(total > 0)
        if total:
            self.queue_progress.setRange(0, total)
            self.queue_progress.setValue(done)

    def show_voice(self, name: str, rows: tuple[SampleRow, ...], current: str) -> None:
        """List ``rows`` of the voice ``name``; ``current`` is the sample being edited."""
        self.title.setText(f"{name}: {len(rows)} sample{'s' if len(rows) != 1 else ''}")
        self.model.set_rows(rows, current)
        self._select(current)
        self._show_total()

    def update_row(self, row: SampleRow) -> None:
        """A sample's row changed (its edit moved, or its state)."""
        self.model.update_row(row)
        self._show_total()

    def show_live_kept(self, sample_id: str, kept_ms: int) -> None:
        """While a handle is dragged: the gauge follows the sample's kept time."""
        others = sum(r.kept_ms for r in self.model.rows if r.sample_id != sample_id)
        self.gauge.set_total(others + kept_ms)

    def _show_total(self) -> None:
        self._show_queue_counts()
        total = sum(r.kept_ms for r in self.model.rows)
        self.gauge.set_total(total)
        self.budget_label.setText(budget_sentence(total))

    def _select(self, sample_id: str) -> None:
        row = self.model.row_of(sample_id)
        if row < 0:
            self.table.clearSelection()
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if index.isValid():
            self.table.selectRow(index.row())
            self.table.scrollTo(index)

    def neighbour(self, sample_id: str, step: int) -> str | None:
        """The sample ``step`` rows away from ``sample_id`` in the list as shown."""
        source = self.model.row_of(sample_id)
        if source < 0 or self.proxy.rowCount() == 0:
            return None
        shown = self.proxy.mapFromSource(self.model.index(source, 0)).row()
        target = shown + step
        if not 0 <= target < self.proxy.rowCount():
            return None
        index = self.proxy.mapToSource(self.proxy.index(target, 0))
        return self.model.rows[index.row()].sample_id

    def _on_clicked(self, index: QModelIndex) -> None:
        source = self.proxy.mapToSource(index)
        if source.isValid():
            self.sample_chosen.emit(self.model.rows[source.row()].sample_id)
