"""Sound output for playback, without Qt: probe the output, stream a range of a source to it.

The device is driven by miniaudio (``pip install miniaudio``: one self-contained library,
which talks to PulseAudio or PipeWire on Linux, WASAPI on Windows and CoreAudio on macOS,
loading the system's sound client at run time). Playing a range works in three parts:

- a feeder thread reads the source in blocks (``read_mono``, so hours are never held in
  memory) into a ring buffer of about half a second, and fills it *before* the device
  starts, so the first frames are never missing;
- the device's callback (miniaudio's audio thread, under the GIL, as every Python audio
  callback is) only copies from the ring into the device's buffer, fades out when asked
  and pads with silence: it never reads files, allocates or waits on anything but a lock
  held for a few lines;
- the player asks :meth:`OutputStream.position` for the frame the listener hears now: the
  frames the device has taken, less what its buffer still holds. That is the audio clock;
  a GUI timer only polls it to draw.

A range starts with :data:`PREROLL_MS` of silence, because a PulseAudio sink that is
already running can drop the first couple of milliseconds a new stream sends (measured:
0.7–1.9 ms at a null sink); it ends on its last frame, followed by silence until the
device's buffer has played out. :meth:`OutputStream.stop` fades out over
:data:`FADE_MS` instead of cutting at a non-zero sample, and returns the frame where the
fade begins, so playing again from there loses nothing.

:func:`probe_output` finds out whether playback can work, and if not says why: no sound
server running (with the client library's own words, e.g. "Connection refused"), no
output device, or the audio library missing. It opens a fresh connection each time, so a
server that starts later is found by probing again; the Qt player does that on a worker
thread, never on the GUI thread.
"""

from __future__ import annotations

import ctypes
import functools
import importlib
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

__all__ = [
    "FADE_MS",
    "NO_DEVICE_REASON",
    "PREROLL_MS",
    "SERVER_LOST_REASON",
    "STALLED_REASON",
    "OutputProbe",
    "OutputStream",
    "PlaybackSource",
    "RingRenderer",
    "SpanTimeline",
    "no_server_reason",
    "probe_output",
]

NO_DEVICE_REASON = (
    "No audio output device was found. Connect speakers or headphones; "
    "playback comes back by itself when one appears."
)
_NO_SERVER = (
    "No sound server is running ({cause}). Playback needs PulseAudio or PipeWire, which a "
    "desktop session starts; it comes back by itself when the server runs."
)
SERVER_LOST_REASON = (
    "The sound server stopped during playback. Playback comes back by itself when it runs again."
)
STALLED_REASON = "The audio device stopped playing. It may have been disconnected."
_NO_LIBRARY = "Playback is not available: the audio library could not be loaded ({cause})."
_NO_LIBPULSE = (
    "Playback needs PulseAudio's client library (libpulse.so.0; Debian and Ubuntu: "
    "apt install libpulse0), which was not found."
)
_OPEN_FAILED = "The audio device could not be opened ({cause}). It may be in use or disconnected."

# Silence before a range: what a running PulseAudio sink may drop of a new stream's start.
PREROLL_MS = 10
# Stop fades out over this long instead of cutting at a non-zero sample.
FADE_MS = 5
# The device's buffer: PERIODS periods of PERIOD_MS. The callback runs every period; a
# GUI thread that holds the GIL for longer than the buffer minus a period makes a gap.
PERIOD_MS = 20
PERIODS = 3
# The feeder's ring buffer and the most it reads from the source at once.
_RING_MS = 500
_BLOCK_MS = 100
# After the last frame, keep the device running this much longer than its buffer, so the
# end is played before the device is stopped (whatever the backend does on stop).
_DRAIN_MARGIN_MS = 60
# How often the feeder wakes when the callback does not wake it.
_FEEDER_TICK_S = 0.02


class PlaybackSource(Protocol):
    """What the player reads: a sample rate, a length and float32 mono frame ranges."""

    @property
    def samplerate(self) -> int:
        """Frames per second."""

    @property
    def frames(self) -> int:
        """Length in frames."""

    def read_mono(self, start_frame: int, stop_frame: int) -> np.ndarray[Any, Any]:
        """Float32 mono samples of ``[start_frame, stop_frame)``; shorter at the end."""


# ------------------------------------------------------------------------------ probing


@dataclass(frozen=True)
class OutputProbe:
    """What a probe found: ``reason`` is empty when playback can work, else says why not."""

    reason: str
    backend: str = ""
    device: str = ""
    server_running: bool = True

    @property
    def available(self) -> bool:
        """True when an output device was found."""
        return not self.reason


def no_server_reason(cause: str) -> str:
    """The text for "no sound server", with the client library's own cause."""
    return _NO_SERVER.format(cause=cause[:1].lower() + cause[1:] if cause else "no answer")


def _miniaudio() -> Any:
    # Imported on first use: start-up does not pay for it, and a missing library is a
    # reason shown to the user, not an ImportError at start.
    return importlib.import_module("miniaudio")


def _uses_pulse() -> bool:
    return sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))


def _backends(ma: Any) -> list[Any]:
    # On Linux only PulseAudio (PipeWire's pulse service on current desktops): miniaudio's
    # ALSA fallback would print pages of ALSA errors where no card exists, and could not
    # tell "no server" from "no device".
    return [ma.Backend.PULSEAUDIO] if _uses_pulse() else []


@functools.cache
def _libpulse() -> Any:
    """libpulse through ctypes (to ask the server why it does not answer), or None."""
    try:
        pa = ctypes.CDLL("libpulse.so.0")
    except OSError:
        return None
    ptr = ctypes.c_void_p
    for name, restype, argtypes in (
        ("pa_mainloop_new", ptr, []),
        ("pa_mainloop_get_api", ptr, [ptr]),
        ("pa_mainloop_iterate", ctypes.c_int, [ptr, ctypes.c_int, ptr]),
        ("pa_mainloop_free", None, [ptr]),
        ("pa_context_new", ptr, [ptr, ctypes.c_char_p]),
        ("pa_context_connect", ctypes.c_int, [ptr, ctypes.c_char_p, ctypes.c_int, ptr]),
        ("pa_context_get_state", ctypes.c_int, [ptr]),
        ("pa_context_errno", ctypes.c_int, [ptr]),
        ("pa_strerror", ctypes.c_char_p, [ctypes.c_int]),
        ("pa_context_disconnect", None, [ptr]),
        ("pa_context_unref", None, [ptr]),
    ):
        function = getattr(pa, name)
        function.restype = restype
        function.argtypes = argtypes
    return pa


def _pulse_server_problem(timeout_s: float = 2.0) -> str | None:
    """None when a PulseAudio-compatible server answers, else the reason for the user."""
    pa = _libpulse()
    if pa is None:
        return _NO_LIBPULSE
    ready, failed, terminated, noautospawn = 4, 5, 6, 1
    mainloop = pa.pa_mainloop_new()
    context = pa.pa_context_new(pa.pa_mainloop_get_api(mainloop), b"pvc-sample-editor")
    try:
        if pa.pa_context_connect(context, None, noautospawn, None) < 0:
            state = failed
        else:
            deadline = time.monotonic() + timeout_s
            state = 0
            while state not in (ready, failed, terminated) and time.monotonic() < deadline:
                pa.pa_mainloop_iterate(mainloop, 0, None)
                state = pa.pa_context_get_state(context)
                if state not in (ready, failed, terminated):
                    time.sleep(0.002)
        if state == ready:
            return None
        cause = pa.pa_strerror(pa.pa_context_errno(context)) or b""
        return no_server_reason(cause.decode(errors="replace") or "it did not answer in time")
    finally:
        pa.pa_context_disconnect(context)
        pa.pa_context_unref(context)
        pa.pa_mainloop_free(mainloop)


def probe_output() -> OutputProbe:
    """Look for the default output now; blocks for milliseconds (up to 2 s on a hung server).

    Call it off the GUI thread. Never raises: every failure becomes a reason.
    """
    try:
        ma = _miniaudio()
    except (ImportError, OSError) as exc:
        return OutputProbe(_NO_LIBRARY.format(cause=exc))
    if _uses_pulse():
        problem = _pulse_server_problem()
        if problem is not None:
            return OutputProbe(problem, server_running=False)
    try:
        devices = ma.Devices(backends=_backends(ma))
        playbacks = devices.get_playbacks()
    except ma.MiniaudioError:
        # The server answered us a moment ago: it went away in between, or has no sink.
        return OutputProbe(NO_DEVICE_REASON)
    if not playbacks:
        return OutputProbe(NO_DEVICE_REASON)
    default = next((d for d in playbacks if d.get("is_default")), playbacks[0])
    return OutputProbe("", str(devices.backend), str(default.get("name", "")))


# ------------------------------------------------------------------------------ the ring


class RingRenderer:
    """The device callback's half: hands out a range's frames, fading and padding.

    The timeline is ``preroll`` frames of silence, then ``total`` frames of the range.
    A feeder thread :meth:`write`\\ s the range's frames in order; :meth:`render` (the
    device callback) copies the next frames out, or silence when the ring is empty
    (an underrun: the timeline waits, so nothing is skipped) or the range is done.
    After :meth:`begin_fade` the next :data:`FADE_MS` of frames ramp to zero and the
    rest is silence. All methods are safe to call from different threads; ``render``
    only copies, under a lock held for a few lines by the other methods.
    """

    def __init__(self, samplerate: int, total: int, *, preroll: int, capacity: int) -> None:
        self.samplerate = samplerate
        self.total = total
        self.preroll = preroll
        self.capacity = max(capacity, 1)
        self._ring = np.zeros(self.capacity, np.float32)
        self._written = preroll  # timeline frames available (the preroll needs no data)
        self._read = 0  # timeline frames handed to the device
        self._tail = 0  # silent frames handed out after the end or the fade
        self._underruns = 0
        self._fade_from: int | None = None
        fade = max(1, round(samplerate * FADE_MS / 1000))
        # Raised cosine from 1 down to (not including) 0: no corner at either end.
        self._ramp = (0.5 + 0.5 * np.cos(np.pi * np.arange(1, fade + 1) / (fade + 1))).astype(
            np.float32
        )
        self._scratch = np.zeros(4096, np.float32)
        self._lock = threading.Lock()

    # ---- feeder side

    @property
    def space(self) -> int:
        """How many frames :meth:`write` can take now."""
        return self.capacity - (self._written - max(self._read, self.preroll))

    @property
    def written_all(self) -> bool:
        """True once every frame of the range has been written."""
        return self._written >= self.preroll + self.total

    def write(self, samples: np.ndarray[Any, Any]) -> None:
        """Append the range's next frames (at most ``space``)."""
        n = int(samples.shape[0])
        if n > self.space:
            raise ValueError(f"{n} frames do not fit in the ring's {self.space} free frames")
        at = (self._written - self.preroll) % self.capacity
        first = min(n, self.capacity - at)
        self._ring[at : at + first] = samples[:first]
        self._ring[: n - first] = samples[first:]
        with self._lock:
            self._written += n

    def end_early(self) -> None:
        """The source ended before the range did (a truncated file): end where it ended."""
        with self._lock:
            self.total = self._written - self.preroll

    # ---- callback side

    def render(self, frames: int) -> np.ndarray[Any, Any]:
        """The next ``frames`` device frames (a view, valid until the next call)."""
        if frames > self._scratch.shape[0]:
            self._scratch = np.zeros(frames, np.float32)
        out = self._scratch[:frames]
        with self._lock:
            start = self._read
            end = self.preroll + self.total
            if self._fade_from is not None:
                end = min(end, self._fade_from + self._ramp.shape[0])
            n = max(0, min(frames, self._written - start, end - start))
            self._copy(out, start, n)
            out[n:] = 0.0
            if self._fade_from is not None and n:
                lo = start - self._fade_from  # this block's offset into the fade
                if lo + n > 0:
                    skip = max(0, -lo)
                    out[skip:n] *= self._ramp[lo + skip : lo + n]
            self._read = start + n
            if self._read >= end:
                self._tail += frames - n
            elif n < frames:
                self._underruns += 1
        return out

    def _copy(self, out: np.ndarray[Any, Any], start: int, n: int) -> None:
        silent = max(0, min(n, self.preroll - start))
        out[:silent] = 0.0
        left = n - silent
        if left <= 0:
            return
        at = (start + silent - self.preroll) % self.capacity
        first = min(left, self.capacity - at)
        out[silent : silent + first] = self._ring[at : at + first]
        out[silent + first : n] = self._ring[: left - first]

    # ---- either side

    def begin_fade(self) -> int:
        """Fade out from the next frame the device takes; returns that timeline frame."""
        with self._lock:
            if self._fade_from is None:
                self._fade_from = max(self._read, self.preroll)
            return min(self._fade_from, self.preroll + self.total)

    @property
    def read(self) -> int:
        """Timeline frames handed to the device so far (silence after the end excluded)."""
        return self._read

    @property
    def tail(self) -> int:
        """Silent frames handed out after the end (or the fade): how far the end has drained."""
        return self._tail

    @property
    def underruns(self) -> int:
        """How many device periods got silence because the feeder was behind."""
        return self._underruns


# ---------------------------------------------------------------------------- the stream


class _Callbacks:
    """Receives miniaudio's callbacks: pyminiaudio's C trampolines call these by name."""

    def __init__(self, renderer: RingRenderer, wake: threading.Event, ffi: Any) -> None:
        self._renderer = renderer
        self._wake = wake
        self._ffi = ffi

    def _data_callback(self, _device: Any, output: Any, _input: Any, framecount: int) -> None:
        out = self._renderer.render(int(framecount))
        self._ffi.memmove(output, out, out.nbytes)
        self._wake.set()

    def _stop_callback(self, _device: Any) -> None:
        self._wake.set()


class _Device:
    """One miniaudio context and playback device (float32 mono at the source's rate).

    miniaudio converts to the device's format, channels and rate in C.
    """

    def __init__(self, samplerate: int, callbacks: _Callbacks) -> None:
        ma = _miniaudio()
        self._lib, ffi = ma.lib, ma.ffi
        self._handle = ffi.new_handle(callbacks)  # kept alive as long as the device
        self._context = ffi.new("ma_context *")
        self._device = ffi.new("ma_device *")
        self._inited = self._opened = False
        config = self._lib.ma_context_config_init()
        config.pulse.pApplicationName = self._app_name = ffi.new("char[]", b"PVC Sample Editor")
        backends = _backends(ma)
        wanted = ffi.new("ma_backend[]", [b.value for b in backends]) if backends else ffi.NULL
        result = self._lib.ma_context_init(
            wanted, len(backends), ffi.addressof(config), self._context
        )
        if result != self._lib.MA_SUCCESS:
            raise OSError(f"miniaudio error {result} opening the sound system")
        self._inited = True
        dev = self._lib.ma_device_config_init(self._lib.ma_device_type_playback)
        dev.sampleRate = samplerate
        dev.playback.format = self._lib.ma_format_f32
        dev.playback.channels = 1
        dev.periodSizeInMilliseconds = PERIOD_MS
        dev.periods = PERIODS
        dev.pUserData = self._handle
        dev.dataCallback = self._lib._internal_data_callback
        dev.stopCallback = self._lib._internal_stop_callback
        result = self._lib.ma_device_init(self._context, ffi.addressof(dev), self._device)
        if result != self._lib.MA_SUCCESS:
            self.close()
            raise OSError(f"miniaudio error {result} opening the output device")
        self._opened = True

    def start(self) -> None:
        result = self._lib.ma_device_start(self._device)
        if result != self._lib.MA_SUCCESS:
            raise OSError(f"miniaudio error {result} starting the output device")

    def close(self) -> None:
        """Stop and release the device and its context. Never from the audio thread."""
        if self._opened:
            # Stop first: ma_device_uninit alone waits forever for a PulseAudio data loop
            # whose stream died (server gone, sink removed); ma_device_stop wakes it.
            self._lib.ma_device_stop(self._device)
            self._lib.ma_device_uninit(self._device)
            self._opened = False
        if self._inited:
            self._lib.ma_context_uninit(self._context)
            self._inited = False


Event = Callable[["OutputStream", str, str], None]


class OutputStream:
    """Plays frames ``[start_frame, stop_frame)`` of a source on the default output.

    :meth:`start` returns at once; a feeder thread fills the ring, opens the device, plays
    and closes it. It reports through ``on_event(stream, kind, text)``, called on that
    thread: ``"finished"`` (the last frame has been played), ``"failed"`` (``text`` says
    why, for the user) or ``"stopped"`` (after :meth:`stop`, once the fade has played).
    Exactly one of them, once.
    """

    def __init__(
        self,
        source: PlaybackSource,
        start_frame: int,
        stop_frame: int,
        on_event: Event,
        *,
        stall_timeout_s: float = 5.0,
    ) -> None:
        self.source = source
        self.start_frame = start_frame
        self.stop_frame = stop_frame
        rate = int(source.samplerate)
        self.samplerate = rate
        self.renderer = RingRenderer(
            rate,
            stop_frame - start_frame,
            preroll=rate * PREROLL_MS // 1000,
            capacity=rate * _RING_MS // 1000,
        )
        self._latency = rate * PERIOD_MS * PERIODS // 1000
        self._drain = self._latency + rate * _DRAIN_MARGIN_MS // 1000
        self._on_event = on_event
        self._stall_timeout_s = stall_timeout_s
        self._wake = threading.Event()
        self._stop_requested = False
        self._next = start_frame  # next source frame the feeder reads
        self.started_at: float | None = None  # time.monotonic() when the device started
        self._thread = threading.Thread(target=self._run, name="audio-feeder", daemon=True)

    def start(self) -> None:
        """Start the feeder thread (it prefills, then opens and starts the device)."""
        self._thread.start()

    def stop(self) -> int:
        """Fade out now; returns the source frame where the fade begins (resume there)."""
        self._stop_requested = True
        fade_from = self.renderer.begin_fade()
        self._wake.set()
        return self._source_frame(fade_from)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the feeder thread (and so the device) to finish."""
        if self._thread.ident is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """True while the feeder thread runs."""
        return self._thread.is_alive()

    def position(self) -> int:
        """The source frame the listener hears now (the device's clock, less its buffer)."""
        r = self.renderer
        in_buffer = max(0, self._latency - r.tail)
        return self._source_frame(r.read - in_buffer)

    def _source_frame(self, timeline_frame: int) -> int:
        r = self.renderer
        played = min(max(0, timeline_frame - r.preroll), r.total)
        return self.start_frame + played

    # ------------------------------------------------------------------ feeder thread

    def _run(self) -> None:
        device: _Device | None = None
        kind, text = "finished", ""
        try:
            self._fill()
            if not self._stop_requested:
                ma = _miniaudio()
                device = _Device(self.samplerate, _Callbacks(self.renderer, self._wake, ma.ffi))
                device.start()
                self.started_at = time.monotonic()
                kind, text = self._feed()
            if self._stop_requested and kind == "finished":
                kind = "stopped"
        except OSError as exc:
            probe = probe_output()
            kind, text = "failed", probe.reason or _OPEN_FAILED.format(cause=exc)
        except _ReadError as exc:
            kind, text = "failed", f"Could not read the audio: {exc.__cause__}"
        finally:
            if device is not None:
                device.close()
        self._on_event(self, kind, text)

    def _fill(self) -> None:
        """Read the source into the ring while there is room; raise _ReadError on failure."""
        r = self.renderer
        block = self.samplerate * _BLOCK_MS // 1000
        while not r.written_all and r.space > 0 and not self._stop_requested:
            count = min(block, r.space, self.stop_frame - self._next)
            try:
                samples = np.asarray(
                    self.source.read_mono(self._next, self._next + count), dtype=np.float32
                )
            except Exception as exc:  # any reader error ends playback with its text
                raise _ReadError from exc
            samples = np.clip(samples[:count], -1.0, 1.0)  # decoded MP3 overshoots
            r.write(samples)
            self._next += samples.shape[0]
            if samples.shape[0] < count:  # the file is shorter than its header said
                r.end_early()
                return

    def _feed(self) -> tuple[str, str]:
        """Keep the ring full until the end (or the fade) has drained; watch for a stall."""
        r = self.renderer
        progress, progress_at = (-1, -1), time.monotonic()
        while True:
            self._wake.wait(_FEEDER_TICK_S)
            self._wake.clear()
            if not self._stop_requested:
                try:
                    self._fill()
                except _ReadError:
                    r.begin_fade()
                    self._drain_fade()
                    raise
            if r.tail >= self._drain:
                return "finished", ""
            now = time.monotonic()
            if (r.read, r.tail) != progress:
                progress, progress_at = (r.read, r.tail), now
            elif now - progress_at > self._stall_timeout_s:
                probe = probe_output()
                if not probe.server_running:
                    return "failed", SERVER_LOST_REASON
                return "failed", probe.reason or STALLED_REASON

    def _drain_fade(self) -> None:
        deadline = time.monotonic() + 1.0
        while self.renderer.tail < self._drain and time.monotonic() < deadline:
            self._wake.wait(_FEEDER_TICK_S)
            self._wake.clear()


class _ReadError(Exception):
    """The source raised; the original exception is the cause."""


# ---------------------------------------------------------------------------- timelines


@dataclass(frozen=True)
class SpanTimeline:
    """Maps a clip made of spans of a recording, joined in order, back to the recording.

    A speaker's clip from the server is that speaker's utterances back to back; its time
    ``t`` lies in the span where the running total of span lengths passes ``t``.
    """

    spans_ms: tuple[tuple[int, int], ...]

    @classmethod
    def from_seconds(cls, spans: Sequence[tuple[float, float]]) -> SpanTimeline:
        """From ``(start, end)`` spans in seconds, as the API gives utterances."""
        return cls(tuple((round(a * 1000), round(b * 1000)) for a, b in spans if b > a))

    def __call__(self, clip_ms: int) -> int:
        """The recording's ms that plays at ``clip_ms`` into the clip."""
        left = max(0, int(clip_ms))
        for start, end in self.spans_ms:
            if left <= end - start:
                return start + left
            left -= end - start
        return self.spans_ms[-1][1] if self.spans_ms else int(clip_ms)
