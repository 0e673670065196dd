"""One crash dialog, however many exceptions arrive, and the app keeps running.

The core's :mod:`pvc_sample_editor.system.crashlog` logs (redacted) and calls back from
whichever thread failed; this hands the report to the GUI thread through a queued
signal and shows a single non-modal box that counts any further errors.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from pvc_sample_editor.system.crashlog import CrashReport, install_excepthook, uninstall_excepthook

__all__ = ["CrashNotifier"]


class CrashNotifier(QObject):
    """Shows unexpected errors to the user once, with the log's location."""

    crashed = Signal(object)

    def __init__(
        self, parent_widget: Callable[[], QWidget | None], on_crash: Callable[[], None]
    ) -> None:
        super().__init__()
        self._parent_widget = parent_widget
        self._on_crash = on_crash
        self.box: QMessageBox | None = None
        self.count = 0
        # Queued: the report may come from a worker thread.
        self.crashed.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        """Route uncaught exceptions here (and to the log)."""
        install_excepthook(self.crashed.emit)

    def uninstall(self) -> None:
        """Put the previous exception hooks back."""
        uninstall_excepthook()

    @Slot(object)
    def _show(self, report: object) -> None:
        assert isinstance(report, CrashReport)
        self.count += 1
        # Saving the draft must not turn one crash into a loop of them.
        with contextlib.suppress(Exception):
            self._on_crash()
        if self.box is not None and self.box.isVisible():
            more = self.count - 1
            self.box.setInformativeText(
                f"{more} more unexpected error(s) since. Details are in:\n{report.log_path}"
            )
            return
        self.count = 1
        box = QMessageBox(self._parent_widget())
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Unexpected error")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(
            f"Something went wrong: {report.summary}\n\n"
            "Your edit is kept as a draft and the editor keeps running."
        )
        box.setInformativeText(f"Details are in the log:\n{report.log_path}")
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.show()
        self.box = box
