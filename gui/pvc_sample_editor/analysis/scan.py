"""One streaming pass over a region of a file that measures everything a report needs.

:func:`analyse_file` reads the region once, in blocks of about ten seconds (so an
hours-long file never sits in memory; a block is about 2 MB per channel), and feeds
each block to an :class:`Analyser`, which keeps only running sums and small per-frame
series: K-weighted energy per 100 ms, mean square per 10 ms, one VAD decision per
30 ms and the clipped runs. An hour of mono audio leaves about 2 MB of those.

It is written for a UI to run in the background: ``should_stop`` is polled between
blocks (a block takes tens of milliseconds) and ends the call with
:class:`AnalysisCancelled`; ``on_progress`` receives the fraction read and a partial
:class:`~pvc_sample_editor.analysis.report.Report` of what has been read so far, so a
view can show first verdicts at once. A visible region of a few seconds is a single
block, so its full report comes back in a few tens of milliseconds.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from pvc_sample_editor.analysis.loudness import KWeightedEnergy, gated_loudness
from pvc_sample_editor.analysis.report import (
    Figures,
    Limits,
    Report,
    judge,
    to_db,
)
from pvc_sample_editor.analysis.speech import FRAME_MS, VoiceDetector, runs
from pvc_sample_editor.analysis.truepeak import TruePeakMeter
from pvc_sample_editor.audio.errors import AudioLoadError
from pvc_sample_editor.audio.source import AudioInfo, open_sound_file, probe

__all__ = [
    "Analyser",
    "AnalysisCancelled",
    "AnalysisOptions",
    "analyse_file",
    "analyse_samples",
    "region_frames",
]

ProgressCallback = Callable[[float, Report], None]

# Samples at or within 0.1 dB of full scale count as clipped, in runs of 3 or more.
CLIP_LEVEL = 10.0 ** (-0.1 / 20.0)
MIN_CLIP_RUN = 3
# Positions kept for the report; a badly clipped hour could have millions of runs.
MAX_CLIPPED_RUNS = 500
_FRAME_MS = 10  # the series behind the noise floor, SNR and trim refinement
_NOISE_WINDOW_MS = 500
# Onset refinement: frames this much above the noise floor still belong to speech...
_EDGE_MARGIN_DB = 6.0
# ... searched at most this far beyond what the VAD marked.
_EDGE_SEARCH_MS = 300
# What the VAD marks but is not speech (see Analyser._speech_masks).
_MIN_WORD_MS = 150
_MAX_BREATH_MS = 600
_BREATH_BELOW_DB = 12.0
_BLOCK_TARGET_FRAMES = 1 << 19
_FLOAT_LIMIT = 1000.0
_LOSSLESS_BITS = {
    "PCM_S8": 8,
    "PCM_U8": 8,
    "PCM_16": 16,
    "PCM_24": 24,
    "PCM_32": 32,
    "FLOAT": 32,
    "DOUBLE": 64,
    "ULAW": 8,
    "ALAW": 8,
}


class AnalysisCancelled(Exception):  # noqa: N818 - mirrors audio.LoadCancelled
    """An analysis stopped because ``should_stop`` returned True."""


@dataclass(frozen=True)
class AnalysisOptions:
    """What the user can tune; the defaults are the issue's."""

    pause_threshold_ms: int = 1500
    trim_padding_ms: int = 150
    #: WebRTC VAD aggressiveness, 0 (keeps most as speech) to 3.
    vad_aggressiveness: int = 2
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True)
class _Source:
    """What the report says about where the samples came from."""

    path: Path | None
    format: str
    subtype: str
    samplerate: int
    channels: int
    bit_depth: int | None
    start_frame: int


class _FrameSums:
    """Sums of a stream over consecutive 10 ms frames (frame k starts at k·rate//100)."""

    def __init__(self, samplerate: int):
        self.rate = samplerate
        self._frames = 0
        self._pending = np.zeros(0)
        self._parts: list[np.ndarray[Any, Any]] = []

    def _edge(self, k: int) -> int:
        return k * self.rate * _FRAME_MS // 1000

    def feed(self, values: np.ndarray[Any, Any]) -> None:
        data = np.concatenate([self._pending, values]) if self._pending.size else values
        start = self._edge(self._frames)
        end = start + data.size
        last = end * 1000 // (self.rate * _FRAME_MS)  # frames [_frames, last) complete
        while self._edge(last) > end:
            last -= 1
        if last <= self._frames:
            self._pending = np.asarray(data, dtype=np.float64)
            return
        edges = np.arange(self._frames, last + 1) * self.rate * _FRAME_MS // 1000 - start
        sums = np.add.reduceat(data[: edges[-1]], edges[:-1], dtype=np.float64)
        self._parts.append((sums / np.diff(edges)).astype(np.float32))
        self._pending = np.asarray(data[edges[-1] :], dtype=np.float64)
        self._frames = last

    @property
    def means(self) -> np.ndarray[Any, Any]:
        """Mean of each complete frame so far."""
        if len(self._parts) > 1:
            self._parts = [np.concatenate(self._parts)]
        return self._parts[0] if self._parts else np.zeros(0, dtype=np.float32)


class _ClipRuns:
    """Runs of ≥3 clipped frames across blocks, as [start, stop) frame indices."""

    def __init__(self) -> None:
        self.runs: list[tuple[int, int]] = []
        self.count = 0
        self._open: int | None = None  # start of a run that reached the last block's end
        self._position = 0

    def feed(self, clipped: np.ndarray[Any, Any]) -> None:
        base = self._position
        found = runs(clipped) + base
        if self._open is not None:
            if found.size and found[0, 0] == base:
                found[0, 0] = self._open
            else:
                self._add(self._open, base)
            self._open = None
        end = base + clipped.size
        if found.size and found[-1, 1] == end:
            self._open = int(found[-1, 0])
            found = found[:-1]
        long_enough = found[found[:, 1] - found[:, 0] >= MIN_CLIP_RUN]
        self.count += len(long_enough)
        room = MAX_CLIPPED_RUNS - len(self.runs)
        self.runs.extend((int(a), int(b)) for a, b in long_enough[: max(0, room)])
        self._position = end

    def finish(self) -> None:
        if self._open is not None:
            self._add(self._open, self._position)
            self._open = None

    def _add(self, start: int, stop: int) -> None:
        if stop - start >= MIN_CLIP_RUN:
            self.count += 1
            if len(self.runs) < MAX_CLIPPED_RUNS:
                self.runs.append((start, stop))


class Analyser:
    """Accumulates every figure of a report over consecutive blocks of one region.

    Feed ``(frames, channels)`` float blocks in order with :meth:`feed`; :meth:`report`
    can be asked at any time (a partial report until ``final=True``). Not thread-safe.
    """

    def __init__(self, source: _Source, options: AnalysisOptions):
        self.source = source
        self.options = options
        rate, channels = source.samplerate, source.channels
        self.frames = 0
        self._sum_squares = 0.0
        self._sums = np.zeros(channels)
        self._loudness = [KWeightedEnergy(rate) for _ in range(channels)]
        self._peaks = [TruePeakMeter() for _ in range(channels)]
        self._power = _FrameSums(rate)
        self._clips = _ClipRuns()
        self._vad = VoiceDetector(rate, aggressiveness=options.vad_aggressiveness)
        self._finished = False
        # Integer PCM cannot hold NaN or Inf, so only float sources pay for the check.
        self._float_source = source.bit_depth is None or source.subtype in ("FLOAT", "DOUBLE")

    def feed(self, block: np.ndarray[Any, Any]) -> None:
        """Measure the next ``(frames, channels)`` block of the region."""
        data = np.asarray(block, dtype=np.float32)
        if data.ndim == 1:
            data = data[:, None]
        if data.shape[0] == 0:
            return
        if self._float_source:
            # Float files may hold NaN/Inf, sanitised as the editor does for display, and
            # overs beyond 1.0, which are measured; only absurd values (> +60 dBFS, from a
            # broken file) are clamped, so no level overflows.
            data = np.nan_to_num(data, nan=0.0, posinf=1.0, neginf=-1.0)
            np.clip(data, -_FLOAT_LIMIT, _FLOAT_LIMIT, out=data)
        self.frames += data.shape[0]
        self._sums += data.sum(axis=0, dtype=np.float64)
        channels = data.shape[1]
        if channels == 1:
            mono = data[:, 0]
            power = np.square(mono, dtype=np.float64)
            magnitude = np.abs(mono)
        else:
            mono = data.mean(axis=1)
            power = np.square(data, dtype=np.float64).mean(axis=1)
            magnitude = np.abs(data).max(axis=1)
        self._sum_squares += float(power.sum())
        self._power.feed(power)
        self._clips.feed(magnitude >= CLIP_LEVEL)
        for c in range(channels):
            channel = data[:, c]
            self._loudness[c].feed(channel)
            self._peaks[c].feed(channel, magnitude if channels == 1 else None)
        self._vad.feed(mono)

    def report(self, *, final: bool = True) -> Report:
        """The report on everything fed so far (``final`` also flushes the filters)."""
        src, opts = self.source, self.options
        rate = src.samplerate
        if final and not self._finished:
            self._clips.finish()
            for meter in self._peaks:
                meter.finish()
            self._finished = True
        frames = max(self.frames, 1)
        channels = src.channels
        rms_dbfs = to_db(self._sum_squares / frames, power=True)
        sample_peak = max(m.sample_peak for m in self._peaks)
        true_peak = max(max(m.peak for m in self._peaks), sample_peak)
        quarters = [k.quarter_energies for k in self._loudness]
        shortest = min(q.size for q in quarters)
        lufs = gated_loudness(np.sum([q[:shortest] for q in quarters], axis=0), rate)
        means = self._sums / frames
        dc = float(means[np.argmax(np.abs(means))])
        power = self._power.means
        voiced, speech = self._speech_masks(power)
        floor_power, floor_in_speech = _quietest_window(power, speech, self._sum_squares / frames)
        snr = _snr_db(power, speech, floor_power)
        start_ms = self._ms(0)
        segments = tuple(
            (start_ms + int(a) * _FRAME_MS, start_ms + int(b) * _FRAME_MS) for a, b in runs(speech)
        )
        pauses = _long_pauses(segments, opts.pause_threshold_ms)
        trim = self._suggest_trims(voiced, power, floor_power)
        clipped = tuple((self._ms(a), self._ms(b)) for a, b in self._clips.runs)
        figures = Figures(
            samplerate=rate,
            bit_depth=src.bit_depth,
            format=src.format,
            rms_dbfs=rms_dbfs,
            true_peak_dbtp=to_db(true_peak, power=False),
            integrated_lufs=None if math.isinf(lufs) else lufs,
            noise_floor_dbfs=to_db(floor_power, power=True),
            noise_floor_in_speech=floor_in_speech,
            snr_db=snr,
            dc_offset=dc,
            clipped_runs=clipped,
            clipped_run_count=self._clips.count,
            speech_ratio=float(speech.mean()) if speech.size else 0.0,
            has_speech=bool(speech.any()),
            long_pauses=pauses,
            pause_threshold_ms=opts.pause_threshold_ms,
        )
        return Report(
            path=src.path,
            format=src.format,
            subtype=src.subtype,
            samplerate=rate,
            channels=channels,
            bit_depth=src.bit_depth,
            start_ms=start_ms,
            end_ms=self._ms(self.frames),
            rms_dbfs=figures.rms_dbfs,
            sample_peak_dbfs=to_db(sample_peak, power=False),
            true_peak_dbtp=figures.true_peak_dbtp,
            integrated_lufs=figures.integrated_lufs,
            noise_floor_dbfs=figures.noise_floor_dbfs,
            snr_db=snr,
            dc_offset=dc,
            clipped_runs=clipped,
            clipped_run_count=self._clips.count,
            speech_ratio=figures.speech_ratio,
            speech_segments=segments,
            long_pauses=pauses,
            suggested_trim_start_ms=trim[0],
            suggested_trim_end_ms=trim[1],
            findings=judge(figures, opts.limits),
            complete=final,
        )

    def _ms(self, frame: int) -> int:
        """File milliseconds of region frame ``frame`` (rounded to nearest)."""
        return round((self.source.start_frame + frame) * 1000 / self.source.samplerate)

    def _speech_masks(
        self, power: np.ndarray[Any, Any]
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """VAD decisions on the 10 ms grid: for trims, and for speech ratio and pauses.

        The WebRTC VAD marks a click (plus its hangover) or a breath as speech, and
        either would split a long pause in two. Both masks drop what it marks for less
        than any word lasts (150 ms). The second also drops short stretches (under
        600 ms) 12 dB quieter on average than the loud part of the speech (the 90th
        percentile of what was marked, about the level of its vowels): breaths. Trims
        keep those, because a soft first word must never be cut, and a breath kept at
        the start costs only a moment.
        """
        count = power.size
        per = FRAME_MS // _FRAME_MS
        voiced = np.zeros(count, dtype=bool)
        spread = np.repeat(self._vad.frames, per)[:count]
        voiced[: spread.size] = spread
        for start, stop in runs(voiced):
            if stop - start < _MIN_WORD_MS // _FRAME_MS:
                voiced[start:stop] = False
        speech = voiced.copy()
        if not speech.any():
            return voiced, speech
        reference = float(np.percentile(power[speech], 90))
        quiet = reference * 10.0 ** (-_BREATH_BELOW_DB / 10.0)
        for start, stop in runs(speech):
            if stop - start < _MAX_BREATH_MS // _FRAME_MS and power[start:stop].mean() < quiet:
                speech[start:stop] = False
        return voiced, speech

    def _suggest_trims(
        self, speech: np.ndarray[Any, Any], power: np.ndarray[Any, Any], floor_power: float
    ) -> tuple[int | None, int | None]:
        """Handles at the first and last speech, widened to where the sound starts, padded."""
        found = np.flatnonzero(speech)
        if found.size == 0:
            return None, None
        first, last = int(found[0]), int(found[-1]) + 1  # [first, last) in 10 ms frames
        # The VAD decides per 30 ms and misses the soft start of a word (a breathy
        # consonant) or its decay, which can lie beyond a stop's silent closure: take in
        # the furthest frame still clearly above the noise within 300 ms of each end.
        loud = power > max(floor_power, 1e-12) * 10.0 ** (_EDGE_MARGIN_DB / 10.0)
        reach = _EDGE_SEARCH_MS // _FRAME_MS
        before = np.flatnonzero(loud[max(0, first - reach) : first])
        if before.size:
            first = max(0, first - reach) + int(before[0])
        after = np.flatnonzero(loud[last : last + reach])
        if after.size:
            last += int(after[-1]) + 1
        start_ms, end_ms = self._ms(0), self._ms(self.frames)
        pad = self.options.trim_padding_ms
        return (
            max(start_ms, start_ms + first * _FRAME_MS - pad),
            min(end_ms, start_ms + last * _FRAME_MS + pad),
        )


# A half second is background (a noise floor can be read in it) with speech in at most
# this share of its 10 ms frames: a click or the tail of a word, not a word.
_BACKGROUND_MAX_SPEECH = 0.1


def _quietest_window(
    power: np.ndarray[Any, Any], speech: np.ndarray[Any, Any], overall: float
) -> tuple[float, bool]:
    """Mean square of the quietest 500 ms that is background, not speech, and whether
    there was none (then the quietest 500 ms of any kind: not a noise floor).

    A window counts as background when at most a tenth of it is speech. A short clip of
    words with only gaps between them has no such window: its quietest half second had
    been a word and its gaps, at speech level, read as loud background noise. The whole
    region when it is shorter than half a second.
    """
    width = _NOISE_WINDOW_MS // _FRAME_MS
    if power.size < width:
        return overall, bool(speech.size and speech.mean() > _BACKGROUND_MAX_SPEECH)
    # float32 sums of 50 values lose nothing that matters here, and keep the temporary
    # at 4 bytes per 10 ms (a cumulative sum in float64 would take 8, plus a difference).
    box = np.full(width, 1.0 / width, dtype=np.float32)
    window = np.convolve(power, box, mode="valid")
    if speech.size != power.size:  # no speech decisions: every window is background
        return max(0.0, float(window.min())), False
    background = np.convolve(speech.astype(np.float32), box, mode="valid")
    background = background <= _BACKGROUND_MAX_SPEECH
    if not background.any():
        return max(0.0, float(window.min())), True
    return max(0.0, float(np.min(window, where=background, initial=np.inf))), False


def _snr_db(
    power: np.ndarray[Any, Any], speech: np.ndarray[Any, Any], floor_power: float
) -> float | None:
    """Speech level over background level, in dB.

    The background is the median 10 ms level outside speech (robust to the breaths and
    clicks in pauses); without pauses, the quietest half second.
    """
    if not speech.any():
        return None
    signal = float(power.mean(where=speech, dtype=np.float64))
    quiet = power[~speech]
    noise = float(np.median(quiet)) if quiet.size else floor_power
    if signal <= 0.0:
        return None
    # Digital silence between words has no level: measure against the silence floor.
    return to_db(signal, power=True) - to_db(noise, power=True)


def _long_pauses(
    segments: tuple[tuple[int, int], ...], threshold_ms: int
) -> tuple[tuple[int, int], ...]:
    """Gaps between speech segments longer than ``threshold_ms`` (edges are for trims)."""
    return tuple(
        (a[1], b[0]) for a, b in itertools.pairwise(segments) if b[0] - a[1] > threshold_ms
    )


def region_frames(info: AudioInfo, start_ms: int, end_ms: int | None) -> tuple[int, int]:
    """Frames ``[start, stop)`` of the region, clamped to the file.

    Raises ValueError, worded for the user, when the region is empty or starts after the
    end of the file.
    """
    if start_ms < 0 or (end_ms is not None and end_ms < 0):
        raise ValueError("Times must be 0 ms or more.")
    if end_ms is not None and end_ms <= start_ms:
        raise ValueError(f"The region is empty: it ends ({end_ms} ms) before it starts.")
    rate = info.samplerate
    start = round(start_ms * rate / 1000)
    stop = info.frames if end_ms is None else min(info.frames, round(end_ms * rate / 1000))
    if start >= info.frames:
        raise ValueError(
            f"The region starts at {start_ms} ms, after the end of “{info.path.name}” "
            f"({info.duration_ms} ms)."
        )
    return start, max(stop, start + 1)


def analyse_file(
    path: str | os.PathLike[str],
    start_ms: int = 0,
    end_ms: int | None = None,
    *,
    options: AnalysisOptions | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_progress: ProgressCallback | None = None,
    progress_interval: float = 0.25,
) -> Report:
    """Measure ``[start_ms, end_ms)`` of the file at ``path`` (the whole file by default).

    Raises :class:`AudioLoadError` for a file that cannot be read (with a sentence for
    the user), ValueError for a region outside the file, and
    :class:`AnalysisCancelled` when ``should_stop()`` turns True (polled between
    blocks). ``on_progress(fraction, partial_report)`` is called from this thread
    after the first block and then at most every ``progress_interval`` seconds.
    """
    info = probe(path)
    start, stop = region_frames(info, start_ms, end_ms)
    source = _Source(
        path=info.path,
        format=info.format,
        subtype=info.subtype,
        samplerate=info.samplerate,
        channels=info.channels,
        bit_depth=_LOSSLESS_BITS.get(info.subtype),
        start_frame=start,
    )
    analyser = Analyser(source, options or AnalysisOptions())
    block = _block_frames(info.samplerate)
    buffer = np.empty((block, info.channels), dtype=np.float32)
    next_progress = 0.0
    snapshot_cost = 0.0
    try:
        with open_sound_file(info.path) as handle:
            if start:
                handle.seek(start)
            position = start
            while position < stop:
                if should_stop is not None and should_stop():
                    raise AnalysisCancelled(f"the check of {info.path.name} was cancelled")
                want = min(block, stop - position)
                got = handle.read(want, dtype="float32", always_2d=True, out=buffer[:want])
                if got.shape[0] == 0:
                    break  # the header promised more than the file holds
                analyser.feed(got)
                position += got.shape[0]
                if on_progress is not None and time.monotonic() >= next_progress:
                    began = time.monotonic()
                    partial = analyser.report(final=False)
                    snapshot_cost = time.monotonic() - began
                    on_progress((position - start) / (stop - start), partial)
                    # A partial report costs time in proportion to what was read, so
                    # pace them to keep their total to ~5 % of the work.
                    next_progress = time.monotonic() + max(progress_interval, 20 * snapshot_cost)
    except (sf.LibsndfileError, RuntimeError) as err:
        # A failed read hands back none of its block, so this is where the last good
        # block ended, up to ~10 s before the damage.
        at = analyser.frames / info.samplerate
        where = f"after {at:.0f} s" if at >= 1 else "from the start"
        raise AudioLoadError(
            f"“{info.path.name}” is damaged or cut short: it cannot be read {where}. "
            "Export or copy it again."
        ) from err
    return analyser.report()


def analyse_samples(
    samples: np.ndarray[Any, Any],
    samplerate: int,
    *,
    options: AnalysisOptions | None = None,
    bit_depth: int | None = None,
) -> Report:
    """Measure audio already in memory (``(frames,)`` or ``(frames, channels)``)."""
    data = np.asarray(samples)
    if data.ndim == 1:
        data = data[:, None]
    source = _Source(
        path=None,
        format="memory",
        subtype=str(data.dtype),
        samplerate=samplerate,
        channels=data.shape[1],
        bit_depth=bit_depth,
        start_frame=0,
    )
    analyser = Analyser(source, options or AnalysisOptions())
    block = _block_frames(samplerate)
    for position in range(0, data.shape[0], block):
        analyser.feed(data[position : position + block])
    return analyser.report()


def _block_frames(samplerate: int) -> int:
    """About 10 s, a whole number of 100 ms quarters (the loudness meter's unit)."""
    quarter = max(1, round(samplerate / 10))
    return quarter * max(1, _BLOCK_TARGET_FRAMES // quarter)
