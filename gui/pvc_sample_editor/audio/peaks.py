"""The min/max peak pyramid a waveform view draws from, and its envelope queries.

Levels hold, per bucket of ``bucket_sizes[k]`` frames, the minimum and maximum of the
mono mix (see :mod:`pvc_sample_editor.audio.source`) as float32 in [-1, 1]. float32
rather than int16 so one representation serves 16-bit, 24-bit and float sources
exactly (a 24-bit sample fits float32's 24-bit mantissa); it costs 7.2 MB per hour at
48 kHz for the five default levels.

Thread-safety: one loader fills the arrays while views read them. Writers fill
disjoint slices; a reader may see a block half written (finest level updated, coarser
not yet) or zeros where nothing is loaded yet. That shows as a flat line for an
instant, which is what a loading waveform should look like, so there are no locks on
the read path.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from pvc_sample_editor.audio.source import AudioInfo

__all__ = ["BUCKET_SIZES", "PeakPyramid", "sample_envelope"]

BUCKET_SIZES: tuple[int, ...] = (256, 1024, 4096, 16384, 65536)

FloatArray = np.ndarray[Any, np.dtype[np.float32]]
Float64Array = np.ndarray[Any, np.dtype[np.float64]]


class PeakPyramid:
    """Per-bucket minima and maxima of a file's mono mix at several resolutions.

    ``mins[k]`` and ``maxs[k]`` hold ``ceil(frames / bucket_sizes[k])`` float32 values;
    the last bucket of a level may cover fewer frames. Parts not loaded yet are 0.
    ``frames_done`` counts frames reduced so far (ranges load in parallel, so it is an
    amount, not a position); ``complete`` turns True once the whole file is in.
    ``from_cache`` tells whether the data came from the peak cache; ``truncated`` that
    the file held fewer readable frames than its header claimed, in which case
    ``info.frames`` was reduced to the readable length when the load finished.
    """

    def __init__(self, info: AudioInfo, bucket_sizes: Sequence[int] = BUCKET_SIZES):
        sizes = tuple(int(b) for b in bucket_sizes)
        if not sizes or sizes[0] < 1:
            raise ValueError("bucket sizes must be positive")
        if any(fine >= coarse or coarse % fine for fine, coarse in itertools.pairwise(sizes)):
            raise ValueError("each bucket size must be a multiple of the one before")
        self.info = info
        self.bucket_sizes: tuple[int, ...] = sizes
        counts = [-(-info.frames // b) for b in sizes]
        # np.zeros maps fresh, lazily zeroed pages: untouched parts cost no memory.
        self.mins: tuple[FloatArray, ...] = tuple(np.zeros(n, np.float32) for n in counts)
        self.maxs: tuple[FloatArray, ...] = tuple(np.zeros(n, np.float32) for n in counts)
        self.frames_done = 0
        self.complete = False
        self.from_cache = False
        self.truncated = False
        self._progress_lock = threading.Lock()

    @classmethod
    def from_arrays(
        cls,
        info: AudioInfo,
        bucket_sizes: Sequence[int],
        mins: Sequence[FloatArray],
        maxs: Sequence[FloatArray],
    ) -> PeakPyramid:
        """Build a complete pyramid from stored levels (the peak cache uses this)."""
        pyramid = cls(info, bucket_sizes)
        if len(mins) != len(pyramid.bucket_sizes):
            raise ValueError("wrong number of levels")
        for level, (lo, hi) in enumerate(zip(mins, maxs, strict=True)):
            if lo.shape != pyramid.mins[level].shape or hi.shape != lo.shape:
                raise ValueError(f"level {level} has the wrong length")
        pyramid.mins = tuple(np.ascontiguousarray(a, np.float32) for a in mins)
        pyramid.maxs = tuple(np.ascontiguousarray(a, np.float32) for a in maxs)
        pyramid.frames_done = info.frames
        pyramid.complete = True
        return pyramid

    @property
    def fraction_done(self) -> float:
        """How much of the file is loaded, 0.0 to 1.0."""
        return 1.0 if self.complete else min(1.0, self.frames_done / self.info.frames)

    @property
    def nbytes(self) -> int:
        """Memory held by the levels."""
        return sum(a.nbytes for a in self.mins) + sum(a.nbytes for a in self.maxs)

    def level_for(self, start_frame: int, stop_frame: int, columns: int) -> int:
        """Index of the coarsest level whose bucket is no wider than one column (≥ 0)."""
        per_column = (stop_frame - start_frame) / max(1, columns)
        level = 0
        for index, size in enumerate(self.bucket_sizes):
            if size <= per_column:
                level = index
        return level

    def needs_samples(self, start_frame: int, stop_frame: int, columns: int) -> bool:
        """True when a column is narrower than the finest bucket: draw samples instead.

        The caller then reads ``SampleReader.read_mono(start_frame, stop_frame)`` and
        passes it to :func:`sample_envelope`.
        """
        return (stop_frame - start_frame) < self.bucket_sizes[0] * max(1, columns)

    def envelope(
        self, start_frame: int, stop_frame: int, columns: int
    ) -> tuple[Float64Array, FloatArray]:
        """Return ``(t_seconds, y)`` to draw frames ``[start_frame, stop_frame)``.

        Two points per column, the column's minimum then its maximum, at the column's
        centre time: plot with ``connect="all"`` for a filled-looking envelope. Uses the
        coarsest level whose bucket is at most one column wide; where that is still
        too coarse (see :meth:`needs_samples`) it uses the finest level with one column
        per bucket, i.e. fewer points. Not-yet-loaded parts read as 0. The range is
        clipped to the file; an empty range gives empty arrays.
        """
        start = max(0, int(start_frame))
        stop = min(self.info.frames, int(stop_frame))
        columns = max(1, int(columns))
        if stop <= start:
            return np.zeros(0), np.zeros(0, np.float32)
        level = self.level_for(start, stop, columns)
        size = self.bucket_sizes[level]
        span = stop - start
        columns = min(columns, span // size) or 1
        # Integer column edges: consecutive edges differ by at least ``size`` frames, so
        # every column starts in a different bucket and reduceat never gets an empty run.
        edges = start + (np.arange(columns + 1, dtype=np.int64) * span) // columns
        first = int(edges[0]) // size
        last = -(-int(edges[-1]) // size)
        starts = edges[:-1] // size - first
        lo = np.minimum.reduceat(self.mins[level][first:last], starts)
        hi = np.maximum.reduceat(self.maxs[level][first:last], starts)
        centres = (edges[:-1] + edges[1:]) * (0.5 / self.info.samplerate)
        y = np.empty(2 * columns, np.float32)
        y[0::2] = lo
        y[1::2] = hi
        return np.repeat(centres, 2), y

    def store_block(
        self, start_frame: int, lows: np.ndarray[Any, Any], highs: np.ndarray[Any, Any]
    ) -> None:
        """Write finest-level buckets starting at ``start_frame`` and derive coarser ones.

        ``start_frame`` must be a multiple of the coarsest bucket size, and the block
        must either fill whole coarsest buckets or end the file, so no coarse bucket is
        ever shared by two writers.
        """
        index = start_frame // self.bucket_sizes[0]
        self.mins[0][index : index + lows.size] = lows
        self.maxs[0][index : index + highs.size] = highs
        for level in range(1, len(self.bucket_sizes)):
            ratio = self.bucket_sizes[level] // self.bucket_sizes[level - 1]
            groups = np.arange(0, lows.size, ratio)
            lows = np.minimum.reduceat(lows, groups)
            highs = np.maximum.reduceat(highs, groups)
            index = start_frame // self.bucket_sizes[level]
            self.mins[level][index : index + lows.size] = lows
            self.maxs[level][index : index + highs.size] = highs

    def add_progress(self, frames: int) -> None:
        """Count ``frames`` more as reduced (called by the loader's workers)."""
        with self._progress_lock:
            self.frames_done += frames

    def truncate(self, frames: int) -> None:
        """Shrink to the first ``frames`` frames: the file held no more readable audio."""
        if frames >= self.info.frames:
            return
        self.info = dataclasses.replace(self.info, frames=frames)
        self.mins = tuple(
            a[: -(-frames // b)].copy() for a, b in zip(self.mins, self.bucket_sizes, strict=True)
        )
        self.maxs = tuple(
            a[: -(-frames // b)].copy() for a, b in zip(self.maxs, self.bucket_sizes, strict=True)
        )
        self.truncated = True


def sample_envelope(
    samples: np.ndarray[Any, Any], start_frame: int, samplerate: int, columns: int
) -> tuple[Float64Array, FloatArray]:
    """Return ``(t_seconds, y)`` for raw samples starting at ``start_frame``.

    With at most two samples per column the samples themselves are returned (one point
    each, at its own time); otherwise a min/max pair per column as in
    :meth:`PeakPyramid.envelope`. For deep zoom, after :meth:`PeakPyramid.needs_samples`.
    """
    n = int(samples.size)
    columns = max(1, int(columns))
    if n <= 2 * columns:
        t = (start_frame + np.arange(n, dtype=np.float64)) / samplerate
        return t, np.asarray(samples, np.float32)
    edges = (np.arange(columns + 1, dtype=np.int64) * n) // columns
    lo = np.minimum.reduceat(samples, edges[:-1])
    hi = np.maximum.reduceat(samples, edges[:-1])
    centres = (start_frame + (edges[:-1] + edges[1:]) * 0.5) / samplerate
    y = np.empty(2 * columns, np.float32)
    y[0::2] = lo
    y[1::2] = hi
    return np.repeat(centres, 2), y
