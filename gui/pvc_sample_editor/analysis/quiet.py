"""Where to cut a long recording: the quietest pause near a target, never inside a word.

:func:`find_quiet_cut` streams one window of a file (a few minutes at most, in blocks,
so memory stays flat) through the WebRTC speech detector of :mod:`.speech` and measures
the level of each 30 ms frame on the same 16 kHz (or 8 kHz) mix the detector hears.
Pauses are runs of non-speech frames of at least ``min_pause_ms`` whose level is 12 dB
or more under the window's loud frames (its 90th percentile); each is scored by
its level (dB) plus a penalty that grows to ``distance_penalty_db`` at the window's
edge, so a much quieter pause a minute away beats a noisier one next to the target,
but between two equally quiet pauses the nearer wins. The cut goes at the quietest
frame of the pause's middle half: as far from the words on either side as the pause
allows.

A window with no pause that long (music, continuous speech, a detector fooled by
noise) falls back to the quietest 300 ms stretch, and says so (``in_pause=False``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pvc_sample_editor.analysis.speech import FRAME_MS, AreaResampler, VoiceDetector, runs
from pvc_sample_editor.audio.source import open_sound_file

__all__ = ["QuietCut", "WindowLevels", "find_quiet_cut", "window_levels"]

#: Frames read per block: ~3 s at 48 kHz, so a stereo float block is ~1 MB.
_BLOCK = 1 << 17
_FALLBACK_FRAMES = 10  # 300 ms: the stretch the fallback averages over
_PAUSE_BELOW_DB = 12.0  # how far under the window's loud frames a pause must be
_FLOOR = 1e-12  # power of digital silence, so that its level is a number (-120 dB)


@dataclass(frozen=True)
class QuietCut:
    """A chosen cut: the frame (sample index in the file) and why it was chosen."""

    frame: int
    #: True when the cut sits inside a detected pause; False for the fallback.
    in_pause: bool
    #: Level of the chosen pause (or fallback stretch), dBFS of the mono mix.
    level_db: float
    #: The pause around the cut, in file frames (the fallback's stretch when not in one).
    pause_start: int
    pause_stop: int


@dataclass(frozen=True)
class WindowLevels:
    """Per 30 ms frame of a window: speech or not, and power; ``edge(k)`` maps to files."""

    start_frame: int
    samplerate: int
    speech: np.ndarray[Any, Any]
    power: np.ndarray[Any, Any]

    def edge(self, k: float) -> int:
        """The file frame at 30 ms frame boundary ``k`` (fractional allowed)."""
        return self.start_frame + round(k * FRAME_MS * self.samplerate / 1000)


def window_levels(
    path: str | os.PathLike[str],
    start_frame: int,
    stop_frame: int,
    *,
    should_stop: Callable[[], bool] | None = None,
) -> WindowLevels:
    """Speech decisions and power per 30 ms frame of ``[start_frame, stop_frame)``."""
    with open_sound_file(Path(os.path.abspath(path))) as handle:
        rate = int(handle.samplerate)
        detector = VoiceDetector(rate)
        resampler = AreaResampler(rate, detector.rate)
        step = detector.rate * FRAME_MS // 1000
        powers: list[np.ndarray[Any, Any]] = []
        pending = np.zeros(0)
        handle.seek(start_frame)
        position = start_frame
        while position < stop_frame:
            if should_stop is not None and should_stop():
                raise InterruptedError("cancelled")
            want = min(_BLOCK, stop_frame - position)
            block = handle.read(want, dtype="float32", always_2d=True)
            if block.shape[0] == 0:
                break
            position += block.shape[0]
            mono = block.mean(axis=1, dtype=np.float64)
            detector.feed(mono)
            low = np.concatenate([pending, resampler.feed(mono)])
            whole = low.size // step * step
            if whole:
                powers.append(np.mean(np.square(low[:whole]).reshape(-1, step), axis=1))
            pending = low[whole:]
    speech = detector.frames
    power = np.concatenate(powers) if powers else np.zeros(0)
    count = min(speech.size, power.size)
    return WindowLevels(start_frame, rate, speech[:count], power[:count])


def find_quiet_cut(
    path: str | os.PathLike[str],
    target_frame: int,
    lo_frame: int,
    hi_frame: int,
    *,
    min_pause_ms: int = 300,
    distance_penalty_db: float = 6.0,
    should_stop: Callable[[], bool] | None = None,
) -> QuietCut:
    """The cut nearest in quiet to ``target_frame`` within ``[lo_frame, hi_frame)``.

    ``lo_frame < target_frame < hi_frame``; the window is read once, in blocks.
    """
    if not lo_frame <= target_frame < hi_frame:
        raise ValueError("the target must lie inside the window")
    levels = window_levels(path, lo_frame, hi_frame, should_stop=should_stop)
    count = levels.power.size
    if count == 0:
        return QuietCut(target_frame, False, -120.0, target_frame, target_frame)
    level_db = 10.0 * np.log10(np.maximum(levels.power, _FLOOR))
    target_k = (target_frame - lo_frame) * 1000 / (FRAME_MS * levels.samplerate)
    half = max(count / 2, 1.0)

    def penalty(k: float) -> float:
        return distance_penalty_db * min(abs(k - target_k) / half, 1.0)

    min_frames = max(1, math.ceil(min_pause_ms / FRAME_MS))
    # A pause is quiet, not just free of speech: a held note or a hum is no place to cut.
    loud = float(np.percentile(level_db, 90))
    best: tuple[float, int, int, int] | None = None  # score, cut k, run start, run stop
    for start, stop in runs(~levels.speech):
        if stop - start < min_frames:
            continue
        if float(np.mean(level_db[start:stop])) > loud - _PAUSE_BELOW_DB:
            continue
        # The middle half of the pause: the detector's edges are fuzzy by a frame or
        # two, and a soft consonant can hide in them.
        quarter = (stop - start) // 4
        middle = slice(start + quarter, stop - quarter)
        k = middle.start + int(np.argmin(level_db[middle]))
        score = float(np.mean(level_db[start:stop])) + penalty((start + stop) / 2)
        if best is None or score < best[0]:
            best = (score, k, int(start), int(stop))
    if best is not None:
        _, k, start, stop = best
        level = float(np.mean(level_db[start:stop]))
        return QuietCut(levels.edge(k + 0.5), True, level, levels.edge(start), levels.edge(stop))
    # No pause: the quietest 300 ms stretch (moving average), nearer the target on ties.
    span = min(_FALLBACK_FRAMES, count)
    smooth = np.convolve(level_db, np.ones(span) / span, mode="valid")
    centres = np.arange(smooth.size) + span / 2
    scores = smooth + distance_penalty_db * np.minimum(np.abs(centres - target_k) / half, 1.0)
    i = int(np.argmin(scores))
    k = i + int(np.argmin(level_db[i : i + span]))
    return QuietCut(
        levels.edge(k + 0.5), False, float(smooth[i]), levels.edge(i), levels.edge(i + span)
    )
