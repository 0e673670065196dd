"""Drive the editor the way a person does: real mouse events at data coordinates."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

from pvc_sample_editor.api.client import ApiClient
from pvc_sample_editor.api.models import Sample
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.main_window import MainWindow
from pvc_sample_editor.ui.waveform import WaveformView

LEFT = Qt.MouseButton.LeftButton
NO_BUTTON = Qt.MouseButton.NoButton
NO_MODIFIER = Qt.KeyboardModifier.NoModifier


def send_mouse(
    widget: QWidget,
    kind: QEvent.Type,
    pos: QPointF,
    button: Qt.MouseButton,
    buttons: Qt.MouseButton,
    modifiers: Qt.KeyboardModifier = NO_MODIFIER,
) -> None:
    """Send one mouse event. QTest.mouseMove cannot hold a button down; this can."""
    global_pos = QPointF(widget.mapToGlobal(pos.toPoint()))
    event = QMouseEvent(kind, pos, global_pos, button, buttons, modifiers)
    QApplication.sendEvent(widget, event)


def handle_pos(view: WaveformView, index: int) -> QPointF:
    """Viewport position of a trim handle, at mid-height."""
    start, end = view.trims_secs()
    return view.data_to_widget(start if index == 0 else end)


# pyqtgraph drops mouse moves that come faster than its rate limit (100/s); the hover
# move before a press decides which item receives the drag, so it must not be dropped.
MOVE_INTERVAL = 0.012


def pause() -> None:
    """Wait as long as a hand would between two mouse moves, processing events."""
    deadline = time.perf_counter() + MOVE_INTERVAL
    while time.perf_counter() < deadline:
        QApplication.processEvents()


def drag(
    view: WaveformView,
    start: QPointF,
    end: QPointF,
    steps: int = 12,
    modifiers: Qt.KeyboardModifier = NO_MODIFIER,
) -> None:
    """Hover, press at ``start``, move in steps with the button held, release at ``end``."""
    vp = view.viewport()
    pause()
    send_mouse(vp, QEvent.Type.MouseMove, start, NO_BUTTON, NO_BUTTON, modifiers)
    pause()
    send_mouse(vp, QEvent.Type.MouseButtonPress, start, LEFT, LEFT, modifiers)
    for i in range(1, steps + 1):
        pause()
        p = start + (end - start) * (i / steps)
        send_mouse(vp, QEvent.Type.MouseMove, p, NO_BUTTON, LEFT, modifiers)
    send_mouse(vp, QEvent.Type.MouseButtonRelease, end, LEFT, NO_BUTTON, modifiers)
    QApplication.processEvents()


def drag_handle_to(
    view: WaveformView,
    index: int,
    seconds: float,
    modifiers: Qt.KeyboardModifier = NO_MODIFIER,
) -> None:
    """Drag the start (0) or end (1) handle to ``seconds`` on the time axis."""
    drag(view, handle_pos(view, index), view.data_to_widget(seconds), modifiers=modifiers)


def ms_per_pixel(view: WaveformView) -> float:
    """How many milliseconds one horizontal pixel spans at the current zoom."""
    x0, x1 = view.view_range_secs()
    return (x1 - x0) * 1000.0 / max(view.getPlotItem().getViewBox().width(), 1.0)


def click_at(widget: QWidget, pos: QPoint | QPointF) -> None:
    """A left click (press and release) at ``pos``."""
    p = QPointF(pos)
    send_mouse(widget, QEvent.Type.MouseButtonPress, p, LEFT, LEFT)
    send_mouse(widget, QEvent.Type.MouseButtonRelease, p, LEFT, NO_BUTTON)


@dataclass
class Editor:
    """The window under test plus what the test needs to check the server."""

    window: MainWindow
    controller: EditorController
    server: Any
    check: ApiClient

    def server_sample(self) -> Sample:
        """The sample as the emulator now holds it."""
        demo = self.server.demo
        return self.check.get_sample(demo.voice_id, demo.sample_id)


def separate_speakers(qtbot: Any, window: MainWindow, count: int = 2) -> None:
    """Click Separate and wait, as a person would, until every speaker's row is on screen.

    The rows are built when the result arrives but laid out and shown a moment later; a
    click in between lands on a checkbox that is not there yet.
    """
    sp = window.speakers_panel
    qtbot.mouseClick(sp.separate_button, Qt.MouseButton.LeftButton)
    ids = [f"speaker_{i}" for i in range(count)]
    qtbot.waitUntil(
        lambda: all(sid in sp._boxes and sp.checkbox(sid).isVisible() for sid in ids),
        timeout=10000,
    )


def submit_and_wait(qtbot: Any, ed: Editor, timeout: int = 20000) -> None:
    """Press Ctrl+S like a user and wait until the submission settles."""
    assert ed.window.submit_button.isEnabled(), ed.window.reason_label.text()
    qtbot.keyClick(ed.window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not ed.controller.submitting, timeout=timeout)


def shown_window(
    qtbot: Any, controller: EditorController, player: Any = None, settings: Any = None
) -> MainWindow:
    """A window shown, active and never asking (tests answer for the user)."""
    window = MainWindow(
        controller, player=player, settings=settings, confirm=lambda title, text: True
    )
    qtbot.addWidget(window)
    window.resize(1200, 780)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    return window
