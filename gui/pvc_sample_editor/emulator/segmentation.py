"""Who speaks when: a speaker sidecar when there is one, else a small energy segmentation.

Sidecar: a file ``<audio file name>.speakers.json`` beside the audio, holding
``{"speakers": [{"speaker_id": "speaker_0", "utterances": [{"start": 1.2, "end": 3.4}]}]}``
(float seconds). Other keys are ignored. The seeded demo ships one; uploads cannot.

Segmentation (no sidecar), deterministic and cheap:

1. mix to mono and cut into 50 ms frames; a frame is speech when its RMS reaches a
   threshold 24 dB below the loud (95th percentile) frames, but at least 10 dB above
   the quiet (10th percentile) ones, so room noise never counts as speech;
2. runs of speech frames separated by less than 0.3 s are merged into one utterance,
   utterances shorter than 0.15 s are dropped;
3. each utterance gets a pitch: the median of per-frame YIN estimates (60-400 Hz);
4. utterances are grouped by pitch: sorted on a log scale, the groups split where
   neighbouring pitches are more than 0.2 octave apart (at most 4 speakers, split at the
   widest gaps). Speakers are numbered ``speaker_0``, ``speaker_1``... in order of first
   appearance. An utterance without a usable pitch joins the speaker before it.

A file with no speech at all yields no speakers (the caller reports separation
``failed``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = [
    "FRAME_SECS",
    "SidecarError",
    "Speaker",
    "frame_rms",
    "load_sidecar",
    "segment",
    "sidecar_path",
    "speech_threshold",
]

FRAME_SECS = 0.05
MERGE_GAP_SECS = 0.3
MIN_UTTERANCE_SECS = 0.15
SPEECH_BELOW_LOUD_DB = 24.0
SPEECH_ABOVE_QUIET_DB = 10.0
SILENT_RMS = 1e-4  # about -80 dBFS: a file whose loud frames are this quiet is silence
PITCH_RANGE_HZ = (60.0, 400.0)
YIN_THRESHOLD = 0.15
SPLIT_OCTAVES = 0.2
MAX_SPEAKERS = 4

FloatArray = npt.NDArray[np.float64]


class SidecarError(ValueError):
    """A speaker sidecar that is not in the documented format."""


@dataclass(frozen=True)
class Speaker:
    """One speaker: id and utterances as ``(start, end)`` float seconds, in time order."""

    speaker_id: str
    utterances: tuple[tuple[float, float], ...]

    @property
    def duration_secs(self) -> float:
        """Total speech: the sum of the utterance lengths."""
        return round(sum(end - start for start, end in self.utterances), 3)


def sidecar_path(audio: Path) -> Path:
    """Where the speaker sidecar for ``audio`` lives (it may not exist)."""
    return audio.with_name(audio.name + ".speakers.json")


def load_sidecar(path: Path) -> tuple[Speaker, ...]:
    """Parse a sidecar file; raise :class:`SidecarError` on anything malformed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        speakers: list[Speaker] = []
        for entry in data["speakers"]:
            spans = tuple(
                (round(float(u["start"]), 3), round(float(u["end"]), 3))
                for u in entry["utterances"]
            )
            if any(not 0 <= start < end for start, end in spans):
                raise SidecarError(f"{path.name}: utterance with start >= end or negative")
            speakers.append(Speaker(str(entry["speaker_id"]), tuple(sorted(spans))))
    except SidecarError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SidecarError(f"{path.name}: not a speaker sidecar ({exc!r})") from None
    if len({s.speaker_id for s in speakers}) != len(speakers):
        raise SidecarError(f"{path.name}: a speaker id appears twice")
    return tuple(speakers)


def frame_rms(mono: FloatArray, rate: int) -> tuple[FloatArray, int]:
    """RMS of each whole 50 ms frame, and the frame length in samples."""
    frame = max(1, round(rate * FRAME_SECS))
    count = mono.size // frame
    frames = mono[: count * frame].reshape(count, frame)
    return np.sqrt(np.mean(frames**2, axis=1)), frame


def speech_threshold(rms: FloatArray) -> float:
    """The RMS at and above which a frame counts as speech (see module docstring)."""
    loud = float(np.percentile(rms, 95))
    quiet = float(np.percentile(rms, 10))
    threshold = max(
        loud * 10 ** (-SPEECH_BELOW_LOUD_DB / 20), quiet * 10 ** (SPEECH_ABOVE_QUIET_DB / 20)
    )
    # Never above the loud frames themselves, or a very steady file would have no speech.
    return min(threshold, loud)


def _speech_runs(voiced: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """``[start, stop)`` frame indices of each run of True, gaps < 0.3 s merged."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], voiced.astype(np.int8), [0]))))
    runs: list[tuple[int, int]] = []
    merge_gap = MERGE_GAP_SECS / FRAME_SECS
    for start, stop in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        if runs and start - runs[-1][1] < merge_gap - 1e-9:
            runs[-1] = (runs[-1][0], stop)
        else:
            runs.append((start, stop))
    min_frames = MIN_UTTERANCE_SECS / FRAME_SECS
    return [(a, b) for a, b in runs if b - a >= min_frames - 1e-9]


def _frame_pitches(mono: FloatArray, rate: int, frame: int, starts: Sequence[int]) -> FloatArray:
    """YIN pitch in Hz of a 100 ms window at each frame index (NaN when unpitched)."""
    size = 2 * frame  # two frames: enough periods of a 60 Hz voice
    padded = np.concatenate((mono, np.zeros(size)))
    windows = np.stack([padded[s * frame : s * frame + size] for s in starts])
    windows -= windows.mean(axis=1, keepdims=True)
    half = frame
    lo = int(rate / PITCH_RANGE_HZ[1])
    hi = min(int(rate / PITCH_RANGE_HZ[0]), half)
    nfft = 1 << (2 * size - 1).bit_length()
    # Difference function d(t) = E(x[:W]) + E(x[t:t+W]) - 2 * sum(x[j] x[j+t]), via FFT.
    spectrum = np.fft.rfft(windows, nfft)
    head = np.fft.rfft(windows[:, :half], nfft)
    cross = np.fft.irfft(np.conj(head) * spectrum, nfft)[:, : hi + 1]
    energy = np.concatenate((np.zeros((len(starts), 1)), np.cumsum(windows**2, axis=1)), axis=1)
    lags = np.arange(hi + 1)
    shifted = energy[:, lags + half] - energy[:, lags]
    diff = energy[:, [half]] + shifted - 2 * cross
    cumulative = np.cumsum(diff[:, 1:], axis=1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] * lags[1:] / np.maximum(cumulative, 1e-12)
    pitches = np.full(len(starts), np.nan)
    for row in range(len(starts)):
        below = np.flatnonzero(cmnd[row, lo:hi] < YIN_THRESHOLD)
        if below.size:
            lag = lo + int(below[0])
            while lag + 1 < hi and cmnd[row, lag + 1] < cmnd[row, lag]:
                lag += 1  # settle in the dip's minimum, not on its edge
            pitches[row] = rate / lag
    return pitches


def _group_by_pitch(pitches: Sequence[float]) -> list[int]:
    """A group number per utterance (NaN pitches: -1), split at wide pitch gaps."""
    known = sorted((float(np.log2(p)), i) for i, p in enumerate(pitches) if np.isfinite(p))
    groups = [-1] * len(pitches)
    if not known:
        return groups
    gaps = [(known[k + 1][0] - known[k][0], k) for k in range(len(known) - 1)]
    wide = sorted(
        k for gap, k in sorted(gaps, reverse=True)[: MAX_SPEAKERS - 1] if gap > SPLIT_OCTAVES
    )
    group = 0
    for position, (_, index) in enumerate(known):
        groups[index] = group
        if wide and position == wide[0]:
            wide.pop(0)
            group += 1
    return groups


def segment(mono: FloatArray, rate: int) -> tuple[Speaker, ...]:
    """Find utterances and speakers in a mono signal (see module docstring)."""
    rms, frame = frame_rms(mono, rate)
    if rms.size == 0 or float(np.percentile(rms, 95)) < SILENT_RMS:
        return ()
    voiced = rms >= speech_threshold(rms)
    runs = _speech_runs(voiced)
    if not runs:
        return ()
    pitch_frames = [k for a, b in runs for k in range(a, b) if voiced[k]]
    frame_pitch = dict(
        zip(pitch_frames, _frame_pitches(mono, rate, frame, pitch_frames).tolist(), strict=True)
    )
    medians: list[float] = []
    for a, b in runs:
        values = [frame_pitch[k] for k in range(a, b) if k in frame_pitch]
        finite = [v for v in values if np.isfinite(v)]
        medians.append(float(np.median(finite)) if len(finite) >= 2 else float("nan"))
    groups = _group_by_pitch(medians)
    for index, group in enumerate(groups):
        if group < 0:  # no usable pitch: keep it with whoever spoke just before
            previous = [g for g in groups[:index] if g >= 0]
            later = [g for g in groups[index:] if g >= 0]
            groups[index] = previous[-1] if previous else (later[0] if later else 0)
    # Number speakers by first appearance so that speaker_0 is who speaks first.
    order = list(dict.fromkeys(groups))
    duration = mono.size / rate
    spans: dict[int, list[tuple[float, float]]] = {}
    for (a, b), group in zip(runs, groups, strict=True):
        start, end = round(a * frame / rate, 3), round(min(b * frame / rate, duration), 3)
        spans.setdefault(order.index(group), []).append((start, end))
    return tuple(Speaker(f"speaker_{n}", tuple(spans[n])) for n in sorted(spans))
