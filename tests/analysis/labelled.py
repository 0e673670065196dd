"""A labelled speech set made with espeak-ng: phrases, pauses, breaths, clicks, room noise.

Shared by the speech tests and ``tests/benchmarks/bench_vad.py``. The truth is taken
from the clean phrases before anything is mixed in: a 10 ms frame is speech when the
phrase's own level there is above -50 dBFS, with gaps inside a phrase shorter than
200 ms (between syllables and words) counted as speech too.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import lfilter, resample_poly

FRAME_MS = 10
_SPEECH_LEVEL = 10 ** (-50 / 20)
_FILL_GAP_MS = 200

PHRASES = (
    "The quick brown fox jumps over the lazy dog.",
    "Please call Stella and ask her to bring these things with her from the store.",
    "She sells sea shells by the sea shore.",
    "Six slippery snails slid slowly seaward.",
    "A large fawn jumped quickly over white zinc boxes.",
    "How vexingly quick daft zebras jump.",
)


def have_espeak() -> bool:
    """True when espeak-ng is installed."""
    return shutil.which("espeak-ng") is not None


@functools.lru_cache(maxsize=64)
def phrase(text: str, rate: int) -> np.ndarray:
    """``text`` spoken by espeak-ng at ``rate`` Hz, float64, its silent edges cut off."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "phrase.wav"
        subprocess.run(["espeak-ng", "-w", str(out), text], check=True, timeout=60)
        data, native = sf.read(out, dtype="float64")
    if native != rate:
        g = np.gcd(native, rate)
        data = resample_poly(data, rate // g, native // g)
    loud = np.flatnonzero(np.abs(data) > _SPEECH_LEVEL)
    return data[loud[0] : loud[-1] + 1]


def speech_frames(x: np.ndarray, rate: int) -> np.ndarray:
    """The truth for a clean phrase: speech per 10 ms frame (see the module doc)."""
    step = rate * FRAME_MS // 1000
    count = -(-x.size // step)
    padded = np.zeros(count * step)
    padded[: x.size] = x
    mask = np.abs(padded.reshape(count, step)).max(axis=1) > _SPEECH_LEVEL
    fill = _FILL_GAP_MS // FRAME_MS
    edges = np.flatnonzero(np.diff(mask.astype(np.int8)))
    for start, stop in zip(edges[1::2] + 1, edges[2::2] + 1, strict=False):
        if stop - start < fill:
            mask[start:stop] = True
    return mask


@dataclass(frozen=True)
class Clip:
    """A generated recording and its truth."""

    samples: np.ndarray
    rate: int
    truth: np.ndarray  # speech per 10 ms frame
    onset_ms: int  # first speech
    offset_ms: int  # end of the last speech
    pauses_ms: tuple[tuple[int, int], ...]  # the silences placed between phrases


def make_clip(
    rate: int,
    gaps_s: tuple[float, ...],
    *,
    lead_s: float = 1.0,
    tail_s: float = 1.0,
    snr_db: float | None = None,
    breaths: bool = False,
    clicks: bool = False,
    seed: int = 0,
) -> Clip:
    """Phrases separated by ``gaps_s`` silences, with room noise at ``snr_db`` if set.

    Breaths (300 ms of soft, band-limited noise at about -40 dBFS) go in the middle of
    every gap of a second or more, clicks (3 ms bursts) a quarter of the way into every
    gap. Neither is speech in the truth.
    """
    rng = np.random.default_rng(seed)
    parts: list[np.ndarray] = [np.zeros(round(lead_s * rate))]
    pauses = []
    position = parts[0].size
    texts = [PHRASES[i % len(PHRASES)] for i in range(len(gaps_s) + 1)]
    for i, text in enumerate(texts):
        spoken = 0.3 * phrase(text, rate) / np.abs(phrase(text, rate)).max()
        parts.append(spoken)
        position += spoken.size
        if i < len(gaps_s):
            gap = round(gaps_s[i] * rate)
            pauses.append((position, position + gap))
            parts.append(np.zeros(gap))
            position += gap
    parts.append(np.zeros(round(tail_s * rate)))
    clean = np.concatenate(parts)
    truth = speech_frames(clean, rate)
    # Nothing in the gaps is speech, even where the fill above reached into them.
    step = rate * FRAME_MS // 1000
    for start, stop in pauses:
        truth[-(-start // step) : stop // step] = False
    mixed = clean.copy()
    for start, stop in pauses:
        length = stop - start
        if clicks:
            at = start + length // 4
            mixed[at : at + rate * 3 // 1000] += 0.2 * rng.standard_normal(rate * 3 // 1000)
        if breaths and length >= rate:
            at = start + length // 2 - rate * 15 // 100
            burst = lfilter([1.0], [1.0, -0.7], rng.standard_normal(rate * 3 // 10))
            burst *= np.hanning(burst.size) * 0.01 / burst.std()
            mixed[at : at + burst.size] += burst
    if snr_db is not None:
        speech_rms = float(np.sqrt(np.mean(clean[np.repeat(truth, step)[: clean.size]] ** 2)))
        room = lfilter([1.0], [1.0, -0.95], rng.standard_normal(clean.size))  # rumbly
        room *= speech_rms * 10 ** (-snr_db / 20) / room.std()
        mixed += room
    first = int(np.flatnonzero(np.abs(clean) > 0)[0])
    last = int(np.flatnonzero(np.abs(clean) > 0)[-1]) + 1
    return Clip(
        samples=mixed.astype(np.float32),
        rate=rate,
        truth=truth,
        onset_ms=first * 1000 // rate,
        offset_ms=-(-last * 1000 // rate),
        pauses_ms=tuple((a * 1000 // rate, b * 1000 // rate) for a, b in pauses),
    )
