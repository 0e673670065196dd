"""What the playback tests share: signals to play, a log of the player, the sink's checks."""

from __future__ import annotations

import atexit
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from audio_device import (
    NullSinkServer,
    ServerUnavailableError,
    SinkRecorder,
    locate,
    null_sink_server,
)
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot
from ui_driver import shown_window

from pvc_sample_editor.timecode import ms_to_frame
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.main_window import MainWindow
from pvc_sample_editor.ui.playback import Player

RATE = 44_100
# 16-bit samples at the sink: a frame that matches is within one step of the source.
EXACT = 2 / 32768
SILENT = 1e-4
NO_SERVER = "No sound server is running (connection refused)"


def noise(seconds: float, seed: int = 1) -> np.ndarray[Any, Any]:
    """White noise: every stretch of it is unlike every other, so it locates exactly."""
    rng = np.random.default_rng(seed)
    return (0.3 * rng.uniform(-1, 1, round(seconds * RATE))).astype(np.float32)


class Log:
    """Everything a player emits, in order, as (signal, value) pairs."""

    def __init__(self, player: Player) -> None:
        self.events: list[tuple[str, Any]] = []
        player.position_changed.connect(lambda ms: self.events.append(("position", ms)))
        player.state_changed.connect(lambda on: self.events.append(("state", on)))
        player.finished.connect(lambda: self.events.append(("finished", None)))
        player.failed.connect(lambda text: self.events.append(("failed", text)))

    def of(self, kind: str) -> list[Any]:
        return [value for name, value in self.events if name == kind]

    @property
    def position(self) -> int:
        positions = self.of("position")
        return int(positions[-1]) if positions else -1

    def clear(self) -> None:
        self.events.clear()


# One null-sink server per rate for the whole run, kept awake by a recorder that never
# stops: a null sink left idle renders its first block after 2 s, so a server (and a
# recorder) per test cost every playback test 2 s of waiting. Tests that stop or
# restart the server ask for a private one.
_SHARED: dict[int, NullSinkServer] = {}
_KEEPERS: list[subprocess.Popen[bytes]] = []
_SHARED_DIRS: list[tempfile.TemporaryDirectory[str]] = []


def _stop_shared() -> None:
    for keeper in _KEEPERS:
        keeper.kill()
        keeper.wait()
    for server in _SHARED.values():
        server.stop()
    for folder in _SHARED_DIRS:
        folder.cleanup()


def _shared_server(rate: int) -> NullSinkServer:
    server = _SHARED.get(rate)
    if server is not None and server.running:
        return server
    if not _SHARED:
        atexit.register(_stop_shared)
    # A short path: a unix socket's path must fit in 108 bytes.
    folder = tempfile.TemporaryDirectory(prefix="pvc-pulse-")
    _SHARED_DIRS.append(folder)
    server = NullSinkServer(Path(folder.name), rate)
    server.start()
    _SHARED[rate] = server
    keeper = SinkRecorder(server, server.root / "keeper.f32")
    keeper.wait_running()  # the sink renders at low latency from now on
    keeper.close()
    _KEEPERS.append(
        subprocess.Popen(  # a monitor that stays: the sink never idles again
            [
                "parec",
                "--device=null.monitor",
                "--raw",
                f"--rate={rate}",
                "--channels=1",
                "--latency-msec=2",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PULSE_SERVER": server.address},
        )
    )
    return server


def start_server(
    stack: ExitStack, monkeypatch: pytest.MonkeyPatch, rate: int, *, private: bool = False
) -> NullSinkServer:
    """A server with ``PULSE_SERVER`` pointing at it: the run's shared one for ``rate``, or
    (``private``) one for this test alone, which it may stop and start."""
    try:
        server = stack.enter_context(null_sink_server(rate)) if private else _shared_server(rate)
    except ServerUnavailableError as exc:
        if os.environ.get("CI"):  # CI installs pulseaudio: a skip there would hide a bug
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(str(exc))
    monkeypatch.setenv("PULSE_SERVER", server.address)
    return server


def start_recorder(stack: ExitStack, server: NullSinkServer) -> SinkRecorder:
    recorder = SinkRecorder(server, server.root / f"sink-{time.monotonic_ns()}.f32")
    stack.callback(recorder.close)
    recorder.wait_running()
    return recorder


def make_player(qtbot: QtBot, stack: ExitStack) -> Player:
    player = Player(stall_timeout_ms=3000)
    stack.callback(player.deleteLater)
    stack.callback(player.shutdown)
    qtbot.waitUntil(lambda: not player.probing, timeout=10_000)
    return player


def wait_for_silence(qtbot: QtBot, recorder: SinkRecorder, since: int, ms: int = 100) -> None:
    """Wait until the recording ends in ``ms`` of silence after some sound."""
    quiet = RATE * ms // 1000

    def settled() -> bool:
        y = recorder.samples(since)
        loud = np.nonzero(np.abs(y) > SILENT)[0]
        return loud.size > 0 and y.size - loud[-1] > quiet

    qtbot.waitUntil(settled, timeout=10_000)


def sound_runs(y: np.ndarray[Any, Any], gap_ms: int = 20) -> list[tuple[int, int]]:
    """``[start, end)`` of each stretch of sound separated by at least ``gap_ms`` of silence."""
    loud = np.nonzero(np.abs(y) > SILENT)[0]
    if loud.size == 0:
        return []
    breaks = np.nonzero(np.diff(loud) > RATE * gap_ms // 1000)[0]
    starts = [loud[0], *loud[breaks + 1]]
    ends = [*(loud[breaks] + 1), loud[-1] + 1]
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def assert_exactly(y: np.ndarray[Any, Any], at: int, expected: np.ndarray[Any, Any]) -> None:
    """``expected`` sits at ``at`` in ``y``, frame for frame, with silence on both sides."""
    got = y[at : at + expected.size]
    assert got.size == expected.size, "the recording stops inside the range"
    wrong = np.nonzero(np.abs(got - expected) > EXACT)[0]
    assert wrong.size == 0, f"{wrong.size} frames differ, first at {wrong[:5]}"
    assert np.all(np.abs(y[:at]) < SILENT), "sound before the range's first frame"
    assert np.all(np.abs(y[at + expected.size :]) < SILENT), "sound after its last frame"


# ------------------------------------------------------------------ a window at a sink

ONE_MS = RATE // 1000 + 1  # frames: a frame either side of an exact ms is within 1 ms


@dataclass
class Rig:
    """A window with noise open, its player and a recorder of the sink it plays to."""

    window: MainWindow
    player: Player
    recorder: SinkRecorder
    samples: np.ndarray[Any, Any]
    settings: QSettings


@contextmanager
def window_rig(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Rig]:
    """A window with six seconds of noise open, playing to a recorded null sink."""
    with ExitStack() as stack:
        server = start_server(stack, monkeypatch, RATE)
        player = make_player(qtbot, stack)
        assert player.available, player.unavailable_reason
        samples = noise(6.0, seed=11)
        path = tmp_path / "noise.wav"
        sf.write(path, samples, RATE, subtype="FLOAT")
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = shown_window(qtbot, EditorController(None), player, settings)
        window.open_path(path)
        qtbot.waitUntil(lambda: window.controller.audio is not None, timeout=10_000)
        recorder = start_recorder(stack, server)
        yield Rig(window, player, recorder, samples, settings)
        window.close()


def recorded_range(qtbot: QtBot, rig: Rig, act: Callable[[], None]) -> range:
    """Do ``act``, wait for the sound to end; the source frames that reached the sink.

    Also checks that they reached it whole: one run of sound, equal to the source.
    """
    mark = rig.recorder.frames
    with qtbot.waitSignal(rig.player.finished, timeout=15_000):
        act()
    wait_for_silence(qtbot, rig.recorder, mark)
    y = rig.recorder.samples(mark)
    runs = sound_runs(y)
    assert len(runs) == 1, f"expected one stretch of sound: {runs}"
    a, b = runs[0]
    first = locate(rig.samples, y[a : a + RATE // 20])
    got = y[a:b]
    source = rig.samples[first : first + got.size]
    assert source.size == got.size
    assert np.max(np.abs(got - source)) < EXACT, "what reached the sink is not the source"
    return range(first, first + got.size)


def assert_within_a_ms(played: range, lo_ms: int, hi_ms: int) -> None:
    """``played`` (source frames) starts and ends within 1 ms of ``[lo_ms, hi_ms)``."""
    lo, hi = ms_to_frame(lo_ms, RATE), ms_to_frame(hi_ms, RATE)
    assert abs(played.start - lo) <= ONE_MS, f"starts at frame {played.start}, not {lo}"
    assert abs(played.stop - hi) <= ONE_MS, f"ends at frame {played.stop}, not {hi}"
