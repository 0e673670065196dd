"""Sound output for playback, without Qt: probe the output, stream a range of a source to it.

The device is driven by PortAudio through ``sounddevice`` (Windows and macOS wheels carry
PortAudio; on Linux it is the system's libportaudio2, which plays through ALSA's default
device, routed to PulseAudio or PipeWire on a desktop). Playing a range works in three
parts:

- a feeder thread reads the source in blocks (``read_mono``, so hours are never held in
  memory) into a ring buffer of about half a second, and fills it *before* the device
  starts, so the first frames are never missing;
- the device's callback (PortAudio's audio thread, under the GIL, as every Python audio
  callback is) only copies from the ring into the device's buffer, fades out when asked
  and pads with silence: it never reads files, allocates or waits on anything but a lock
  held for a few lines;
- the player asks :meth:`OutputStream.position` for the frame the listener hears now: the
  frames the device has taken, less the output latency PortAudio reports. That is the
  audio clock; a GUI timer only polls it to draw.

A range starts with :data:`PREROLL_MS` of silence, because a PulseAudio sink that is
already running can drop the first couple of milliseconds a new stream sends (measured:
0.7–1.9 ms at a null sink); it ends on its last frame, followed by silence until the
device's buffer has played out. :meth:`OutputStream.stop` fades out over
:data:`FADE_MS` instead of cutting at a non-zero sample, and returns the frame where the
fade begins, so playing again from there loses nothing.

:func:`probe_output` finds out whether playback can work, and if not says why: no sound
server running (with the client library's own words, e.g. "Connection refused"), no
output device, or the audio library missing. Each stream opens the device afresh, so a
server that starts later is found by probing again; the Qt player does that on a worker
thread, never on the GUI thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib
import logging
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
    "load_audio_library",
    "no_server_reason",
    "probe_output",
]

log = logging.getLogger(__name__)

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
_NO_PORTAUDIO = (
    "Playback needs the PortAudio library (Debian and Ubuntu: apt install libportaudio2), "
    "which was not found."
)
_OPEN_FAILED = "The audio device could not be opened ({cause}). It may be in use or disconnected."

# Silence before a range: what a running PulseAudio sink may drop of a new stream's start.
PREROLL_MS = 10
# Stop fades out over this long instead of cutting at a non-zero sample.
FADE_MS = 5
# The device's buffer (PortAudio's suggested latency) and the callback's period. The
# callback waits for the GIL; a GUI thread busy in Python makes it wait up to the switch
# interval (5 ms) and more on a loaded machine, which this buffer rides out.
LATENCY_MS = 60
PERIOD_MS = 20
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


# ALSA prints to stderr whatever it cannot open while PortAudio looks at every device at
# start-up (pages of "cannot find card" where there is none); silence it for this process.
_ALSA_ERROR_HANDLER = ctypes.CFUNCTYPE(
    None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
)


def _ignore_alsa_error(*_args: object) -> None:
    return None


_alsa_quiet = _ALSA_ERROR_HANDLER(_ignore_alsa_error)

# libjack prints to stderr too, when the look at every device opens ALSA's "jack" device
# (alsa-plugins) with no JACK server running, which is normal: "Cannot connect to server
# socket err = No such file or directory", "jack server is not running…". On a terminal
# that reads like a failure; it goes to the log instead.
_JACK_MESSAGE_FUNCTION = ctypes.CFUNCTYPE(None, ctypes.c_char_p)


def _log_jack_message(message: bytes | None) -> None:
    log.debug("libjack: %s", (message or b"").decode(errors="replace"))


_jack_quiet = _JACK_MESSAGE_FUNCTION(_log_jack_message)


def _quiet_audio_libraries() -> None:
    """Send what ALSA and libjack print while PortAudio looks for devices away from stderr.

    Called before each start of PortAudio: its JACK host API installs its own (quiet)
    error function, and a restart may leave libjack's default, which prints.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):  # no ALSA: PortAudio will say so itself
        ctypes.CDLL("libasound.so.2").snd_lib_error_set_handler(_alsa_quiet)
    with contextlib.suppress(OSError, AttributeError):  # no JACK here: nothing to quiet
        jack = ctypes.CDLL("libjack.so.0")
        jack.jack_set_error_function(_jack_quiet)
        jack.jack_set_info_function(_jack_quiet)


@functools.cache
def _sounddevice() -> Any:
    """The sounddevice module, imported on first use (PortAudio's start-up scans devices).

    A missing library is a reason shown to the user, not an ImportError at start.
    """
    _quiet_audio_libraries()
    return importlib.import_module("sounddevice")


def _restart_portaudio(sd: Any) -> None:
    """Stop and start PortAudio: it lists the devices only when it starts."""
    sd._terminate()
    _quiet_audio_libraries()
    sd._initialize()


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
        ("pa_context_get_sink_info_list", ptr, [ptr, _SINK_INFO_CB, ptr]),
        ("pa_operation_get_state", ctypes.c_int, [ptr]),
        ("pa_operation_unref", None, [ptr]),
        ("pa_strerror", ctypes.c_char_p, [ctypes.c_int]),
        ("pa_context_disconnect", None, [ptr]),
        ("pa_context_unref", None, [ptr]),
    ):
        function = getattr(pa, name)
        function.restype = restype
        function.argtypes = argtypes
    return pa


# void (*)(pa_context *c, const pa_sink_info *info, int eol, void *userdata)
_SINK_INFO_CB = ctypes.CFUNCTYPE(
    None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p
)


def _pulse_problem(timeout_s: float = 2.0) -> OutputProbe | None:
    """None when a PulseAudio-compatible server answers and has a sink, else why not."""
    pa = _libpulse()
    if pa is None:  # no PulseAudio client here: let PortAudio find what there is
        return None
    ready, failed, terminated, noautospawn, op_running = 4, 5, 6, 1, 0
    mainloop = pa.pa_mainloop_new()
    context = pa.pa_context_new(pa.pa_mainloop_get_api(mainloop), b"pvc-sample-editor")
    deadline = time.monotonic() + timeout_s

    def run_until(done: Callable[[], bool]) -> bool:
        while not done():
            if time.monotonic() > deadline:
                return False
            pa.pa_mainloop_iterate(mainloop, 0, None)
            if not done():
                time.sleep(0.002)
        return True

    try:
        if pa.pa_context_connect(context, None, noautospawn, None) >= 0:
            run_until(lambda: pa.pa_context_get_state(context) in (ready, failed, terminated))
        if pa.pa_context_get_state(context) != ready:
            cause = (pa.pa_strerror(pa.pa_context_errno(context)) or b"").decode(errors="replace")
            return OutputProbe(
                no_server_reason(cause or "it did not answer in time"), server_running=False
            )
        sinks: list[int] = []
        callback = _SINK_INFO_CB(lambda _c, _info, eol, _u: sinks.append(eol))
        operation = pa.pa_context_get_sink_info_list(context, callback, None)
        if operation:
            run_until(lambda: pa.pa_operation_get_state(operation) != op_running)
            pa.pa_operation_unref(operation)
        return None if 0 in sinks else OutputProbe(NO_DEVICE_REASON)
    finally:
        pa.pa_context_disconnect(context)
        pa.pa_context_unref(context)
        pa.pa_mainloop_free(mainloop)


def load_audio_library() -> None:
    """Load PortAudio now (the self-test proves a build carries it); raises if missing."""
    _sounddevice()


_open_devices = 0  # PortAudio streams open in this process (a restart would break them)
_open_lock = threading.Lock()


def _restart_if_idle(sd: Any) -> bool:
    """Restart PortAudio for a fresh device list, unless a stream is open; True if done."""
    with _open_lock:
        if _open_devices:
            return False
        _restart_portaudio(sd)
        return True


def probe_output(*, rescan: bool = False) -> OutputProbe:
    """Look for the default output now; blocks for milliseconds (up to 2 s on a hung server).

    Call it off the GUI thread. Never raises: every failure becomes a reason.
    ``rescan`` restarts PortAudio first, which lists devices only when it starts (a
    device plugged in since); only while no stream is open.
    """
    try:
        sd = _sounddevice()
        if rescan:
            _restart_portaudio(sd)  # sounddevice's own advice for a fresh device list
    except ImportError as exc:
        return OutputProbe(_NO_LIBRARY.format(cause=exc))
    except OSError:  # sounddevice's own words: "PortAudio library not found"
        return OutputProbe(_NO_PORTAUDIO)
    if sys.platform.startswith("linux"):
        problem = _pulse_problem()
        if problem is not None:
            return problem
    try:
        device = sd.query_devices(kind="output")
    except (sd.PortAudioError, ValueError):
        # PortAudio's list is from when it started, maybe before the server or a sink
        # was there: look again once, if no stream in this process holds it open.
        if rescan or not _restart_if_idle(sd):
            return OutputProbe(NO_DEVICE_REASON)
        try:
            device = sd.query_devices(kind="output")
        except (sd.PortAudioError, ValueError):
            return OutputProbe(NO_DEVICE_REASON)
    hostapi = sd.query_hostapis(device["hostapi"])["name"]
    return OutputProbe("", str(hostapi), str(device["name"]))


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

    def replace_unplayed(
        self, fetch: Callable[[int], np.ndarray[Any, Any]]
    ) -> tuple[int, int] | None:
        """Drop what is written but not yet handed out and write ``fetch(frame)`` instead.

        ``fetch`` gets the timeline frame writing resumes at and returns the frames from
        there (at most the ring's capacity). It runs under the lock the callback takes,
        so the device never sees the ring empty in between: keep it to a quick read.
        Returns (resume frame, frames written), or None while fading out.
        """
        with self._lock:
            if self._fade_from is not None:
                return None
            self._written = max(self._read, self.preroll)
            resume = self._written
            samples = fetch(resume)[: self.capacity]
            n = int(samples.shape[0])
            at = (resume - self.preroll) % self.capacity
            first = min(n, self.capacity - at)
            self._ring[at : at + first] = samples[:first]
            self._ring[: n - first] = samples[first:]
            self._written += n
            return resume, n

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


class _Device:
    """A PortAudio output stream: float32 mono at the source's rate (PortAudio, ALSA or
    the sound server converts), whose callback copies from a :class:`RingRenderer`."""

    def __init__(self, samplerate: int, renderer: RingRenderer, wake: threading.Event) -> None:
        sd = _sounddevice()

        def callback(outdata: Any, frames: int, _time: Any, _status: Any) -> None:
            outdata[:, 0] = renderer.render(frames)
            wake.set()

        try:
            self._stream = sd.OutputStream(
                samplerate=samplerate,
                channels=1,
                dtype="float32",
                blocksize=samplerate * PERIOD_MS // 1000,
                latency=LATENCY_MS / 1000,
                callback=callback,
                finished_callback=wake.set,
            )
        except sd.PortAudioError as exc:
            raise OSError(str(exc)) from exc
        global _open_devices
        with _open_lock:
            _open_devices += 1
        # What PortAudio says the device holds between the callback and the speaker.
        self.latency_frames = round(float(self._stream.latency) * samplerate)
        self._error = sd.PortAudioError

    @property
    def active(self) -> bool:
        """False once PortAudio has given up on the stream (the device went away)."""
        return bool(self._stream.active)

    def start(self) -> None:
        try:
            self._stream.start()
        except self._error as exc:
            raise OSError(str(exc)) from exc

    def close(self) -> None:
        """Stop (dropping what is still buffered: by now only silence) and release."""
        global _open_devices
        try:
            self._stream.abort(ignore_errors=True)
        finally:
            self._stream.close(ignore_errors=True)
            with _open_lock:
                _open_devices -= 1


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
        self._latency = rate * LATENCY_MS // 1000  # until the device says better
        self._drain = self._latency + rate * _DRAIN_MARGIN_MS // 1000
        self._on_event = on_event
        self._stall_timeout_s = stall_timeout_s
        self._wake = threading.Event()
        self._stop_requested = False
        self._abort = False
        self._next = start_frame  # next source frame the feeder reads
        self._fill_lock = threading.Lock()  # a block's read and write vs a source switch
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

    def switch_source(self, source: PlaybackSource) -> int | None:
        """Go on from the same frame in ``source`` (same rate), without a gap or a repeat.

        What the device has taken of the old source still plays (its buffer, tens of
        ms); the ring's unplayed frames are replaced at once by the new source's (one
        block read here, so the device never runs dry), and the feeder goes on from
        there. Returns the source frame the new source plays from, or None when it
        cannot switch (the stream is stopping, or the rates differ).
        """
        if int(source.samplerate) != self.samplerate:
            return None
        block = self.samplerate * _BLOCK_MS // 1000

        def fetch(resume: int) -> np.ndarray[Any, Any]:
            frame = self._source_frame(resume)
            count = max(0, min(block, self.stop_frame - frame))
            try:
                samples = np.asarray(source.read_mono(frame, frame + count), dtype=np.float32)
            except Exception:  # the feeder reads again and reports it
                return np.zeros(0, np.float32)
            return np.clip(samples[:count], -1.0, 1.0)

        with self._fill_lock:  # not in the middle of a block read from the old source
            done = self.renderer.replace_unplayed(fetch)
            if done is None:
                return None
            resume, written = done
            self.source = source
            self._next = self._source_frame(resume) + written
        self._wake.set()
        return self._source_frame(resume)

    def abort(self) -> None:
        """Stop without waiting for the fade to play out (the program is closing)."""
        self._abort = True
        self.stop()

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
                device = _Device(self.samplerate, self.renderer, self._wake)
                self._latency = device.latency_frames
                self._drain = self._latency + self.samplerate * _DRAIN_MARGIN_MS // 1000
                device.start()
                kind, text = self._feed(device)
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
            with self._fill_lock:
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

    def _feed(self, device: _Device) -> tuple[str, str]:
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
            if r.tail >= self._drain or self._abort:
                return "finished", ""
            now = time.monotonic()
            if (r.read, r.tail) != progress:
                progress, progress_at = (r.read, r.tail), now
            elif now - progress_at > self._stall_timeout_s or not device.active:
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
