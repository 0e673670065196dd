"""Time in this app: the one rounding rule between seconds, frames and milliseconds.

The model and the wire hold integer milliseconds; the view holds float seconds; audio
holds frames. Every conversion between them goes through here, so a handle dragged to
the end of a file, the file's duration and the server's duration all land on the same
millisecond. The rule is round half away from zero (Python's ``round`` is half-even,
which put a handle dragged to the very end of a 10.0625 s file 1 ms past its duration).
"""

from __future__ import annotations

import math

__all__ = [
    "MAX_MS",
    "format_ms",
    "format_tick",
    "frames_to_ms",
    "ms_to_frame",
    "ms_to_seconds",
    "ruler_steps",
    "seconds_to_ms",
]

#: The longest time the editor holds, about 24.8 days: Qt's widgets keep ms in a C int.
#: No recording is that long, so a larger figure from a file or a server is refused.
MAX_MS = 2**31 - 1


def seconds_to_ms(seconds: float) -> int:
    """The one rounding rule from seconds to whole ms: round half away from zero.

    Used for handle positions and for the server's durations alike. Raises ValueError
    for a time that is not finite or whose milliseconds are not (a finite but absurd
    1e306 s).
    """
    scaled = abs(seconds) * 1000.0
    if not math.isfinite(scaled):
        raise ValueError(f"not a finite time: {seconds!r}")
    ms = math.floor(scaled + 0.5)
    return ms if seconds >= 0 else -ms


def frames_to_ms(frames: int, samplerate: int) -> int:
    """The duration of ``frames`` at ``samplerate`` in whole ms, by the same rule.

    Exact integer arithmetic (no float), so an hours-long file's length cannot drift by
    a rounding of its own. 0 for a rate of 0 (no audio).
    """
    if samplerate <= 0:
        return 0
    sign = -1 if frames < 0 else 1
    return sign * ((abs(frames) * 2000 + samplerate) // (2 * samplerate))


def ms_to_frame(ms: int, samplerate: int) -> int:
    """The first frame at or after ``ms`` (the frame a trim at ``ms`` starts on)."""
    return -((-ms * samplerate) // 1000)


def ms_to_seconds(ms: int) -> float:
    """Milliseconds as float seconds, for the view."""
    return ms / 1000.0


def format_ms(ms: int) -> str:
    """``h:mm:ss.mmm`` for a millisecond count (negative values keep their sign)."""
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}.{millis:03d}"


#: A ruler's (labelled step, unlabelled step) pairs in seconds, finest first: the steps a
#: person counts in (1 s, 5 s, 10 s, 30 s, 1 min, 5 min, 10 min...), never 1:40.
_RULER_STEPS: tuple[tuple[float, float], ...] = (
    (0.001, 0.0005),
    (0.002, 0.001),
    (0.005, 0.001),
    (0.01, 0.005),
    (0.02, 0.01),
    (0.05, 0.01),
    (0.1, 0.05),
    (0.2, 0.1),
    (0.5, 0.1),
    (1.0, 0.5),
    (2.0, 1.0),
    (5.0, 1.0),
    (10.0, 5.0),
    (15.0, 5.0),
    (30.0, 10.0),
    (60.0, 15.0),
    (120.0, 30.0),
    (300.0, 60.0),
    (600.0, 120.0),
    (900.0, 300.0),
    (1800.0, 300.0),
    (3600.0, 900.0),
    (7200.0, 1800.0),
    (18000.0, 3600.0),
    (36000.0, 7200.0),
    (86400.0, 21600.0),
)


def ruler_steps(
    span_secs: float, width_px: float, min_label_px: float = 90.0
) -> tuple[float, float]:
    """The ruler's (labelled, unlabelled) tick steps in seconds for a view.

    The labelled step is the finest human interval that leaves ``min_label_px`` pixels
    between two labels when ``span_secs`` are shown across ``width_px`` pixels.
    """
    px_per_sec = max(width_px, 1.0) / max(span_secs, 1e-9)
    for major, minor in _RULER_STEPS:
        if major * px_per_sec >= min_label_px:
            return major, minor
    day = _RULER_STEPS[-1][0]
    days = math.ceil(min_label_px / px_per_sec / day)
    return days * day, days * day / 4


def _decimals(step: float) -> int:
    """Digits after the second that a label on a ``step`` ruler needs (0 to 3)."""
    for digits in range(3):
        scaled = step * 10**digits
        if abs(scaled - round(scaled)) < 1e-6 * max(scaled, 1.0):
            return digits
    return 3


def format_tick(seconds: float, step: float, *, hours: bool = False) -> str:
    """A ruler label with only the precision ``step`` needs.

    ``m:ss`` on a ruler of whole seconds (``12:30``), ``m:ss.s`` at tenths
    (``0:12.5``), ``m:ss.sss`` at ms (``0:12.345``); ``h:mm:ss`` first when ``hours``
    (a view that reaches an hour), so every label of one ruler has the same shape.
    """
    digits = _decimals(step)
    units = 10**digits
    total = math.floor(abs(seconds) * units + 0.5)
    whole, fraction = divmod(total, units)
    mins, secs = divmod(whole, 60)
    text = f"{secs:02d}" + (f".{fraction:0{digits}d}" if digits else "")
    if hours:
        hrs, mins = divmod(mins, 60)
        text = f"{hrs}:{mins:02d}:{text}"
    else:
        text = f"{mins}:{text}"
    return ("-" if seconds < 0 and total else "") + text
