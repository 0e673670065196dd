"""Choose a professional voice and one of its samples to edit.

All network work goes through the injected :class:`TaskRunner`; the dialog keeps one
outstanding request per kind (voice list, voice details) and cancels the older one when
a newer one starts, so a slow reply can never overwrite what the user asked for since.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QFont, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pvc_sample_editor.api.errors import ApiError
from pvc_sample_editor.api.models import Sample, Voice, VoicePage
from pvc_sample_editor.editing.messages import ms_or_dash, speakers_summary, voice_count_text
from pvc_sample_editor.ui.tasks import Task, TaskRunner

__all__ = ["SEARCH_DEBOUNCE_MS", "SamplePickerDialog", "VoiceSource"]

log = logging.getLogger(__name__)

#: Quiet time after the last keystroke before a search goes to the server.
SEARCH_DEBOUNCE_MS = 300

COLUMNS = ("File name", "Duration", "Trim start", "Trim end", "Speakers")
_VOICE_ID_ROLE = Qt.ItemDataRole.UserRole


class VoiceSource(Protocol):
    """What the picker needs from the API client (``ApiClient`` satisfies it)."""

    def list_voices(
        self,
        *,
        search: str | None = None,
        page_size: int = 30,
        next_page_token: str | None = None,
        cancel: threading.Event | None = None,
    ) -> VoicePage:
        """One page of professional voices."""
        ...

    def get_voice(self, voice_id: str, *, cancel: threading.Event | None = None) -> Voice:
        """A voice with its samples."""
        ...


def _plain_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def _plain_tooltip(text: str) -> str:
    """Tooltip markup that shows ``text`` literally (Qt guesses tooltips' format from content)."""
    return f"<p>{html.escape(text)}</p>"


class SamplePickerDialog(QDialog):
    """Lists the account's professional voices, then the chosen voice's samples.

    Accepting (Open, or double-click on a sample) makes :meth:`selected` return the
    ``(voice, sample)`` pair, the sample None when none is selected (a voice with no
    samples yet opens to add its recordings); rejecting or closing cancels any request
    still running.
    """

    def __init__(
        self,
        client: VoiceSource,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        page_size: int = 30,
    ) -> None:
        super().__init__(parent)
        self._client = client
        self._runner = runner
        self._page_size = page_size
        self._search: str | None = None
        self._next_page_token: str | None = None
        self._voices: list[Voice] = []
        self._total = 0
        self._voice: Voice | None = None
        self._list_task: Task[VoicePage] | None = None
        self._voice_task: Task[Voice] | None = None
        # Failed request kind ("voices" / "samples") -> (message, how to try it again).
        self._failures: dict[str, tuple[str, Callable[[], None]]] = {}
        self._chosen: tuple[Voice, Sample | None] | None = None

        self.setWindowTitle("Open a Voice or Sample")
        self.setMinimumSize(720, 420)
        self.resize(900, 520)

        # Voices (left).
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search voices")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setAccessibleName("Search voices")
        self.voice_list = QListWidget()
        self.voice_list.setAccessibleName("Voices")
        self.voice_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.voice_list.setUniformItemSizes(True)
        self.voice_list.setSpacing(2)
        self.count_label = _plain_label()
        self.count_label.setWordWrap(True)
        self.count_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.load_more_button = QPushButton("Load more")
        self.load_more_button.setAutoDefault(False)
        self.load_more_button.hide()

        voices_panel = QWidget()
        voices_layout = QVBoxLayout(voices_panel)
        voices_layout.setContentsMargins(0, 0, 0, 0)
        voices_layout.addWidget(self.search_edit)
        voices_layout.addWidget(self.voice_list, 1)
        count_row = QHBoxLayout()
        count_row.addWidget(self.count_label, 1)
        count_row.addWidget(self.load_more_button)
        voices_layout.addLayout(count_row)

        # Samples (right).
        self.voice_title = _plain_label("Samples")
        title_font = QFont(self.voice_title.font())
        title_font.setBold(True)
        self.voice_title.setFont(title_font)
        self.samples_hint = _plain_label("Choose a voice to see its samples.")
        self.samples_hint.setWordWrap(True)
        self.samples_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.sample_table = QTableWidget(0, len(COLUMNS))
        self.sample_table.setAccessibleName("Samples")
        self.sample_table.setHorizontalHeaderLabels(list(COLUMNS))
        self.sample_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.sample_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.sample_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.sample_table.verticalHeader().hide()
        self.sample_table.setWordWrap(False)
        self.sample_table.setAlternatingRowColors(True)
        # Keep the extension visible when a long file name does not fit.
        self.sample_table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.sample_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        samples_panel = QWidget()
        samples_layout = QVBoxLayout(samples_panel)
        samples_layout.setContentsMargins(0, 0, 0, 0)
        title_bar = QWidget()
        # As tall as the search field, so the table's top lines up with the voice list's.
        title_bar.setMinimumHeight(self.search_edit.sizeHint().height())
        title_row = QHBoxLayout(title_bar)
        title_row.setContentsMargins(2, 0, 0, 0)
        title_row.addWidget(self.voice_title)
        title_row.addWidget(self.samples_hint, 1)
        samples_layout.addWidget(title_bar)
        samples_layout.addWidget(self.sample_table, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(voices_panel)
        splitter.addWidget(samples_panel)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 5)
        splitter.setSizes([280, 620])

        # Status and errors (bottom).
        self.error_label = _plain_label()
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Retry")
        self.retry_button.setAutoDefault(False)
        error_icon = QLabel()
        icon_size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        error_icon.setPixmap(warning.pixmap(icon_size, icon_size))
        self.error_row = QWidget()
        error_layout = QHBoxLayout(self.error_row)
        error_layout.setContentsMargins(0, 0, 0, 0)
        error_layout.addWidget(error_icon, 0, Qt.AlignmentFlag.AlignTop)
        error_layout.addWidget(self.error_label, 1)
        error_layout.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignTop)
        self.error_row.hide()

        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # indeterminate: the server gives no progress
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedWidth(80)
        self.busy_bar.setMaximumHeight(12)
        self.status_label = _plain_label()
        self.status_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        self.button_box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        self.open_button = self.button_box.button(QDialogButtonBox.StandardButton.Open)
        self.open_button.setEnabled(False)
        self.open_button.setDefault(True)
        bottom_row = QHBoxLayout()
        bottom_row.addWidget(self.busy_bar)
        bottom_row.addWidget(self.status_label, 1)
        bottom_row.addWidget(self.button_box)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 12)
        layout.setSpacing(10)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.error_row)
        layout.addLayout(bottom_row)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._search_now)
        self.search_edit.textChanged.connect(self._debounce.start)
        self.load_more_button.clicked.connect(self._load_more)
        self.voice_list.currentItemChanged.connect(self._on_voice_changed)
        self.sample_table.itemSelectionChanged.connect(self._update_open_enabled)
        self.sample_table.doubleClicked.connect(self._on_sample_double_clicked)
        self.retry_button.clicked.connect(self._on_retry)
        self.button_box.accepted.connect(self._open_selected)
        self.button_box.rejected.connect(self.reject)

        self._request_voices(append=False)

    # ------------------------------------------------------------ public

    def selected(self) -> tuple[Voice, Sample | None] | None:
        """The chosen ``(voice, sample or None)`` once the dialog was accepted, else None."""
        return self._chosen

    def done(self, result: int) -> None:
        """Close the dialog; requests still running are cancelled and their replies dropped."""
        self._debounce.stop()
        for task in (self._list_task, self._voice_task):
            if task is not None:
                task.cancel()
        self._list_task = self._voice_task = None
        self._update_busy()
        super().done(result)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter in the search field searches at once instead of pressing Open."""
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and self.search_edit.hasFocus():
            self._search_now()
            event.accept()
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------ voices

    def _search_now(self) -> None:
        self._debounce.stop()
        search = self.search_edit.text().strip() or None
        if search == self._search and (self._voices or self._list_task is not None):
            return  # already shown or on its way
        self._search = search
        self._request_voices(append=False)

    def _load_more(self) -> None:
        if self._next_page_token is not None:
            self._request_voices(append=True)

    def _request_voices(self, *, append: bool) -> None:
        if self._list_task is not None:
            self._list_task.cancel()  # a newer search or page supersedes the older one
        search = self._search
        token = self._next_page_token if append else None
        page_size = self._page_size

        def fetch(cancel: threading.Event) -> VoicePage:
            return self._client.list_voices(
                search=search, page_size=page_size, next_page_token=token, cancel=cancel
            )

        self._set_failure("voices", None)
        self.load_more_button.setEnabled(False)
        self._list_task = self._runner.submit(
            fetch,
            on_result=lambda page: self._on_page(page, append=append),
            on_error=lambda exc: self._on_list_failed(exc, append=append),
            name="list voices",
        )
        self._update_busy()

    def _on_list_failed(self, exc: BaseException, *, append: bool) -> None:
        self._list_task = None
        self.load_more_button.setEnabled(True)
        self._set_failure("voices", exc, lambda: self._request_voices(append=append))
        self._update_busy()

    def _on_page(self, page: VoicePage, *, append: bool) -> None:
        self._list_task = None
        if not append:
            if self._voice_task is not None:
                self._voice_task.cancel()  # its voice is about to leave the list
                self._voice_task = None
            self._set_failure("samples", None)
            # Signals blocked: clearing must not look like the user picking "no voice".
            self.voice_list.blockSignals(True)
            self.voice_list.clear()
            self.voice_list.blockSignals(False)
            self._voices = []
            self._show_voice(None)
        known = {voice.voice_id for voice in self._voices}
        for voice in page.voices:
            if voice.voice_id in known:  # pages can shift when voices are added meanwhile
                continue
            self._voices.append(voice)
            item = QListWidgetItem(voice.name)  # items show plain text, never HTML
            item.setData(_VOICE_ID_ROLE, voice.voice_id)
            self.voice_list.addItem(item)
        self._total = max(page.total_count, len(self._voices))
        self._next_page_token = page.next_page_token if page.has_more else None
        self.count_label.setText(voice_count_text(len(self._voices), self._total, self._search))
        self.load_more_button.setVisible(self._next_page_token is not None)
        self.load_more_button.setEnabled(True)
        self._update_busy()

    # ------------------------------------------------------------ samples

    def _on_voice_changed(self, current: QListWidgetItem | None) -> None:
        if current is None:
            self._show_voice(None)
            return
        self._request_voice(str(current.data(_VOICE_ID_ROLE)), current.text())

    def _request_voice(self, voice_id: str, name: str) -> None:
        if self._voice_task is not None:
            self._voice_task.cancel()
        self._show_voice(None, title=name, hint="Loading samples…")

        def fetch(cancel: threading.Event) -> Voice:
            return self._client.get_voice(voice_id, cancel=cancel)

        self._set_failure("samples", None)
        self._voice_task = self._runner.submit(
            fetch,
            on_result=self._on_voice_loaded,
            on_error=lambda exc: self._on_voice_failed(exc, voice_id, name),
            name="get voice",
        )
        self._update_busy()

    def _on_voice_failed(self, exc: BaseException, voice_id: str, name: str) -> None:
        self._voice_task = None
        self.samples_hint.setText("Could not load the samples.")
        self._set_failure("samples", exc, lambda: self._request_voice(voice_id, name))
        self._update_busy()

    def _current_voice_id(self) -> str | None:
        item = self.voice_list.currentItem()
        return None if item is None else str(item.data(_VOICE_ID_ROLE))

    def _on_voice_loaded(self, voice: Voice) -> None:
        self._voice_task = None
        self._update_busy()
        if voice.voice_id != self._current_voice_id():
            return  # the selection moved on (or the list was replaced) meanwhile
        self._show_voice(voice)

    def _show_voice(self, voice: Voice | None, *, title: str = "Samples", hint: str = "") -> None:
        """Fill the sample table from ``voice``; None empties it and shows ``hint``."""
        self._voice = voice
        self.sample_table.setRowCount(0)
        if voice is None:
            self.voice_title.setText(title)
            self.samples_hint.setText(hint or "Choose a voice to see its samples.")
            self._update_open_enabled()
            return
        self.voice_title.setText(voice.name)
        count = len(voice.samples)
        self.samples_hint.setText(
            f"{count} sample{'s' if count != 1 else ''}"
            if count
            else "This voice has no samples yet: Open shows it, to add its recordings."
        )
        self.sample_table.setRowCount(count)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for row, sample in enumerate(voice.samples):
            cells = (
                sample.file_name,
                ms_or_dash(sample.duration_ms),
                ms_or_dash(sample.trim_start),
                ms_or_dash(sample.trim_end),
                speakers_summary(sample),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)  # items show plain text, never HTML
                if column == 0:
                    item.setToolTip(_plain_tooltip(text))
                elif column <= 3:
                    item.setTextAlignment(right)
                self.sample_table.setItem(row, column, item)
        if count:
            # Most voices have one sample or a few: preselecting makes Open one click away.
            self.sample_table.selectRow(0)
        self._update_open_enabled()

    def _current_sample(self) -> Sample | None:
        rows = self.sample_table.selectionModel().selectedRows()
        if self._voice is None or not rows:
            return None
        row = rows[0].row()
        return self._voice.samples[row] if row < len(self._voice.samples) else None

    def _update_open_enabled(self) -> None:
        voice = self._voice
        # A voice with samples opens one of them; an empty one opens on its own.
        can = voice is not None and (not voice.samples or self._current_sample() is not None)
        self.open_button.setEnabled(can)

    def _on_sample_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.sample_table.selectRow(index.row())
            self._open_selected()

    def _open_selected(self) -> None:
        voice, sample = self._voice, self._current_sample()
        if voice is None or (sample is None and voice.samples):
            return
        self._chosen = (voice, sample)
        self.accept()

    # ------------------------------------------------------------ status

    def _set_failure(
        self, kind: str, exc: BaseException | None, retry: Callable[[], None] | None = None
    ) -> None:
        """Record (or, with None, forget) the failure of one kind of request and show all."""
        if exc is None or retry is None:
            self._failures.pop(kind, None)
        else:
            if isinstance(exc, ApiError):
                message = str(exc)  # written for users by the client
            else:  # a bug rather than a network problem: keep the traceback for the log
                log.error("picker request failed", exc_info=exc)
                message = f"Something went wrong: {exc}"
            self._failures[kind] = (message, retry)
        self.error_label.setText("\n".join(message for message, _ in self._failures.values()))
        self.error_row.setVisible(bool(self._failures))

    def _on_retry(self) -> None:
        retries = [retry for _, retry in self._failures.values()]
        for retry in retries:
            retry()

    def _update_busy(self) -> None:
        loading = []
        if self._list_task is not None:
            loading.append("voices")
        if self._voice_task is not None:
            loading.append("samples")
        self.busy_bar.setVisible(bool(loading))
        self.status_label.setText(f"Loading {' and '.join(loading)}…" if loading else "")
