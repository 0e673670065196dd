"""A file overwritten while it is open: one clear message, the picture kept, no crash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from pytestqt.qtbot import QtBot

from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.main_window import MainWindow


def test_a_file_overwritten_while_open_is_said_once_when_the_view_needs_its_samples(
    qtbot: QtBot, tmp_path: Path, warnings_shown: list[str]
) -> None:
    path = tmp_path / "take.flac"
    rate = 16_000
    t = np.arange(rate * 20) / rate
    sf.write(path, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate)
    window = MainWindow(EditorController(None), player=None, confirm=lambda t, x: True)
    qtbot.addWidget(window)
    window.resize(1200, 700)
    window.show()
    qtbot.waitExposed(window)
    window.open_path(path)
    qtbot.waitUntil(lambda: window.controller.audio is not None, timeout=10000)
    sf.write(path, np.zeros(rate, dtype=np.float32), rate)  # another take saved over it
    for seconds in (0.5, 0.25, 0.1):  # deep zoom: the view needs the samples themselves
        window.waveform._vb.setXRange(5.0, 5.0 + seconds, padding=0)
        window.waveform.redraw()
        qtbot.wait(20)
    qtbot.waitUntil(lambda: bool(warnings_shown), timeout=5000)
    qtbot.wait(100)
    assert len(warnings_shown) == 1
    assert "changed on disk" in warnings_shown[0]
    assert "changed on disk" in window.submit_error.text()
    window.close()
