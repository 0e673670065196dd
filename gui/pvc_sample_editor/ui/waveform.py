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
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSceneMouseEvent, QWidget

from pvc_sample_editor.timecode import format_ms, seconds_to_ms

__all__ = ["EnvelopeSource", "SpeakerBands", "WaveformView"]

MIN_VIEW_SECS = 0.005  # deepest zoom: a few hundred samples across the screen
BACKGROUND = "#161a21"
ENVELOPE = "#a9c4dc"
TRIM = "#3fb8af"
PLAYHEAD = "#ffb347"


class EnvelopeSource(Protocol):
    """What the view needs from the audio core (PeakPyramid + SampleReader)."""

    samplerate: int
    frames: int

    def envelope(self, start_frame: int, stop_frame: int, columns: int) -> tuple[Any, Any]:
        """(t_seconds, y) to draw, about two points per column."""


@dataclass(frozen=True)
class SpeakerBands:
    """One speaker's utterances to shade on the waveform."""

    speaker_id: str
    color: str
    spans: tuple[tuple[float, float], ...]  # seconds
    selected: bool


class TimeAxis(pg.AxisItem):
    """Bottom axis reading h:mm:ss.mmm."""

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        return [format_ms(seconds_to_ms(max(v, 0.0))) for v in values]


class _TrimRegion(pg.LinearRegionItem):
    """A region whose body does not move: only its two edges are handles.

    Dragging inside the region pans the view like anywhere else on the plot, so a
    careless drag can never shift both trims at once.
    """

    def mouseDragEvent(self, ev: Any) -> None:
        ev.ignore()

    def mouseClickEvent(self, ev: Any) -> None:
        ev.ignore()

    def hoverEvent(self, ev: Any) -> None:
        pass


class _BandsItem(pg.GraphicsObject):
    """Coloured spans behind the envelope; paints only what is visible."""

    def __init__(self) -> None:
        super().__init__()
        self._bands: list[SpeakerBands] = []
        self._duration = 1.0
        self.setZValue(-20)

    def set_bands(self, bands: Sequence[SpeakerBands], duration: float) -> None:
        duration = max(duration, 1e-3)
        if list(bands) == self._bands and duration == self._duration:
            return  # every edit re-renders; unchanged bands keep their cached picture
        self.prepareGeometryChange()
        self._bands = list(bands)
        self._duration = duration
        # Hidden when there is nothing to shade: a visible item with a cache costs a
        # full-width pixmap to clear and blit on every zoom frame, even when empty.
        self.setVisible(any(band.spans for band in self._bands))
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(0.0, -1.0, self._duration, 2.0)

    def paint(self, painter: QPainter, *args: Any) -> None:
        view = self.getViewBox()
        if view is None:
            return
        (x0, x1), _ = view.viewRange()
        painter.setPen(Qt.PenStyle.NoPen)
        for band in self._bands:
            color = QColor(band.color)
            color.setAlpha(70 if band.selected else 22)
            painter.setBrush(QBrush(color))
            for start, end in band.spans:
                if end < x0 or start > x1:
                    continue
                painter.drawRect(QRectF(start, -1.0, end - start, 2.0))


class _TrimShade(pg.GraphicsObject):
    """Tints the kept region and darkens what the trims cut away.

    Drawn here rather than as the trim region's brush so that a moving handle dirties
    only the strip it swept: the region item changes its bounding rect on every move,
    which made Qt repaint the whole kept region (most of the view) each drag frame.
    """

    def __init__(self) -> None:
        super().__init__()
        self._start = 0.0
        self._end = 0.0
        self._duration = 0.0
        self.setZValue(5)

    def set_spans(self, start: float, end: float, duration: float) -> None:
        duration = max(duration, 0.0)
        if duration != self._duration:
            self.prepareGeometryChange()
            self._start, self._end, self._duration = start, end, duration
            self.update()
            return
        for old, new in ((self._start, start), (self._end, end)):
            if old != new:  # only the strip between the old and new edge changes colour
                self.update(QRectF(min(old, new), -1.1, abs(new - old), 2.2))
        self._start, self._end = start, end

    def boundingRect(self) -> QRectF:
        return QRectF(0.0, -1.1, max(self._duration, 1e-3), 2.2)

    def paint(self, painter: QPainter, *args: Any) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(QColor(0, 0, 0, 120)))
        if self._start > 0:
            painter.drawRect(QRectF(0.0, -1.1, self._start, 2.2))
        if self._end < self._duration:
            painter.drawRect(QRectF(self._end, -1.1, self._duration - self._end, 2.2))
        painter.setBrush(QBrush(QColor(63, 184, 175, 38)))
        painter.drawRect(QRectF(self._start, -1.1, self._end - self._start, 2.2))


def _skip_hover_while_dragging(scene: Any) -> None:
    """Stop pyqtgraph's scene from looking for hover targets on every move of a drag.

    Mid-drag no item may accept a hover (pyqtgraph marks those events unacceptable), yet
    finding the items near the cursor and sorting them cost ~0.6 ms of every drag
    frame. The move that starts a drag and the release still send hover events, so
    what is highlighted after the drag is exactly what it was without this.
    """
    send_hover_events = scene.sendHoverEvents

    def send_unless_dragging(event: Any, exitOnly: bool = False) -> None:  # noqa: N803
        if not exitOnly and scene.dragItem is not None and event.buttons():
            return
        send_hover_events(event, exitOnly)

    scene.sendHoverEvents = send_unless_dragging


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

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            parent=parent, background=BACKGROUND, axisItems={"bottom": TimeAxis("bottom")}
        )
        self._source: EnvelopeSource | None = None
        self._failed_source: EnvelopeSource | None = None  # the source already said failed
        self._duration = 0.0
        self._active = 0
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(160)
        item = self.getPlotItem()
        item.hideAxis("left")
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
        # Labelled major ticks and unlabelled minor ones; a third level of ticks cost
        # ~0.4 ms of every zoom frame and said nothing the labels do not.
        axis.setStyle(maxTickLevel=1, maxTextLevel=1)
        self._bands = _BandsItem()
        self._bands.setCacheMode(cache)
        self._bands.hide()  # until there are speakers to shade
        item.addItem(self._bands, ignoreBounds=True)
        self._curve = pg.PlotCurveItem(pen=pg.mkPen(ENVELOPE, width=1), antialias=False)
        # One drawLines call for the min/max strokes: ~0.3 ms cheaper per frame than
        # stroking the same segments as a path, and the same pixels without antialiasing.
        self._curve.setSegmentedLineMode("on")
        self._curve.setZValue(0)
        item.addItem(self._curve)
        centre = pg.InfiniteLine(pos=0.0, angle=0, pen=pg.mkPen("#3a4350", width=1))
        item.addItem(centre, ignoreBounds=True)

        self._region = _TrimRegion(
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
        # Labels sit inside the kept region so they never clip at the file's edges.
        for line, text, anchor in zip(
            self._region.lines, (" Start", "End "), ((0.0, 0.0), (1.0, 0.0)), strict=True
        ):
            label = pg.InfLineLabel(
                line, text=text, position=0.96, color=TRIM, anchors=[anchor, anchor]
            )
            label.setZValue(11)
        item.addItem(self._region, ignoreBounds=True)
        self._region.sigRegionChanged.connect(self._on_region_moving)
        self._region.sigRegionChangeFinished.connect(self._on_region_finished)
        for index, line in enumerate(self._region.lines):
            line.sigDragged.connect(lambda *_args, i=index: self._set_active(i))

        self._shade = _TrimShade()
        item.addItem(self._shade, ignoreBounds=True)
        self._region.sigRegionChanged.connect(self._update_shade)

        self._playhead = pg.InfiniteLine(
            pos=0.0, angle=90, movable=False, pen=pg.mkPen(PLAYHEAD, width=1.5)
        )
        self._playhead.setZValue(20)
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
        _skip_hover_while_dragging(self.scene())

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
        span = max(self._duration, MIN_VIEW_SECS)
        # The new limits and the fit may each change the range; draw once, at the end.
        self._fitting = True
        try:
            self._vb.setLimits(xMin=0.0, xMax=span, minXRange=MIN_VIEW_SECS, maxXRange=span)
            self._region.setBounds((0.0, self._duration))
            self._update_shade()
            self.fit_all()
        finally:
            self._fitting = False
        self.redraw()

    def set_bounds_secs(self, bound: float) -> None:
        """Limit the handles to ``[0, bound]`` (the server's duration may be shorter)."""
        self._region.setBounds((0.0, min(bound, self._duration) if self._duration else bound))

    def redraw(self) -> None:
        """Recompute the envelope for the visible range at screen resolution."""
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
        self._curve.setData(t, y, skipFiniteCheck=True, connect="pairs" if pairs else "all")

    def _cache_envelope(self, on: bool) -> None:
        """Keep the envelope in a pixmap (handle drags) or paint it directly (zoom, pan)."""
        mode = (
            QGraphicsItem.CacheMode.DeviceCoordinateCache if on else QGraphicsItem.CacheMode.NoCache
        )
        if self._curve.cacheMode() != mode:
            self._curve.setCacheMode(mode)

    def _on_range_changed(self, *_args: object) -> None:
        if not self._fitting:
            self.redraw()

    def _schedule_redraw(self, *_args: object) -> None:
        self._redraw_timer.start()

    def set_speaker_bands(self, bands: Sequence[SpeakerBands]) -> None:
        """Shade each speaker's utterances; unselected speakers are drawn faintly."""
        self._bands.set_bands(bands, self._duration)

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

    def _on_region_moving(self) -> None:
        self._cache_envelope(True)  # the envelope stays put while a handle moves
        start, end = self.trims_ms()
        self.trims_dragging.emit(start, end)

    def _on_region_finished(self) -> None:
        start, end = self.trims_ms()
        self.trims_changed.emit(start, end)

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
