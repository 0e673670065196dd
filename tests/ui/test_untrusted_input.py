"""Bad audio and hostile server text through the window: clear messages, nothing lost.

The corpus is generated here. Every file either loads with the right length, or the
user gets a message naming the file and saying what to do -- and a failed open leaves
the document that was open untouched. No crash, no hang.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
import soundfile as sf
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from ui_driver import Editor

from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.main_window import MainWindow

RATE = 16000
PARTIAL = -1.0


def speechish(seconds: float, rate: int = RATE, channels: int = 1) -> np.ndarray:
    """Noise bursts shaped like syllables: enough structure to see on a waveform."""
    rng = np.random.default_rng(7)
    n = int(seconds * rate)
    env = (np.sin(np.linspace(0, seconds * 9, n)) > 0.2).astype(np.float32)
    mono = (rng.standard_normal(n).astype(np.float32) * 0.3 * env).clip(-1, 1)
    return np.repeat(mono[:, None], channels, axis=1) if channels > 1 else mono


def write(path: Path, data: np.ndarray, rate: int = RATE, **kw: Any) -> Path:
    sf.write(path, data, rate, **kw)
    return path


def cut(path: Path, keep: float = 0.6) -> Path:
    """Truncate a file mid-data, as an interrupted copy would."""
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * keep)])
    return path


def corpus(d: Path) -> dict[str, tuple[Path, float | None]]:
    """name -> (path, expected seconds; None: must be refused; PARTIAL: either is right).

    A file cut mid-data may load what is there (as players do) or be refused clearly;
    both are acceptable, a crash or a hang is not.
    """
    png = d / "picture.flac"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(2000))
    text = d / "notes.wav"
    text.write_text("These are my recording notes, not audio.\n" * 40)
    empty = d / "empty.wav"
    empty.write_bytes(b"")
    junk = d / "random.wav"
    junk.write_bytes(np.random.default_rng(1).bytes(50_000))
    nan = speechish(2.0).copy()
    nan[100:200] = np.nan
    nan[300:310] = np.inf
    nan[400:410] = -np.inf
    folder = d / "a folder.wav"
    folder.mkdir()
    return {
        "empty file": (empty, None),
        "0-frame WAV": (write(d / "zero.wav", np.zeros(0, np.float32)), None),
        "WAV cut mid-data": (cut(write(d / "cut.wav", speechish(4.0))), PARTIAL),
        "FLAC cut mid-data": (cut(write(d / "cut.flac", speechish(4.0))), PARTIAL),
        "MP3 cut mid-data": (cut(write(d / "cut.mp3", speechish(4.0))), PARTIAL),
        "random bytes .wav": (junk, None),
        "PNG named .flac": (png, None),
        "text file": (text, None),
        "FLAC named .wav": (write(d / "really-flac.wav", speechish(3.0), format="FLAC"), 3.0),
        "6 channels": (write(d / "six.wav", speechish(2.0, channels=6)), 2.0),
        "8 kHz": (write(d / "low.wav", speechish(2.0, 8000), 8000), 2.0),
        "192 kHz": (write(d / "high.wav", speechish(2.0, 192000), 192000), 2.0),
        "24-bit": (write(d / "deep.wav", speechish(2.0), subtype="PCM_24"), 2.0),
        "float with NaN and Inf": (write(d / "nan.wav", nan, subtype="FLOAT"), 2.0),
        "non-ASCII path": (write(d / "Ünïcødé 录音 🎙.wav", speechish(1.5)), 1.5),
        "a directory": (folder, None),
        "missing file": (d / "not-there.wav", None),
    }


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    """A window with a good file open (the document a failed open must not disturb)."""
    w = MainWindow(EditorController(None), player=None, confirm=lambda title, text: True)
    qtbot.addWidget(w)
    w.show()
    w.open_path(write(tmp_path / "good.wav", speechish(5.0)))
    qtbot.waitUntil(lambda: w.controller.audio is not None, timeout=10000)
    w.controller.set_trims(1000, 4000)
    return w


def open_and_wait(qtbot: QtBot, w: MainWindow, path: Path, shown: list[str]) -> Callable[[], bool]:
    before_audio = w.controller.audio
    count = len(shown)
    w.open_path(path)

    def settled() -> bool:
        return len(shown) > count or w.controller.audio is not before_audio

    qtbot.waitUntil(settled, timeout=20000)
    return lambda: len(shown) > count


CASES = [
    "empty file", "0-frame WAV", "WAV cut mid-data", "FLAC cut mid-data", "MP3 cut mid-data",
    "random bytes .wav", "PNG named .flac", "text file", "FLAC named .wav", "6 channels",
    "8 kHz", "192 kHz", "24-bit", "float with NaN and Inf", "non-ASCII path", "a directory",
    "missing file",
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_every_corpus_file_loads_or_explains(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, warnings_shown: list[str], case: str
) -> None:
    """Load correctly, or say what is wrong and what to do; never disturb the open edit."""
    (tmp_path / "corpus").mkdir()
    path, seconds = corpus(tmp_path / "corpus")[case]
    before = window.controller.session
    before_edit = before.edit
    failed = open_and_wait(qtbot, window, path, warnings_shown)
    if failed():
        message = warnings_shown[-1]
        assert path.name in message or str(path) in message, message
        assert len(message) > 30
        assert "Traceback" not in message
        assert window.controller.session is before
        assert window.controller.session.edit == before_edit
        assert window.controller.audio.duration_ms == 5000
        if seconds is not None and seconds != PARTIAL:
            pytest.fail(f"{case} should have loaded, but: {message}")
    else:
        assert seconds is not None, f"{case} was accepted but should have been refused"
        audio = window.controller.audio
        if seconds == PARTIAL:
            assert 0.5 < audio.duration_secs <= 4.0
        else:
            assert abs(audio.duration_secs - seconds) < 0.05
        _t, y = audio.envelope(0, audio.frames, 400)
        assert np.all(np.isfinite(y))
        assert window.controller.session.edit.trim_end_ms == audio.duration_ms


def test_a_file_that_disappears_while_loading(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, warnings_shown: list[str]
) -> None:
    """Deleted right after Open: it loads (the handle was open) or fails clearly; no hang."""
    path = write(tmp_path / "vanishing.flac", speechish(30.0))
    before = window.controller.audio
    window.open_path(path)
    path.unlink()
    qtbot.waitUntil(
        lambda: bool(warnings_shown) or window.controller.audio is not before, timeout=20000
    )
    if warnings_shown:
        assert "vanishing.flac" in warnings_shown[-1]
        assert window.controller.audio is before


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root reads any file; the core test covers the message"
)
def test_unreadable_file(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, warnings_shown: list[str]
) -> None:
    """No read permission: a message that says so and what to do."""
    path = write(tmp_path / "locked.wav", speechish(1.0))
    path.chmod(0)
    open_and_wait(qtbot, window, path, warnings_shown)
    assert "permission" in warnings_shown[-1]


# Rich text to any label that guesses (Qt.mightBeRichText); no "/" so it is a valid name.
HOSTILE = "<b>x<img src=y><i>y"


def test_server_text_is_shown_as_plain_text(qtbot: QtBot, editor: Editor) -> None:
    """A file name full of HTML shows literally in the title and the field."""
    demo = editor.server.demo
    # Set the server's state directly, as the web page or another tool might have.
    url = f"{editor.server.base_url}/v1/voices/pvc/{demo.voice_id}/samples/{demo.sample_id}"
    with requests.post(
        url, json={"file_name": HOSTILE}, headers={"xi-api-key": editor.server.api_key}, timeout=10
    ) as response:
        assert response.status_code == 200
    editor.controller.open_sample(SampleRef(demo.voice_id, demo.sample_id), Path(demo.audio_path))
    qtbot.waitUntil(lambda: HOSTILE in editor.window.title_label.text(), timeout=10000)
    label = editor.window.title_label
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert editor.window.edit_panel.file_name_edit.text() == HOSTILE
    assert HOSTILE in editor.window.windowTitle()
