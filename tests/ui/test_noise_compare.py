"""Hear noise removal before choosing it: A/B over the emulator's two previews, at a sink.

The sample: three seconds of loud white noise (standing in for speech: every stretch
unlike any other, so it locates exactly) then five of quiet white noise at a known
-50 dBFS. Its noise-removed preview (the emulator's spectral gate) keeps the loud part
and drops the quiet one. The window fetches both previews, shows their noise floors,
and switching while playing must go on in the other version from the very frame where
the first faded out: at the sink, A is whole up to that frame and B whole from it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from audio_device import locate
from playback_kit import EXACT, RATE, make_player, start_recorder, start_server, wait_for_silence
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from ui_driver import shown_window

from pvc_sample_editor.api.client import ApiClient
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.main_window import MainWindow
from pvc_sample_editor.ui.noise_compare import NEEDS_A_SAMPLE, NoiseCompareDialog

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="drives PulseAudio, the sound server on Linux"
)

CTRL = Qt.KeyboardModifier.ControlModifier
NOISE_DBFS = -50.0


def noisy_take(path: Path) -> None:
    rng = np.random.default_rng(21)
    loud = 0.3 * rng.uniform(-1, 1, 3 * RATE)
    quiet = rng.normal(0, 10 ** (NOISE_DBFS / 20), 5 * RATE)
    sf.write(path, np.concatenate([loud, quiet]).astype(np.float32), RATE, subtype="PCM_16")


@pytest.fixture
def sample_window(qtbot: QtBot, emulator: Any, tmp_path: Path) -> Iterator[MainWindow]:
    """The uploaded take open as a sample of the demo voice, with its local copy."""
    path = tmp_path / "noisy take.wav"
    noisy_take(path)
    client = ApiClient(emulator.base_url, emulator.api_key)
    voice = emulator.demo.voice_id
    sample_id = client.add_samples(voice, [path])[0].sample_id
    controller = EditorController(client, poll_interval_ms=100)
    window = shown_window(qtbot, controller)
    controller.open_sample(SampleRef(voice, sample_id), path)
    qtbot.waitUntil(lambda: controller.audio is not None, timeout=15_000)
    qtbot.waitUntil(lambda: not controller._api.busy, timeout=10_000)
    yield window
    window.close()
    client.close()


def open_compare(qtbot: QtBot, window: MainWindow) -> NoiseCompareDialog:
    qtbot.keyClick(window, Qt.Key.Key_B, CTRL)
    dialog = window.listening.noise_compare.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def test_ab_switch_goes_on_from_the_same_frame_and_shows_the_noise_floors(
    qtbot: QtBot, sample_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = sample_window
    with ExitStack() as stack:
        server = start_server(stack, monkeypatch, RATE)
        player = make_player(qtbot, stack)
        window.set_player(player)
        recorder = start_recorder(stack, server)
        stack.callback(window.close)  # before the player goes
        dialog = open_compare(qtbot, window)
        qtbot.waitUntil(lambda: dialog.previews is not None, timeout=15_000)
        previews = dialog.previews
        assert previews is not None

        # The floors: A's is the known noise; B's far below; both on the buttons.
        assert abs(previews.original_floor_dbfs - NOISE_DBFS) < 1.0
        assert previews.denoised_floor_dbfs < previews.original_floor_dbfs - 20
        a_text, b_text = (b.text() for b in dialog.version_buttons)
        assert f"noise floor {previews.original_floor_dbfs:.1f} dBFS" in a_text
        assert f"noise floor {previews.denoised_floor_dbfs:.1f} dBFS" in b_text
        assert "lowers the noise floor by" in dialog.status.text()

        a = previews.original.read_mono(0, previews.original.frames)
        b = previews.denoised.read_mono(0, previews.denoised.frames)
        switched: list[int] = []

        real_switch = player.switch_source

        def noting_switch(source: Any) -> int | None:
            frame = real_switch(source)
            switched.append(-1 if frame is None else frame)
            return frame

        monkeypatch.setattr(player, "switch_source", noting_switch)
        mark = recorder.frames
        qtbot.keyClick(dialog, Qt.Key.Key_Space)  # play A
        assert dialog.playing
        # Into the quiet part, where A (the noise) and B (near silence) differ.
        qtbot.waitUntil(lambda: dialog.position_ms >= 3300, timeout=10_000)
        qtbot.keyClick(dialog, Qt.Key.Key_B)  # switch while playing
        assert dialog.version == 1
        assert dialog.playing
        assert switched, "the switch did not go through the player"
        assert switched[0] > 0, "the switch was not seamless"
        switch = switched[0]
        qtbot.waitUntil(lambda: dialog.position_ms >= 4300, timeout=10_000)
        qtbot.keyClick(dialog, Qt.Key.Key_Space)  # stop
        assert not dialog.playing
        wait_for_silence(qtbot, recorder, mark)
        y = recorder.samples(mark)
        # Around the switch frame the sink got A up to it, then B from it: no gap,
        # nothing twice, nothing of one mixed into the other. Compared over 0.5 s only
        # (located by A's noise just before), so the check does not depend on parec
        # keeping every frame of a long recording on a loaded machine.
        before, after = RATE // 5, RATE * 3 // 10
        rough = locate(y, a[RATE // 2 : RATE // 2 + RATE // 10]) - RATE // 2
        quiet_from = rough + 3 * RATE + RATE // 20  # past the loud part, which would win
        window = y[quiet_from : rough + switch + RATE // 2]
        chunk = a[switch - before : switch - before + RATE // 20]
        at = quiet_from + locate(window, chunk) - (switch - before)
        got_a = y[at + switch - before : at + switch]
        got_b = y[at + switch : at + switch + after]
        assert np.max(np.abs(got_a - a[switch - before : switch])) < EXACT, "A is not whole"
        assert np.max(np.abs(got_b - b[switch : switch + after])) < EXACT, "B is not whole"
        assert np.max(np.abs(a[switch : switch + after] - b[switch : switch + after])) > 0.005


def test_choosing_noise_removal_sets_the_edit_and_closes(
    qtbot: QtBot, sample_window: MainWindow
) -> None:
    window = sample_window
    dialog = open_compare(qtbot, window)
    qtbot.waitUntil(lambda: dialog.previews is not None, timeout=15_000)
    assert not window.controller.session.edit.remove_background_noise
    qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert window.controller.session.edit.remove_background_noise
    assert not dialog.isVisible()
    assert window.edit_panel.noise_box.isChecked()


def test_a_local_file_alone_says_what_to_open(qtbot: QtBot, tmp_path: Path) -> None:
    window = shown_window(qtbot, EditorController(None))
    path = tmp_path / "take.wav"
    noisy_take(path)
    window.open_path(path)
    qtbot.waitUntil(lambda: window.controller.audio is not None, timeout=10_000)
    dialog = open_compare(qtbot, window)
    assert dialog.status.text() == NEEDS_A_SAMPLE
    assert not dialog.play_button.isEnabled()
    window.close()
