"""Audition while dragging: a handle held still plays the snippet at it, checked at the sink.

The mouse is real: press on the end handle, move in steps, then hold still with the
button down. The snippet that reaches the null sink must be the 600 ms up to where the
handle rests (within 1 ms each end), and must not start before the handle has rested.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import soundfile as sf
from playback_kit import RATE, Log, Rig, assert_within_a_ms, noise, recorded_range, window_rig
from PySide6.QtCore import QEvent, QPointF
from pytestqt.qtbot import QtBot
from ui_driver import LEFT, NO_BUTTON, handle_pos, pause, send_mouse

from pvc_sample_editor.ui.audition import REST_MS, SNIPPET_MS, snippet_range

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="drives PulseAudio, the sound server on Linux"
)


@pytest.fixture
def rig(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Rig]:
    with window_rig(qtbot, monkeypatch, tmp_path) as made:
        made.window.controller.set_start(1000)
        made.window.controller.set_end(5000)
        yield made


def press_and_drag(rig: Rig, index: int, seconds: float) -> float:
    """Press on a handle and move it to ``seconds``, keeping the button down.

    Returns when the last move was sent (time.monotonic).
    """
    view = rig.window.waveform
    vp = view.viewport()
    start = handle_pos(view, index)
    end = view.data_to_widget(seconds)
    pause()
    send_mouse(vp, QEvent.Type.MouseMove, start, NO_BUTTON, NO_BUTTON)
    pause()
    send_mouse(vp, QEvent.Type.MouseButtonPress, start, LEFT, LEFT)
    for i in range(1, 11):
        pause()
        p = QPointF(start + (end - start) * (i / 10))
        send_mouse(vp, QEvent.Type.MouseMove, p, NO_BUTTON, LEFT)
    return time.monotonic()


def release(rig: Rig, seconds: float) -> None:
    vp = rig.window.waveform.viewport()
    pos = rig.window.waveform.data_to_widget(seconds)
    send_mouse(vp, QEvent.Type.MouseButtonRelease, pos, LEFT, NO_BUTTON)


def test_a_resting_end_handle_plays_the_snippet_up_to_it(qtbot: QtBot, rig: Rig) -> None:
    """Drag End to 3.3 s and hold: after ~300 ms the 600 ms up to the handle play."""
    log = Log(rig.player)
    began: list[float] = []
    rig.player.state_changed.connect(lambda on: began.append(time.monotonic()) if on else None)
    moved: list[float] = []
    played = recorded_range(qtbot, rig, lambda: moved.append(press_and_drag(rig, 1, 3.3)))
    resting_end = rig.window.waveform.trims_ms()[1]
    assert abs(resting_end - 3300) < 30
    assert_within_a_ms(played, resting_end - SNIPPET_MS, resting_end)
    assert began[0] - moved[0] >= (REST_MS - 10) / 1000, "it played before the handle rested"
    release(rig, 3.3)
    assert rig.window.controller.session.edit.trim_end_ms == resting_end
    assert log.of("position")[0] == resting_end - SNIPPET_MS
    # The playhead goes back to where it was (hidden: nothing was clicked).
    assert rig.window.waveform.playhead_ms() is None


def test_a_resting_start_handle_plays_from_it(qtbot: QtBot, rig: Rig) -> None:
    played = recorded_range(qtbot, rig, lambda: press_and_drag(rig, 0, 2.0))
    resting_start = rig.window.waveform.trims_ms()[0]
    assert_within_a_ms(played, resting_start, resting_start + SNIPPET_MS)
    release(rig, 2.0)


def test_audition_can_be_switched_off_and_stays_off(qtbot: QtBot, rig: Rig, tmp_path: Path) -> None:
    action = rig.window.play_menu.audition
    assert action.isChecked()
    action.trigger()
    assert not rig.window.play_menu.prefs.audition
    with qtbot.assertNotEmitted(rig.player.state_changed, wait=REST_MS * 3):
        press_and_drag(rig, 1, 3.3)
    release(rig, 3.3)
    rig.settings.sync()
    assert rig.settings.value("playback/audition_while_dragging", type=bool) is False


def test_releasing_before_the_rest_plays_nothing(qtbot: QtBot, rig: Rig) -> None:
    with qtbot.assertNotEmitted(rig.player.state_changed, wait=REST_MS * 3):
        press_and_drag(rig, 1, 3.3)
        release(rig, 3.3)


def test_snippet_ranges_stay_in_the_file() -> None:
    assert snippet_range(0, 100, 900, 1000) == (100, 700)
    assert snippet_range(1, 100, 400, 1000) == (0, 400)
    assert snippet_range(0, 800, 1000, 1000) == (800, 1000)


def test_handles_moved_by_a_new_file_play_nothing(qtbot: QtBot, rig: Rig, tmp_path: Path) -> None:
    """A shorter file pulls the end handle in through its bounds: not a drag, no snippet."""
    path = tmp_path / "short.wav"
    sf.write(path, noise(2.0, seed=3), RATE, subtype="FLOAT")
    with qtbot.assertNotEmitted(rig.player.state_changed, wait=REST_MS * 3):
        rig.window.open_path(path)
        qtbot.waitUntil(lambda: rig.window.controller.audio.duration_ms == 2000, timeout=10_000)
