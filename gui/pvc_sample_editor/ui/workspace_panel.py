"""The voice workspace beside the waveform: every sample of the voice, and the minutes that count.

A sortable, filterable list (one row per sample: name, length, kept time, speakers,
noise removal, state) over a budget gauge with ElevenLabs' marks. It renders rows it is
given and says which sample the user chose; it never opens anything itself.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QRectF,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QShowEvent,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
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
from pvc_sample_editor.editing.workspace import LocalState, SampleRow, SampleState

__all__ = ["NO_FOLDER", "NO_FOLDER_TIP", "BudgetGauge", "SampleListModel", "WorkspacePanel"]

NO_FOLDER = "No recordings folder chosen."
NO_FOLDER_TIP = (
    "Without the voice's recordings folder, samples open the server's 30-second preview."
)

COLUMNS = ("Name", "Length", "Kept", "Spk.", "Noise", "Check", "Local", "State")
_QUALITY, _LOCAL, _STATE = 5, 6, 7
_HEADER_TIPS = (
    "The sample's file name",
    "The whole recording",
    "What counts toward the voice: the trims, or the selected speakers' speech in them",
    "Speakers found by separation (— not separated)",
    "Background-noise removal",
    "The audio check of the kept region: ok, warn or fail",
    "What opens: ● its file from the recordings folder, ○ the server's preview, "
    "≠ a file that differs from the sample, — no recordings folder",
    "Saved, edited (an unsent draft), submitting or failed",
)
_STATE_COLOURS = {
    SampleState.EDITED: "#d9a400",
    SampleState.QUEUED: "#8e8e93",
    SampleState.SUBMITTING: "#3e8ed0",
    SampleState.FAILED: "#e5484d",
}
_VERDICT_COLOURS = {"ok": "#30a46c", "warn": "#d9a400", "fail": "#e5484d"}
_LOCAL_COLOURS = {LocalState.DIFFERS: "#e5484d", LocalState.PREVIEW: "#8a8a8a"}
# The local-copy column as marks: a word each ("preview", "differs") cost the speaker
# and noise columns their room at the list's default width.
_LOCAL_MARKS = {
    LocalState.UNKNOWN: "—",
    LocalState.FILE: "●",
    LocalState.PREVIEW: "○",
    LocalState.DIFFERS: "≠",
}


def _minutes_text(ms: int) -> str:
    total_s = round(ms / 1000)
    hours, rest = divmod(total_s, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class SampleListModel(QStandardItemModel):
    """The rows of the open voice; one row changes alone while its sample is edited.

    The cells are Qt items, filled once per row change: painting and scrolling then
    never call into Python (a Python ``data()`` is asked ~2,000 times a frame, which
    cost ~10 ms a frame with 200 samples).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        for column, tip in enumerate(_HEADER_TIPS):
            self.setHeaderData(column, Qt.Orientation.Horizontal, tip, Qt.ItemDataRole.ToolTipRole)
        self._rows: list[SampleRow] = []
        self._current = ""
        self._bold = QFont()
        self._bold.setBold(True)

    @property
    def rows(self) -> tuple[SampleRow, ...]:
        """The rows, in the voice's order."""
        return tuple(self._rows)

    def set_rows(self, rows: tuple[SampleRow, ...], current: str) -> bool:
        """Show ``rows``; ``current`` (a sample id) is the one open in the editor.

        The same samples in the same order (moving to another sample of the voice) only
        change the rows that differ; anything else rebuilds the list (True).
        """
        if [r.sample_id for r in rows] == [r.sample_id for r in self._rows]:
            was, self._current = self._current, current
            for i, row in enumerate(rows):
                if row != self._rows[i] or row.sample_id in (was, current):
                    self._apply(i, row, was)
            return False
        self.beginResetModel()
        # One reset for the proxy and the view, not a signal per cell.
        self.blockSignals(True)
        try:
            self.setRowCount(0)
            self._rows = list(rows)
            self._current = current
            for row in rows:
                self.appendRow([self._item(row, column) for column in range(len(COLUMNS))])
        finally:
            self.blockSignals(False)
        self.endResetModel()
        return True

    def update_row(self, row: SampleRow) -> None:
        """Replace the row of ``row.sample_id`` (a live edit); nothing else repaints."""
        i = self.row_of(row.sample_id)
        if i >= 0 and self._rows[i] != row:
            self._apply(i, row, self._current)

    def _apply(self, i: int, row: SampleRow, was_current: str) -> None:
        """Show ``row`` at ``i``, replacing only the cells that look different."""
        old, self._rows[i] = self._rows[i], row
        for column in range(len(COLUMNS)):
            if self._cell(old, column, was_current) != self._cell(row, column, self._current):
                self.setItem(i, column, self._item(row, column))

    def row_of(self, sample_id: str) -> int:
        """The model row of ``sample_id``, or -1."""
        return next((i for i, r in enumerate(self._rows) if r.sample_id == sample_id), -1)

    def _cell(self, row: SampleRow, column: int, current: str) -> tuple[Any, ...]:
        """What a cell shows: its text, sort key, tooltip, colour and boldness."""
        return (
            self._text(row, column),
            self._sort_key(row, column),
            self._tooltip(row, column),
            self._colour(row, column),
            row.sample_id == current,
        )

    def _item(self, row: SampleRow, column: int) -> QStandardItem:
        text, key, tooltip, colour, current = self._cell(row, column, self._current)
        item = QStandardItem(text)
        item.setEditable(False)
        item.setData(key, Qt.ItemDataRole.UserRole)  # what sorting compares
        if tooltip:
            item.setToolTip(tooltip)
        if colour:
            item.setForeground(QColor(colour))
        if current:
            item.setFont(self._bold)
        if column in (1, 2):
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    @staticmethod
    def _tooltip(row: SampleRow, column: int) -> str | None:
        if column == _LOCAL:
            return row.local_note or "Choose the voice's recordings folder to use local copies."
        if column == _QUALITY:
            return (
                "The audio check of the kept region, from when the sample was last open."
                if row.verdict
                else "Not checked yet: open the sample to check its kept region."
            )
        if column == 3:
            return (
                f"Speaker separation: {row.speakers}"
                if row.speakers != "—"
                else ("Speakers not separated")
            )
        return row.reason or (row.file_name if column == 0 else None)

    @staticmethod
    def _colour(row: SampleRow, column: int) -> str | None:
        if column == _STATE:
            return _STATE_COLOURS.get(row.state)
        if column == _QUALITY:
            return _VERDICT_COLOURS.get(row.verdict)
        if column == _LOCAL:
            return _LOCAL_COLOURS.get(row.local)
        return None

    @staticmethod
    def _text(row: SampleRow, column: int) -> str:
        if column == 0:
            return row.file_name
        if column == 1:
            return _minutes_text(row.duration_ms) if row.duration_ms is not None else "—"
        if column == 2:
            return _minutes_text(row.kept_ms)
        if column == 3:  # the count alone; the tooltip says it in words
            count = row.speakers.split(" ", 1)[0]
            return (
                count if count.isdigit() else "…" if row.speakers == "separating" else row.speakers
            )
        if column == 4:
            return "on" if row.noise else "off"
        if column == _QUALITY:
            return row.verdict or "—"
        if column == _LOCAL:  # a mark; the tooltip says it in words
            return _LOCAL_MARKS[row.local]
        return row.label + (" *" if row.state is SampleState.EDITED else "")

    @staticmethod
    def _sort_key(row: SampleRow, column: int) -> Any:
        keys = (
            row.file_name.casefold(),
            row.duration_ms if row.duration_ms is not None else -1,
            row.kept_ms,
            row.speakers,
            row.noise,
            ("fail", "warn", "ok", "").index(row.verdict) if row.verdict in _VERDICT_COLOURS else 3,
            row.local.value,
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
        """Show ``total_ms``; repaints only when the drawn bar would change.

        While a handle is dragged the total moves by milliseconds each frame, and a pixel
        of the bar is tens of seconds: most frames then cost the gauge nothing.
        """
        if total_ms == self.total_ms:
            return
        before = self._drawn(self.total_ms)
        self.total_ms = total_ms
        if self._drawn(total_ms) != before:
            self.update()

    def _full_ms(self, total_ms: int) -> float:
        return max(BEST_MAX_MS * 1.1, total_ms)

    def _drawn(self, total_ms: int) -> tuple[int, str]:
        """What the bar shows of ``total_ms``: its filled width in pixels and its colour."""
        width = (self.width() - 2) * min(total_ms / self._full_ms(total_ms), 1.0)
        return round(width), self._colour(total_ms)

    @staticmethod
    def _colour(total_ms: int) -> str:
        if total_ms < MINIMUM_MS:
            return "#e5484d"
        return "#d9a400" if total_ms < RECOMMENDED_MS else "#30a46c"

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        full = self._full_ms(self.total_ms)
        bar = QRectF(1, 2, self.width() - 2, 12)
        painter.setPen(pal.color(QPalette.ColorRole.Mid))
        painter.setBrush(pal.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(bar, 3, 3)
        total = self.total_ms
        colour = self._colour(total)
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
    folder_requested = Signal()  # the user wants to choose the recordings folder
    submit_all_requested = Signal()
    retry_requested = Signal()
    separate_all_requested = Signal()
    queue_counts_changed = Signal(int, int, int)  # edited, failed, not separated

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        # Wide enough for a readable name beside the short columns (two of which step
        # aside when the names would get less than NAME_MIN): without it the splitter
        # gave the list what the editor's panels left, and names read "…".
        self.setMinimumWidth(440)
        self._widths: dict[int, int] = {}  # each short column's fitted width
        self._voice_name = ""
        self.title = QLabel("Samples")
        self.title.setObjectName("title")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.folder_button = QPushButton("Recordings Folder…")
        self.folder_button.setToolTip(
            "The folder holding this voice's original recordings: each sample opens its own "
            "file from there (found by name, size, then length) instead of the preview."
        )
        self.folder_label = QLabel(NO_FOLDER)
        self.folder_label.setToolTip(NO_FOLDER_TIP)
        self.folder_label.setTextFormat(Qt.TextFormat.PlainText)
        self.folder_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_button)
        folder_row.addWidget(self.folder_label, 1)
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
        self.table.setWordWrap(False)  # wrapped, a name was elided twice ("podcast ...- host ...")
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            # Fitted when the list is rebuilt, not on every layout: ResizeToContents measured
            # all 200 rows' cells each time a row changed (~8 ms a sample switch).
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
        self.gauge = BudgetGauge()
        self.budget_label = QLabel()
        self.budget_label.setWordWrap(True)
        self.budget_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.title)
        layout.addLayout(folder_row)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addLayout(self._build_queue_row())
        layout.addWidget(self.queue_progress)
        layout.addWidget(self.gauge)
        layout.addWidget(self.budget_label)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.filter.textChanged.connect(self._show_title)
        self.table.clicked.connect(self._on_clicked)
        self.table.activated.connect(self._on_clicked)
        self.folder_button.clicked.connect(self.folder_requested)
        self._sized = False  # given its first width (showEvent)
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
        self._voice_name = name
        if self.model.set_rows(rows, current):
            self._fit_columns()
        self._show_title()
        self._select(current)
        self._show_total()

    def _show_title(self, *_args: object) -> None:
        """The voice and its sample count; while a filter hides some, how many show."""
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        counted = f"{total} sample{'s' if total != 1 else ''}"
        if self.filter.text() and shown != total:
            counted = f"{shown} of {counted} match “{self.filter.text()}”"
        self.title.setText(f"{self._voice_name}: {counted}")

    #: The names keep at least this much: below it the speaker and noise columns give
    #: their room to them (the open sample's editor shows both; widen the list to see
    #: them for every sample).
    NAME_MIN = 140

    def showEvent(self, event: QShowEvent) -> None:
        """The first time the list appears, give it 45 % of the window (440-640 px): at a
        1280 px window that is 570 px, where names keep ~190 px beside every column."""
        super().showEvent(event)
        splitter = self.parentWidget()
        if self._sized or not isinstance(splitter, QSplitter):
            return
        self._sized = True
        total = sum(splitter.sizes())
        mine = max(self.minimumWidth(), min(640, round(total * 0.45)))
        splitter.setSizes([mine, total - mine])

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_optional_columns()

    def _fit_optional_columns(self) -> None:
        """Show the speaker and noise columns when the names still get NAME_MIN beside them."""
        table = self.table
        others = sum(self._widths.values())  # as fitted: a hidden column measures 0
        room = table.width() - 2 * table.frameWidth() - table.verticalScrollBar().sizeHint().width()
        narrow = room - others < self.NAME_MIN
        for column in (3, 4):
            table.setColumnHidden(column, narrow)

    def _fit_columns(self) -> None:
        """Each short column as wide as its widest text (or the widest word it can show),
        so the name column keeps the rest: Qt's own fitting pads each by ~30 px."""
        cells, heads = self.table.fontMetrics(), self.table.horizontalHeader().fontMetrics()
        widest = {_STATE: "submitting", _QUALITY: "warn"}
        for column in range(1, len(COLUMNS)):
            texts = {self.model.item(r, column).text() for r in range(self.model.rowCount())}
            width = max(
                heads.horizontalAdvance(COLUMNS[column]) + 4,
                *(cells.horizontalAdvance(t) for t in texts | {widest.get(column, "")}),
            )
            self._widths[column] = width + 12
            self.table.setColumnWidth(column, width + 12)
        self._fit_optional_columns()

    def show_folder(self, text: str, *, problem: bool = False, tooltip: str = "") -> None:
        """Say which recordings folder the voice uses and what it held (or why it cannot)."""
        self.folder_label.setText(text)
        self.folder_label.setToolTip(tooltip or text)
        self.folder_label.setStyleSheet("color: #e5484d;" if problem else "")

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
        selected = self.table.selectionModel().selectedRows()
        if index.isValid() and [i.row() for i in selected] != [index.row()]:
            self.table.selectRow(index.row())
            self.table.scrollTo(index)

    def first_sample_id(self) -> str | None:
        """The sample on the list's first row as shown (sorted, filtered), or None."""
        if self.proxy.rowCount() == 0:
            return None
        index = self.proxy.mapToSource(self.proxy.index(0, 0))
        return self.model.rows[index.row()].sample_id

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
