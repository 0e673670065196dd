"""Trim fields, the noise setting and the file name, each with room for its own error."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pvc_sample_editor.editing.edit import SampleEdit
from pvc_sample_editor.timecode import MAX_MS, format_ms

__all__ = ["NOISE_HELP", "EditPanel"]

NOISE_HELP = (
    "Ask the server to remove background noise from this sample. "
    "If the sample does not include background noise, it can make the quality worse."
)

# Map request and model field names to the widgets that show their errors.
FIELD_ALIASES = {
    "trim_start_time": "trim_start_ms",
    "trim_end_time": "trim_end_ms",
    "trim_start": "trim_start_ms",
    "trim_end": "trim_end_ms",
}


def _history_keys() -> list[QKeySequence]:
    """The keys of the window's Undo and Redo (the platform's and Ctrl+Shift+Z, Ctrl+Y)."""
    keys = [
        *QKeySequence.keyBindings(QKeySequence.StandardKey.Undo),
        *QKeySequence.keyBindings(QKeySequence.StandardKey.Redo),
    ]
    return [*keys, QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]


class _ErrorLabel(QLabel):
    """A field's error, in a place kept for it: showing or clearing it moves nothing.

    Beside a trim field it is as tall as the field at most (two short lines); below the
    name it is one line. A longer message is cut there, and said whole in its tooltip
    and by Submit.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("fieldError")
        self.setTextFormat(Qt.TextFormat.PlainText)
        policy = self.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        # Its text never widens the panel: a long message reflowed the whole form.
        policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
        self.setSizePolicy(policy)
        self.setFixedHeight(self.fontMetrics().lineSpacing())  # one line unless told
        self.hide()

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)


class MsField(QWidget):
    """An integer-millisecond spin box with an h:mm:ss.mmm read-out beside it."""

    committed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.row = row
        self.spin = QSpinBox()
        self.spin.setSuffix(" ms")
        self.spin.setRange(0, 0)
        self.spin.setKeyboardTracking(False)  # commit on Enter/focus-out, not per digit
        self.spin.setAccelerated(True)
        self.spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.spin.setMinimumWidth(130)
        self.readout = QLabel(format_ms(0))
        self.readout.setObjectName("mono")
        row.addWidget(self.spin)
        row.addWidget(self.readout)
        self.spin.valueChanged.connect(self._on_value)

    def _on_value(self, value: int) -> None:
        self.readout.setText(format_ms(value))
        self.committed.emit(value)

    def commit_typing(self) -> None:
        """Commit a half-typed value (as Enter would), so a shortcut never sends the old one."""
        line = self.spin.lineEdit()
        if line is not None and line.isModified():
            self.spin.interpretText()
            line.setModified(False)

    def forget_typing(self) -> None:
        """Let the next render replace whatever is typed (another sample is shown)."""
        line = self.spin.lineEdit()
        if line is not None:
            line.setModified(False)

    def show_value(self, ms: int) -> None:
        """Display ``ms`` without emitting (model → view); never over a half-typed value."""
        line = self.spin.lineEdit()
        if self.spin.hasFocus() and line is not None and line.isModified():
            return
        self.spin.blockSignals(True)
        # A C int holds the value: a model value past MAX_MS (a hand-edited draft) is
        # shown clamped, while the model keeps it and validation says what is wrong.
        self.spin.setValue(min(max(ms, -MAX_MS), MAX_MS))
        self.spin.blockSignals(False)
        self.readout.setText(format_ms(self.spin.value()))


class EditPanel(QWidget):
    """Shows the edit's fields and emits the user's changes as intents."""

    start_committed = Signal(int)
    end_committed = Signal(int)
    noise_toggled = Signal(bool)
    file_name_committed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.start_field = MsField()
        self.end_field = MsField()
        self.kept_label = QLabel()
        self.kept_label.setObjectName("secondary")
        #: What counts of a trim window (start, end) when it is not all of it: the
        #: selected speakers' speech in it, once separation is done (set by the window).
        self.kept_of: Callable[[int, int], int] | None = None
        self.noise_box = QCheckBox("Remove background noise")
        self.noise_box.setToolTip(NOISE_HELP)
        self.noise_help = QLabel("Can make clean audio worse; use only if there is noise.")
        self.noise_help.setObjectName("secondary")
        self.noise_help.setToolTip(NOISE_HELP)
        # Wrapped, not cut: at a 1280 px window the editor is narrower than this line.
        self.noise_help.setWordWrap(True)
        self.file_name_edit = QLineEdit()
        self.file_name_edit.setPlaceholderText("file name sent to the server")
        self.file_name_edit.setClearButtonEnabled(True)
        self.errors: dict[str, QLabel] = {
            name: _ErrorLabel()
            for name in ("trim_start_ms", "trim_end_ms", "remove_background_noise", "file_name")
        }
        # Errors beside their trim field (a row as tall with or without one), below the
        # name in a line kept for it: after the first edit, a click aimed at End must
        # not land in Start because a message came or went above it.
        for field, key in ((self.start_field, "trim_start_ms"), (self.end_field, "trim_end_ms")):
            error = self.errors[key]
            error.setWordWrap(True)
            error.setFixedHeight(field.spin.sizeHint().height())
            field.row.addWidget(error, 1)
        form.addRow("Start", self.start_field)
        form.addRow("End", self.end_field)
        form.addRow("Kept", self.kept_label)
        noise_row = QHBoxLayout()
        noise_row.addWidget(self.noise_box)
        noise_row.addWidget(self.noise_help, 1)
        noise_error = self.errors["remove_background_noise"]
        policy = noise_error.sizePolicy()
        policy.setRetainSizeWhenHidden(False)  # in the row: the help text has its room
        policy.setHorizontalPolicy(QSizePolicy.Policy.Preferred)
        noise_error.setSizePolicy(policy)
        noise_row.addWidget(noise_error)
        noise_host = QWidget()
        noise_host.setLayout(noise_row)
        noise_row.setContentsMargins(0, 0, 0, 0)
        form.addRow("Noise", noise_host)
        form.addRow("File name", self._stack(self.file_name_edit, self.errors["file_name"]))

        self.start_field.committed.connect(self.start_committed)
        self.end_field.committed.connect(self.end_committed)
        self.noise_box.toggled.connect(self.noise_toggled)
        self.file_name_edit.editingFinished.connect(self._commit_file_name)
        self.file_name_edit.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Undo and Redo in a name field with nothing typed go to the edit's history.

        The field's own undo would put back an old text that the model, the title and
        the unsaved marker know nothing of. While a name is being typed, its keys are
        the field's as usual.
        """
        if (
            watched is self.file_name_edit
            and event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and not self.file_name_edit.isModified()
            and QKeySequence(event.keyCombination()) in _history_keys()
        ):
            return True  # not accepted: the window's Undo/Redo shortcut takes the key
        return super().eventFilter(watched, event)

    def _commit_file_name(self) -> None:
        self.file_name_edit.setModified(False)
        self.file_name_committed.emit(self.file_name_edit.text())

    @staticmethod
    def _stack(widget: QWidget, error: QLabel) -> QWidget:
        host = QWidget()
        col = QVBoxLayout(host)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        col.addWidget(widget)
        col.addWidget(error)
        return host

    def set_duration(self, duration_ms: int) -> None:
        """Bound both fields to ``[0, duration]``."""
        for field in (self.start_field, self.end_field):
            field.spin.blockSignals(True)
            field.spin.setRange(0, min(max(duration_ms, 0), MAX_MS))
            field.spin.blockSignals(False)

    def commit_typing(self) -> None:
        """Commit every half-typed field to the model: before a submit, a close, or a
        switch to another sample (which must not inherit the text)."""
        self.start_field.commit_typing()
        self.end_field.commit_typing()
        if self.file_name_edit.isModified():
            self._commit_file_name()

    def forget_typing(self) -> None:
        """Drop the "being typed" guard of every field: the next render shows the model."""
        self.start_field.forget_typing()
        self.end_field.forget_typing()
        self.file_name_edit.setModified(False)

    def show_edit(self, edit: SampleEdit) -> None:
        """Render the model's edit without emitting anything back."""
        self.show_trims(edit.trim_start_ms, edit.trim_end_ms)
        self.noise_box.blockSignals(True)
        self.noise_box.setChecked(edit.remove_background_noise)
        self.noise_box.blockSignals(False)
        field = self.file_name_edit
        # Re-renders happen at any time (a speakers poll, say); never clobber typing.
        typing = field.hasFocus() and field.isModified()
        if field.text() != edit.file_name and not typing:
            field.setText(edit.file_name)

    def clear(self) -> None:
        """Empty fields, as before the first sample (the name shows its placeholder)."""
        self.show_trims(0, 0)
        self.kept_label.clear()
        self.noise_box.blockSignals(True)
        self.noise_box.setChecked(False)
        self.noise_box.blockSignals(False)
        self.file_name_edit.clear()
        self.show_errors({})

    def show_trims(self, start_ms: int, end_ms: int) -> None:
        """Render trims (also used for live values while a handle is dragged)."""
        self.start_field.show_value(start_ms)
        self.end_field.show_value(end_ms)
        window = max(end_ms - start_ms, 0)
        kept = self.kept_of(start_ms, end_ms) if self.kept_of is not None else window
        if kept == window:
            self.kept_label.setText(f"{format_ms(kept)}  ({kept} ms)")
        else:  # as the list counts it: the speakers kept, not the silence between them
            self.kept_label.setText(
                f"{format_ms(kept)}  (the selected speakers' speech in {format_ms(window)})"
            )

    def show_errors(self, errors: dict[str, str]) -> None:
        """Show each field's message beside its widget; fields not named are cleared."""
        normalised = {FIELD_ALIASES.get(k, k): v for k, v in errors.items()}
        for name, label in self.errors.items():
            text = normalised.get(name, "")
            label.setText(text)
            label.setVisible(bool(text))
