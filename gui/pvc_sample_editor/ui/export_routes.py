"""File → Export Kept Region: choose a name, write the file off the GUI thread, say the outcome.

The work is :func:`pvc_sample_editor.audio.export.export_region` (no Qt), run on its own
one-thread :class:`~pvc_sample_editor.ui.tasks.TaskRunner`; its progress shows in a bar
at the status bar's right, so an hour-long file never freezes the window. It needs no
key and no network.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMainWindow, QProgressBar

from pvc_sample_editor.audio.errors import AudioLoadError
from pvc_sample_editor.audio.export import (
    EXPORT_SUFFIXES,
    ExportCancelled,
    ExportError,
    ExportResult,
    export_region,
)
from pvc_sample_editor.timecode import format_ms
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.tasks import Task, TaskRunner, report_progress

__all__ = ["EXPORT_FILTER", "ExportRoutes"]

EXPORT_FILTER = "FLAC, lossless and smaller (*.flac);;WAV (*.wav *.wave)"
NO_LOCAL_COPY = (
    "There is no local file to export from: the server's preview holds only the first "
    "30 s. Open the local copy first (File → Open Local Copy)."
)


class ExportRoutes(QObject):
    """Runs the export action: the dialog, the work, the progress and the outcome."""

    def __init__(
        self,
        window: QMainWindow,
        controller: EditorController,
        action: QAction,
        say: Callable[[str], None],
        before: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._c = controller
        self._say = say
        self._before = before
        self._runner = TaskRunner("export", parent=self)
        self._task: Task[ExportResult] | None = None
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(160)
        self.progress.setFormat("Exporting %p%")
        self.progress.hide()
        window.statusBar().addPermanentWidget(self.progress)
        #: Asks for the destination; a save dialog unless a caller answers instead.
        self.choose: Callable[[Path], Path | None] = self._ask
        action.triggered.connect(self.export)

    @property
    def busy(self) -> bool:
        """True while an export runs."""
        return self._task is not None

    def _ask(self, suggested: Path) -> Path | None:
        chosen, selected = QFileDialog.getSaveFileName(
            self._window, "Export the kept region", str(suggested), EXPORT_FILTER
        )
        if not chosen:
            return None
        path = Path(chosen)
        if path.suffix.lower() not in EXPORT_SUFFIXES:  # the dialog's filter names it
            path = path.with_name(path.name + (".wav" if selected.startswith("WAV") else ".flac"))
        return path

    def export(self) -> None:
        """Ask where, then write the kept region there (File → Export Kept Region)."""
        self._before()
        session, source = self._c.session, self._c.local_path
        if session is None:
            self._say("Open a sample or a file first.")
            return
        if source is None or self._c.audio is None:
            self._say(NO_LOCAL_COPY)
            return
        if self._task is not None:
            self._say("An export is already running.")
            return
        suffix = ".wav" if source.suffix.lower() in (".wav", ".wave") else ".flac"
        dest = self.choose(source.with_name(f"{source.stem} (kept){suffix}"))
        if dest is None:
            return
        start, end = session.edit.trim_start_ms, session.edit.trim_end_ms

        def work(cancel: threading.Event) -> ExportResult:
            return export_region(
                source, start, end, dest, should_stop=cancel.is_set, on_progress=report_progress
            )

        self.progress.setValue(0)
        self.progress.show()
        self._say(f"Exporting the kept region to {dest.name}…")
        self._task = self._runner.submit(
            work,
            on_result=self._done,
            on_error=self._failed,
            on_progress=lambda f: self.progress.setValue(int(float(f) * 1000)),
            on_settled=self._settled,
            name="export",
        )

    def _done(self, result: ExportResult) -> None:
        bits = result.subtype.replace("PCM_", "") + "-bit" if "PCM" in result.subtype else "float"
        text = (
            f"Exported {format_ms(result.duration_ms)} to {result.path.name} "
            f"({result.format}, {result.samplerate} Hz, {bits})."
        )
        self._say(f"{text} {result.note}".strip())

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ExportCancelled):
            self._say("The export was cancelled; nothing was written.")
        elif isinstance(exc, (ExportError, AudioLoadError)):
            self._say(str(exc))
        else:
            self._say(f"The export failed: {exc}")

    def _settled(self) -> None:
        self._task = None
        self.progress.hide()

    def shutdown(self) -> None:
        """Cancel a running export (its partial file is removed) and wait for it."""
        self._runner.shutdown()
        self._settled()
