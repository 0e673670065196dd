"""Audition while dragging: a handle that rests under the mouse plays what is at it.

When a dragged handle has not moved for :data:`REST_MS` (the button still held), a
snippet of :data:`SNIPPET_MS` plays: from the start handle on (is the first word
whole?), or up to the end handle (is the last one?). Moving again fades the snippet
out; letting go leaves it to finish. The playhead goes back to where it was. It never
interrupts a play the user started, and *Play → Audition Handles While Dragging*
switches it off.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction

from pvc_sample_editor.ui.playback_routes import PlaybackRoutes
from pvc_sample_editor.ui.settings import PlaybackPrefs
from pvc_sample_editor.ui.waveform import WaveformView

__all__ = ["REST_MS", "SNIPPET_MS", "HandleAudition", "snippet_range"]

REST_MS = 300
SNIPPET_MS = 600


def snippet_range(handle: int, start_ms: int, end_ms: int, duration_ms: int) -> tuple[int, int]:
    """What a resting handle plays: after the start handle, before the end handle."""
    if handle == 0:
        lo, hi = start_ms, start_ms + SNIPPET_MS
    else:
        lo, hi = end_ms - SNIPPET_MS, end_ms
    lo = min(max(lo, 0), duration_ms)
    return lo, min(max(hi, lo), duration_ms)


class HandleAudition(QObject):
    """Watches handle drags and plays a snippet when one rests (see the module)."""

    def __init__(
        self,
        view: WaveformView,
        routes: PlaybackRoutes,
        prefs: PlaybackPrefs,
        action: QAction,
    ) -> None:
        super().__init__(view)
        self._view = view
        self._routes = routes
        self._prefs = prefs
        self._trims = (0, 0)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse one fires 5 % early
        self._timer.setInterval(REST_MS)
        self._timer.timeout.connect(self._rested)
        action.setChecked(prefs.audition)
        action.toggled.connect(self._switch)
        view.trims_dragging.connect(self._moved)
        view.trims_changed.connect(self._released)

    def _switch(self, on: bool) -> None:
        self._prefs.audition = on
        if not on:
            self._timer.stop()

    def _moved(self, start_ms: int, end_ms: int) -> None:
        self._trims = (start_ms, end_ms)
        # A new file's bounds move the handles too: only a hand's drag is auditioned.
        if not self._prefs.audition or not self._view.handle_dragged:
            return
        player = self._routes.player
        if self._routes.snippet_playing and player is not None and player.playing:
            player.stop()  # what plays is no longer at the handle
        self._timer.start()

    def _released(self, *_trims: int) -> None:
        self._timer.stop()

    def _rested(self) -> None:
        audio = self._routes.audio
        if audio is None or not self._view.handle_dragged:
            return
        start, end = self._trims
        lo, hi = snippet_range(self._view.active_handle, start, end, audio.duration_ms)
        if hi > lo:
            self._routes.play_snippet(lo, hi)
