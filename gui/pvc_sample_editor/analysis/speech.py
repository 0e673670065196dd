"""Speech activity: WebRTC's voice-activity detector, fed a streamed mono mix.

The WebRTC VAD (``webrtcvad``, a 0.25 MB C extension with no model to download) takes
16-bit mono at 8, 16, 32 or 48 kHz in 10, 20 or 30 ms frames. At 48 kHz it resamples
internally and costs ~2.8 s per hour of audio, at 16 kHz ~0.3 s, so the mix is first
brought to 16 kHz (8 kHz for sources below 16 kHz) here, by area averaging: each output
sample is the mean of the input over its period. That is a crude low-pass, but the VAD
only looks below 4 kHz (it works at 8 kHz inside) and the content it lets alias from
12-16 kHz is 12-22 dB down and falls where the VAD does not listen.

:class:`EnergyDetector` is the plain energy threshold the VAD is measured against in
``tests/benchmarks/bench_vad.py``; the app does not use it for speech.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import webrtcvad

__all__ = [
    "FRAME_MS",
    "AreaResampler",
    "EnergyDetector",
    "VoiceDetector",
    "runs",
]

FRAME_MS = 30  # the VAD's longest (and most reliable) frame
_DEFAULT_AGGRESSIVENESS = 2  # 0 keeps most, 3 drops most; 2 balances breaths vs soft words


def vad_rate(samplerate: int) -> int:
    """The rate the VAD runs at for a source at ``samplerate``."""
    return 16000 if samplerate >= 16000 else 8000


class AreaResampler:
    """Streams a signal from ``rate_in`` to ``rate_out`` (lower) by area averaging."""

    def __init__(self, rate_in: int, rate_out: int):
        if rate_out > rate_in:
            raise ValueError("AreaResampler only lowers the rate")
        self.ratio = rate_in / rate_out
        self._step = rate_in // rate_out if rate_in % rate_out == 0 else 0
        self._produced = 0  # output samples so far
        self._base = 0  # input index of _pending[0]
        self._pending = np.zeros(0)

    def feed(self, samples: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Return the output samples whose whole input period has now been seen."""
        if self._step:  # a whole ratio (48 → 16 kHz): plain means of ``step`` samples
            x = np.concatenate([self._pending, samples]) if self._pending.size else samples
            usable = x.size - x.size % self._step
            self._pending = np.array(x[usable:], dtype=np.float64)
            # Strided sums: numpy's mean over a short last axis is ~5 times slower.
            result: np.ndarray[Any, Any] = x[0 : usable : self._step].astype(np.float64)
            for offset in range(1, self._step):
                result += x[offset : usable : self._step]
            result *= 1.0 / self._step
            return result
        x = np.concatenate([self._pending, np.asarray(samples, dtype=np.float64)])
        r = self.ratio
        last = math.floor((self._base + x.size) / r)  # outputs [produced, last) are complete
        if last <= self._produced or x.size == 0:
            self._pending = x
            return np.zeros(0)
        edges = np.arange(self._produced, last + 1) * r - self._base
        whole = edges.astype(np.int64)
        cumulative = np.empty(x.size + 1)
        cumulative[0] = 0.0
        np.cumsum(x, out=cumulative[1:])
        # The running sum of a piecewise-constant signal is piecewise linear, so the
        # exact area up to a fractional edge is the sum to its sample plus a fraction.
        area = cumulative[whole] + (edges - whole) * x[np.minimum(whole, x.size - 1)]
        out: np.ndarray[Any, Any] = np.diff(area) / r
        self._produced = last
        keep = int(whole[-1])
        self._pending = x[keep:]
        self._base += keep
        return out


class VoiceDetector:
    """Streams a mono mix through the WebRTC VAD; one decision per 30 ms frame."""

    def __init__(self, samplerate: int, *, aggressiveness: int = _DEFAULT_AGGRESSIVENESS):
        self.rate = vad_rate(samplerate)
        self._resampler = AreaResampler(samplerate, self.rate)
        self._vad = webrtcvad.Vad(aggressiveness)
        self._frame = self.rate * FRAME_MS // 1000
        self._pending = np.zeros(0, dtype=np.int16)
        self._decisions: list[np.ndarray[Any, Any]] = []

    def feed(self, mono: np.ndarray[Any, Any]) -> None:
        """Add the decisions for every full frame the new samples complete."""
        low = self._resampler.feed(mono)
        pcm = np.clip(np.rint(low * 32768.0), -32768, 32767).astype(np.int16)
        pcm = np.concatenate([self._pending, pcm])
        frames = pcm.size // self._frame
        self._pending = pcm[frames * self._frame :]
        if frames == 0:
            return
        raw = pcm[: frames * self._frame].tobytes()
        step = 2 * self._frame
        is_speech, rate = self._vad.is_speech, self.rate
        decisions = np.fromiter(
            (is_speech(raw[i : i + step], rate) for i in range(0, len(raw), step)),
            dtype=bool,
            count=frames,
        )
        self._decisions.append(decisions)

    @property
    def frames(self) -> np.ndarray[Any, Any]:
        """Speech (True) or not for each 30 ms frame so far, from the start."""
        if len(self._decisions) > 1:
            self._decisions = [np.concatenate(self._decisions)]
        return self._decisions[0] if self._decisions else np.zeros(0, dtype=bool)


class EnergyDetector:
    """A plain energy threshold, for comparison: speech where a 30 ms frame's level is
    ``margin_db`` above the quietest tenth of the frames."""

    def __init__(self, margin_db: float = 10.0):
        self.margin_db = margin_db

    def detect(self, frame_power: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Decide each frame from its mean square."""
        with np.errstate(divide="ignore"):
            level = 10.0 * np.log10(np.maximum(frame_power, 1e-20))
        floor = float(np.percentile(level, 10)) if level.size else 0.0
        result: np.ndarray[Any, Any] = level > floor + self.margin_db
        return result


def runs(mask: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """``(start, stop)`` index pairs of the runs of True in a 1-D boolean array."""
    padded = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    result: np.ndarray[Any, Any] = edges.reshape(-1, 2)
    return result
