"""A throwaway PulseAudio server with one null sink, and a recorder of what reaches it.

The player opens a fresh connection to the sound server for every probe and every
range it plays, reading ``PULSE_SERVER`` each time, so a test points it at a private
server with ``monkeypatch.setenv``. Nothing of the user's own sound setup is read or
touched: the server gets its own HOME, runtime directory and socket, loads no default
configuration (``-n``), and runs in the foreground as our child so it can be stopped by
pid, and started again at the same address (a server that comes back).

The null sink consumes audio in real time and plays it nowhere, so tests are silent and
timing behaves as on a sound card. :class:`SinkRecorder` records the sink's monitor with
``parec`` and timestamps every block as it arrives, so a test can compare what reached
the sink with the source, sample for sample, and time the way there.

One quirk of the null sink: with no stream asking for low latency it renders in
2-second blocks, so the first stream to arrive waits up to 2 s. The recorder asks for
2 ms and is started (and waited for) before anything plays.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ArraySource",
    "NullSinkServer",
    "ServerUnavailableError",
    "SinkRecorder",
    "locate",
    "null_sink_server",
    "pactl",
]


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


class ServerUnavailableError(RuntimeError):
    """PulseAudio is not installed or would not start here (the reason is the message)."""


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ServerUnavailableError(f"{name} is not installed (Debian: apt-get install {package})")
    return path


def pactl(address: str, *args: str) -> str:
    """Run ``pactl`` against the server at ``address``; returns its output."""
    done = subprocess.run(
        [_tool("pactl", "pulseaudio-utils"), *args],
        env={**os.environ, "PULSE_SERVER": address},
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return done.stdout


def _reachable(address: str) -> bool:
    done = subprocess.run(
        [_tool("pactl", "pulseaudio-utils"), "info"],
        env={**os.environ, "PULSE_SERVER": address},
        capture_output=True,
        timeout=10,
        check=False,
    )
    return done.returncode == 0


class NullSinkServer:
    """A private ``pulseaudio`` with a null sink named ``null``; stop and start it at will.

    ``address`` (for ``PULSE_SERVER``) stays the same across restarts.
    """

    def __init__(self, root: Path, rate: int) -> None:
        self.root = root
        self.rate = rate
        self.socket_path = root / "native"
        self.address = f"unix:{self.socket_path}"
        self.log_path = root / "pulseaudio.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout_s: float = 15.0) -> None:
        """Start the daemon and wait until it answers."""
        binary = _tool("pulseaudio", "pulseaudio")
        (self.root / "home").mkdir(exist_ok=True)
        runtime = self.root / "run"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env = {
            **os.environ,
            "HOME": str(self.root / "home"),
            "XDG_RUNTIME_DIR": str(runtime),
            "XDG_CONFIG_HOME": str(self.root / "home" / "config"),
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
            f"--load=module-null-sink sink_name=null rate={self.rate}",
            f"--load=module-native-protocol-unix socket={self.socket_path} auth-anonymous=1",
        ]
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        deadline = time.monotonic() + timeout_s
        while not (self.socket_path.exists() and _reachable(self.address)):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise ServerUnavailableError(f"pulseaudio did not start:\n{tail}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the daemon (SIGTERM, then SIGKILL) and wait for it."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def null_sink_server(rate: int = 44_100) -> Iterator[NullSinkServer]:
    """A running :class:`NullSinkServer` for the duration of the block.

    Raises:
        ServerUnavailableError: no ``pulseaudio`` binary, or it did not come up in time.
    """
    # A short path: a unix socket's path must fit in 108 bytes.
    with tempfile.TemporaryDirectory(prefix="pvc-pulse-") as tmp:
        server = NullSinkServer(Path(tmp), rate)
        try:
            server.start()
            yield server
        finally:
            server.stop()


@dataclass(frozen=True)
class Arrival:
    """A block of the recording: when it arrived (time.monotonic) and its first frame."""

    at: float
    first_frame: int


class SinkRecorder:
    """Records the null sink's monitor (mono float32 at the sink's rate) with ``parec``.

    parec writes straight to a file, so what is recorded never waits for this process
    (its GIL may be busy: some tests keep it busy on purpose). A thread notes when the
    file grew, for timing only.
    """

    def __init__(self, server: NullSinkServer, path: Path) -> None:
        self.rate = server.rate
        self.path = path
        with path.open("wb") as out:
            self._proc = subprocess.Popen(
                [
                    _tool("parec", "pulseaudio-utils"),
                    "--device=null.monitor",
                    "--raw",
                    "--format=float32le",
                    f"--rate={server.rate}",
                    "--channels=1",
                    "--latency-msec=2",
                ],
                stdout=out,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "PULSE_SERVER": server.address},
            )
        self._arrivals: list[Arrival] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="parec-watch", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        seen = 0
        while not self._stop.wait(0.001):
            size = self.path.stat().st_size // 4
            if size > seen:
                with self._lock:
                    self._arrivals.append(Arrival(time.monotonic(), seen))
                seen = size

    def wait_running(self, timeout_s: float = 10.0) -> None:
        """Wait for the first block: the sink now renders at low latency."""
        deadline = time.monotonic() + timeout_s
        while not self.frames:
            if time.monotonic() > deadline or self._proc.poll() is not None:
                raise ServerUnavailableError("parec recorded nothing from the null sink")
            time.sleep(0.005)
        time.sleep(0.1)

    @property
    def frames(self) -> int:
        return self.path.stat().st_size // 4

    def samples(self, since: int = 0) -> np.ndarray[Any, Any]:
        """What was recorded from frame ``since`` on."""
        data = self.path.read_bytes()
        return np.frombuffer(data[since * 4 : len(data) // 4 * 4], np.float32)

    def arrival_of(self, frame: int) -> float:
        """About when recorded ``frame`` was at the sink (time.monotonic seconds).

        parec writes a block once its last frame is recorded, so a frame ``k`` frames
        before its block's end was at the sink ``k / rate`` before the block was seen.
        """
        with self._lock:
            arrivals = list(self._arrivals)
        index = max(i for i, a in enumerate(arrivals) if a.first_frame <= frame)
        end = arrivals[index + 1].first_frame if index + 1 < len(arrivals) else self.frames
        return arrivals[index].at - (end - frame) / self.rate

    def close(self) -> None:
        self._proc.terminate()
        self._proc.wait(timeout=10)
        self._stop.set()
        self._thread.join(timeout=10)


def locate(recording: np.ndarray[Any, Any], clip: np.ndarray[Any, Any]) -> int:
    """Where ``clip`` starts in ``recording``: the peak of their cross-correlation."""
    n = 1 << int(np.ceil(np.log2(recording.size + clip.size)))
    spectrum = np.fft.rfft(recording, n) * np.conj(np.fft.rfft(clip, n))
    return int(np.argmax(np.fft.irfft(spectrum, n)[: recording.size]))
