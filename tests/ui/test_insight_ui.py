"""The audio check in the editor: markers, jumping to them, the kept region's report,
Suggest Trims and snapping, driven with real mouse and keyboard events."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from ui_driver import Editor, drag_handle_to, ms_per_pixel

from pvc_sample_editor.analysis import analyse_file
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.main_window import MainWindow

CLIP_AT_S = 12.0  # where the test file is driven into clipping
PAUSE = (20.0, 24.0)  # a 4 s hole of room tone inserted into the speech


def _doctored_demo(editor: Editor, tmp_path: Path) -> Path:
    """The demo interview with a burst of clipping and a long pause at known places."""
    data, rate = sf.read(editor.server.demo.audio_path, dtype="float32")
    mono = data if data.ndim == 1 else data.mean(axis=1)
    out = mono.copy()
    c = int(CLIP_AT_S * rate)
    out[c : c + 200] = np.where(np.arange(200) % 2 == 0, 1.0, -1.0)
    hole = slice(int(PAUSE[0] * rate), int(PAUSE[1] * rate))
    out[hole] = np.random.default_rng(1).normal(0, 1e-4, hole.stop - hole.start)
    path = tmp_path / "doctored.wav"
    sf.write(path, out, rate, subtype="PCM_16")
    return path


def _window(qtbot: QtBot) -> MainWindow:
    answers: list[str] = []
    window = MainWindow(
        EditorController(None), player=None, confirm=lambda t, x: answers.append(t) is None
    )
    window.asked = answers  # type: ignore[attr-defined]
    qtbot.addWidget(window)
    window.resize(1400, 860)
    window.show()
    qtbot.waitExposed(window)
    return window


def _open(qtbot: QtBot, window: MainWindow, path: Path) -> None:
    window.open_path(path)
    qtbot.waitUntil(lambda: window.insight.whole is not None, timeout=20000)
    qtbot.waitUntil(lambda: window.report_panel.report is not None
                    and window.report_panel.report.complete, timeout=20000)  # fmt: skip


def test_markers_show_the_clipping_and_the_pause_and_n_jumps_to_them(
    qtbot: QtBot, editor: Editor, tmp_path: Path
) -> None:
    window = _window(qtbot)
    _open(qtbot, window, _doctored_demo(editor, tmp_path))
    marks = window.waveform.markers
    clips = [m for m in marks if m.kind == "clipping"]
    pauses = [m for m in marks if m.kind == "pause"]
    assert any(abs(m.start_ms - CLIP_AT_S * 1000) <= 10 for m in clips), clips
    assert any(m.start_ms <= PAUSE[0] * 1000 + 400 and m.end_ms >= PAUSE[1] * 1000 - 400
               for m in pauses), pauses  # fmt: skip
    wf = window.waveform
    wf.setFocus()
    wf.set_playhead(round(CLIP_AT_S * 1000) - 2000)
    qtbot.keyClick(wf, Qt.Key.Key_N)
    assert wf.playhead_ms() == min(
        m.start_ms for m in marks if m.start_ms > CLIP_AT_S * 1000 - 2000
    )
    qtbot.keyClick(wf, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    assert wf.playhead_ms() is not None
    assert wf.playhead_ms() < CLIP_AT_S * 1000 - 2000
    window.close()


def test_the_report_follows_the_trims_and_drops_what_went_stale(
    qtbot: QtBot, editor: Editor, tmp_path: Path
) -> None:
    path = _doctored_demo(editor, tmp_path)
    window = _window(qtbot)
    _open(qtbot, window, path)
    panel = window.report_panel
    assert panel.report is not None
    assert panel.report.finding("clipping").verdict.value == "fail"  # the whole file
    c = window.controller
    c.set_trims(1000, 11_000)  # first a region with no clipping …
    c.set_trims(13_000, 19_000)  # … then another before the first is measured
    qtbot.waitUntil(lambda: panel.report is not None and panel.report.complete
                    and panel.report.start_ms == 13_000, timeout=20000)  # fmt: skip
    report = panel.report
    assert report.end_ms == 19_000
    assert report.finding("clipping").verdict.value == "ok"
    expected = analyse_file(path, 13_000, 19_000)  # the same figures, measured directly
    assert report.rms_dbfs == expected.rms_dbfs
    assert panel.table.rowCount() == len(report.findings)
    window.close()


def test_suggest_trims_is_one_undoable_step_and_asks_before_replacing_trims(
    qtbot: QtBot, editor: Editor, tmp_path: Path
) -> None:
    window = _window(qtbot)
    path = Path(editor.server.demo.audio_path)
    _open(qtbot, window, path)
    whole = window.insight.whole
    assert whole is not None
    assert whole.suggested_trim_start_ms is not None
    assert whole.suggested_trim_end_ms is not None
    qtbot.mouseClick(window.report_panel.suggest_button, Qt.MouseButton.LeftButton)
    session = window.controller.session
    assert session is not None
    pad = window.report_panel.padding.value()
    assert session.edit.trim_start_ms == max(0, whole.suggested_trim_start_ms - pad)
    assert session.edit.trim_end_ms == min(whole.end_ms, whole.suggested_trim_end_ms + pad)
    assert window.asked == []  # untouched trims are replaced without asking
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert (session.edit.trim_start_ms, session.edit.trim_end_ms) == (0, whole.end_ms)
    window.controller.set_trims(700, 9000)  # the user's own trims
    window.confirm = lambda _t, _x: False
    qtbot.mouseClick(window.report_panel.suggest_button, Qt.MouseButton.LeftButton)
    assert (session.edit.trim_start_ms, session.edit.trim_end_ms) == (700, 9000)
    window.close()


def test_a_dragged_handle_snaps_to_speech_unless_shift_is_held(
    qtbot: QtBot, editor: Editor
) -> None:
    window = editor.window
    wf = window.waveform
    qtbot.waitUntil(lambda: window.insight.whole is not None, timeout=20000)
    whole = window.insight.whole
    assert whole is not None
    px = ms_per_pixel(wf)
    edges = sorted({e for seg in whole.speech_segments for e in seg})
    # Speech starts with no other edge within 12 pixels: 4 pixels off one is nearest it.
    starts = [
        a
        for a, _b in whole.speech_segments
        if a > 5000 and all(e == a or abs(e - a) > 12 * px for e in edges)
    ]
    near = (starts[0] + 4 * px) / 1000  # 4 pixels off a speech edge
    drag_handle_to(wf, 0, near)
    session = editor.controller.session
    assert session is not None
    assert session.edit.trim_start_ms == starts[0]
    assert wf.snapped_to is None  # the snap mark goes when the drag ends
    # With Shift held the handle goes where the mouse goes, near another edge.
    other = next(e for e in edges if e > 5000 and abs(e - starts[0]) > 20 * px)
    near_other = (other + 4 * px) / 1000
    drag_handle_to(wf, 0, near_other, modifiers=Qt.KeyboardModifier.ShiftModifier)
    assert abs(session.edit.trim_start_ms - near_other * 1000) <= px * 1.01
    assert session.edit.trim_start_ms != other
    QApplication.processEvents()


def test_a_file_checked_before_is_not_read_again_unless_it_changed(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Moving back to a sample shows its whole-file markers at once; a rewrite is re-read."""
    import pvc_sample_editor.analysis as analysis

    read: list[Path] = []
    real = analysis.analyse_file

    def counting(path: Path, *args: object, **kwargs: object) -> object:
        read.append(Path(path))
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(analysis, "analyse_file", counting)
    rate = 16_000
    one, two = tmp_path / "one.wav", tmp_path / "two.wav"
    rng = np.random.default_rng(5)
    for path in (one, two):
        sf.write(path, (0.2 * rng.standard_normal(3 * rate)).astype(np.float32), rate)
    window = _window(qtbot)
    for path in (one, two, one):
        window.open_path(path)
        qtbot.waitUntil(
            lambda p=path: window.insight.whole is not None and window.controller.local_path == p,
            timeout=20000,
        )
    assert read == [one, two]  # the third open reused the first report
    sf.write(one, (0.1 * rng.standard_normal(4 * rate)).astype(np.float32), rate)
    window.open_path(two)
    qtbot.waitUntil(lambda: window.controller.local_path == two, timeout=20000)
    window.open_path(one)
    qtbot.waitUntil(
        lambda: window.insight.whole is not None and window.controller.local_path == one,
        timeout=20000,
    )
    assert read == [one, two, one]  # rewritten on disk: read again
    window.close()


def test_a_long_summary_ends_in_an_ellipsis_and_says_itself_whole_on_hover(
    qtbot: QtBot,
) -> None:
    window = _window(qtbot)
    summary = window.report_panel.summary
    long_text = "Background noise is too loud: " + "record in a quieter room, " * 12 + "end."
    summary.setText(long_text)
    assert summary.text().endswith("…")
    assert len(summary.text()) < len(long_text)
    assert summary.toolTip() == long_text
    summary.setText("Short.")
    assert (summary.text(), summary.toolTip()) == ("Short.", "")
    window.close()
