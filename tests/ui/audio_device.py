"""A throwaway PulseAudio server with one null sink, and the checks that need it.

Tests that need a device cannot simply point ``PULSE_SERVER`` at one: QtMultimedia
connects to the sound server once per process (on the first device query) and never
looks again, so whichever test asked first would decide for the whole session, and a
developer's real speakers could get the beeps. So ``test_playback.py`` starts the server
with :func:`null_sink_server` and runs the ``test_*`` functions at the bottom of this
file in a fresh interpreter (``pytest tests/ui/audio_device.py``: pytest collects a
file named on its command line whatever its name, and never collects this one on its
own). Started any other way, they skip.

The null sink consumes audio in real time and plays it nowhere, so tests are silent
and timing behaves as on a sound card. Nothing of the user's own sound setup is read
or touched: the server gets its own HOME, runtime directory and socket, loads no
default configuration (``-n``), and runs in the foreground as our child so it can be
killed by pid at teardown.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from pvc_sample_editor.ui.playback import SERVER_LOST_REASON, Player


class ArraySource:
    """Mono float32 samples in memory as a playback source (what the player reads)."""

    def __init__(self, samples: np.ndarray[Any, Any], samplerate: int) -> None:
        self.samples = np.ascontiguousarray(samples, dtype=np.float32)
        self.samplerate = samplerate

    @property
    def frames(self) -> int:
        return int(self.samples.shape[0])

    def read_mono(self, start_frame: int, stop_frame: int) -> np.ndarray[Any, Any]:
        start = max(0, int(start_frame))
        return self.samples[start : max(start, int(stop_frame))]


__all__ = ["PID_ENV", "SERVER_ENV", "NullSinkServer", "null_sink_server", "pactl"]

# Set by test_playback.py for the fresh interpreter that runs the checks below.
SERVER_ENV = "PVC_TEST_NULL_SINK_SERVER"
PID_ENV = "PVC_TEST_NULL_SINK_PID"


@dataclass(frozen=True)
class NullSinkServer:
    """A running server: ``address`` goes into ``PULSE_SERVER``; ``pid`` is the daemon's."""

    address: str
    pid: int
    log_path: Path


class ServerUnavailableError(RuntimeError):
    """PulseAudio is not installed or would not start here (the reason is the message)."""


def _reachable(address: str) -> bool:
    env = {**os.environ, "PULSE_SERVER": address}
    pactl_path = shutil.which("pactl")
    if pactl_path is None:
        return Path(address.removeprefix("unix:")).exists()
    done = subprocess.run(
        [pactl_path, "info"], env=env, capture_output=True, text=True, timeout=10, check=False
    )
    return done.returncode == 0


@contextmanager
def null_sink_server(start_timeout_s: float = 15.0) -> Iterator[NullSinkServer]:
    """Run ``pulseaudio`` with a null sink named ``null`` for the duration of the block.

    Raises:
        ServerUnavailableError: no ``pulseaudio`` binary, or it did not come up in time.
    """
    binary = shutil.which("pulseaudio")
    if binary is None:
        raise ServerUnavailableError(
            "pulseaudio is not installed (Debian: apt-get install pulseaudio)"
        )
    # A short path: a unix socket's path must fit in 108 bytes.
    with tempfile.TemporaryDirectory(prefix="pvc-pulse-") as tmp:
        root = Path(tmp)
        (root / "home").mkdir()
        runtime = root / "run"
        runtime.mkdir(mode=0o700)
        socket_path = root / "native"
        log_path = root / "pulseaudio.log"
        env = {
            **os.environ,
            "HOME": str(root / "home"),
            "XDG_RUNTIME_DIR": str(runtime),
            "XDG_CONFIG_HOME": str(root / "home" / "config"),
        }
        env.pop("PULSE_SERVER", None)
        command = [
            binary,
            "--daemonize=no",  # our child, so it dies by pid and never outlives the test
            "--system=false",
            "-n",  # no default.pa: load only what is named below
            "--exit-idle-time=-1",
            "--use-pid-file=false",
            "--disable-shm=true",
            "--log-target=stderr",
            "--load=module-null-sink sink_name=null",
            f"--load=module-native-protocol-unix socket={socket_path} auth-anonymous=1",
        ]
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        try:
            address = f"unix:{socket_path}"
            deadline = time.monotonic() + start_timeout_s
            while not (socket_path.exists() and _reachable(address)):
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-2000:]
                    raise ServerUnavailableError(f"pulseaudio did not start:\n{tail}")
                time.sleep(0.05)
            yield NullSinkServer(address=address, pid=proc.pid, log_path=log_path)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)


def pactl(address: str, *args: str) -> str:
    """Run ``pactl`` against the server at ``address``; returns its output."""
    pactl_path = shutil.which("pactl")
    if pactl_path is None:
        raise ServerUnavailableError(
            "pactl is not installed (Debian: apt-get install pulseaudio-utils)"
        )
    done = subprocess.run(
        [pactl_path, *args],
        env={**os.environ, "PULSE_SERVER": address},
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return done.stdout


# --------------------------------------------------------------------------------------
# Checks against the null sink; run only by test_playback.py::test_on_a_real_device.

SERVER = os.environ.get(SERVER_ENV, "")
pytestmark = pytest.mark.skipif(
    not SERVER or os.environ.get("PULSE_SERVER") != SERVER,
    reason="needs the null-sink server and a fresh interpreter: "
    "run test_playback.py::test_on_a_real_device",
)

RATE = 44_100


def tone(seconds: float, freq: float = 440.0) -> ArraySource:
    """A quiet sine, long enough to stop in the middle of."""
    t = np.arange(round(seconds * RATE)) / RATE
    return ArraySource((0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), RATE)


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


@pytest.fixture
def player(qtbot: QtBot) -> Iterator[Player]:
    # 3 s: the null sink can take almost 2 s to start consuming a new stream.
    p = Player(stall_timeout_ms=3000)
    yield p
    p.shutdown()
    p.deleteLater()


def test_the_null_sink_is_an_available_device(player: Player) -> None:
    """With a sound server and a sink, playback is enabled and nothing needs explaining."""
    assert player.available
    assert player.unavailable_reason == ""


def test_a_region_plays_in_real_time_to_its_end(qtbot: QtBot, player: Player) -> None:
    """The playhead runs from the start to the end of the region, then ``finished``."""
    log = Log(player)
    began = time.monotonic()
    with qtbot.waitSignal(player.finished, timeout=15_000):
        player.play(tone(2.0), 500, 1000)
    took = time.monotonic() - began

    positions = log.of("position")
    assert positions[0] == 500
    assert positions[-1] == 1000
    assert positions == sorted(set(positions)), "the playhead went backwards or stalled"
    assert len(positions) >= 6, "the playhead should move in small steps, ~30 a second"
    assert log.of("state") == [True, False]
    assert log.events[-2:] == [("state", False), ("finished", None)]
    assert not player.playing
    # A device that consumes in real time cannot be done with 0.5 s of audio sooner.
    assert took >= 0.45


def test_stop_midway_then_play_again_repeatedly(qtbot: QtBot, player: Player) -> None:
    """Stop ends playback without ``finished``; the player can start again at once."""
    source = tone(4.0)
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

    log.clear()
    with qtbot.waitSignal(player.finished, timeout=15_000):
        player.play(source, 1000, 1300)
    assert log.of("state") == [True, False]
    assert log.of("position")[-1] == 1300


def test_play_while_playing_moves_to_the_new_range(qtbot: QtBot, player: Player) -> None:
    """A second ``play`` restarts at the new range without flipping the state."""
    source = tone(4.0)
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


def test_no_end_plays_to_the_end_of_the_source(qtbot: QtBot, player: Player) -> None:
    """``end_ms=None`` (play from the cursor) ends at the end of the audio."""
    log = Log(player)
    with qtbot.waitSignal(player.finished, timeout=15_000):
        player.play(tone(1.0), 700)
    assert log.of("position")[0] == 700
    assert log.of("position")[-1] == 1000


def test_a_source_that_breaks_mid_play_fails_playback(qtbot: QtBot, player: Player) -> None:
    """A read error (the recording's disk unplugged) stops playback with the cause."""

    class Breaking(ArraySource):
        def read_mono(self, start_frame: int, stop_frame: int) -> np.ndarray[Any, Any]:
            if start_frame >= RATE // 2:
                raise OSError("the disk went away")
            return super().read_mono(start_frame, stop_frame)

    source = tone(3.0)
    log = Log(player)
    with qtbot.waitSignal(player.failed, timeout=15_000) as failure:
        player.play(Breaking(source.samples, RATE), 0, 3000)
    assert failure.args[0] == "Could not read the audio: the disk went away"
    assert log.of("state") == [True, False]
    assert log.of("finished") == []


def test_a_lost_device_fails_playback_then_a_new_one_plays(qtbot: QtBot, player: Player) -> None:
    """A sink removed mid-play: PulseAudio reports nothing, the stall watchdog does."""
    source = tone(4.0)
    log = Log(player)
    player.play(source, 0, 4000)
    qtbot.waitUntil(lambda: log.position >= 100, timeout=10_000)
    with qtbot.waitSignal(player.failed, timeout=15_000) as failure:
        pactl(SERVER, "unload-module", "module-null-sink")
    assert "stopped playing" in failure.args[0]
    assert not player.playing
    assert log.events[-2:] == [("state", False), ("failed", failure.args[0])]

    pactl(SERVER, "load-module", "module-null-sink", "sink_name=null")
    log.clear()
    with qtbot.waitSignal(player.finished, timeout=15_000):
        player.play(source, 0, 300)
    assert log.of("failed") == []


# Qt's own reconnection attempts after the server died; expected here and nowhere else.
@pytest.mark.qt_log_ignore(r"^PulseAudioService: ")
def test_sound_server_dying_fails_playback_and_never_crashes(
    qtbot: QtBot, player: Player, qtlog: Any
) -> None:
    """The server dies mid-play: ``failed``, then every later ``play`` fails cleanly.

    Must stay the last check: it kills the server for the rest of the interpreter.
    Without the player's own server watch, the next ``play`` would abort the whole
    process inside libpulse (Qt keeps a dead connection).
    """
    source = tone(4.0)
    log = Log(player)
    player.play(source, 0, 4000)
    qtbot.waitUntil(lambda: log.position >= 100, timeout=10_000)
    with qtbot.waitSignal(player.failed, timeout=10_000) as failure:
        os.kill(int(os.environ[PID_ENV]), signal.SIGTERM)
    assert failure.args[0] == SERVER_LOST_REASON
    assert not player.playing
    assert not player.available
    assert player.unavailable_reason == SERVER_LOST_REASON

    with qtbot.waitSignal(player.failed, timeout=1000) as again:
        player.play(source, 0, 300)
    assert again.args[0] == SERVER_LOST_REASON
    # Let Qt's retry (3 s after it lost the server) log here, where it is expected.
    qtbot.waitUntil(
        lambda: any("PulseAudioService" in r.message for r in qtlog.records), timeout=10_000
    )
