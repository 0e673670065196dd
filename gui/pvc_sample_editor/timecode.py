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
    "frames_to_ms",
    "ms_to_frame",
    "ms_to_seconds",
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
