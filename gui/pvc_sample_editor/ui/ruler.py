"""The waveform's time ruler: ticks at human steps, labels as precise as the step needs.

The rule itself (which step for which zoom, how a label reads) is Qt-free in
:mod:`pvc_sample_editor.timecode`; this axis only hands it the view's span and width.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtGui import QImage, QPainter

from pvc_sample_editor.timecode import format_tick, ruler_steps

__all__ = ["TimeAxis"]


class TimeAxis(pg.AxisItem):
    """Bottom axis: labelled ticks every 1 s, 5 s, 1 min... and unlabelled ones between."""

    def __init__(self, orientation: str = "bottom") -> None:
        super().__init__(orientation)
        #: Labels start with hours (``1:02:05``) when the file reaches an hour, so that
        #: zooming within a long file never changes the labels' shape.
        self.hours = False
        # Only the major level carries text: the minor step would need more digits. No
        # third level: it cost ~0.4 ms of every zoom frame and said nothing new.
        self.setStyle(maxTickLevel=1, maxTextLevel=0)

    def tickSpacing(
        self,
        minVal: float,  # noqa: N803 (pyqtgraph's names)
        maxVal: float,  # noqa: N803
        size: float,
    ) -> list[tuple[float, float]]:
        major, minor = ruler_steps(maxVal - minVal, size)
        return [(major, 0.0), (minor, 0.0)]

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        return [format_tick(max(v, 0.0), spacing, hours=self.hours) for v in values]

    def labels(self) -> list[str]:
        """The labels the axis draws now (for tests and screenshots)."""
        image = QImage(1, 1, QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        try:
            specs = self.generateDrawSpecs(painter)
        finally:
            painter.end()
        return [text for _rect, _flags, text in specs[2]] if specs else []
