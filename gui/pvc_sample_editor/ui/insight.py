"""Runs the audio check in the background and shows it: markers, snapping, report, suggestion.

Two analyses, both plain functions of :mod:`pvc_sample_editor.analysis` on the runner's
thread, both dropped when they go stale:
- the whole file, once per local copy: where speech, long pauses and clipping are. It
  gives the waveform its markers and the speech edges a dragged handle snaps to, and
  the trims Suggest Trims proposes;
- the kept region, again a moment after the trims settle: the report panel's figures
  (partial ones first, so the first verdicts come at once).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from pvc_sample_editor.audio.source import FileStamp, stamp_of
from pvc_sample_editor.editing import operations as ops
from pvc_sample_editor.editing.session import Change
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.report_panel import NO_AUDIO_TEXT, ReportPanel
from pvc_sample_editor.ui.tasks import Task, TaskRunner, report_progress
from pvc_sample_editor.ui.waveform import Marker, WaveformView

if TYPE_CHECKING:  # the analysis package loads with the first check, not at start-up
    from pvc_sample_editor.analysis import Report

__all__ = ["SETTLE_MS", "InsightBinder", "markers_for"]

#: How long the trims must rest before the kept region is measured again.
SETTLE_MS = 400
#: After a drag or zoom frame, the check waits this long before its next block: it
#: shares the interpreter with the GUI, and a frame must not wait for it.
HOLD_S = 0.3
#: Non-speech at an end shorter than this is not worth a marker.
_MIN_EDGE_MS = 300
#: Whole-file reports kept for files checked this session: moving back to a sample
#: shows its markers at once instead of reading hours of audio again.
_KEPT_REPORTS = 8


def markers_for(report: Report) -> list[Marker]:
    """Clipped spots, long pauses and the silent stretches at the ends of ``report``."""
    marks = [Marker(a, b, "clipping") for a, b in report.clipped_runs]
    marks += [Marker(a, b, "pause") for a, b in report.long_pauses]
    if report.speech_segments:
        first, last = report.speech_segments[0][0], report.speech_segments[-1][1]
        if first - report.start_ms >= _MIN_EDGE_MS:
            marks.append(Marker(report.start_ms, first, "silence"))
        if report.end_ms - last >= _MIN_EDGE_MS:
            marks.append(Marker(last, report.end_ms, "silence"))
    return marks


class InsightBinder(QObject):
    """Keeps the markers, the snap edges and the report panel true to the open audio."""

    whole_file_checked = Signal(object)  # Report of the whole local copy
    region_checked = Signal(object)  # Report of the kept region (complete)

    def __init__(
        self,
        controller: EditorController,
        panel: ReportPanel,
        waveform: WaveformView,
        confirm: Callable[[str, str], bool],
    ) -> None:
        super().__init__(panel)
        self._c = controller
        self._panel = panel
        self._view = waveform
        self._confirm = confirm
        self._runner = TaskRunner(
            "analysis", max_threads=1, parent=self, current_generation=controller.generation_now
        )
        self._file_task: Task[Any] | None = None
        self._region_task: Task[Any] | None = None
        self.whole: Report | None = None  # of the document now shown
        self._whole_path: Path | None = None
        self._reports: dict[tuple[Path, FileStamp | None], Report] = {}
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._check_region)
        self._hold_until = 0.0  # read by the worker between blocks
        controller.audio_loaded.connect(self._on_audio_loaded)
        # A load needs both cores and the view its frames: the check steps aside.
        controller.audio_progress.connect(self._hold)
        waveform.interacted.connect(self._hold)
        controller.session_replaced.connect(self._on_session_replaced)
        controller.session_changed.connect(self._on_session_changed)
        panel.suggest_requested.connect(self.suggest_trims)

    # ---------------------------------------------------------------- wiring

    def _hold(self, *_args: object) -> None:
        self._hold_until = time.monotonic() + HOLD_S

    def _should_stop(self, cancel: threading.Event) -> Callable[[], bool]:
        """What the analysis polls between blocks: wait while the user drags, zooms or a
        file loads; then say whether the task was cancelled."""

        def should_stop() -> bool:
            while not cancel.is_set() and time.monotonic() < self._hold_until:
                cancel.wait(0.02)
            return cancel.is_set()

        return should_stop

    def _path(self) -> Path | None:
        audio = self._c.audio
        return audio.path if audio is not None else None

    def _on_session_changed(self, change: Change) -> None:
        if change is Change.EDIT:
            self._settle.start()  # measured once the trims rest

    def _on_audio_loaded(self) -> None:
        path = self._path()
        if path is None:
            self._show_unavailable(
                "The audio check needs the local copy: open it (File → Open Local Copy)."
            )
            return
        if path != self._whole_path:
            self._check_whole_file(path)
        self._settle.start()

    def _on_session_replaced(self) -> None:
        if self._c.session is None:  # the sample was closed: nothing to check
            self._show_unavailable(NO_AUDIO_TEXT)
        else:
            self._settle.start()

    def _show_unavailable(self, why: str) -> None:
        self.whole = None
        self._view.set_markers([])
        self._view.set_speech([])
        self._panel.suggest_button.setEnabled(False)
        self._panel.show_unavailable(why)

    # ---------------------------------------------------------------- the whole file

    def _check_whole_file(self, path: Path) -> None:
        if self._file_task is not None:
            self._file_task.cancel()
        self.whole, self._whole_path = None, path
        self._panel.suggest_button.setEnabled(False)
        key = (path, stamp_of(path))
        known = self._reports.get(key) if key[1] is not None else None
        if known is not None:  # back to a file checked this session, unchanged on disk
            self._show_whole(known)
            return

        def work(cancel: threading.Event) -> Report:
            from pvc_sample_editor.analysis import AnalysisOptions, analyse_file

            # No padding here: the panel's padding is applied when a suggestion is taken.
            options = AnalysisOptions(trim_padding_ms=0)
            return analyse_file(path, options=options, should_stop=self._should_stop(cancel))

        def done(report: Report) -> None:
            self._file_task = None
            if key[1] is not None:
                self._reports[key] = report
                while len(self._reports) > _KEPT_REPORTS:
                    self._reports.pop(next(iter(self._reports)))
            self._show_whole(report)

        def failed(exc: BaseException) -> None:
            self._file_task = None
            self._panel.show_unavailable(f"The audio could not be checked: {exc}")

        self._file_task = self._runner.submit(
            work, on_result=done, on_error=failed, name="check file", generation=self._c.generation
        )

    def _show_whole(self, report: Report) -> None:
        self.whole = report
        self._view.set_markers(markers_for(report))
        self._view.set_speech(report.speech_segments)
        self._panel.suggest_button.setEnabled(report.suggested_trim_start_ms is not None)
        self.whole_file_checked.emit(report)

    # ---------------------------------------------------------------- the kept region

    def _check_region(self) -> None:
        session, path = self._c.session, self._path()
        if session is None or path is None:
            return
        if self._region_task is not None:
            self._region_task.cancel()
        start, end = session.edit.trim_start_ms, session.edit.trim_end_ms
        audio = self._c.audio
        if audio is None or not 0 <= start < end <= audio.duration_ms:
            return  # the fields say what is wrong with the trims
        self._panel.show_checking()

        def work(cancel: threading.Event) -> Report:
            from pvc_sample_editor.analysis import analyse_file

            def progress(fraction: float, partial: Report) -> None:
                report_progress((fraction, partial))

            return analyse_file(
                path, start, end, should_stop=self._should_stop(cancel), on_progress=progress
            )

        def partial(value: object) -> None:
            if isinstance(value, tuple) and len(value) == 2:
                self._panel.show_report(value[1])

        def done(report: Report) -> None:
            self._region_task = None
            self._panel.show_report(report)
            self.region_checked.emit(report)

        def failed(exc: BaseException) -> None:
            self._region_task = None
            self._panel.show_unavailable(f"The kept region could not be checked: {exc}")

        self._region_task = self._runner.submit(
            work,
            on_result=done,
            on_error=failed,
            on_progress=partial,
            name="check region",
            generation=self._c.generation,
        )

    # ---------------------------------------------------------------- suggestion

    def suggest_trims(self) -> None:
        """Put the handles at the first and last speech, padded: one undoable step.

        Trims the user has set are not replaced without asking.
        """
        session, whole = self._c.session, self.whole
        if session is None or whole is None or whole.suggested_trim_start_ms is None:
            return
        pad = self._panel.padding.value()
        start = max(whole.start_ms, whole.suggested_trim_start_ms - pad)
        end = min(whole.end_ms, (whole.suggested_trim_end_ms or whole.end_ms) + pad)
        edit, base = session.edit, session.baseline
        own = (edit.trim_start_ms, edit.trim_end_ms) != (base.trim_start_ms, base.trim_end_ms)
        if (edit.trim_start_ms, edit.trim_end_ms) == (start, end):
            return
        if own and not self._confirm(
            "Replace your trims?",
            f"Suggest Trims would move the start to {start} ms and the end to {end} ms, "
            "replacing the trims you set (Undo brings them back). Replace them?",
        ):
            return
        new = ops.with_trims(edit, session.duration_ms, start, end)
        self._c.change_edit(new, "Suggest trims")

    def jump_to_marker(self, step: int) -> bool:
        """Put the cursor on the next (1) or previous (-1) marker, in view; False if none."""
        wf = self._view
        here = wf.playhead_ms()
        if here is None:
            here = round(wf.view_range_secs()[0 if step > 0 else 1] * 1000)
        target = wf.next_marker_ms(here, step)
        if target is None:
            return False
        wf.set_playhead(target)
        x0, x1 = wf.view_range_secs()
        if not x0 <= target / 1000 <= x1:
            half = (x1 - x0) / 2
            wf.set_view_range_secs(target / 1000 - half, target / 1000 + half)
        return True

    def shutdown(self) -> None:
        """Stop checking (the window is closing)."""
        self._settle.stop()
        self._runner.shutdown()
