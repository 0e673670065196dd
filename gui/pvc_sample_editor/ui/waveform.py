"""The waveform: a min/max envelope at screen resolution, two trim handles, speaker bands.

Rules taken from pyqtgraph's own design:
- the envelope is recomputed for the visible range at about two points per pixel column,
  so pyqtgraph never sees the raw samples of a long file;
- ``sigRegionChanged`` (while dragging) only drives live read-outs; the model changes
  on ``sigRegionChangeFinished``;
- when the model pushes trims back, the region's signals are blocked (a programmatic
  ``setRegion`` fires both signals);
- the region is added with ``ignoreBounds=True`` so it never affects auto-range.

Times are float seconds inside this module; the ms conversion happens once, in
:func:`pvc_sample_editor.timecode.seconds_to_ms`, at the signal boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSceneMouseEvent, QWidget

from pvc_sample_editor.timecode import seconds_to_ms
from pvc_sample_editor.ui.amplitude import AmplitudeAxis, AmplitudeScale, displayed
from pvc_sample_editor.ui.ruler import TimeAxis
from pvc_sample_editor.ui.waveform_items import (
    BandsItem,
    CursorLabel,
    HandleLabels,
    LoadingVeil,
    Marker,
    MarkersItem,
    SpeakerBands,
    SpeechEdges,
    TrimRegion,
    TrimShade,
    skip_hover_while_dragging,
)

__all__ = ["EnvelopeSource", "Marker", "SpeakerBands", "WaveformView"]

MIN_VIEW_SECS = 0.005  # deepest zoom: a few hundred samples across the screen
BACKGROUND = "#161a21"
ENVELOPE = "#a9c4dc"
TRIM = "#3fb8af"
PLAYHEAD = "#ffb347"
SNAP = "#ffd166"  # a handle sitting on a speech edge
SNAP_PX = 8  # how near (in pixels) a speech edge pulls a dragged handle


class EnvelopeSource(Protocol):
    """What the view needs from the audio core (PeakPyramid + SampleReader)."""

    samplerate: int
    frames: int

    def envelope(self, start_frame: int, stop_frame: int, columns: int) -> tuple[Any, Any]:
        """(t_seconds, y) to draw, about two points per column."""


class WaveformView(pg.PlotWidget):
    """Shows one audio file and lets the user place the start and end trims.

    Signals carry integer milliseconds:
    - ``trims_dragging(start, end)`` while a handle moves (live read-out only);
    - ``trims_changed(start, end)`` when a drag ends (the model should change);
    - ``cursor_moved(ms)`` when the user clicks on the waveform.
    """

    trims_dragging = Signal(int, int)
    trims_changed = Signal(int, int)
    cursor_moved = Signal(int)
    active_handle_changed = Signal(int)  # 0 = start, 1 = end
    source_failed = Signal(str)  # the shown audio can no longer be read (said once)
    interacted = Signal()  # a handle moved or the view zoomed or panned: a frame is due
    shown_changed = Signal()  # the file, its loaded part, the range or the trims changed

    def __init__(self, parent: QWidget | None = None) -> None:
        self._amplitude_axis = AmplitudeAxis()
        super().__init__(
            parent=parent,
            background=BACKGROUND,
            axisItems={"bottom": TimeAxis("bottom"), "left": self._amplitude_axis},
        )
        self._amplitude = AmplitudeScale()
        self._veil = LoadingVeil(self)

        self._source: EnvelopeSource | None = None
        self._failed_source: EnvelopeSource | None = None  # the source already said failed
        self._duration = 0.0
        self._active = 0
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(160)
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        # No grid: replaying its lines cost ~2.6 ms of every zoom frame at 1600 px, and
        # the time axis's ticks already say where things are.
        vb = item.getViewBox()
        vb.setMouseEnabled(x=True, y=False)
        vb.setYRange(-1.05, 1.05, padding=0)
        vb.setDefaultPadding(0.0)
        vb.enableAutoRange(x=False, y=False)
        self._vb = vb
        # While a handle moves, the axis and the speaker bands do not change: paint each
        # once into a pixmap and blit it on every drag frame. The envelope is cached only
        # while a handle is dragged (see _cache_envelope): every zoom or pan frame
        # changes it, and there a cache only adds a pixmap to clear and blit.
        cache = QGraphicsItem.CacheMode.DeviceCoordinateCache
        axis = item.getAxis("bottom")
        axis.setCacheMode(cache)
        self._axis: TimeAxis = axis
        self._amplitude_axis.setCacheMode(cache)
        self._bands = BandsItem()
        self._bands.setCacheMode(cache)
        self._bands.hide()  # until there are speakers to shade
        item.addItem(self._bands, ignoreBounds=True)
        self._marks = MarkersItem()
        self._marks.setCacheMode(cache)
        item.addItem(self._marks, ignoreBounds=True)
        self._edges = SpeechEdges()
        #: Snap a dragged handle to speech edges (Shift while dragging turns it off).
        self.snapping = True
        self.snapped_to: float | None = None  # the edge the dragged handle sits on
        self._curve = pg.PlotCurveItem(pen=pg.mkPen(ENVELOPE, width=1), antialias=False)
        # One drawLines call for the min/max strokes: ~0.3 ms cheaper per frame than
        # stroking the same segments as a path, and the same pixels without antialiasing.
        self._curve.setSegmentedLineMode("on")
        self._curve.setZValue(0)
        item.addItem(self._curve)
        centre = pg.InfiniteLine(pos=0.0, angle=0, pen=pg.mkPen("#3a4350", width=1))
        item.addItem(centre, ignoreBounds=True)

        self._region = TrimRegion(
            values=(0.0, 1.0),
            orientation="vertical",
            pen=pg.mkPen(TRIM, width=2),
            hoverPen=pg.mkPen("#7fe3da", width=3),
            swapMode="block",
        )
        self._region.setZValue(10)
        # Only its two lines (child items) are drawn; _TrimShade paints the tint. With no
        # contents of its own, the region's changing bounds dirty nothing on screen.
        self._region.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        # Labels sit inside the kept region while they fit, so they never clip at the
        # file's edges; a narrow region puts them outside or on two rows.
        self._labels = HandleLabels(self._region.lines, TRIM)
        item.addItem(self._region, ignoreBounds=True)
        self._region.sigRegionChanged.connect(self._on_region_moving)
        self._region.sigRegionChangeFinished.connect(self._on_region_finished)
        for index, line in enumerate(self._region.lines):
            line.sigDragged.connect(lambda *_args, i=index: self._set_active(i))
            line.mouseDragEvent = self._watching_shift(line.mouseDragEvent)
        self._shift_held = False  # Shift during the drag: place the handle freely

        self._shade = TrimShade()
        item.addItem(self._shade, ignoreBounds=True)
        self._region.sigRegionChanged.connect(self._update_shade)

        self._playhead = pg.InfiniteLine(
            pos=0.0, angle=90, movable=False, pen=pg.mkPen(PLAYHEAD, width=1.5)
        )
        self._playhead.setZValue(20)
        self.cursor_label = CursorLabel(self._playhead, PLAYHEAD)
        self._playhead.hide()
        item.addItem(self._playhead, ignoreBounds=True)

        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(0)
        self._redraw_timer.timeout.connect(self.redraw)
        # A new range is drawn in the same paint: a deferred redraw let one frame show
        # the old envelope stretched to the new range. Resizes arrive in bursts: coalesce.
        self._fitting = False  # set_source draws once after refitting the range
        vb.sigXRangeChanged.connect(self._on_range_changed)
        vb.sigResized.connect(self._schedule_redraw)
        self.scene().sigMouseClicked.connect(self._on_scene_clicked)
        skip_hover_while_dragging(self.scene())

    # ---------------------------------------------------------------- content

    @property
    def source(self) -> EnvelopeSource | None:
        """What the view draws from (None when empty)."""
        return self._source

    @property
    def duration(self) -> float:
        """Length of the shown audio in seconds."""
        return self._duration

    def set_source(self, source: EnvelopeSource | None, duration_secs: float) -> None:
        """Show a new file (or nothing); the view fits the whole file."""
        self._source = source
        self._duration = max(duration_secs, 0.0)
        self._veil.say(None)
        self._axis.hours = self._duration >= 3600.0
        span = max(self._duration, MIN_VIEW_SECS)
        # The new limits and the fit may each change the range; draw once, at the end.
        self._fitting = True
        try:
            self._vb.setLimits(xMin=0.0, xMax=span, minXRange=MIN_VIEW_SECS, maxXRange=span)
            self._set_bounds((0.0, self._duration))
            self._update_shade()
            self.fit_all()
        finally:
            self._fitting = False
        self.redraw()

    def show_empty(self) -> None:
        """Show nothing, as before the first file: an empty second, handles at its ends.

        (Not ``clear``: pg.PlotWidget puts its plot item's ``clear``, which removes every
        item, on each instance.) Bounds and handles move without a word to the window:
        there is no edit for them to change."""
        self.set_source(None, 0.0)
        self._fitting = True
        try:
            self._vb.setLimits(xMin=0.0, xMax=1.0, minXRange=MIN_VIEW_SECS, maxXRange=1.0)
            self._set_bounds((0.0, 1.0))
            self.set_view_range_secs(0.0, 1.0)
        finally:
            self._fitting = False
        self.set_trims(0, 1000)
        self._shade.set_spans(0.0, 0.0, 0.0)  # no file: nothing kept, nothing cut
        self.set_speaker_bands([])
        self.redraw()

    @property
    def loading(self) -> bool:
        """True while the picture is dimmed for another file being loaded."""
        return not self._veil.isHidden()

    def set_loading(self, text: str | None) -> None:
        """Dim the picture under ``text`` (another file is loading), or show it plainly."""
        self._veil.say(text)
        self.shown_changed.emit()

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        super().resizeEvent(event)
        veil = getattr(self, "_veil", None)  # pyqtgraph resizes inside __init__
        if veil is not None:
            veil.fit()

    def set_bounds_secs(self, bound: float) -> None:
        """Limit the handles to ``[0, bound]`` (the server's duration may be shorter)."""
        self._set_bounds((0.0, min(bound, self._duration) if self._duration else bound))

    def _set_bounds(self, bounds: tuple[float, float]) -> None:
        """Bound the handles without a word: a handle a bound moves is not being dragged.

        (Unblocked, a new file's bounds moved the last sample's handles, and the move was
        taken for a drag: the trim fields showed the old sample's values.) The model's
        trims follow in the window's next render."""
        self._region.blockSignals(True)
        try:
            self._region.setBounds(bounds)
        finally:
            self._region.blockSignals(False)
        self._labels.arrange(self._vb)

    def redraw(self) -> None:
        """Recompute the envelope for the visible range at screen resolution."""
        self._labels.arrange(self._vb)  # a zoom changes how far apart the handles are
        self.shown_changed.emit()
        src = self._source
        if src is None or src.frames <= 0:
            self._curve.setData([], [])
            return
        (x0, x1), _ = self._vb.viewRange()
        rate = src.samplerate
        start = max(0, int(np.floor(x0 * rate)))
        stop = min(src.frames, int(np.ceil(x1 * rate)) + 1)
        if stop <= start:
            self._curve.setData([], [])
            return
        columns = max(64, int(self._vb.width()))
        t, y = src.envelope(start, stop, columns)
        failure = getattr(src, "failure", "")
        if failure and src is not self._failed_source:
            self._failed_source = src
            self.source_failed.emit(failure)
        # Min/max pairs share an x: draw each as one vertical stroke ("pairs"), half the
        # segments of a zigzag and the same picture. Raw samples (deep zoom) join up.
        pairs = len(t) >= 2 and t[0] == t[1]
        self._cache_envelope(False)
        y = displayed(np.asarray(y), self._amplitude)
        self._curve.setData(t, y, skipFiniteCheck=True, connect="pairs" if pairs else "all")

    def _cache_envelope(self, on: bool) -> None:
        """Keep the envelope in a pixmap (handle drags) or paint it directly (zoom, pan)."""
        mode = (
            QGraphicsItem.CacheMode.DeviceCoordinateCache if on else QGraphicsItem.CacheMode.NoCache
        )
        if self._curve.cacheMode() != mode:
            self._curve.setCacheMode(mode)

    def _on_range_changed(self, *_args: object) -> None:
        self.interacted.emit()
        if not self._fitting:
            self.redraw()

    def _schedule_redraw(self, *_args: object) -> None:
        self._redraw_timer.start()

    def set_speaker_bands(self, bands: Sequence[SpeakerBands]) -> None:
        """Shade each speaker's utterances; unselected speakers are drawn faintly."""
        self._bands.set_bands(bands, self._duration)

    # ---------------------------------------------------------------- amplitude

    @property
    def amplitude(self) -> AmplitudeScale:
        """The vertical zoom and whether the scale is in dB."""
        return self._amplitude

    def set_amplitude(self, scale: AmplitudeScale) -> None:
        """Draw the envelope at ``scale``, and label the left axis for it."""
        if scale != self._amplitude:
            self._amplitude = scale
            self._amplitude_axis.set_scale(scale)
            self.redraw()

    def zoom_amplitude(self, factor: float) -> None:
        """Make the display ``factor`` times louder (< 1: quieter); 1x is the least."""
        self.set_amplitude(self._amplitude.zoomed(factor))

    def reset_amplitude_zoom(self) -> None:
        """Full scale fills the view again (the scale stays linear or dB)."""
        self.set_amplitude(replace(self._amplitude, gain=1.0))

    def set_db(self, on: bool) -> None:
        """Draw and label the amplitude in dB (``on``) or linearly."""
        self.set_amplitude(replace(self._amplitude, db=on))

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Ctrl+wheel zooms the amplitude; the plain wheel zooms time (pyqtgraph's)."""
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_amplitude(2 ** (event.angleDelta().y() / 240))  # 3 dB a notch
            event.accept()
            return
        super().wheelEvent(event)

    # ---------------------------------------------------------------- trims

    def trims_secs(self) -> tuple[float, float]:
        """The handles' positions in seconds."""
        start, end = self._region.getRegion()
        return float(start), float(end)

    def trims_ms(self) -> tuple[int, int]:
        """The handles' positions converted once to integer milliseconds."""
        start, end = self.trims_secs()
        return seconds_to_ms(start), seconds_to_ms(end)

    def set_trims(self, start_ms: int, end_ms: int) -> None:
        """Move the handles to the model's values without echoing signals back."""
        self._region.blockSignals(True)
        try:
            self._region.setRegion((start_ms / 1000.0, end_ms / 1000.0))
        finally:
            self._region.blockSignals(False)
        self._region.update()
        self._update_shade()

    def _update_shade(self) -> None:
        start, end = self.trims_secs()
        self._shade.set_spans(start, end, self._duration)
        self._labels.arrange(self._vb)
        self.shown_changed.emit()

    def _on_region_moving(self) -> None:
        self._cache_envelope(True)  # the envelope stays put while a handle moves
        self.interacted.emit()
        self._snap_dragged_line()
        start, end = self.trims_ms()
        self.trims_dragging.emit(start, end)

    def _watching_shift(self, drag: Any) -> Any:
        """Wrap a handle's drag handler to note whether Shift is held (turns snapping off)."""

        def watched(ev: Any) -> None:
            self._shift_held = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            drag(ev)

        return watched

    def _snap_dragged_line(self) -> None:
        """Put the handle being dragged on a speech edge within a few pixels of it."""
        line = next((ln for ln in self._region.lines if getattr(ln, "moving", False)), None)
        target = None
        if line is not None and self.snapping:
            shift = self._shift_held
            x0, x1 = self.view_range_secs()
            tolerance = SNAP_PX * (x1 - x0) / max(self._vb.width(), 1.0)
            target = None if shift else self._edges.nearest(float(line.value()), tolerance)
            if target is not None:
                other = self._region.lines[1 - self._region.lines.index(line)]
                if (line is self._region.lines[0]) != (target < float(other.value())):
                    target = None  # never past the other handle
            if target is not None and float(line.value()) != target:
                line.blockSignals(True)
                line.setValue(target)
                line.blockSignals(False)
        if target != self.snapped_to:
            self.snapped_to = target
            for ln in self._region.lines:
                snapped = target is not None and ln is line
                ln.setPen(pg.mkPen(SNAP if snapped else TRIM, width=3 if snapped else 2))

    def set_speech(self, segments_ms: Sequence[tuple[int, int]]) -> None:
        """The speech a dragged handle snaps to (start and end of each stretch, in ms)."""
        self._edges = SpeechEdges(segments_ms)

    def set_markers(self, markers: Sequence[Marker]) -> None:
        """Mark clipped spots, long pauses and silent ends along the foot of the view."""
        self._marks.set_markers(markers, self._duration)

    @property
    def markers(self) -> tuple[Marker, ...]:
        """The markers shown."""
        return self._marks.markers

    def next_marker_ms(self, from_ms: int, step: int) -> int | None:
        """The start of the marker after (1) or before (-1) ``from_ms``."""
        found = self._marks.next_start(from_ms / 1000.0, step)
        return None if found is None else seconds_to_ms(found)

    def _on_region_finished(self) -> None:
        if self.snapped_to is not None:
            self.snapped_to = None
            for index, ln in enumerate(self._region.lines):
                ln.setPen(pg.mkPen(TRIM, width=3 if index == self._active else 2))
        start, end = self.trims_ms()
        self.trims_changed.emit(start, end)

    @property
    def handle_dragged(self) -> bool:
        """True while the user drags a handle (not when the model or a bound moves it)."""
        return any(getattr(line, "moving", False) for line in self._region.lines)

    @property
    def active_handle(self) -> int:
        """Which handle the keyboard nudges: 0 start, 1 end."""
        return self._active

    def _set_active(self, index: int) -> None:
        if index != self._active:
            self._active = index
            for i, line in enumerate(self._region.lines):
                line.setPen(pg.mkPen(TRIM, width=3 if i == index else 2))
            self.active_handle_changed.emit(index)

    def select_handle(self, index: int) -> None:
        """Make the start (0) or end (1) handle the one the keyboard moves."""
        self._set_active(index)

    # ---------------------------------------------------------------- playhead, zoom

    def set_playhead(self, ms: int | None) -> None:
        """Show the playhead at ``ms``, or hide it with None."""
        if ms is None:
            self._playhead.hide()
            return
        self._playhead.setValue(ms / 1000.0)
        self._playhead.show()

    def playhead_ms(self) -> int | None:
        """Where the playhead is, or None when hidden."""
        if not self._playhead.isVisible():
            return None
        return seconds_to_ms(float(self._playhead.value()))

    def view_range_secs(self) -> tuple[float, float]:
        """The visible time range."""
        (x0, x1), _ = self._vb.viewRange()
        return float(x0), float(x1)

    def set_view_range_secs(self, start: float, end: float) -> None:
        """Show ``[start, end]`` (clamped to the file by the view's limits)."""
        self._vb.setXRange(start, end, padding=0)

    def zoom(self, factor: float, centre: float | None = None) -> None:
        """Zoom by ``factor`` (< 1 zooms in) around ``centre`` seconds (default: view centre)."""
        x0, x1 = self.view_range_secs()
        c = (x0 + x1) / 2 if centre is None else centre
        self.set_view_range_secs(c - (c - x0) * factor, c + (x1 - c) * factor)

    def zoom_in(self) -> None:
        """Zoom in by a factor of two."""
        self.zoom(0.5)

    def zoom_out(self) -> None:
        """Zoom out by a factor of two."""
        self.zoom(2.0)

    def fit_all(self) -> None:
        """Show the whole file."""
        self.set_view_range_secs(0.0, max(self._duration, MIN_VIEW_SECS))

    def zoom_to_selection(self) -> None:
        """Fit the kept region, with a little margin on each side."""
        start, end = self.trims_secs()
        margin = max((end - start) * 0.05, MIN_VIEW_SECS)
        self.set_view_range_secs(start - margin, end + margin)

    def data_to_widget(self, seconds: float) -> QPointF:
        """Widget (viewport) coordinates of time ``seconds`` at mid-height."""
        scene = self._vb.mapViewToScene(QPointF(seconds, 0.0))
        return self.viewportTransform().map(scene)  # float precision, unlike mapFromScene

    def _on_scene_clicked(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._source is None:
            return
        if not self._vb.sceneBoundingRect().contains(event.scenePos()):
            return
        seconds = float(self._vb.mapSceneToView(event.scenePos()).x())
        seconds = min(max(seconds, 0.0), self._duration)
        ms = seconds_to_ms(seconds)
        self.set_playhead(ms)
        self.cursor_moved.emit(ms)
