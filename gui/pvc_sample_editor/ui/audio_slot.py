"""The one audio document the window shows, and the one load that may replace it.

Every load (a local file, the server's preview) goes through here: a newer load cancels
the one in flight, a load that finishes for a session the window has left is dropped by
the runner (its reader closed), and the document it replaces is closed once the new one
is in. Progress goes out as :class:`~pvc_sample_editor.audio.document.LoadProgress`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from pvc_sample_editor.audio.document import AudioDocument, LoadProgress
from pvc_sample_editor.ui.tasks import Task, TaskRunner

__all__ = ["AudioSlot"]


class AudioSlot(QObject):
    """Holds the shown document; runs loads one at a time on its own thread."""

    progressed = Signal(object)  # LoadProgress of the load in flight

    def __init__(self, current_generation: Callable[[], int], parent: QObject | None = None):
        super().__init__(parent)
        self.document: AudioDocument | None = None
        self._runner = TaskRunner(
            "audio", max_threads=1, parent=self, current_generation=current_generation
        )
        self._task: Task[Any] | None = None

    def load(
        self,
        work: Callable[[threading.Event], AudioDocument],
        on_loaded: Callable[[AudioDocument], None],
        on_failed: Callable[[BaseException], None],
        *,
        name: str,
        generation: int | None,
    ) -> None:
        """Run ``work``; its document replaces the shown one, then ``on_loaded`` runs.

        With ``generation`` the load is for that session only. A failed load leaves the
        shown document as it is.
        """
        self.cancel()

        def loaded(doc: AudioDocument) -> None:
            self._task = None
            old, self.document = self.document, doc
            if old is not None:
                old.close()
            on_loaded(doc)

        def failed(exc: BaseException) -> None:
            self._task = None
            on_failed(exc)

        self._task = self._runner.submit(
            work,
            on_result=loaded,
            on_error=failed,
            on_progress=self._on_progress,
            # A load that arrives stale or cancelled still opened a reader: close it.
            on_dropped=lambda doc: doc.close(),
            name=name,
            generation=generation,
        )

    def _on_progress(self, value: object) -> None:
        if isinstance(value, LoadProgress):
            self.progressed.emit(value)

    def cancel(self) -> None:
        """Drop the load in flight, if any."""
        if self._task is not None:
            self._task.cancel()

    def release(self) -> AudioDocument | None:
        """Stop loading and hand over the shown document (the caller closes it)."""
        self.cancel()
        document, self.document = self.document, None
        return document

    def shutdown(self) -> None:
        """Stop loading, wait for the worker, close the shown document."""
        self.cancel()
        self._runner.shutdown()
        if self.document is not None:
            self.document.close()
            self.document = None
