"""Nothing on screen moves when a message comes or goes, a field's error shows, or a file loads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from ui_driver import Editor, click_at
from view_driver import local_window, screenshot

from pvc_sample_editor.timecode import format_ms
from pvc_sample_editor.ui.main_window import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier


def _places(window: MainWindow) -> dict[str, QRect]:
    """Where the widgets a hand aims at are, in window coordinates."""
    QApplication.processEvents()
    panel = window.edit_panel
    widgets: dict[str, QWidget] = {
        "waveform": window.waveform,
        "overview": window.overview,
        "start": panel.start_field.spin,
        "end": panel.end_field.spin,
        "noise": panel.noise_box,
        "name": panel.file_name_edit,
        "speakers": window.speakers_panel,
        "submit": window.submit_button,
    }
    return {key: QRect(w.mapTo(window, w.rect().topLeft()), w.size()) for key, w in widgets.items()}


def _type_into(qtbot: QtBot, widget: QWidget, text: str) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_the_first_edit_an_error_and_a_status_message_move_nothing(
    qtbot: QtBot, editor: Editor
) -> None:
    """The issue's case: after the first edit a click meant for End landed in Start."""
    w = editor.window
    before = _places(w)
    assert w.reason_label.text() == "No changes to submit."
    _type_into(qtbot, w.edit_panel.start_field.spin, "2000")  # the first edit
    assert not w.reason_label.isVisible()
    assert _places(w) == before
    _type_into(qtbot, w.edit_panel.end_field.spin, "2300")  # too short: errors show
    assert w.edit_panel.errors["trim_end_ms"].isVisible()
    assert _places(w) == before
    screenshot(w, "short-region-refused")
    _type_into(qtbot, w.edit_panel.start_field.spin, "400")
    w.statusBar().showMessage("a status line", 1000)
    w.statusBar().clearMessage()
    assert _places(w) == before
    _type_into(qtbot, w.edit_panel.file_name_edit, "bad/name.wav")
    assert w.edit_panel.errors["file_name"].isVisible()
    assert _places(w) == before
    w.report_panel.show_unavailable("A finding long enough to take several lines. " * 4)
    assert _places(w) == before  # the audio check's line beside the edit panel


def _tone(path: Path, seconds: float, rate: int = 16000) -> Path:
    """A tone, written a minute at a time (FLAC decodes slowly enough to show progress)."""
    t = np.arange(60 * rate) / rate
    minute = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    with sf.SoundFile(path, "w", rate, 1) as out:
        for start in np.arange(0.0, seconds, 60.0):
            out.write(minute[: int(min(60.0, seconds - start) * rate)])
    return path


def test_loading_another_file_moves_nothing_and_the_old_one_does_not_pretend(
    qtbot: QtBot, tmp_path: Path
) -> None:
    window = local_window(qtbot, _tone(tmp_path / "first.wav", 5.0))
    before = _places(window)
    first_doc = window.controller.audio
    seen: list[tuple[str, str, bool]] = []

    def watch(_progress: object) -> None:
        if not seen:
            screenshot(window, "loading-another-file")
        seen.append(
            (window.title_label.text(), window.load_progress.format(), window.waveform.loading)
        )
        assert _places(window) == before

    window.controller.audio_progress.connect(watch)
    second = _tone(tmp_path / "second.flac", 20 * 60.0)
    window.open_path(second)
    qtbot.waitUntil(lambda: window.controller.audio is not first_doc, timeout=20000)
    assert seen, "a long file's load reports progress"
    title, progress, dimmed = seen[0]
    assert "second.flac" in title
    assert "second.flac" in progress
    assert dimmed  # the old picture is dimmed while the new file loads
    assert not window.waveform.loading
    assert window.title_label.text() == "second.flac"
    assert _places(window) == before


def test_the_cursors_time_is_shown_beside_it(qtbot: QtBot, tmp_path: Path) -> None:
    """Where Play from Cursor starts, read on screen without setting a handle there."""
    window = local_window(qtbot, _tone(tmp_path / "take.wav", 20.0))
    view = window.waveform
    label = view.cursor_label
    assert not label.isVisibleTo(view.getPlotItem())  # no cursor yet, no time
    click_at(view.viewport(), view.data_to_widget(12.5))
    ms = view.playhead_ms()
    assert ms is not None
    assert abs(ms - 12500) < 50
    QApplication.processEvents()
    assert label.isVisibleTo(view.getPlotItem())
    assert label.toPlainText().strip() == format_ms(ms)
    rect = view.viewportTransform().mapRect(label.mapToScene(label.boundingRect()).boundingRect())
    assert QRectF(view.viewport().rect()).contains(rect)
    assert rect.left() >= view.data_to_widget(ms / 1000).x() - 1  # beside the cursor line
    click_at(view.viewport(), view.data_to_widget(3.0))
    assert label.toPlainText().strip() == format_ms(view.playhead_ms() or 0)
    screenshot(window, "cursor-time")
