"""The overview strip: the whole file, the visible window and the kept region; it pans."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from ui_driver import LEFT, NO_BUTTON, click_at, drag_handle_to, pause, send_mouse
from view_driver import local_window, screenshot, wheel_at

from pvc_sample_editor.ui.main_window import MainWindow

SECONDS = 60.0


def _window(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    rate = 8000
    t = np.arange(int(SECONDS * rate)) / rate
    level = np.where((t % 4.0) < 2.0, 0.6, 0.05)  # 2 s loud, 2 s quiet: a visible pattern
    path = tmp_path / "long.wav"
    sf.write(path, (level * np.sin(2 * np.pi * 200 * t)).astype(np.float32), rate)
    window = local_window(qtbot, path)
    window.controller.set_trims(10_000, 40_000)
    qtbot.waitUntil(lambda: window.overview.up_to_date)  # a handle's move shows within 33 ms
    return window


def _zoom_in(qtbot: QtBot, window: MainWindow, times: int) -> None:
    window.waveform.setFocus()
    for _ in range(times):
        qtbot.keyClick(window, Qt.Key.Key_Equal)


def _span(window: MainWindow) -> float:
    x0, x1 = window.waveform.view_range_secs()
    return x1 - x0


def _strip(window: MainWindow) -> QImage:
    """The strip as on screen: the window's backing store, painted by Qt's own (partial)
    updates; QWidget.grab() would repaint it all and hide a stale part."""
    for _ in range(3):
        QApplication.processEvents()
    strip = window.overview
    origin = strip.mapTo(window, strip.rect().topLeft())
    shot = window.screen().grabWindow(
        window.winId(), origin.x(), origin.y(), strip.width(), strip.height()
    )
    return shot.toImage().convertToFormat(QImage.Format.Format_RGB32)


def test_the_strip_shows_the_window_and_the_kept_region(qtbot: QtBot, tmp_path: Path) -> None:
    window = _window(qtbot, tmp_path)
    strip = window.overview
    _zoom_in(qtbot, window, 3)
    assert _span(window) == pytest.approx(SECONDS / 8)
    box = strip.window_rect()
    assert box.width() == pytest.approx(strip.width() / 8, abs=1.5)
    screenshot(window, "overview-strip")
    image = _strip(window)
    y = strip.height() // 2 + 12  # below the envelope's loud parts
    inside = image.pixelColor(int(box.center().x()), y)
    outside_kept = image.pixelColor(int(strip.secs_to_x(50.0)), y)
    in_kept = image.pixelColor(int(strip.secs_to_x(15.0)), y)  # kept, outside the box
    edge = max(
        (image.pixelColor(int(box.left()) + dx, y) for dx in (-1, 0, 1)),
        key=lambda c: c.lightness(),
    )
    assert edge.lightness() > inside.lightness() + 60  # the box's outline
    assert in_kept.green() > outside_kept.green() + 10  # the kept region is tinted
    assert inside.lightness() > in_kept.lightness()  # the box is lighter still


def test_click_jumps_drag_moves_and_the_wheel_pans(qtbot: QtBot, tmp_path: Path) -> None:
    window = _window(qtbot, tmp_path)
    strip = window.overview
    _zoom_in(qtbot, window, 3)
    span = _span(window)
    y = strip.height() / 2
    click_at(strip, QPointF(strip.secs_to_x(40.0), y))
    x0, x1 = window.waveform.view_range_secs()
    assert (x0 + x1) / 2 == pytest.approx(40.0, abs=SECONDS / strip.width() * 1.5)
    assert x1 - x0 == pytest.approx(span)

    grab = strip.window_rect().center()
    send_mouse(strip, QEvent.Type.MouseButtonPress, grab, LEFT, LEFT)
    for step in range(1, 6):
        pause()
        send_mouse(strip, QEvent.Type.MouseMove, grab - QPointF(20 * step, 0), NO_BUTTON, LEFT)
    send_mouse(strip, QEvent.Type.MouseButtonRelease, grab - QPointF(100, 0), LEFT, NO_BUTTON)
    moved = window.waveform.view_range_secs()
    assert moved[0] == pytest.approx(x0 - 100 * SECONDS / strip.width(), abs=0.01)
    assert moved[1] - moved[0] == pytest.approx(span)

    wheel_at(strip, QPointF(10, y), -2)  # towards the user: later in the file
    panned = window.waveform.view_range_secs()
    assert panned[0] > moved[0] + 0.2 * span

    click_at(strip, QPointF(1, y))  # the very start: the view stops at 0
    assert window.waveform.view_range_secs()[0] == pytest.approx(0.0, abs=1e-6)


def test_a_long_files_overview_comes_from_its_peaks_not_its_samples(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """Twenty minutes across a thousand pixels: the strip never reads a sample."""
    path = tmp_path / "twenty-minutes.wav"
    rate = 8000
    with sf.SoundFile(path, "w", rate, 1, subtype="PCM_16") as out:
        minute = (0.3 * np.sin(2 * np.pi * 200 * np.arange(60 * rate) / rate)).astype(np.float32)
        for _ in range(20):
            out.write(minute)
    window = local_window(qtbot, path)
    doc = window.controller.audio
    qtbot.waitUntil(lambda: doc.pyramid is not None and doc.pyramid.complete, timeout=20000)
    reads: list[tuple[int, int]] = []
    real = doc.reader.read_mono

    def counting(start: int, stop: int) -> np.ndarray:
        reads.append((start, stop))
        return real(start, stop)

    doc.reader.read_mono = counting  # type: ignore[method-assign]
    strip = window.overview
    strip.resize(strip.width() - 100, strip.height())  # a new width: a new envelope
    strip.repaint()
    assert strip._pixmap_key is not None
    assert strip._pixmap_key[2] == strip.width()
    assert reads == []


def test_a_dragged_handle_moves_on_the_strip_too(qtbot: QtBot, tmp_path: Path) -> None:
    """The strip repaints only what a handle swept; what it shows must still follow."""
    window = _window(qtbot, tmp_path)  # kept 10-40 s, the whole file in view
    strip = window.overview
    y = strip.height() // 2 + 12
    x = int(strip.secs_to_x(35.0))
    kept = _strip(window).pixelColor(x, y)
    drag_handle_to(window.waveform, 1, 30.0)
    assert abs(window.controller.session.edit.trim_end_ms - 30_000) < 200
    qtbot.waitUntil(lambda: window.overview.up_to_date)
    cut = _strip(window).pixelColor(x, y)
    assert cut.green() < kept.green() - 10
    untouched = int(strip.secs_to_x(20.0))
    assert _strip(window).pixelColor(untouched, y) == kept
