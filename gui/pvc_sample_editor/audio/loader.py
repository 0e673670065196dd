"""Build a file's peak pyramid in one streaming pass, on all cores, with progress.

Design (measured on the 2-core target machine, see tests/benchmarks/bench_audio_load.py):

- **Threads, not processes.** soundfile calls libsndfile through cffi, which releases
  the GIL for the duration of each call, and numpy's reductions release it too, so two
  threads decoding two ranges of a FLAC or MP3 take 0.51-0.53 × the time of one. That
  needs no pickling, no child start-up (a spawned child importing numpy and soundfile
  takes ~0.12 s, more than the first-result budget) and nothing special when the app
  is frozen with PyInstaller.
- **Ranges.** Each worker starts on one contiguous share of the file and reads it
  forwards, so the waveform fills in from as many fronts as there are workers. A worker
  that finishes early takes the back half of the largest share left (work stealing),
  so a core busy with something else does not hold the load back. Ranges split at
  block boundaries, multiples of the coarsest bucket. Each worker owns one file
  handle and one reused block buffer (at most 4 MB), so memory holds at most
  ``workers`` blocks of audio, never the file.
- **Reading.** 16-bit sources are reduced as integers, everything else as float32;
  never float64. Uncompressed 16-bit/float WAV and AIFF are read with plain block
  reads (see :mod:`pvc_sample_editor.audio.pcm`), other files through libsndfile.
- **MP3 seams.** libsndfile seeks MP3 sample-accurately, but a decoder started at a
  seek point rounds differently from one that ran from the start: samples after a
  range boundary differ by up to ~1e-7 (far below one 16-bit step, 3e-5). The
  pyramid is exact elsewhere; that tolerance is accepted and tested.
- **Progress.** ``on_progress`` is called from the thread that called
  :func:`load_pyramid` (the workers never call it), as soon as the first block is in,
  then at most every ``progress_interval`` seconds, and once more at 1.0.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pvc_sample_editor.audio import cache
from pvc_sample_editor.audio.errors import AudioFileChangedError, AudioLoadError, LoadCancelled
from pvc_sample_editor.audio.pcm import PcmLayout
from pvc_sample_editor.audio.peaks import BUCKET_SIZES, PeakPyramid
from pvc_sample_editor.audio.source import (
    AudioInfo,
    FrameDecoder,
    SampleReader,
    direct_layout,
    probe,
    stamp_of,
)

__all__ = ["LoadCancelled", "load_pyramid"]

log = logging.getLogger(__name__)

ProgressCallback = Callable[[PeakPyramid, float], None]

# One block: 16 coarsest buckets at the default sizes, 4 MB of mono float32 (2 MB of
# int16). Measured against 1 MB blocks on the 2-core machine, two workers load a 1-hour
# MP3 5 % sooner and a WAV 20 % sooner (fewer calls into libsndfile and numpy, fewer
# hand-overs of the GIL), and the first block still arrives within ~10 ms.
_BLOCK_BYTES = 1 << 22
_MIN_STEAL_BLOCKS = 2
_CANCEL_POLL_SECS = 0.02


def load_pyramid(
    path: str | os.PathLike[str],
    *,
    workers: int | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    cache_dir: Path | None = None,
    progress_interval: float = 0.05,
    use_cache: bool = True,
    reader: SampleReader | None = None,
) -> PeakPyramid:
    """Read the file at ``path`` once and return its complete :class:`PeakPyramid`.

    ``workers`` threads (default: the number of CPUs) decode ranges in parallel. The
    pyramid passed to ``on_progress(pyramid, fraction)`` is the object being filled;
    see :mod:`pvc_sample_editor.audio.peaks` for what readers may see meanwhile.
    Setting ``cancel`` makes the call raise :class:`LoadCancelled` within a block's
    time (milliseconds), after every worker thread has ended. The finished pyramid is
    stored in the peak cache (``cache_dir``, default
    :func:`~pvc_sample_editor.audio.cache.default_cache_dir`), and a later load of the
    unchanged file returns it without decoding; ``use_cache=False`` skips both. A
    ``reader`` already open on the file lends its probe and its direct PCM layout, so
    the file's header is not examined twice.

    Raises :class:`AudioLoadError` for files that cannot be read (see :func:`probe`).
    """
    if cancel is not None and cancel.is_set():
        raise LoadCancelled(f"loading {os.fspath(path)!r} was cancelled")
    if reader is not None:
        reader.check_unchanged()  # its probe must describe the file the cache key will
    key_before = cache.stat_key(path)
    if use_cache:
        directory = cache_dir if cache_dir is not None else cache.default_cache_dir()
        cached = None if key_before is None else cache.read_cache(path, key_before, directory)
        if cached is not None:
            if on_progress is not None:
                on_progress(cached, 1.0)
            return cached
    if reader is not None:
        info, layout = reader.info, reader.layout
    else:
        info = probe(path)
        layout = None if info.is_compressed else direct_layout(info)
    pyramid = PeakPyramid(info, BUCKET_SIZES)
    _Load(pyramid, layout, workers, on_progress, cancel, progress_interval).run()
    # The workers check the file around every block; this catches a change after the
    # last one, or between the cache lookup and the probe (the stamp is not the key).
    if key_before is None or cache.stat_key(info.path) != key_before:
        raise AudioFileChangedError.for_file(info.path.name)
    if stamp_of(info.path) != info.stamp:
        raise AudioFileChangedError.for_file(info.path.name)
    if use_cache:
        cache.write_cache(pyramid, key_before, directory)
    return pyramid


@dataclass
class _Range:
    """Frames ``[pos, end)`` one worker still has to reduce; a thief may lower ``end``."""

    pos: int
    end: int


@dataclass
class _Shared:
    """State the workers share with the coordinating thread (guarded by ``lock``)."""

    ranges: list[_Range]
    block_frames: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    # ``progress`` is set after every block (the coordinator waits on it only for the
    # first report); ``ended`` when a worker exits, so the end is noticed at once.
    progress: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    readable_end: int | None = None  # lowest frame where a range came up short
    error: BaseException | None = None

    def next_block(self, own: _Range) -> tuple[int, int] | None:
        """Claim the next block of ``own``: (start, frames), or None when it is done."""
        with self.lock:
            if own.pos >= own.end:
                return None
            start = own.pos
            own.pos = min(own.end, start + self.block_frames)
            return start, own.pos - start

    def steal(self) -> _Range | None:
        """Split the largest unfinished range and hand its back half to an idle worker.

        Splits happen at block boundaries (multiples of the coarsest bucket) and only
        when both halves get at least ``_MIN_STEAL_BLOCKS`` blocks, so workers do not
        trade scraps at the end. Stealing, rather than many small chunks, keeps each
        handle reading forward: an MP3 handle must scan every frame header up to a
        seek target the first time, so fewer, longer ranges cost less.
        """
        with self.lock:
            victim = max(self.ranges, key=lambda r: r.end - r.pos)
            blocks_left = (victim.end - victim.pos) // self.block_frames
            if blocks_left < 2 * _MIN_STEAL_BLOCKS:
                return None
            middle = victim.pos + (blocks_left // 2) * self.block_frames
            stolen = _Range(middle, victim.end)
            victim.end = middle
            self.ranges.append(stolen)
            return stolen

    def came_up_short(self, own: _Range, frame: int) -> None:
        """Record that the readable audio ends at ``frame``; stop reading this range."""
        with self.lock:
            own.end = own.pos
            if self.readable_end is None or frame < self.readable_end:
                self.readable_end = frame


class _Load:
    """One load: plans the ranges, runs the workers, reports progress, cleans up."""

    def __init__(
        self,
        pyramid: PeakPyramid,
        layout: PcmLayout | None,
        workers: int | None,
        on_progress: ProgressCallback | None,
        cancel: threading.Event | None,
        progress_interval: float,
    ):
        self.pyramid = pyramid
        self.info: AudioInfo = pyramid.info
        self.on_progress = on_progress
        self.cancel = cancel
        self.progress_interval = progress_interval
        align = pyramid.bucket_sizes[-1]
        bytes_per_frame = 4 * self.info.channels  # the raw block, at most float32
        self.block_frames = max(align, (_BLOCK_BYTES // bytes_per_frame) // align * align)
        n_workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
        if not self.info.seekable:
            n_workers = 1  # read front to back once (GSM 6.10 and the like cannot seek)
        blocks = -(-self.info.frames // self.block_frames)
        n_workers = min(n_workers, blocks)
        # One contiguous range per worker to start with; idle workers steal later.
        starts = [blocks * i // n_workers * self.block_frames for i in range(n_workers)]
        ends = [*starts[1:], self.info.frames]
        self.shared = _Shared(
            [_Range(a, b) for a, b in zip(starts, ends, strict=True)], self.block_frames
        )
        self.layout = layout

    def run(self) -> None:
        # Not daemons, even when started from one (a thread inherits the flag): run()
        # joins them, and should its caller's thread be cut off at interpreter exit,
        # exit waits for them rather than tear libsndfile down under a decode (which
        # crashed the process).
        threads = [
            threading.Thread(target=self._work, args=(own,), name=f"pvc-peaks-{i}", daemon=False)
            for i, own in enumerate(self.shared.ranges)
        ]
        try:
            for thread in threads:
                thread.start()
            self._coordinate(threads)
        finally:
            self.shared.stop.set()
            for thread in threads:
                if thread.ident is not None:  # started
                    thread.join()
        error = self.shared.error
        if isinstance(error, (OSError, RuntimeError)) and not isinstance(error, AudioLoadError):
            raise AudioLoadError(f"“{self.info.path.name}” could not be read: {error}") from error
        if error is not None:
            raise error  # AudioLoadError as it is; anything else is a bug: keep it visible
        self._finish()

    def _coordinate(self, threads: list[threading.Thread]) -> None:
        reported = 0  # frames_done at the last report; nothing to report before data
        next_due = 0.0
        while True:
            if self.cancel is not None and self.cancel.is_set():
                raise LoadCancelled(f"loading “{self.info.path.name}” was cancelled")
            if self.shared.error is not None or not any(t.is_alive() for t in threads):
                return
            done = self.pyramid.frames_done
            now = time.monotonic()
            if self.on_progress is not None and now >= next_due and done > reported:
                reported = done
                next_due = now + self.progress_interval
                self.on_progress(self.pyramid, min(done / self.info.frames, 0.999))
            if self.on_progress is not None and reported == 0:
                # Nothing reported yet: wake with the first block, not a poll later.
                self.shared.progress.wait(_CANCEL_POLL_SECS)
            else:
                wait = _CANCEL_POLL_SECS
                if self.on_progress is not None:
                    wait = min(wait, max(0.0, next_due - time.monotonic()))
                self.shared.ended.wait(wait)
            self.shared.ended.clear()

    def _finish(self) -> None:
        end = self.shared.readable_end
        if end is not None:
            if end <= 0:
                raise AudioLoadError(
                    f"“{self.info.path.name}” is damaged: none of its audio can be decoded. "
                    "Export or copy it again."
                )
            log.warning("%s ends after %d of %d frames", self.info.path, end, self.info.frames)
            self.pyramid.truncate(end)
        self.pyramid.frames_done = self.pyramid.info.frames
        self.pyramid.complete = True
        if self.on_progress is not None:
            self.on_progress(self.pyramid, 1.0)

    def _work(self, own: _Range | None) -> None:
        try:
            decoder = FrameDecoder(self.info, block_frames=self.block_frames, layout=self.layout)
        except BaseException as err:  # handed to the coordinating thread
            self.shared.error = err
            self.shared.ended.set()
            return
        try:
            while own is not None:
                if not self._reduce_range(decoder, own):
                    return
                own = self.shared.steal()
        except BaseException as err:  # handed to the coordinating thread
            self.shared.error = err
        finally:
            decoder.close()
            self.shared.ended.set()

    def _stopped(self) -> bool:
        return self.shared.stop.is_set() or (self.cancel is not None and self.cancel.is_set())

    def _reduce_range(self, decoder: FrameDecoder, own: _Range) -> bool:
        """Reduce ``own`` block by block; False when told to stop."""
        bucket = self.pyramid.bucket_sizes[0]
        check_finite = not decoder.is_int
        while (block := self.shared.next_block(own)) is not None:
            if self._stopped():
                return False
            start, wanted = block
            sums = decoder.read_sum(start, wanted)
            if sums.size:
                lows, highs = _bucket_min_max(sums, bucket)
                if check_finite and not (np.isfinite(lows).all() and np.isfinite(highs).all()):
                    lows, highs = _bucket_min_max(decoder.resum_sanitized(), bucket)
                self.pyramid.store_block(start, decoder.to_mono(lows), decoder.to_mono(highs))
                self.pyramid.add_progress(sums.size)
                self.shared.progress.set()
            if sums.size < wanted:
                self.shared.came_up_short(own, start + sums.size)
        return True


def _bucket_min_max(
    samples: np.ndarray[Any, Any], bucket: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    # reduceat beats reshape(-1, bucket).min(axis=1) by 1.5-2× on 256-sample rows and
    # takes the short last bucket in its stride.
    starts = np.arange(0, samples.size, bucket)
    return np.minimum.reduceat(samples, starts), np.maximum.reduceat(samples, starts)
