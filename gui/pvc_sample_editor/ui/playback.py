"""The Qt face of playback: a :class:`Player` that plays ranges and reports on the GUI thread.

The sound itself is :mod:`pvc_sample_editor.audio.output` (no Qt): a feeder thread
streams the range from the source through a ring buffer to a PortAudio stream, whose
callback only copies. Nothing here runs on the audio thread, and nothing the GUI thread
does can delay a read from the source. The player:

- probes the output on a worker thread, at construction and then every few seconds while
  nothing plays, so start-up never waits for the sound system, a missing server or device
  is explained (``unavailable_reason``), and one that appears later is picked up without
  a restart;
- polls the stream's audio clock (the frames the device has taken, less its buffer) on
  a GUI timer about 30 times a second to move the playhead;
- maps a clip's time back onto the recording when given a ``timeline`` (a speaker's clip
  is that speaker's utterances joined), so the playhead stays on what is heard.

Any object with ``samplerate``, ``frames`` and ``read_mono(start_frame, stop_frame)`` can
be played (:class:`PlaybackSource`); the app plays an ``AudioDocument``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from pvc_sample_editor.audio.output import (
    NO_DEVICE_REASON,
    SERVER_LOST_REASON,
    OutputProbe,
    OutputStream,
    PlaybackSource,
    probe_output,
)

__all__ = [
    "CHECKING_REASON",
    "NO_DEVICE_REASON",
    "SERVER_LOST_REASON",
    "PlaybackSource",
    "Player",
]

CHECKING_REASON = "Checking the audio output…"
# The moving playhead: about 30 updates a second.
_POSITION_INTERVAL_MS = 33
# How often to look for the output again while nothing plays.
_PROBE_INTERVAL_MS = 2000
# How long shutdown waits for a probe or a fading stream.
_JOIN_TIMEOUT_S = 5.0


class Player(QObject):
    """Plays a millisecond range of a :class:`PlaybackSource` on the default output.

    Signals (all on the GUI thread):

    - ``position_changed(int)``: about 30 times a second while playing, the position in
      the source's timeline in ms (or the recording's, through ``timeline``); never goes
      backwards within one ``play``; ends on ``end_ms`` when the range finishes, and on
      the stop point after ``stop``.
    - ``state_changed(bool)``: ``playing`` flipped.
    - ``finished()``: the range played to its end (after ``state_changed(False)``, so a
      handler may call ``play`` again).
    - ``failed(str)``: playback could not start or broke off; the text is for the user
      (after ``state_changed(False)`` if it was playing).
    - ``availability_changed(bool)``: an output appeared or went.
    - ``probed()``: a probe of the output finished (``available`` is current).

    ``stop()`` fades out without ``finished``. ``play`` while playing fades the old range
    out and starts the new one without a state flip. Call ``shutdown()`` at the end.
    """

    position_changed = Signal(int)
    state_changed = Signal(bool)
    finished = Signal()
    failed = Signal(str)
    availability_changed = Signal(bool)
    probed = Signal()
    # From worker threads to this object's thread (queued by Qt).
    _probe_done = Signal(object)
    _stream_event = Signal(object, str, str)

    def __init__(self, parent: QObject | None = None, *, stall_timeout_ms: int = 5000) -> None:
        """``stall_timeout_ms``: how long a device may take nothing before it counts as lost.

        A PulseAudio server that dies or a sink that is removed reports nothing; the
        device just stops asking. Devices that wake slowly (Bluetooth) can take a second
        or two to start, hence the generous default.
        """
        super().__init__(parent)
        self._stall_timeout_s = stall_timeout_ms / 1000
        self._reason = CHECKING_REASON
        self._probe_thread: threading.Thread | None = None
        self._stream: OutputStream | None = None
        self._retiring: list[OutputStream] = []
        self._timeline: Callable[[int], int] | None = None
        self._start_ms = self._end_ms = self._last_ms = 0
        self._playing = False
        self._closed = False
        self._probe_done.connect(self._on_probe_done)
        self._stream_event.connect(self._on_stream_event)
        self._timer = QTimer(self)
        self._timer.setInterval(_POSITION_INTERVAL_MS)
        self._timer.timeout.connect(self._on_tick)
        self._probe_timer = QTimer(self)
        self._probe_timer.setInterval(_PROBE_INTERVAL_MS)
        self._probe_timer.timeout.connect(self.refresh_device)
        self.refresh_device()
        self._probe_timer.start()

    # ------------------------------------------------------------------ state

    @property
    def available(self) -> bool:
        """True when the last probe found an output; else see ``unavailable_reason``."""
        return not self._reason

    @property
    def unavailable_reason(self) -> str:
        """Why playback is disabled, for a tooltip or status bar; empty when available."""
        return self._reason

    @property
    def playing(self) -> bool:
        """True from a successful ``play`` until stop, the end of the range or a failure."""
        return self._playing

    @property
    def probing(self) -> bool:
        """True while a probe runs on its worker thread."""
        return self._probe_thread is not None

    def refresh_device(self) -> bool:
        """Look for the output again, on a worker thread; returns ``available`` as known now.

        Called on construction, every two seconds while nothing plays, and after a
        failure, so a sound server or device that appears later is found.
        """
        if self._closed or self._playing or self._probe_thread is not None:
            return self.available
        # A fresh device list only while nothing is open and the last probe found none.
        rescan = self._reason not in ("", CHECKING_REASON)
        rescan = rescan and self._stream is None and not self._retiring
        thread = threading.Thread(
            target=self._probe, args=(rescan,), name="audio-probe", daemon=True
        )
        self._probe_thread = thread
        thread.start()
        return self.available

    # ---------------------------------------------------------------- control

    def play(
        self,
        source: PlaybackSource,
        start_ms: int,
        end_ms: int | None = None,
        *,
        timeline: Callable[[int], int] | None = None,
    ) -> None:
        """Play ``source`` from ``start_ms`` to ``end_ms`` (None: to its end).

        The range is clipped to the source; an empty range stops and plays nothing.
        Without an output, ``failed`` is emitted with the reason. ``timeline`` maps
        the source's ms to the ms the playhead shows (a clip's time to the recording's).
        """
        if self._closed:
            return
        if not self.available:
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
        self._retire_stream()
        if stop_frame <= start_frame:
            self._end()
            return
        stream = OutputStream(
            source,
            start_frame,
            stop_frame,
            self._stream_event.emit,
            stall_timeout_s=self._stall_timeout_s,
        )
        self._stream, self._timeline = stream, timeline
        self._start_ms, self._end_ms = start, end
        self._last_ms = self._shown(start)
        stream.start()
        if not self._playing:
            self._playing = True
            self.state_changed.emit(True)
        self.position_changed.emit(self._last_ms)
        self._timer.start()

    def switch_source(self, source: PlaybackSource) -> int | None:
        """Go on playing from the same frame in ``source`` (another version of the same
        audio, at the same rate): no gap, nothing repeated. Returns the source frame it
        goes on from; None when nothing plays or it cannot switch (then ``play`` from
        the position instead)."""
        stream = self._stream
        if stream is None or not self._playing or source.frames < stream.stop_frame:
            return None
        return stream.switch_source(source)

    def stop(self) -> None:
        """Fade out (a few ms); the playhead goes to where the fade began, to resume there."""
        stream = self._stream
        if stream is not None:
            frame = self._retire_stream()
            self._move_to(frame * 1000 // stream.samplerate, exact=True)
        self._end()

    def shutdown(self) -> None:
        """Stop, wait for the audio threads and refuse further playback. Safe to call twice."""
        if self._closed:
            return
        self._end()
        self._retire_stream()
        self._closed = True
        self._probe_timer.stop()
        for stream in self._retiring:
            stream.abort()
            stream.join(_JOIN_TIMEOUT_S)
        self._retiring.clear()
        if self._probe_thread is not None:
            self._probe_thread.join(_JOIN_TIMEOUT_S)

    # --------------------------------------------------------------- internal

    def _probe(self, rescan: bool) -> None:
        self._probe_done.emit(probe_output(rescan=rescan))

    @Slot(object)
    def _on_probe_done(self, probe: OutputProbe) -> None:
        if self._probe_thread is not None:
            self._probe_thread.join()
            self._probe_thread = None
        if self._closed:
            return
        self._set_reason(probe.reason)
        self.probed.emit()

    def _set_reason(self, reason: str) -> None:
        before, self._reason = self.available, reason
        if self.available != before:
            self.availability_changed.emit(self.available)

    def _shown(self, ms: int) -> int:
        return self._timeline(ms) if self._timeline is not None else ms

    def _move_to(self, ms: int, *, exact: bool = False) -> None:
        shown = self._shown(min(max(ms, self._start_ms), self._end_ms))
        if shown > self._last_ms or (exact and shown != self._last_ms):
            self._last_ms = shown
            self.position_changed.emit(shown)

    def _retire_stream(self) -> int:
        """Fade the current stream out (it closes itself); returns its stop frame."""
        self._timer.stop()
        stream, self._stream = self._stream, None
        if stream is None:
            return 0
        frame = stream.stop()
        self._retiring.append(stream)
        return frame

    def _end(self, *, finished: bool = False, failure: str | None = None) -> None:
        was_playing = self._playing
        self._playing = False
        self._timer.stop()
        if was_playing:
            self.state_changed.emit(False)
        if finished:
            self.finished.emit()
        if failure is not None:
            self.failed.emit(failure)

    @Slot(object, str, str)
    def _on_stream_event(self, stream: OutputStream, kind: str, text: str) -> None:
        if stream in self._retiring:
            stream.join()
            self._retiring.remove(stream)
            return
        if stream is not self._stream:
            return
        stream.join()
        self._stream = None
        if kind == "finished":
            self._move_to(self._end_ms)
            self._end(finished=True)
        elif kind == "failed":
            if text == SERVER_LOST_REASON or text.startswith("No sound server"):
                self._set_reason(text)
            self._end(failure=text)
            self.refresh_device()

    @Slot()
    def _on_tick(self) -> None:
        stream = self._stream
        if stream is not None:
            self._move_to(stream.position() * 1000 // stream.samplerate)
