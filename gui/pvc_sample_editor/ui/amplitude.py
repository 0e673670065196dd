"""How loud the waveform draws: a vertical zoom and a linear or decibel scale, labelled.

The envelope keeps its true values; only what is drawn is mapped (:func:`displayed`),
so the trims, markers and speaker bands, drawn at fixed heights, never move. A louder
display clips at the top and bottom, as a gain would.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pyqtgraph as pg

__all__ = ["FLOOR_DB", "AmplitudeAxis", "AmplitudeScale", "displayed"]

#: The quietest level the dB scale shows; -40 dB tails sit a third of the way up.
FLOOR_DB = -60.0
MAX_GAIN = 256.0  # +48 dB: a -50 dBFS tail fills half the height
_LINEAR_TICKS = (1.0, 0.5)


@dataclass(frozen=True)
class AmplitudeScale:
    """The vertical zoom (``gain``, 1 = full scale fills the view) and the scale."""

    gain: float = 1.0
    db: bool = False

    def zoomed(self, factor: float) -> AmplitudeScale:
        """The gain times ``factor``, kept between 1 and ``MAX_GAIN``."""
        return replace(self, gain=min(max(self.gain * factor, 1.0), MAX_GAIN))


def displayed(y: np.ndarray, scale: AmplitudeScale) -> np.ndarray:
    """Envelope values (linear, -1..1) as drawn: amplified by the gain, clipped to ±1,
    and on the dB scale mapped from ``FLOOR_DB``..0 dB to 0..1 with their sign."""
    if scale.gain == 1.0 and not scale.db:
        return y
    boosted = np.abs(y) * scale.gain
    if scale.db:
        with np.errstate(divide="ignore"):
            level = 20.0 * np.log10(boosted)
        height = np.clip((level - FLOOR_DB) / -FLOOR_DB, 0.0, 1.0)
    else:
        height = np.minimum(boosted, 1.0)
    return np.copysign(height, y)


class AmplitudeAxis(pg.AxisItem):
    """Left axis: full-scale fractions (linear) or dBFS, for the current gain."""

    def __init__(self) -> None:
        super().__init__("left")
        self.amplitude = AmplitudeScale()  # not "scale": AxisItem has its own
        self.setWidth(52)
        self.setStyle(tickTextOffset=3)

    def set_scale(self, scale: AmplitudeScale) -> None:
        """Label for ``scale`` (redraws the axis)."""
        self.amplitude = scale
        self.picture = None
        self.update()

    def ticks(self) -> list[tuple[float, str]]:
        """(height 0..1, label) of each labelled level in the upper half."""
        s = self.amplitude
        if s.db:
            boost = 20.0 * math.log10(s.gain)
            levels = [float(-d) for d in range(0, 130, 10)]  # dBFS of the signal itself
            ticks = [((d + boost - FLOOR_DB) / -FLOOR_DB, f"{d:.0f} dB") for d in levels]
        else:
            ticks = [(f, _fraction(f / s.gain)) for f in _LINEAR_TICKS]
        return [(round(p, 6), t) for p, t in ticks if 0.05 < p <= 1.0 + 1e-9]

    def tickValues(
        self,
        minVal: float,  # noqa: N803 (pyqtgraph's names)
        maxVal: float,  # noqa: N803
        size: float,
    ) -> list[tuple[float, list[float]]]:
        return [(1.0, [p for p, _ in self.ticks()] + [0.0])]

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        labels = dict(self.ticks())
        return [labels.get(round(v, 6), "") for v in values]


def _fraction(value: float) -> str:
    """A fraction of full scale with the digits it needs: 1, 0.5, 0.125, 0.003906."""
    return f"{value:.4g}"
