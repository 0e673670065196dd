"""A thin overview of the whole file above the waveform: where the view is, what is kept.

Drawn from the same envelope source as the waveform, at one column per pixel, so a
long file is summarised by its peak pyramid and never read sample by sample. The
picture of the envelope is kept as a pixmap until the file, its loaded length or the
strip's size changes; a frame of a drag or zoom only paints that pixmap and three
rectangles.

Press inside the box (the visible window) and drag to move the view; press elsewhere
to jump there (and keep dragging); the wheel pans.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from PySide6.QtCore import QLineF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import QWidget

from pvc_sample_editor.ui.waveform import BACKGROUND, ENVELOPE, TRIM, WaveformView

__all__ = ["OverviewStrip"]

STRIP_HEIGHT = 34
WHEEL_PAN = 0.15  # of the visible span, per notch of the wheel


class _Shown(NamedTuple):
    trims: tuple[int, int]  # the handles' x
    box: tuple[int, int]  # the visible window's left and right x
    rest: tuple[int, float, bool]  # the source, its length, whether another is loading


class OverviewStrip(QWidget):
    """The whole file in a strip; the box shows (and moves) the waveform's view."""

    def __init__(self, view: WaveformView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view = view
        self._pixmap: QPixmap | None = None
        self._pixmap_key: tuple[int, int, int, int, float] | None = None
        self._grab: float | None = None  # seconds from the view's start to the pointer
        self.setFixedHeight(STRIP_HEIGHT)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(
            "The whole file. The box is what the waveform shows: drag it, or click to go "
            "there; the wheel scrolls."
        )
        self._drawn: _Shown | None = None  # what the strip shows (see _changed)
        self._trims_timer = QTimer(self)
        self._trims_timer.setSingleShot(True)
        self._trims_timer.setInterval(33)
        self._trims_timer.timeout.connect(self._show_trims)
        view.shown_changed.connect(self._changed)

    # ---------------------------------------------------------------- geometry

    def secs_to_x(self, seconds: float) -> float:
        """The strip's x for a time in the file."""
        duration = self._view.duration
        return 0.0 if duration <= 0 else seconds / duration * self.width()

    def _x_to_secs(self, x: float) -> float:
        return min(max(x / max(self.width(), 1), 0.0), 1.0) * self._view.duration

    def window_rect(self) -> QRectF:
        """Where the box of the visible window is drawn."""
        x0, x1 = (self.secs_to_x(s) for s in self._view.view_range_secs())
        return QRectF(x0, 0.5, max(x1 - x0, 3.0), self.height() - 1.0)

    # ---------------------------------------------------------------- painting

    def _state(self) -> _Shown:
        """What the strip shows, at the strip's resolution."""
        view = self._view
        start, end = (round(self.secs_to_x(s)) for s in view.trims_secs())
        box = self.window_rect()
        rest = (id(view.source), view.duration, view.loading)
        return _Shown((start, end), (round(box.left()), round(box.right())), rest)

    def _changed(self) -> None:
        """Repaint only the strips that changed: a handle dragged across a long file
        moves less than one of this strip's pixels on most frames, and then nothing is
        repainted at all. A handle's move is shown at most 30 times a second (any widget
        painted besides the waveform costs a drag frame ~0.7 ms); the view's box and a
        new file at once."""
        state = self._state()
        drawn = self._drawn
        if (
            drawn is not None
            and drawn.box == state.box
            and drawn.rest == state.rest
            and drawn.trims != state.trims
        ):
            if not self._trims_timer.isActive():
                self._trims_timer.start()
            return
        self._show(state)

    def _show_trims(self) -> None:
        self._show(self._state())

    @property
    def up_to_date(self) -> bool:
        """True when what the strip last drew is what the view shows (no move pending)."""
        return not self._trims_timer.isActive() and self._drawn == self._state()

    def _show(self, state: _Shown) -> None:
        drawn, self._drawn = self._drawn, state
        if drawn is None or drawn.box != state.box or drawn.rest != state.rest:
            self.update()
            return
        for old, new in zip(drawn.trims, state.trims, strict=True):
            if old != new:
                self.update(min(old, new) - 2, 0, abs(new - old) + 5, self.height())

    def _envelope(self) -> QPixmap | None:
        """The whole file's envelope at one column per pixel (cached)."""
        src = self._view.source
        duration = self._view.duration
        if src is None or src.frames <= 0 or duration <= 0:
            return None
        w, h = self.width(), self.height()
        key = (id(src), src.frames, w, h, duration)
        if key == self._pixmap_key and self._pixmap is not None:
            return self._pixmap
        t, y = src.envelope(0, src.frames, w)
        t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
        columns = np.clip((t / duration * w).astype(int), 0, w - 1)
        top = np.full(w, -np.inf)
        bottom = np.full(w, np.inf)
        np.maximum.at(top, columns, y)
        np.minimum.at(bottom, columns, y)
        drawn = np.flatnonzero(np.isfinite(top))
        pixmap = QPixmap(w, h)
        pixmap.fill(QColor(BACKGROUND))
        painter = QPainter(pixmap)
        painter.setPen(QPen(QColor(ENVELOPE), 1))
        mid, half = h / 2, h / 2 - 2
        painter.drawLines(
            [
                QLineF(x + 0.5, mid - top[x] * half, x + 0.5, mid - bottom[x] * half + 0.5)
                for x in drawn.tolist()
            ]
        )
        painter.end()
        self._pixmap, self._pixmap_key = pixmap, key
        return pixmap

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(BACKGROUND))
        pixmap = self._envelope()
        if pixmap is None:
            painter.end()
            return
        painter.drawPixmap(0, 0, pixmap)
        h = float(self.height())
        start, end = (self.secs_to_x(s) for s in self._view.trims_secs())
        painter.fillRect(QRectF(0.0, 0.0, start, h), QColor(0, 0, 0, 140))
        painter.fillRect(QRectF(end, 0.0, self.width() - end, h), QColor(0, 0, 0, 140))
        painter.fillRect(QRectF(start, 0.0, end - start, h), QColor(63, 184, 175, 45))
        painter.setPen(QPen(QColor(TRIM), 1))
        painter.drawLine(QLineF(start, 0.0, start, h))
        painter.drawLine(QLineF(end, 0.0, end, h))
        painter.setPen(QPen(QColor("#f0f4f8"), 1.5))
        painter.setBrush(QColor(255, 255, 255, 36))
        painter.drawRect(self.window_rect())
        if self._view.loading:  # another file is on its way: this one is not current
            painter.fillRect(self.rect(), QColor(22, 26, 33, 170))
        painter.end()

    # ---------------------------------------------------------------- pointer

    def _show_from(self, start: float) -> None:
        x0, x1 = self._view.view_range_secs()
        span = x1 - x0
        start = min(max(start, 0.0), max(self._view.duration - span, 0.0))
        self._view.set_view_range_secs(start, start + span)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._view.source is None:
            super().mousePressEvent(event)
            return
        at = self._x_to_secs(event.position().x())
        x0, x1 = self._view.view_range_secs()
        # Inside the box: hold it where it was taken. Elsewhere: centre the view there.
        self._grab = at - x0 if x0 <= at <= x1 else (x1 - x0) / 2
        self._show_from(at - self._grab)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._grab is None or not event.buttons() & Qt.MouseButton.LeftButton:
            super().mouseMoveEvent(event)
            return
        self._show_from(self._x_to_secs(event.position().x()) - self._grab)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._grab = None
        super().mouseReleaseEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        notches = event.angleDelta().y() / 120 or event.angleDelta().x() / 120
        if self._view.source is None or not notches:
            super().wheelEvent(event)
            return
        x0, x1 = self._view.view_range_secs()
        self._show_from(x0 - notches * WHEEL_PAN * (x1 - x0))
        event.accept()
