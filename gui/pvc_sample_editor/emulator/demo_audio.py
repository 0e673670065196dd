"""Speech-like recordings for the demo voice, generated in a fraction of a second.

A recording is one short phrase repeated to the length wanted: sentences of
syllable-like bursts (a voiced tone with two harmonics under a rise-and-fall envelope,
at the speaker's pitch give or take a few per cent) separated by pauses, in 16 kHz mono
16-bit FLAC. When several speakers are given they take turns, a sentence each. Every
boundary falls on a whole millisecond, so who speaks when is known exactly and written
as a speaker sidecar (see :mod:`.segmentation`): separating a generated sample gives the
true answer at once instead of segmenting minutes of audio.

Deterministic: the same :class:`Recording` always gives the same bytes. Generating all
four demo recordings (half an hour of audio) takes about 0.3 s on one core, so it is done
once per process and cached (:func:`render`).
"""

from __future__ import annotations

import functools
import io
import json
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import soundfile as sf

__all__ = ["RATE", "Recording", "Rendered", "render"]

RATE = 16_000
_PER_MS = RATE // 1000
_LEVEL = 0.3  # peak of a syllable: about -10 dBFS, like a recording with headroom


@dataclass(frozen=True)
class Recording:
    """A generated recording: ``repeats`` times a phrase of ``phrase_ms`` milliseconds."""

    file_name: str
    phrase_ms: int
    repeats: int
    pitches_hz: tuple[float, ...] = (130.0,)
    seed: int = 0

    @property
    def duration_ms(self) -> int:
        """The recording's length in milliseconds (exact: the rate divides a millisecond)."""
        return self.phrase_ms * self.repeats


@dataclass(frozen=True)
class Rendered:
    """The FLAC bytes of a recording and its speaker sidecar (JSON bytes)."""

    flac: bytes
    sidecar: bytes
    #: Per speaker id, its utterances in whole milliseconds over the whole recording.
    utterances_ms: dict[str, tuple[tuple[int, int], ...]]


def _syllable(length_ms: int, pitch_hz: float) -> npt.NDArray[np.float64]:
    t = np.arange(length_ms * _PER_MS) / RATE
    envelope = np.sin(np.pi * t / (length_ms / 1000))
    wave = (
        np.sin(2 * np.pi * pitch_hz * t)
        + 0.45 * np.sin(4 * np.pi * pitch_hz * t)
        + 0.2 * np.sin(6 * np.pi * pitch_hz * t)
    )
    return envelope * wave * (_LEVEL / 1.65)


def _phrase(
    recording: Recording,
) -> tuple[npt.NDArray[np.int16], list[tuple[int, int, int]]]:
    """One phrase and its sentences as ``(speaker index, start ms, end ms)``."""
    rng = np.random.default_rng(recording.seed)
    signal = np.zeros(recording.phrase_ms * _PER_MS)
    sentences: list[tuple[int, int, int]] = []
    at = int(rng.integers(200, 600))  # a breath before the first word
    speaker = 0
    while True:
        syllables = [
            (int(rng.integers(110, 320)), int(rng.integers(30, 140)))
            for _ in range(int(rng.integers(6, 18)))
        ]
        length = sum(s + g for s, g in syllables) - syllables[-1][1]
        pause = int(rng.integers(450, 1100))
        if at + length + pause > recording.phrase_ms:
            break
        start = at
        pitch = recording.pitches_hz[speaker]
        for syllable_ms, gap_ms in syllables:
            burst = _syllable(syllable_ms, pitch * float(rng.uniform(0.92, 1.08)))
            signal[at * _PER_MS : at * _PER_MS + burst.size] = burst
            at += syllable_ms + gap_ms
        at -= syllables[-1][1]
        sentences.append((speaker, start, at))
        at += pause
        speaker = (speaker + 1) % len(recording.pitches_hz)
    if not sentences:
        raise ValueError(f"{recording.file_name}: {recording.phrase_ms} ms is too short a phrase")
    return np.round(signal * 32767).astype(np.int16), sentences


@functools.lru_cache(maxsize=16)
def render(recording: Recording) -> Rendered:
    """The recording's FLAC and sidecar (cached: the demo seeds the same ones each time)."""
    phrase, sentences = _phrase(recording)
    buffer = io.BytesIO()
    sf.write(buffer, np.tile(phrase, recording.repeats), RATE, format="FLAC", subtype="PCM_16")
    utterances: dict[str, list[tuple[int, int]]] = {}
    for repeat in range(recording.repeats):
        offset = repeat * recording.phrase_ms
        for speaker, start, end in sentences:
            spans = utterances.setdefault(f"speaker_{speaker}", [])
            spans.append((offset + start, offset + end))
    sidecar = {
        "speakers": [
            {
                "speaker_id": speaker_id,
                "utterances": [{"start": a / 1000, "end": b / 1000} for a, b in spans],
            }
            for speaker_id, spans in utterances.items()
        ]
    }
    return Rendered(
        buffer.getvalue(),
        json.dumps(sidecar).encode("utf-8"),
        {k: tuple(v) for k, v in utterances.items()},
    )
