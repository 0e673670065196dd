"""What the waveform tests share: real audio made on the spot, the wheel, screenshots."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile as sf
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from pvc_sample_editor.audio.document import AudioDocument, document_from_bytes
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.main_window import MainWindow
from pvc_sample_editor.ui.waveform import WaveformView

SHOTS = Path("/tmp/pvc-shots")


def speech_like_samples(seconds: float, rate: int = 8000, tail_db: float = -40.0) -> np.ndarray:
    """Loud bursts for 0.4 s of each second, a quiet tail at ``tail_db`` dBFS after them."""
    t = np.arange(int(seconds * rate)) / rate
    level = np.where((t % 1.0) < 0.4, 0.5, 10 ** (tail_db / 20))
    return (level * np.sin(2 * np.pi * 150 * t)).astype(np.float32)


def speech_like(seconds: float, rate: int = 8000, tail_db: float = -40.0) -> AudioDocument:
    """:func:`speech_like_samples` as a document in memory."""
    buffer = io.BytesIO()
    sf.write(buffer, speech_like_samples(seconds, rate, tail_db), rate, format="WAV")
    return document_from_bytes(buffer.getvalue(), "audio/wav", label="speech-like")


def shown_view(qtbot: QtBot, doc: AudioDocument, width: int = 1200) -> WaveformView:
    """A waveform view on its own, shown at ``width`` px, drawing ``doc``."""
    view = WaveformView()
    qtbot.addWidget(view)
    view.resize(width, 300)
    view.show()
    qtbot.waitExposed(view)
    view.set_source(doc, doc.duration_secs)
    QApplication.processEvents()
    return view


def local_window(
    qtbot: QtBot, path: Path | None = None, settings: QSettings | None = None
) -> MainWindow:
    """An editor window with no server, shown and active, with ``path`` loaded if given."""
    window = MainWindow(
        EditorController(None), player=None, settings=settings, confirm=lambda t, x: True
    )
    qtbot.addWidget(window)
    window.resize(1200, 780)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    if path is not None:
        window.open_path(path)
        qtbot.waitUntil(lambda: window.controller.audio is not None, timeout=20000)
    return window


def wheel_at(
    widget: QWidget,
    pos: QPointF,
    notches: int,
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    """Turn the mouse wheel ``notches`` clicks (positive: away from the user) at ``pos``."""
    event = QWheelEvent(
        pos,
        QPointF(widget.mapToGlobal(pos.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)
    QApplication.processEvents()


def screenshot(widget: QWidget, name: str) -> Path:
    """Grab ``widget`` offscreen into /tmp/pvc-shots/``name``.png to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    assert widget.grab().save(str(path))
    return path
