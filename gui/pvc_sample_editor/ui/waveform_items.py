"""The waveform's drawn items besides the envelope: speaker bands, the trim shade, markers.

Each paints only what is visible. Markers (clipped spots, long pauses, non-speech at
the ends) are a strip along the foot of the view, merged to one rectangle per screen
pixel, so a file with thousands of clipped runs draws as fast as one with none.
Snapping looks up the nearest speech edge with a binary search: a drag frame pays
microseconds for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import QAbstractScrollArea, QLabel

from pvc_sample_editor.timecode import format_ms, seconds_to_ms

__all__ = [
    "MARKER_COLOURS",
    "BandsItem",
    "CursorLabel",
    "HandleLabels",
    "LoadingVeil",
    "Marker",
    "MarkersItem",
    "SpeakerBands",
    "SpeechEdges",
    "TrimRegion",
    "TrimShade",
    "label_layout",
    "skip_hover_while_dragging",
]


@dataclass(frozen=True)
class SpeakerBands:
    """One speaker's utterances to shade on the waveform."""

    speaker_id: str
    color: str
    spans: tuple[tuple[float, float], ...]  # seconds
    selected: bool


#: Colour per marker kind.
MARKER_COLOURS = {"clipping": "#e5484d", "pause": "#d9a400", "silence": "#7d8590"}


@dataclass(frozen=True)
class Marker:
    """One stretch to mark, in ms: ``kind`` is "clipping", "pause" or "silence"."""

    start_ms: int
    end_ms: int
    kind: str


class MarkersItem(pg.GraphicsObject):
    """The markers as a strip at the foot of the view; paints only what is visible."""

    TOP, BOTTOM = -0.99, -1.05

    def __init__(self) -> None:
        super().__init__()
        self._starts = np.empty(0)
        self._ends = np.empty(0)
        self._kinds: list[str] = []
        self._duration = 1.0
        self.setZValue(6)
        self.hide()

    @property
    def markers(self) -> tuple[Marker, ...]:
        """The markers shown, in time order."""
        return tuple(
            Marker(round(s * 1000), round(e * 1000), k)
            for s, e, k in zip(self._starts, self._ends, self._kinds, strict=True)
        )

    def set_markers(self, markers: Sequence[Marker], duration: float) -> None:
        ordered = sorted(markers, key=lambda m: m.start_ms)
        self.prepareGeometryChange()
        self._starts = np.array([m.start_ms / 1000 for m in ordered], dtype=float)
        self._ends = np.array([m.end_ms / 1000 for m in ordered], dtype=float)
        self._kinds = [m.kind for m in ordered]
        self._duration = max(duration, 1e-3)
        self.setVisible(bool(ordered))
        self.update()

    def next_start(self, seconds: float, step: int) -> float | None:
        """The start of the marker after (``step`` 1) or before (-1) ``seconds``."""
        if not len(self._starts):
            return None
        if step > 0:
            i = int(np.searchsorted(self._starts, seconds + 1e-4, side="left"))
            return float(self._starts[i]) if i < len(self._starts) else None
        i = int(np.searchsorted(self._starts, seconds - 1e-4, side="left")) - 1
        return float(self._starts[i]) if i >= 0 else None

    def boundingRect(self) -> QRectF:
        return QRectF(0.0, self.BOTTOM, self._duration, self.TOP - self.BOTTOM)

    def paint(self, painter: QPainter, *args: Any) -> None:
        view = self.getViewBox()
        if view is None or not len(self._starts):
            return
        (x0, x1), _ = view.viewRange()
        pixel = max((x1 - x0) / max(view.width(), 1.0), 1e-9)
        first = max(int(np.searchsorted(self._ends, x0)), 0)
        painter.setPen(Qt.PenStyle.NoPen)
        height = self.TOP - self.BOTTOM
        for kind, colour in MARKER_COLOURS.items():
            painter.setBrush(QBrush(QColor(colour)))
            run_start = run_end = None
            for i in range(first, len(self._starts)):
                start = self._starts[i]
                if start > x1:
                    break
                if self._kinds[i] != kind:
                    continue
                end = max(self._ends[i], start + pixel)  # at least one pixel wide
                if run_end is not None and start <= run_end + pixel:
                    run_end = max(run_end, end)  # within a pixel: one rectangle
                    continue
                if run_start is not None and run_end is not None:
                    painter.drawRect(QRectF(run_start, self.BOTTOM, run_end - run_start, height))
                run_start, run_end = start, end
            if run_start is not None and run_end is not None:
                painter.drawRect(QRectF(run_start, self.BOTTOM, run_end - run_start, height))


class SpeechEdges:
    """Where speech starts and ends, for a dragged handle to snap to."""

    def __init__(self, segments_ms: Sequence[tuple[int, int]] = ()) -> None:
        edges = sorted({ms for segment in segments_ms for ms in segment})
        self._edges = np.array(edges, dtype=float) / 1000.0

    def nearest(self, seconds: float, tolerance: float) -> float | None:
        """The edge nearest ``seconds`` if within ``tolerance`` seconds, else None."""
        edges = self._edges
        if not len(edges):
            return None
        i = int(np.searchsorted(edges, seconds))
        best = None
        for j in (i - 1, i):
            if 0 <= j < len(edges):
                distance = abs(float(edges[j]) - seconds)
                if distance <= tolerance and (best is None or distance < abs(best - seconds)):
                    best = float(edges[j])
        return best


class BandsItem(pg.GraphicsObject):
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


class TrimRegion(pg.LinearRegionItem):
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


class TrimShade(pg.GraphicsObject):
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


def skip_hover_while_dragging(scene: Any) -> None:
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


#: Where each handle's label sits along its line (1 = top): the End label drops to the
#: lower row when the two would otherwise overlap.
LABEL_ROW, LABEL_LOWER_ROW = 0.96, 0.86
_INSIDE, _OUTSIDE = 1, -1  # the label's side of its line, seen from the kept region


def label_layout(
    start_px: float,
    end_px: float,
    view_px: tuple[float, float],
    widths: tuple[float, float],
    gap: float = 4.0,
) -> tuple[int, int, bool]:
    """Where the Start and End labels go: (start side, end side, End on the lower row).

    Inside the kept region while both fit there. A narrower region puts each label
    outside its handle where the view has room for it; if they would still touch (a
    region at the view's edge), End moves down a row. They never read "StartEnd".
    """
    start_w, end_w = widths
    if end_px - start_px >= start_w + end_w + gap:
        return _INSIDE, _INSIDE, False
    left, right = view_px
    start_side = _OUTSIDE if start_px - left >= start_w else _INSIDE
    end_side = _OUTSIDE if right - end_px >= end_w else _INSIDE
    start_span = (
        (start_px - start_w, start_px)
        if start_side == _OUTSIDE
        else (
            start_px,
            start_px + start_w,
        )
    )
    end_span = (end_px, end_px + end_w) if end_side == _OUTSIDE else (end_px - end_w, end_px)
    apart = start_span[1] + gap <= end_span[0] or end_span[1] + gap <= start_span[0]
    return start_side, end_side, not apart


class HandleLabels:
    """The "Start" and "End" labels of the trim handles, kept from colliding."""

    def __init__(self, lines: Sequence[Any], color: str) -> None:
        self.labels = [
            pg.InfLineLabel(line, text=text, position=LABEL_ROW, color=color)
            for line, text in zip(lines, (" Start ", " End "), strict=True)
        ]
        for label in self.labels:
            label.setZValue(11)
        self._layout: tuple[int, int, bool] | None = None
        self.arrange_as((_INSIDE, _INSIDE, False))

    @property
    def layout(self) -> tuple[int, int, bool]:
        """(start side, end side, End lowered): side 1 is inside the region, -1 outside."""
        assert self._layout is not None
        return self._layout

    def arrange(self, view: Any) -> None:
        """Place both labels for the handles' pixel positions in ``view`` (a ViewBox)."""
        rect = view.sceneBoundingRect()
        start, end = (
            view.mapViewToScene(pg.Point(float(lb.line.value()), 0.0)).x() for lb in self.labels
        )
        widths = tuple(lb.boundingRect().width() for lb in self.labels)
        self.arrange_as(label_layout(start, end, (rect.left(), rect.right()), widths))

    def arrange_as(self, layout: tuple[int, int, bool]) -> None:
        """Apply a layout from :func:`label_layout` (only what changed)."""
        if layout == self._layout:
            return
        self._layout = layout
        start_side, end_side, lowered = layout
        # Anchor x 0 puts the text right of the line, 1 left of it.
        start_anchor = (0.0 if start_side == _INSIDE else 1.0, 0.0)
        end_anchor = (1.0 if end_side == _INSIDE else 0.0, 0.0)
        for label, anchor in zip(self.labels, (start_anchor, end_anchor), strict=True):
            label.anchors = [anchor, anchor]
            label.setAnchor(anchor)
        self.labels[1].setPosition(LABEL_LOWER_ROW if lowered else LABEL_ROW)


class CursorLabel(pg.InfLineLabel):
    """The playhead's time (where Play from Cursor starts) beside it, low in the view."""

    def __init__(self, line: Any, color: str) -> None:
        super().__init__(line, text="", position=0.07, color=color, anchors=[(0, 1), (0, 1)])
        self.setZValue(21)

    def valueChanged(self) -> None:
        # Unlike its base, also while hidden: the playhead is moved, then shown.
        self.setText(" " + format_ms(seconds_to_ms(max(float(self.line.value()), 0.0))))
        self.updatePosition()


class LoadingVeil(QLabel):
    """Over a view's picture while another file loads: the old one dimmed, not current."""

    def __init__(self, view: QAbstractScrollArea) -> None:
        super().__init__(view)
        self._view = view
        self.setObjectName("waveformLoading")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(
            "QLabel { color: #f0f4f8; font-size: 15px; background: rgba(22, 26, 33, 170); }"
        )
        self.hide()

    def say(self, text: str | None) -> None:
        """Veil the picture under ``text``, or lift the veil (None)."""
        if text is None:
            self.hide()
            return
        self.setText(text)
        self.fit()
        self.show()
        self.raise_()

    def fit(self) -> None:
        """Cover the view's picture (after a resize)."""
        self.setGeometry(self._view.viewport().geometry())
