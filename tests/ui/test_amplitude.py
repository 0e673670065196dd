"""The amplitude display: vertical zoom (Ctrl+wheel, menu) and a labelled dB scale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QToolBar
from pytestqt.qtbot import QtBot
from view_driver import local_window, screenshot, speech_like_samples, wheel_at

from pvc_sample_editor.ui.amplitude import AmplitudeAxis, AmplitudeScale, displayed
from pvc_sample_editor.ui.main_window import MainWindow
from pvc_sample_editor.ui.waveform import WaveformView

CTRL = Qt.KeyboardModifier.ControlModifier


def test_levels_are_drawn_where_their_decibels_say() -> None:
    y = np.array([1.0, -0.5, 0.01, -0.01, 0.0, 0.001])
    linear = displayed(y, AmplitudeScale())
    assert linear is y  # untouched at 1x linear: nothing computed
    db = displayed(y, AmplitudeScale(db=True))
    expected = [1.0, -(1 - 6.0206 / 60), 1 / 3, -1 / 3, 0.0, 0.0]  # -40 dBFS: a third up
    assert db == pytest.approx(expected, abs=1e-4)
    louder = displayed(y, AmplitudeScale(gain=4.0))
    assert louder == pytest.approx([1.0, -1.0, 0.04, -0.04, 0.0, 0.004])  # clipped at ±1
    assert AmplitudeScale().zoomed(0.5).gain == 1.0
    assert AmplitudeScale().zoomed(1e9).gain == 256.0


def test_the_axis_labels_the_scale_in_use() -> None:
    axis = AmplitudeAxis()
    assert axis.ticks() == [(1.0, "1"), (0.5, "0.5")]
    axis.set_scale(AmplitudeScale(gain=4.0))
    assert axis.ticks() == [(1.0, "0.25"), (0.5, "0.125")]
    axis.set_scale(AmplitudeScale(db=True))
    labels = dict(axis.ticks())
    assert labels[1.0] == "0 dB"
    assert labels[round(1 / 3, 6)] == "-40 dB"
    assert "-60 dB" not in labels.values()  # the floor is the centre line


def _envelope_rows(view: WaveformView, seconds: float) -> int:
    """How many pixel rows the envelope covers near ``seconds`` (its drawn height); the
    envelope's light blue, whether in the kept region's tint or not."""
    QApplication.processEvents()
    image = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    centre = int(view.data_to_widget(seconds).x())
    tallest = 0
    for x in range(centre - 6, centre + 7):  # a few columns: a trace of samples dips
        colours = (image.pixelColor(x, y) for y in range(image.height()))
        tallest = max(tallest, sum(c.blue() > 150 and c.red() > 120 for c in colours))
    return tallest


def _quiet_window(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    path = tmp_path / "tails.wav"
    sf.write(path, speech_like_samples(10.0), 8000, subtype="PCM_16")
    return local_window(qtbot, path)


def test_ctrl_wheel_makes_a_quiet_tail_visible_and_the_menu_resets_it(
    qtbot: QtBot, tmp_path: Path
) -> None:
    window = _quiet_window(qtbot, tmp_path)
    view = window.waveform
    view.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Equal)  # a few seconds in view: tails are columns
    qtbot.keyClick(window, Qt.Key.Key_Equal)
    tail = 0.7
    view.set_view_range_secs(0.0, 2.5)
    flat = _envelope_rows(view, tail)
    loud = _envelope_rows(view, 0.2)
    vp = view.viewport()
    wheel_at(vp, QPointF(vp.width() / 2, vp.height() / 2), 8, CTRL)  # +24 dB
    assert view.amplitude.gain == pytest.approx(16.0)
    assert view.view_range_secs() == pytest.approx((0.0, 2.5))  # time did not zoom
    tall = _envelope_rows(view, tail)
    assert tall >= 6 * max(flat, 1)
    assert _envelope_rows(view, 0.2) >= loud  # the loud part clips, it does not shrink
    qtbot.keyClick(window, Qt.Key.Key_Down, CTRL)
    assert view.amplitude.gain == pytest.approx(8.0)
    qtbot.keyClick(window, Qt.Key.Key_0, CTRL)
    assert view.amplitude.gain == 1.0
    assert _envelope_rows(view, tail) == flat


def test_the_db_view_shows_minus_forty_db_tails_a_third_of_the_way_up(
    qtbot: QtBot, tmp_path: Path
) -> None:
    window = _quiet_window(qtbot, tmp_path)
    view = window.waveform
    view.set_view_range_secs(0.0, 2.5)
    flat = _envelope_rows(view, 0.7)
    toolbar = window.findChild(QToolBar, "mainToolbar")
    qtbot.mouseClick(toolbar.widgetForAction(window.db_action), Qt.MouseButton.LeftButton)
    assert view.amplitude.db
    screenshot(window, "db-view")
    height = view.getPlotItem().getViewBox().height()
    rows = _envelope_rows(view, 0.7)
    assert rows == pytest.approx(2 / 3 * height / 2.1, rel=0.15)  # ±1/3 of ±1.05
    assert rows > 10 * max(flat, 1)
    labels = [text for _p, text in view.getPlotItem().getAxis("left").ticks()]
    assert "-40 dB" in labels
    qtbot.keyClick(window, Qt.Key.Key_F)  # the whole file, for the record
    screenshot(window, "db-view-whole-file")
