"""File → Export Kept Region in the window: keys, the name asked for, the work off the GUI thread.

No client at all: the export needs no key and no network. The save dialog is the one
thing answered for the user (``ExportRoutes.choose``), as the other tests answer
message boxes; everything else is real key presses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from ui_driver import shown_window

from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.main_window import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    w = shown_window(qtbot, EditorController(None))
    yield w
    w.close()


def open_file(qtbot: QtBot, window: MainWindow, path: Path) -> None:
    window.open_path(path)
    qtbot.waitUntil(lambda: window.controller.audio is not None, timeout=10_000)


def type_trim(qtbot: QtBot, window: MainWindow, which: str, ms: int, enter: bool = True) -> None:
    spin = getattr(window.edit_panel, f"{which}_field").spin
    qtbot.mouseClick(spin.lineEdit(), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(spin.hasFocus, timeout=2000)
    qtbot.keyClick(spin, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(spin, str(ms))
    if enter:
        qtbot.keyClick(spin, Qt.Key.Key_Return)


def test_ctrl_e_exports_the_kept_region_exactly(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    """A 24-bit stereo WAV, trims typed (the end not yet committed), Ctrl+E: the FLAC
    holds the source's frames of the typed range, 24-bit, at its rate."""
    source = tmp_path / "take.wav"
    rng = np.random.default_rng(3)
    sf.write(source, rng.uniform(-0.9, 0.9, (48_000 * 3, 2)), 48_000, subtype="PCM_24")
    samples = sf.read(source, dtype="int32")[0]
    open_file(qtbot, window, source)
    asked: list[Path] = []
    dest = tmp_path / "out" / "kept.flac"
    dest.parent.mkdir()

    def choose(suggested: Path) -> Path:
        asked.append(suggested)
        return dest

    window.export.choose = choose
    type_trim(qtbot, window, "start", 1234)
    type_trim(qtbot, window, "end", 2567, enter=False)  # still being typed
    qtbot.keyClick(window, Qt.Key.Key_E, CTRL)
    qtbot.waitUntil(lambda: not window.export.busy, timeout=10_000)
    assert asked == [tmp_path / "take (kept).wav"]
    info = sf.info(dest)
    assert (info.format, info.subtype, info.samplerate, info.channels) == (
        "FLAC",
        "PCM_24",
        48_000,
        2,
    )
    got = sf.read(dest, dtype="int32")[0]
    assert np.array_equal(got, samples[round(1.234 * 48_000) : round(2.567 * 48_000)])
    message = window.statusBar().currentMessage()
    assert message.startswith("Exported 0:00:01.333 to kept.flac (FLAC, 48000 Hz, 24-bit)")
    assert not window.export.progress.isVisible()


def test_export_refuses_the_source_and_keeps_it(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    source = tmp_path / "take.wav"
    sf.write(source, np.zeros(16_000, np.float32), 16_000, subtype="PCM_16")
    before = source.read_bytes()
    open_file(qtbot, window, source)
    window.export.choose = lambda suggested: source
    qtbot.keyClick(window, Qt.Key.Key_E, CTRL)
    qtbot.waitUntil(lambda: not window.export.busy, timeout=10_000)
    assert "never writes over its source" in window.statusBar().currentMessage()
    assert source.read_bytes() == before


def test_a_long_export_shows_progress_and_the_window_stays_live(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    """Ten minutes of FLAC: the bar moves while the GUI thread goes on handling events."""
    source = tmp_path / "long.flac"
    rate = 48_000
    with sf.SoundFile(source, "w", samplerate=rate, channels=1, subtype="PCM_16") as out:
        rng = np.random.default_rng(9)
        for _ in range(600):
            out.write(rng.integers(-9000, 9000, rate, dtype=np.int16))
    open_file(qtbot, window, source)
    window.export.choose = lambda suggested: tmp_path / "kept.wav"
    seen: list[int] = []
    window.export.progress.valueChanged.connect(seen.append)
    qtbot.keyClick(window, Qt.Key.Key_E, CTRL)
    assert window.export.busy
    assert window.export.progress.isVisible()
    qtbot.waitUntil(lambda: not window.export.busy, timeout=60_000)
    assert len(seen) > 5
    assert seen == sorted(seen)
    assert sf.info(tmp_path / "kept.wav").frames == 600 * rate


def test_closing_during_an_export_cancels_it_and_leaves_no_file(
    qtbot: QtBot, tmp_path: Path
) -> None:
    window = MainWindow(EditorController(None), player=None, confirm=lambda t, x: True)
    qtbot.addWidget(window)
    window.show()
    source = tmp_path / "long.wav"
    with sf.SoundFile(source, "w", samplerate=48_000, channels=1, subtype="PCM_16") as out:
        for _ in range(600):
            out.write(np.zeros(48_000, np.int16))
    open_file(qtbot, window, source)
    window.export.choose = lambda suggested: tmp_path / "kept.flac"
    window.export_action.trigger()
    assert window.export.busy
    window.close()
    assert not window.export.busy
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.wav"]
