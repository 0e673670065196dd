"""Playback through a real PulseAudio null sink, checked against what reached the sink.

Each device test starts a private PulseAudio server (see ``audio_device.py``), points the
player at it with ``PULSE_SERVER``, records the sink's monitor with ``parec`` and compares
the recording with the source sample for sample: where the range starts and ends, what a
stop leaves out, how the sound ends at a stop, and how long Play takes to reach the sink.
The sink runs at the source's rate, so a match is exact up to the sink's 16-bit samples.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from audio_device import ArraySource, NullSinkServer, SinkRecorder, locate, pactl
from playback_kit import (
    EXACT,
    NO_SERVER,
    RATE,
    SILENT,
    Log,
    assert_exactly,
    make_player,
    noise,
    sound_runs,
    start_recorder,
    start_server,
    wait_for_silence,
)
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from ui_driver import Editor, separate_speakers

from pvc_sample_editor.audio.document import document_from_bytes, load_audio_document
from pvc_sample_editor.audio.output import FADE_MS, NO_DEVICE_REASON, STALLED_REASON
from pvc_sample_editor.ui.playback import SERVER_LOST_REASON, Player

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="drives PulseAudio, the sound server on Linux"
)


@pytest.fixture
def sink(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[NullSinkServer]:
    own = request.node.get_closest_marker("own_sink") is not None
    with ExitStack() as stack:
        yield start_server(stack, monkeypatch, RATE, private=own)


@pytest.fixture
def recorder(sink: NullSinkServer) -> Iterator[SinkRecorder]:
    with ExitStack() as stack:
        yield start_recorder(stack, sink)


@pytest.fixture
def player(qtbot: QtBot, sink: NullSinkServer) -> Iterator[Player]:
    with ExitStack() as stack:
        p = make_player(qtbot, stack)
        assert p.available, p.unavailable_reason
        yield p


# ---------------------------------------------------------------------------- the range


def test_a_range_of_a_file_reaches_the_sink_exactly_and_soon(
    qtbot: QtBot, player: Player, recorder: SinkRecorder, tmp_path: Path
) -> None:
    """Kept region 2000–3000 ms of a WAV file: every frame of it, nothing else, in ~10 ms.

    The file is streamed through the document's reader, as the editor plays it.
    """
    samples = noise(6.0)
    path = tmp_path / "take.wav"
    sf.write(path, samples, RATE, subtype="FLOAT")
    doc = load_audio_document(path)
    try:
        log = Log(player)
        mark = recorder.frames
        pressed = time.monotonic()
        with qtbot.waitSignal(player.finished, timeout=15_000):
            player.play(doc, 2000, 3000)
        wait_for_silence(qtbot, recorder, mark)
    finally:
        doc.close()

    y = recorder.samples(mark)
    expected = samples[2 * RATE : 3 * RATE]
    at = locate(y, expected)
    assert_exactly(y, at, expected)
    latency_ms = (recorder.arrival_of(mark + at) - pressed) * 1000
    print(f"play → first sample at the sink: {latency_ms:.1f} ms")
    assert latency_ms < 100

    positions = log.of("position")
    assert positions[0] == 2000
    assert positions[-1] == 3000
    assert positions == sorted(set(positions)), "the playhead went backwards or stalled"
    assert len(positions) >= 6, "the playhead should move in small steps, ~30 a second"
    assert log.of("state") == [True, False]
    assert log.events[-2:] == [("state", False), ("finished", None)]


def test_playing_to_the_end_ends_on_the_last_frame(
    qtbot: QtBot, player: Player, recorder: SinkRecorder
) -> None:
    """``end_ms=None`` (play from the cursor): from the cursor to the source's last frame."""
    samples = noise(1.0, seed=2)
    log = Log(player)
    mark = recorder.frames
    with qtbot.waitSignal(player.finished, timeout=15_000):
        player.play(ArraySource(samples, RATE), 700)
    wait_for_silence(qtbot, recorder, mark)
    y = recorder.samples(mark)
    expected = samples[round(0.7 * RATE) :]
    assert_exactly(y, locate(y, expected), expected)
    assert log.of("position")[0] == 700
    assert log.of("position")[-1] == 1000


def test_stop_fades_out_and_resume_goes_on_from_where_it_stopped(
    qtbot: QtBot, player: Player, recorder: SinkRecorder
) -> None:
    """Stop ramps down over a few ms (no click); playing from the stop point loses nothing.

    The window resumes from the playhead, which stop leaves on the first faded frame.
    """
    samples = noise(4.0, seed=3)
    source = ArraySource(samples, RATE)
    log = Log(player)
    mark = recorder.frames
    player.play(source, 500, 3500)
    qtbot.waitUntil(lambda: log.position >= 1200, timeout=10_000)
    player.stop()
    stop_ms = log.position
    assert not player.playing
    wait_for_silence(qtbot, recorder, mark)
    with qtbot.waitSignal(player.finished, timeout=15_000):
        player.play(source, stop_ms, stop_ms + 800)
    wait_for_silence(qtbot, recorder, mark)

    y = recorder.samples(mark)
    runs = sound_runs(y)
    assert len(runs) == 2, f"expected the stopped range and the resumed one: {runs}"
    (a0, a1), (b0, b1) = runs
    first = y[a0:a1]
    start = RATE // 2
    source_a = samples[start : start + first.size]
    assert locate(y, samples[start : start + RATE // 10]) == a0
    resume = stop_ms * RATE // 1000  # where the window plays from after the stop
    # Nothing lost: every frame up to the resume point played at full level...
    full = resume - start
    assert np.all(np.abs(first[:full] - source_a[:full]) < EXACT)
    # ...and then the sound ramped down within a few ms, starting within 1 ms of it.
    faded = np.nonzero(np.abs(first - source_a) > EXACT)[0]
    fade_at = int(faded[0])
    assert full <= fade_at < full + RATE // 1000 + 10, "the fade does not start at the stop"
    fade = RATE * FADE_MS // 1000
    assert first.size - fade_at <= fade, "the sound went on after the fade"
    big = np.abs(source_a[fade_at:]) > 0.05  # gain is measurable where the signal is
    gain = first[fade_at:][big] / source_a[fade_at:][big]
    assert np.all(np.diff(gain) < 0.01), "the sound did not ramp down smoothly"
    assert np.max(np.abs(first[-RATE // 2000 :])) < 0.03, "a click: the sound was cut, not faded"

    # The resumed range: from the stop point, every frame.
    resumed = samples[resume : (stop_ms + 800) * RATE // 1000]
    assert_exactly(y[b0 - 1 :], 1, resumed)
    assert b1 - b0 == resumed.size


def test_a_busy_gui_thread_does_not_make_the_audio_stutter(
    qtbot: QtBot, player: Player, recorder: SinkRecorder
) -> None:
    """The GUI thread computes in Python for a second mid-play: the sink still gets
    every frame, in order, with no gap (the feeder and the callback get the GIL)."""
    samples = noise(2.0, seed=5)
    mark = recorder.frames
    player.play(ArraySource(samples, RATE), 0, 2000)
    qtbot.waitUntil(lambda: recorder.frames - mark > RATE // 4, timeout=10_000)
    busy_until = time.monotonic() + 1.0
    total = 0
    while time.monotonic() < busy_until:  # no events processed, the GIL mostly held
        total += sum(i * i for i in range(2000))
    assert total > 0
    qtbot.waitUntil(lambda: not player.playing, timeout=15_000)
    wait_for_silence(qtbot, recorder, mark)
    y = recorder.samples(mark)
    assert_exactly(y, locate(y, samples), samples)


def test_space_in_the_window_plays_from_the_cursor_soon(
    qtbot: QtBot, editor: Editor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Space: the sound from the cursor reaches the sink within 100 ms, from that frame."""
    with ExitStack() as stack:
        doc = editor.controller.audio
        assert doc is not None
        rate = int(doc.samplerate)
        server = start_server(stack, monkeypatch, rate)
        player = make_player(qtbot, stack)
        editor.window.set_player(player)
        recorder = start_recorder(stack, server)
        editor.window.waveform.set_playhead(4000)
        editor.window.waveform.setFocus()
        mark = recorder.frames
        pressed = time.monotonic()
        qtbot.keyClick(editor.window, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: recorder.frames - mark > rate, timeout=10_000)
        qtbot.keyClick(editor.window, Qt.Key.Key_Space)  # stop
        assert not player.playing
        expected = doc.read_mono(4 * rate, 4 * rate + rate // 2)
        y = recorder.samples(mark)
        at = locate(y, expected)
        assert np.all(np.abs(y[:at]) < SILENT), "sound before the cursor's frame"
        assert np.max(np.abs(y[at : at + expected.size] - expected)) < EXACT
        latency_ms = (recorder.arrival_of(mark + at) - pressed) * 1000
        print(f"Space → first sample at the sink: {latency_ms:.1f} ms")
        assert latency_ms < 100


def test_play_while_playing_moves_to_the_new_range(qtbot: QtBot, player: Player) -> None:
    """A second ``play`` starts the new range without flipping the state."""
    source = ArraySource(noise(4.0), RATE)
    log = Log(player)
    player.play(source, 0, 3000)
    qtbot.waitUntil(lambda: log.position >= 50, timeout=10_000)
    log.clear()
    with qtbot.waitSignal(player.finished, timeout=15_000):
        player.play(source, 2000, 2300)
    positions = log.of("position")
    assert positions[0] == 2000
    assert positions[-1] == 2300
    assert all(2000 <= ms <= 2300 for ms in positions)
    assert log.of("state") == [False]  # only the final stop: no False/True in between


def test_stop_and_play_again_repeatedly(qtbot: QtBot, player: Player) -> None:
    """Stop ends playback without ``finished``; the player can start again at once."""
    source = ArraySource(noise(4.0), RATE)
    log = Log(player)
    for _ in range(3):
        player.play(source, 0, 3000)
        assert player.playing
        qtbot.waitUntil(lambda: log.position >= 100, timeout=10_000)
        player.stop()
        assert not player.playing
    with qtbot.assertNotEmitted(player.position_changed, wait=300):
        pass
    assert log.of("state") == [True, False] * 3
    assert log.of("finished") == []
    assert log.of("failed") == []


# ---------------------------------------------------------------------------- failures


def test_a_source_that_breaks_mid_play_fails_playback(qtbot: QtBot, player: Player) -> None:
    """A read error (the recording's disk unplugged) stops playback with the cause."""

    class Breaking(ArraySource):
        def read_mono(self, start_frame: int, stop_frame: int) -> np.ndarray[Any, Any]:
            if start_frame >= RATE:
                raise OSError("the disk went away")
            return super().read_mono(start_frame, stop_frame)

    log = Log(player)
    with qtbot.waitSignal(player.failed, timeout=15_000) as failure:
        player.play(Breaking(noise(3.0), RATE), 0, 3000)
    assert failure.args[0] == "Could not read the audio: the disk went away"
    assert log.of("state") == [True, False]
    assert log.of("finished") == []


@pytest.mark.own_sink
def test_the_playhead_follows_what_the_sink_takes_not_the_wall_clock(
    qtbot: QtBot, player: Player, sink: NullSinkServer
) -> None:
    """The sink suspended for 0.7 s mid-play takes no audio: the playhead waits with it
    (one driven by a timer would run on by 700 ms), and goes on when the sink resumes."""
    source = ArraySource(noise(6.0), RATE)
    log = Log(player)
    player.play(source, 0, 6000)
    qtbot.waitUntil(lambda: log.position >= 500, timeout=10_000)
    pactl(sink.address, "suspend-sink", "null", "1")
    qtbot.wait(200)  # what the device already held plays out
    held = log.position
    qtbot.wait(700)
    moved = log.position - held
    pactl(sink.address, "suspend-sink", "null", "0")
    qtbot.waitUntil(lambda: log.position >= held + 300, timeout=5000)
    player.stop()
    print(f"playhead moved {moved} ms while the sink was suspended for 700 ms")
    assert moved <= 50, moved


@pytest.mark.own_sink
def test_a_lost_sink_fails_playback_then_a_new_one_plays(
    qtbot: QtBot, player: Player, sink: NullSinkServer
) -> None:
    """The sink removed mid-play: PulseAudio reports nothing, the stall watch does."""
    source = ArraySource(noise(4.0), RATE)
    log = Log(player)
    player.play(source, 0, 4000)
    qtbot.waitUntil(lambda: log.position >= 100, timeout=10_000)
    with qtbot.waitSignal(player.failed, timeout=15_000) as failure:
        pactl(sink.address, "unload-module", "module-null-sink")
    assert failure.args[0] in (STALLED_REASON, NO_DEVICE_REASON)
    assert not player.playing
    assert log.events[-2:] == [("state", False), ("failed", failure.args[0])]
    qtbot.waitUntil(lambda: player.unavailable_reason == NO_DEVICE_REASON, timeout=10_000)

    pactl(sink.address, "load-module", "module-null-sink", "sink_name=null", f"rate={RATE}")
    qtbot.waitUntil(lambda: player.available, timeout=10_000)
    with qtbot.waitSignal(player.finished, timeout=15_000):
        player.play(source, 0, 300)


def test_the_sound_server_stopping_and_starting_again(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server dies mid-play, the editor says so, and plays again once it is back."""
    with ExitStack() as stack:
        server = start_server(stack, monkeypatch, RATE, private=True)
        player = make_player(qtbot, stack)
        assert player.available
        samples = noise(4.0, seed=4)
        log = Log(player)
        player.play(ArraySource(samples, RATE), 0, 4000)
        qtbot.waitUntil(lambda: log.position >= 200, timeout=10_000)
        with qtbot.waitSignal(player.failed, timeout=15_000) as failure:
            server.stop()
        assert failure.args[0] in (SERVER_LOST_REASON, STALLED_REASON) or failure.args[
            0
        ].startswith(NO_SERVER)
        assert not player.playing
        qtbot.waitUntil(lambda: player.unavailable_reason.startswith(NO_SERVER), timeout=10_000)
        with qtbot.waitSignal(player.failed, timeout=1000) as refused:
            player.play(ArraySource(samples, RATE), 0, 300)
        assert refused.args[0].startswith(NO_SERVER)

        server.start()
        qtbot.waitUntil(lambda: player.available, timeout=10_000)
        recorder = start_recorder(stack, server)
        mark = recorder.frames
        with qtbot.waitSignal(player.finished, timeout=15_000):
            player.play(ArraySource(samples, RATE), 1000, 1500)
        wait_for_silence(qtbot, recorder, mark)
        y = recorder.samples(mark)
        expected = samples[RATE : RATE * 3 // 2]
        assert_exactly(y, locate(y, expected), expected)


def test_without_a_sound_server_playback_is_disabled_and_says_why(
    qtbot: QtBot, deviceless_player: Player
) -> None:
    """No server: not "no device" (speakers may be plugged in) but the server and its cause.

    ``play`` only emits ``failed``; nothing else happens.
    """
    assert not deviceless_player.available
    assert deviceless_player.unavailable_reason.startswith(NO_SERVER)
    assert "comes back by itself" in deviceless_player.unavailable_reason

    clip = ArraySource(noise(0.5), RATE)
    with (
        qtbot.assertNotEmitted(deviceless_player.state_changed),
        qtbot.assertNotEmitted(deviceless_player.position_changed),
        qtbot.waitSignal(deviceless_player.failed, timeout=1000) as failure,
    ):
        deviceless_player.play(clip, 0, 500)
    assert failure.args == [deviceless_player.unavailable_reason]
    assert not deviceless_player.playing
    deviceless_player.stop()  # harmless when nothing plays

    deviceless_player.shutdown()
    with qtbot.assertNotEmitted(deviceless_player.failed):
        deviceless_player.play(clip, 0, 500)  # after shutdown: ignored


@pytest.mark.own_sink
def test_a_server_without_an_output_says_no_device(
    qtbot: QtBot, sink: NullSinkServer, player: Player
) -> None:
    """A server that answers but has no sink: the reason is the missing device."""
    pactl(sink.address, "unload-module", "module-null-sink")
    qtbot.waitUntil(lambda: not player.available, timeout=10_000)
    assert player.unavailable_reason == NO_DEVICE_REASON
    assert "Connect speakers or headphones" in player.unavailable_reason


def test_start_up_does_not_wait_for_the_probe(qtbot: QtBot, sink: NullSinkServer) -> None:
    """The player is made at once; the probe reports later, on the GUI thread."""
    began = time.monotonic()
    player = Player()
    made = time.monotonic() - began
    try:
        assert not player.available
        assert player.unavailable_reason == "Checking the audio output…"
        with qtbot.waitSignal(player.availability_changed, timeout=10_000) as changed:
            pass
        assert changed.args == [True]
        assert made < 0.05
    finally:
        player.shutdown()
        player.deleteLater()


# ------------------------------------------------------------------------ speaker clips


def test_a_speaker_clip_plays_under_its_own_playhead_and_survives_a_server_restart(
    qtbot: QtBot, editor: Editor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listen plays the speaker's clip; the playhead runs over that speaker's utterances.

    The status line says what plays (not "Fetching…"); after the server goes and comes
    back, Listen works again without a restart.
    """
    with ExitStack() as stack:
        doc = editor.controller.audio
        assert doc is not None
        server = start_server(stack, monkeypatch, int(doc.samplerate), private=True)
        player = make_player(qtbot, stack)
        editor.window.set_player(player)
        separate_speakers(qtbot, editor.window)
        ref = editor.controller.session.ref
        clip_bytes = editor.check.get_speaker_audio(ref.voice_id, ref.sample_id, "speaker_1")
        clip = document_from_bytes(clip_bytes.audio, clip_bytes.media_type, label="speaker_1")
        speaker = next(
            s for s in editor.controller.session.separation.speakers if s.speaker_id == "speaker_1"
        )
        spans = [(round(u.start * 1000), round(u.end * 1000)) for u in speaker.utterances]
        rate = int(clip.samplerate)
        expected = clip.read_mono(0, rate)  # the clip's first second
        clip.close()

        def listen_and_check(recorder: SinkRecorder) -> None:
            log = Log(player)
            mark = recorder.frames
            button = editor.window.speakers_panel.listen_button("speaker_1")
            qtbot.waitUntil(button.isEnabled, timeout=10_000)
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: player.playing, timeout=10_000)
            qtbot.waitUntil(lambda: recorder.frames - mark > 2 * rate, timeout=10_000)
            assert not editor.window.statusBar().currentMessage().startswith("Fetching")
            player.stop()
            positions = log.of("position")
            assert positions[0] == spans[0][0]
            assert positions == sorted(positions)
            outside = [ms for ms in positions if not any(a <= ms <= b for a, b in spans)]
            assert not outside, f"playhead outside the speaker's utterances: {outside}"
            # Two seconds of clip reached the sink: the playhead moved on by as much.
            assert positions[-1] - positions[0] > 1500
            y = recorder.samples(mark)
            at = locate(y, expected)
            assert np.max(np.abs(y[at : at + expected.size] - expected)) < EXACT * 2

        listen_and_check(start_recorder(stack, server))

        server.stop()
        button = editor.window.speakers_panel.listen_button("speaker_1")
        qtbot.waitUntil(lambda: not button.isEnabled(), timeout=10_000)
        assert button.toolTip().startswith(NO_SERVER)
        server.start()
        listen_and_check(start_recorder(stack, server))
