"""Playback: streaming conversion, decoding server clips, the player with and without a device.

The device checks run against a PulseAudio null sink in a fresh interpreter; see
``audio_device.py`` for why.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from audio_device import (
    PID_ENV,
    SERVER_ENV,
    ArraySource,
    ServerUnavailableError,
    null_sink_server,
)
from PySide6.QtCore import QIODevice
from PySide6.QtMultimedia import QAudioFormat
from pytestqt.qtbot import QtBot

from pvc_sample_editor.audio.document import load_audio_document
from pvc_sample_editor.ui.playback import (
    NO_DEVICE_REASON,
    PlaybackSource,
    Player,
    SourceStream,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LINUX_ONLY = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="drives PulseAudio, the sound server on Linux"
)


def sine(seconds: float, rate: int, freq: float = 440.0, amp: float = 0.5) -> np.ndarray[Any, Any]:
    t = np.arange(round(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def audio_format(
    rate: int, channels: int, sample_format: QAudioFormat.SampleFormat
) -> QAudioFormat:
    fmt = QAudioFormat()
    fmt.setSampleRate(rate)
    fmt.setChannelCount(channels)
    fmt.setSampleFormat(sample_format)
    return fmt


class RecordingSource:
    """Wraps a source and remembers every range the stream asked for."""

    def __init__(self, inner: PlaybackSource) -> None:
        self.inner = inner
        self.samplerate = inner.samplerate
        self.frames = inner.frames
        self.reads: list[tuple[int, int]] = []

    def read_mono(self, start_frame: int, stop_frame: int) -> np.ndarray[Any, Any]:
        self.reads.append((start_frame, stop_frame))
        return self.inner.read_mono(start_frame, stop_frame)


def read_all(stream: SourceStream, request_bytes: int) -> bytes:
    """Pull the stream dry the way a sink does: fixed-size reads until it is at its end."""
    assert stream.open(QIODevice.OpenModeFlag.ReadOnly | QIODevice.OpenModeFlag.Unbuffered)
    chunks = []
    while not stream.atEnd():
        chunk = bytes(stream.read(request_bytes).data())
        if not chunk:
            break
        chunks.append(chunk)
    # Returning nothing before the end would make the sink underrun, not finish.
    assert stream.atEnd()
    assert bytes(stream.read(request_bytes).data()) == b""
    return b"".join(chunks)


# ------------------------------------------------------------------ streaming conversion


def test_stream_reads_only_the_range_and_only_in_small_chunks() -> None:
    """The sink gets exactly frames [start, stop) as Int16, never the whole audio at once."""
    samples = sine(1.0, 8000)
    source = RecordingSource(ArraySource(samples, 8000))
    fmt = audio_format(8000, 1, QAudioFormat.SampleFormat.Int16)
    stream = SourceStream(source, 1000, 5000, fmt)
    assert stream.bytesAvailable() == 4000 * 2

    got = np.frombuffer(read_all(stream, request_bytes=1000), dtype=np.int16)

    expected = np.round(samples[1000:5000] * 32767).astype(np.int16)
    np.testing.assert_array_equal(got, expected)
    assert max(stop - start for start, stop in source.reads) <= 500
    assert source.reads[0][0] == 1000
    assert source.reads[-1][1] == 5000
    assert all(a[1] == b[0] for a, b in zip(source.reads, source.reads[1:], strict=False))


def test_stream_resamples_without_seams_and_keeps_the_pitch() -> None:
    """22.05 kHz audio on a 48 kHz stereo device: same tone, same length, both channels."""
    rate, device_rate = 22_050, 48_000
    samples = sine(1.0, rate)
    fmt = audio_format(device_rate, 2, QAudioFormat.SampleFormat.Float)
    stream = SourceStream(ArraySource(samples, rate), 0, rate, fmt)

    # An odd request size puts chunk boundaries everywhere.
    frames = np.frombuffer(read_all(stream, request_bytes=777 * 8), np.float32).reshape(-1, 2)

    assert frames.shape == (device_rate, 2)
    np.testing.assert_array_equal(frames[:, 0], frames[:, 1])
    reference = np.interp(np.arange(device_rate) * rate / device_rate, np.arange(rate), samples)
    np.testing.assert_allclose(frames[:, 0], reference, atol=1e-6)
    spectrum = np.abs(np.fft.rfft(frames[:, 0]))
    assert abs(np.argmax(spectrum) * device_rate / device_rate - 440) <= 1


@pytest.mark.parametrize(
    ("sample_format", "dtype", "expected"),
    [
        (QAudioFormat.SampleFormat.Float, np.float32, [-1.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.0]),
        (
            QAudioFormat.SampleFormat.Int16,
            np.int16,
            [-32767, -32767, -16384, 0, 16384, 32767, 32767],
        ),
        (
            QAudioFormat.SampleFormat.Int32,
            np.int32,
            [-2147483647, -2147483647, -1073741824, 0, 1073741824, 2147483647, 2147483647],
        ),
        (QAudioFormat.SampleFormat.UInt8, np.uint8, [1, 1, 64, 128, 192, 255, 255]),
    ],
)
def test_stream_converts_to_each_sample_format_and_clips(
    sample_format: QAudioFormat.SampleFormat, dtype: Any, expected: list[float]
) -> None:
    """Full scale maps to full scale, silence to the format's zero, overshoot is clipped."""
    samples = np.array([-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5], np.float32)
    stream = SourceStream(ArraySource(samples, 100), 0, 7, audio_format(100, 1, sample_format))
    got = np.frombuffer(read_all(stream, request_bytes=64), dtype=dtype)
    np.testing.assert_array_equal(got, np.array(expected, dtype=dtype))


def test_stream_ends_where_a_truncated_source_ends() -> None:
    """A file shorter than its header claims ends the stream early instead of hanging."""

    class Truncated(ArraySource):
        def read_mono(self, start_frame: int, stop_frame: int) -> np.ndarray[Any, Any]:
            return super().read_mono(start_frame, min(stop_frame, 600))

    source = Truncated(sine(0.125, 8000), 8000)
    stream = SourceStream(source, 0, 1000, audio_format(8000, 1, QAudioFormat.SampleFormat.Float))
    assert len(read_all(stream, request_bytes=1024)) == 600 * 4
    assert stream.failure is None


def test_stream_keeps_a_source_error_and_ends() -> None:
    """A read error (disk gone) ends the stream; the player reports the kept exception."""

    class Failing(ArraySource):
        def read_mono(self, start_frame: int, stop_frame: int) -> np.ndarray[Any, Any]:
            raise OSError("disk unplugged")

    stream = SourceStream(
        Failing(sine(0.1, 8000), 8000),
        0,
        800,
        audio_format(8000, 1, QAudioFormat.SampleFormat.Float),
    )
    assert read_all(stream, request_bytes=1024) == b""
    assert isinstance(stream.failure, OSError)


def test_a_loaded_file_streams_sample_for_sample(tmp_path: Path) -> None:
    """The document the editor opens plays through its SampleReader, sample for sample."""
    samples = sine(0.5, 16_000)
    path = tmp_path / "tone.wav"
    sf.write(path, samples, 16_000, subtype="FLOAT")
    doc = load_audio_document(path)
    try:
        assert (doc.samplerate, doc.frames) == (16_000, samples.size)
        fmt = audio_format(16_000, 1, QAudioFormat.SampleFormat.Float)
        got = np.frombuffer(read_all(SourceStream(doc, 100, 7100, fmt), 4096), np.float32)
    finally:
        doc.close()
    np.testing.assert_array_equal(got, samples[100:7100])


# -------------------------------------------------------------------------- the player


def test_without_a_device_playback_is_disabled_and_says_why(
    qtbot: QtBot, deviceless_player: Player
) -> None:
    """No device: ``available`` is False with the reason; ``play`` only emits ``failed``.

    Qt is never asked (it would print a warning and give up for good), so this also
    proves no warning reaches the log.
    """
    assert not deviceless_player.available
    assert deviceless_player.unavailable_reason == NO_DEVICE_REASON
    assert "Connect speakers or headphones" in deviceless_player.unavailable_reason

    clip = ArraySource(sine(1.0, 8000), 8000)
    with (
        qtbot.assertNotEmitted(deviceless_player.state_changed),
        qtbot.assertNotEmitted(deviceless_player.position_changed),
        qtbot.waitSignal(deviceless_player.failed, timeout=1000) as failure,
    ):
        deviceless_player.play(clip, 0, 500)
    assert failure.args == [NO_DEVICE_REASON]
    assert not deviceless_player.playing
    deviceless_player.stop()  # harmless when nothing plays

    deviceless_player.shutdown()
    with qtbot.assertNotEmitted(deviceless_player.failed):
        deviceless_player.play(clip, 0, 500)  # after shutdown: ignored


@LINUX_ONLY
@pytest.mark.timeout(300)
def test_on_a_real_device() -> None:
    """Play, stop, restart, lose the device and the server, on a PulseAudio null sink.

    Runs the checks at the bottom of ``audio_device.py`` in a fresh interpreter that
    points at a private PulseAudio server, killed when this test ends. Skips only if
    PulseAudio is not installed or cannot start here, and never under CI.
    """
    with ExitStack() as stack:
        try:
            server = stack.enter_context(null_sink_server())
        except ServerUnavailableError as exc:
            if os.environ.get("CI"):  # CI installs pulseaudio: a skip there would hide a bug
                pytest.fail(str(exc), pytrace=False)
            pytest.skip(str(exc))
        env = {
            **os.environ,
            "PULSE_SERVER": server.address,
            SERVER_ENV: server.address,
            PID_ENV: str(server.pid),
        }
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", str(HERE / "audio_device.py")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=280,
            check=False,
        )
        server_log = server.log_path.read_text(errors="replace")[-3000:]
    ran_all = (
        re.search(r"^\d+ passed in ", done.stdout, re.MULTILINE) and "skipped" not in done.stdout
    )
    if done.returncode != 0 or not ran_all:
        pytest.fail(
            f"device checks failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}\n"
            f"--- end of the PulseAudio log ---\n{server_log}",
            pytrace=False,
        )
