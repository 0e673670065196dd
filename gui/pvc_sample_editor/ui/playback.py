"""Play a range of audio through the default output device, streamed in small chunks.

A :class:`Player` drives a ``QAudioSink`` in pull mode. The sink reads from a
:class:`SourceStream`, which asks the source for at most a buffer's worth (a quarter of
a second) of float32 mono at a time and converts it to the format the device accepts,
so a 3-hour recording is never held in memory. Any object with ``samplerate``,
``frames`` and ``read_mono(start_frame, stop_frame)`` can be played
(:class:`PlaybackSource`); the app plays an ``AudioDocument``: a local file streamed
through its reader, or a clip the server sent (a speaker's audio, the preview).

Failures are reported, never crashed on. With no output device QtMultimedia fails
quietly (no outputs, a sink that ends in ``OpenError``), and on Linux it prints a
warning when no sound server answers; the player finds out first (``available``,
``unavailable_reason``) and ``play`` then emits one ``failed``. A device that stops
consuming mid-play, which PulseAudio does not report, is caught by a stall watchdog.
A sound server that dies is caught by the player's own connection to it, before Qt's
dead connection can abort the process (see ``_SoundServer``).

On Linux QtMultimedia plays through PulseAudio or PipeWire's PulseAudio server
(libpulse0); ``QT_AUDIO_BACKEND=pipewire`` selects Qt's native PipeWire output instead.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
import time
from typing import Any, Protocol

import numpy as np
from PySide6.QtCore import QIODevice, QObject, QTimer, Signal, Slot
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSink, QMediaDevices

try:
    # Qt 6.7 renamed the QAudio namespace. In PySide6 both exist as distinct enum
    # types that never compare equal: QAudioSink.state()/error() return QtAudio's,
    # while the stateChanged signal still delivers QAudio's. Use QtAudio and ignore
    # the signal's argument.
    from PySide6.QtMultimedia import QtAudio
except ImportError:  # PySide6 6.6
    from PySide6.QtMultimedia import QAudio as QtAudio  # type: ignore[assignment]

__all__ = [
    "NO_DEVICE_REASON",
    "SERVER_LOST_REASON",
    "PlaybackSource",
    "Player",
    "SourceStream",
]

NO_DEVICE_REASON = (
    "No audio output device was found. Connect speakers or headphones; playback is disabled."
)
SERVER_LOST_REASON = (
    "The sound server stopped while the editor was running. Restart the editor to play audio again."
)
# Audio the sink holds ahead of the speaker. Long enough that a busy GUI thread (which
# runs readData) does not starve it, short enough that a restart feels immediate.
_BUFFER_MS = 250
# Never convert more than this per readData call, whatever the sink asks for.
_MAX_CHUNK_FRAMES = 1 << 16
# The moving playhead: about 30 updates a second.
_POSITION_INTERVAL_MS = 33
# How often to check that the sound server is still there (see _SoundServer).
_SERVER_WATCH_MS = 1000

_SINK_ERRORS = {
    QtAudio.Error.OpenError: "The audio device could not be opened. It may be in use by "
    "another program or disconnected.",
    QtAudio.Error.IOError: "The audio device stopped accepting sound during playback. "
    "It may have been disconnected.",
    QtAudio.Error.UnderrunError: "The audio device ran out of sound to play.",
    QtAudio.Error.FatalError: "The system's audio service failed; playback stopped.",
}
_OPEN_ERROR = QtAudio.Error.OpenError
_STALLED = "The audio device stopped playing. It may have been disconnected."
_DISCONNECTED = "The audio device was disconnected; playback stopped."


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


@functools.cache
def _libpulse() -> Any:
    """libpulse through ctypes, or None off Linux or where it cannot be loaded."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        pa = ctypes.CDLL("libpulse.so.0")
    except OSError:  # QtMultimedia links libpulse, so Qt cannot play either; let Qt say so
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
        ("pa_context_disconnect", None, [ptr]),
        ("pa_context_unref", None, [ptr]),
    ):
        function = getattr(pa, name)
        function.restype = restype
        function.argtypes = argtypes
    return pa


class _SoundServer:
    """Our own connection to the PulseAudio-compatible sound server, without Qt.

    QtMultimedia plays through PulseAudio on Linux (or PipeWire's PulseAudio server)
    and trusts it blindly. With no server, Qt's first device query prints
    "PulseAudioService: pa_context_connect() failed" and never asks again. Worse, once
    the server has gone away for more than Qt's single 3-second retry, Qt keeps a null
    connection, and the next ``QAudioSink`` aborts the process inside libpulse. So the
    player asks here first (same lookup, same flags as Qt) and keeps the connection
    open to notice the server going away.
    """

    _READY, _FAILED, _TERMINATED = 4, 5, 6  # pa_context_state_t

    def __init__(self, pa: Any, timeout_s: float) -> None:
        self._pa = pa
        self._mainloop = pa.pa_mainloop_new()
        self._context = pa.pa_context_new(
            pa.pa_mainloop_get_api(self._mainloop), b"pvc-sample-editor"
        )
        if not self._context or pa.pa_context_connect(self._context, None, 0, None) < 0:
            self.close()
            return
        deadline = time.monotonic() + timeout_s
        while self._state() not in (self._READY, self._FAILED, self._TERMINATED):
            if time.monotonic() > deadline:
                self.close()
                return
            time.sleep(0.002)

    @classmethod
    def connect(cls, timeout_s: float = 2.0) -> _SoundServer | None:
        """A connection attempt, or None where Qt does not play through PulseAudio."""
        pa = _libpulse()
        if pa is None or os.environ.get("QT_AUDIO_BACKEND") == "pipewire":
            return None
        return cls(pa, timeout_s)

    @property
    def alive(self) -> bool:
        """True while the server answers; False for good once it has gone."""
        return self._context is not None and self._state() == self._READY

    def _state(self) -> int:
        # Non-blocking: handle what the socket has (e.g. the server hanging up), no more.
        for _ in range(100):
            if self._pa.pa_mainloop_iterate(self._mainloop, 0, None) <= 0:
                break
        return int(self._pa.pa_context_get_state(self._context))

    def close(self) -> None:
        """Disconnect; ``alive`` is False afterwards. Safe to call twice."""
        if self._context:
            self._pa.pa_context_disconnect(self._context)
            self._pa.pa_context_unref(self._context)
        if self._mainloop:
            self._pa.pa_mainloop_free(self._mainloop)
        self._context = self._mainloop = None


# Every encoder clips to [-1, 1]: decoded MP3 overshoots, and a device would wrap or clip
# it less gracefully.
def _to_float(y: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.clip(y, -1.0, 1.0).astype(np.float32, copy=False)


def _to_int16(y: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.round(np.clip(y, -1.0, 1.0) * 32767.0).astype(np.int16)


def _to_int32(y: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.round(np.clip(y.astype(np.float64), -1.0, 1.0) * 2147483647.0).astype(np.int32)


def _to_uint8(y: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.round(np.clip(y, -1.0, 1.0) * 127.0 + 128.0).astype(np.uint8)


_ENCODERS = {
    QAudioFormat.SampleFormat.Float: _to_float,
    QAudioFormat.SampleFormat.Int16: _to_int16,
    QAudioFormat.SampleFormat.Int32: _to_int32,
    QAudioFormat.SampleFormat.UInt8: _to_uint8,
}


def _choose_format(device: QAudioDevice, samplerate: int) -> QAudioFormat | None:
    """Mono at the source's rate if the device takes it, else the device's own format."""
    preferred = device.preferredFormat()
    candidates = []
    for rate in (samplerate, preferred.sampleRate()):
        for sample_format in (QAudioFormat.SampleFormat.Float, QAudioFormat.SampleFormat.Int16):
            fmt = QAudioFormat()
            fmt.setSampleRate(rate)
            fmt.setChannelCount(1)
            fmt.setSampleFormat(sample_format)
            candidates.append(fmt)
    candidates.append(preferred)
    for fmt in candidates:
        if fmt.isValid() and fmt.sampleFormat() in _ENCODERS and device.isFormatSupported(fmt):
            return fmt
    return None


class SourceStream(QIODevice):
    """A read-only stream of frames ``[start_frame, stop_frame)`` of a source in ``fmt``.

    The pull source a :class:`Player` hands to its ``QAudioSink``. Open it with
    ``ReadOnly | Unbuffered``; each read converts only what was asked for (at most
    65,536 frames), so memory use does not grow with the length of the range.
    Mono is copied to every channel of ``fmt``. At another rate than the source's the
    audio is resampled linearly: output frame ``k`` sits at source frame
    ``start_frame + k·ratio``, so each chunk is computed on its own and chunk boundaries
    cannot click. A source that raises ends the stream early, with the exception kept
    in ``failure``; one that returns fewer frames than asked (a truncated file) ends it
    there.
    """

    def __init__(
        self, source: PlaybackSource, start_frame: int, stop_frame: int, fmt: QAudioFormat
    ) -> None:
        super().__init__()
        self._source = source
        self._start = start_frame
        self._span = stop_frame - start_frame
        self._ratio = source.samplerate / fmt.sampleRate()
        self._channels = max(1, fmt.channelCount())
        self._frame_bytes = fmt.bytesPerFrame()
        self._encode = _ENCODERS[fmt.sampleFormat()]
        self._pos = 0  # output frames handed to the sink so far
        self._total = int(self._span / self._ratio)
        self.failure: BaseException | None = None

    @property
    def finished_reading(self) -> bool:
        """True once every frame of the range has been handed to the sink."""
        return self._pos >= self._total

    def isSequential(self) -> bool:
        return True

    def atEnd(self) -> bool:
        return self.finished_reading

    def bytesAvailable(self) -> int:
        return (self._total - self._pos) * self._frame_bytes + super().bytesAvailable()

    def writeData(self, data: bytes | bytearray | memoryview, size: int, /) -> int:
        return -1  # read-only

    def readData(self, maxlen: int) -> bytes:
        count = min(maxlen // self._frame_bytes, self._total - self._pos, _MAX_CHUNK_FRAMES)
        if count <= 0:
            return b""
        try:
            samples = self._read(count)
        except Exception as exc:  # raised into Qt's C++ caller it would only be printed
            self.failure = exc
            samples = np.zeros(0, dtype=np.float32)
        if samples.size < count:  # the source ended early (truncated file) or failed
            self._total = self._pos + samples.size
        self._pos += samples.size
        pcm = self._encode(samples)
        if self._channels > 1:
            pcm = np.repeat(pcm[:, np.newaxis], self._channels, axis=1)
        return pcm.tobytes()

    def _read(self, count: int) -> np.ndarray[Any, Any]:
        if self._ratio == 1.0:
            first = self._start + self._pos
            return np.asarray(self._source.read_mono(first, first + count), dtype=np.float32)
        at = (self._pos + np.arange(count, dtype=np.float64)) * self._ratio
        first = int(at[0])
        # One frame past the last position, for its right-hand neighbour.
        stop = min(int(at[-1]) + 2, self._span)
        raw = np.asarray(
            self._source.read_mono(self._start + first, self._start + stop), dtype=np.float32
        )
        if raw.size == 0:
            return raw
        if raw.size < stop - first:  # the source ended early: nothing to interpolate past it
            at = at[at <= first + raw.size - 1]
        # Past the range's last frame np.interp holds that frame's value.
        return np.interp(at - first, np.arange(raw.size), raw).astype(np.float32)


class Player(QObject):
    """Plays a millisecond range of a :class:`PlaybackSource` on the default output.

    Signals (all on the GUI thread):

    - ``position_changed(int)``: about 30 times a second while playing, the position in
      the source's timeline in ms (``start_ms`` plus what has been played); never goes
      backwards within one ``play``, and ends on ``end_ms`` when the range finishes.
    - ``state_changed(bool)``: ``playing`` flipped.
    - ``finished()``: the range played to its end (after ``state_changed(False)``, so a
      handler may call ``play`` again).
    - ``failed(str)``: playback could not start or broke off; the text is for the user
      (after ``state_changed(False)`` if it was playing).
    - ``availability_changed(bool)``: an output device appeared or the last one went.

    ``stop()`` ends playback without ``finished``. ``play`` while playing restarts at
    the new range without a state flip. Call ``shutdown()`` when the window closes.
    """

    position_changed = Signal(int)
    state_changed = Signal(bool)
    finished = Signal()
    failed = Signal(str)
    availability_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, stall_timeout_ms: int = 5000) -> None:
        """``stall_timeout_ms``: how long the device may play nothing before it counts as lost.

        Some backends (PulseAudio when its server dies or the sink is removed) never
        report an error; the sink just stops consuming. Devices that wake slowly
        (Bluetooth) can take a second or two to start, hence the generous default.
        """
        super().__init__(parent)
        self._stall_timeout_ms = stall_timeout_ms
        self._devices: QMediaDevices | None = None
        self._server: _SoundServer | None = None
        self._server_lost = False
        self._reason = NO_DEVICE_REASON
        self._sink: QAudioSink | None = None
        self._feed: SourceStream | None = None
        self._device_id = b""
        self._start_ms = 0
        self._end_ms = 0
        self._last_ms = 0
        self._processed_us = -1
        self._progress_at = 0.0
        self._playing = False
        self._closed = False
        self._timer = QTimer(self)
        self._timer.setInterval(_POSITION_INTERVAL_MS)
        self._timer.timeout.connect(self._on_tick)
        self._watch = QTimer(self)
        self._watch.setInterval(_SERVER_WATCH_MS)
        self._watch.timeout.connect(self._on_watch)
        self.refresh_device()

    # ------------------------------------------------------------------ state

    @property
    def available(self) -> bool:
        """True when an output device was found; else see ``unavailable_reason``."""
        return not self._reason

    @property
    def unavailable_reason(self) -> str:
        """Why playback is disabled, for a tooltip or status bar; empty when available."""
        return self._reason

    @property
    def playing(self) -> bool:
        """True from a successful ``play`` until stop, the end of the range or a failure."""
        return self._playing

    def refresh_device(self) -> bool:
        """Look for an output device again; returns ``available``.

        Called on construction and by every ``play``, so a device or sound server that
        appears later is found. Once Qt's audio backend is up, its own change
        notifications also keep ``available`` current.
        """
        if self._closed or self._server_lost or not self._server_answers():
            return False
        if self._devices is None:
            self._devices = QMediaDevices(self)
            self._devices.audioOutputsChanged.connect(self._on_outputs_changed)
            if self._server is not None:
                self._watch.start()
        self._set_reason("" if QMediaDevices.audioOutputs() else NO_DEVICE_REASON)
        return self.available

    # ---------------------------------------------------------------- control

    def play(self, source: PlaybackSource, start_ms: int, end_ms: int | None = None) -> None:
        """Play ``source`` from ``start_ms`` to ``end_ms`` (None: to its end).

        The range is clipped to the source; an empty range stops and plays nothing.
        Without a device, or if the device refuses, ``failed`` is emitted.
        """
        if self._closed:
            return
        self._release_sink()
        if not self.refresh_device():
            self._end(failure=self._reason)
            return
        rate = int(source.samplerate)
        if rate <= 0:
            self._end(failure=f"Cannot play audio with a sample rate of {rate} Hz.")
            return
        duration_ms = source.frames * 1000 // rate
        start = min(max(0, int(start_ms)), duration_ms)
        end = duration_ms if end_ms is None else min(max(start, int(end_ms)), duration_ms)
        start_frame = start * rate // 1000
        stop_frame = source.frames if end == duration_ms else end * rate // 1000
        if stop_frame <= start_frame:
            self._end()
            return
        device = QMediaDevices.defaultAudioOutput()
        fmt = None if device.isNull() else _choose_format(device, rate)
        if fmt is None:
            self._end(failure=NO_DEVICE_REASON if device.isNull() else _SINK_ERRORS[_OPEN_ERROR])
            return

        sink = QAudioSink(device, fmt, self)
        sink.setBufferSize(fmt.bytesForDuration(_BUFFER_MS * 1000))
        feed = SourceStream(source, start_frame, stop_frame, fmt)
        feed.setParent(sink)  # deleted with the sink, never while the sink may read it
        feed.open(QIODevice.OpenModeFlag.ReadOnly | QIODevice.OpenModeFlag.Unbuffered)
        sink.stateChanged.connect(self._on_sink_state)
        self._sink, self._feed, self._device_id = sink, feed, bytes(device.id().data())
        self._start_ms, self._end_ms, self._last_ms = start, end, start
        self._processed_us, self._progress_at = -1, time.monotonic()
        sink.start(feed)
        if self._sink is not sink:
            return  # start() already reported a failure through _on_sink_state
        if sink.error() != QtAudio.Error.NoError or sink.state() == QtAudio.State.StoppedState:
            self._end(failure=_SINK_ERRORS.get(sink.error(), _SINK_ERRORS[_OPEN_ERROR]))
            return
        if not self._playing:
            self._playing = True
            self.state_changed.emit(True)
        self.position_changed.emit(start)
        self._timer.start()

    def stop(self) -> None:
        """Stop at once; the position stays where it was and ``finished`` is not emitted."""
        self._end()

    def shutdown(self) -> None:
        """Stop and refuse further playback (the window is closing). Safe to call twice."""
        if self._closed:
            return
        self._end()
        self._closed = True
        self._watch.stop()
        if self._server is not None:
            self._server.close()
        if self._devices is not None:
            self._devices.audioOutputsChanged.disconnect(self._on_outputs_changed)

    # --------------------------------------------------------------- internal

    def _server_answers(self) -> bool:
        """Ask our own sound-server connection; False (with the reason set) if it is gone."""
        if self._server is None:
            self._server = _SoundServer.connect()
            if self._server is None:
                return True  # not PulseAudio: Qt's device list is the whole truth
        if self._server.alive:
            return True
        self._server.close()
        self._server = None
        self._watch.stop()
        if self._devices is not None:
            # Qt was connected to that server; it may now hold a dead connection that
            # aborts the process on the next sink (see _SoundServer).
            self._server_lost = True
            self._set_reason(SERVER_LOST_REASON)
        else:
            self._set_reason(NO_DEVICE_REASON)
        return False

    def _set_reason(self, reason: str) -> None:
        before, self._reason = self.available, reason
        if self.available != before:
            self.availability_changed.emit(self.available)

    def _end(self, *, finished: bool = False, failure: str | None = None) -> None:
        was_playing = self._playing
        self._release_sink()
        self._playing = False
        if was_playing:
            self.state_changed.emit(False)
        if finished:
            self.finished.emit()
        if failure is not None:
            self.failed.emit(failure)

    def _release_sink(self) -> None:
        self._timer.stop()
        sink, self._sink, self._feed = self._sink, None, None
        if sink is not None:
            # A stopping sink still reports state changes; they are no longer news.
            sink.blockSignals(True)
            sink.stop()
            sink.deleteLater()

    @Slot()
    def _on_sink_state(self) -> None:
        sink, feed = self._sink, self._feed
        if sink is None or feed is None or self.sender() is not sink:
            return
        state, error = sink.state(), sink.error()
        if feed.failure is not None and state != QtAudio.State.ActiveState:
            self._end(failure=f"Could not read the audio: {feed.failure}")
        elif state == QtAudio.State.IdleState and feed.finished_reading:
            # Idle with nothing left to read: the sink has played the last frame.
            if self._last_ms < self._end_ms:
                self._last_ms = self._end_ms
                self.position_changed.emit(self._end_ms)
            self._end(finished=True)
        elif state == QtAudio.State.StoppedState:
            self._end(failure=_SINK_ERRORS.get(error, "Playback stopped unexpectedly."))
        # Idle before the end is an underrun (the GUI thread was busy): the sink resumes
        # by itself as soon as it can read again.

    @Slot()
    def _on_tick(self) -> None:
        if self._sink is None:
            return
        processed = self._sink.processedUSecs()
        now = time.monotonic()
        if processed != self._processed_us:
            self._processed_us, self._progress_at = processed, now
        elif (now - self._progress_at) * 1000 > self._stall_timeout_ms:
            self._end(failure=_STALLED)
            return
        position = min(self._end_ms, self._start_ms + processed // 1000)
        if position > self._last_ms:
            self._last_ms = position
            self.position_changed.emit(position)

    @Slot()
    def _on_watch(self) -> None:
        if not self._server_answers() and self._playing:
            self._end(failure=self._reason)

    @Slot()
    def _on_outputs_changed(self) -> None:
        if self._server_lost:
            return
        outputs = QMediaDevices.audioOutputs()
        self._set_reason("" if outputs else NO_DEVICE_REASON)
        if self._sink is not None and all(bytes(d.id().data()) != self._device_id for d in outputs):
            self._end(failure=_DISCONNECTED)
