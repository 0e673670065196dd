"""One opened piece of audio as the editor sees it: envelope for the view, samples for playback.

A file on disk is backed by a peak pyramid (overview) and a streaming reader (deep zoom,
playback): the whole audio is never held in memory. A short clip sent by the server (the
30-second preview, a speaker's audio) is held as a float32 array. Qt-free.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile as sf

from pvc_sample_editor.audio.errors import AudioFileChangedError, AudioLoadError
from pvc_sample_editor.audio.loader import load_pyramid
from pvc_sample_editor.audio.peaks import PeakPyramid, sample_envelope
from pvc_sample_editor.audio.source import SampleReader, mpeg_output_to_log
from pvc_sample_editor.timecode import MAX_MS, frames_to_ms

__all__ = [
    "AudioDocument",
    "LoadProgress",
    "decode_mono",
    "document_from_bytes",
    "load_audio_document",
]


# Deep-zoom reads of compressed files are prefetched once the view is within this factor
# of needing samples, so the first frame below the pyramid finds them decoded.
_PREFETCH_ZOOM_FACTOR = 4
# A view's frame (envelope, then paint) takes a few milliseconds; the reader's background
# decode waits that long after each envelope() so it does not compete for the GIL.
_FRAME_HOLD_SECS = 0.008


class _Reader(Protocol):
    def read_mono(self, start_frame: int, stop_frame: int) -> np.ndarray: ...

    def prefetch(self, start_frame: int, stop_frame: int) -> None: ...

    def hold_background(self, seconds: float) -> None: ...

    def close(self) -> None: ...


class _ArrayReader:
    """Reads from an in-memory float32 mono array (previews, speaker clips)."""

    def __init__(self, samples: np.ndarray) -> None:
        self.samples = samples

    def read_mono(self, start_frame: int, stop_frame: int) -> np.ndarray:
        start = max(0, start_frame)
        return self.samples[start : max(start, stop_frame)]

    def prefetch(self, start_frame: int, stop_frame: int) -> None:
        pass  # already in memory

    def hold_background(self, seconds: float) -> None:
        pass  # no background work

    def close(self) -> None:
        pass


class AudioDocument:
    """Audio the editor shows: ``envelope()`` for the view, ``read_mono()`` for playback."""

    def __init__(
        self,
        *,
        samplerate: int,
        frames: int,
        reader: _Reader,
        pyramid: PeakPyramid | None,
        path: Path | None,
        label: str,
    ) -> None:
        self.samplerate = samplerate
        self.frames = frames
        self.reader = reader
        self.pyramid = pyramid
        self.path = path
        self.label = label
        #: Why the file can no longer be read (it changed on disk), "" while it can.
        self.failure = ""

    @property
    def duration_ms(self) -> int:
        """Length in whole milliseconds."""
        return frames_to_ms(self.frames, self.samplerate)

    @property
    def duration_secs(self) -> float:
        """Length in seconds."""
        return self.frames / self.samplerate if self.samplerate else 0.0

    def envelope(
        self, start_frame: int, stop_frame: int, columns: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """What to draw for ``[start_frame, stop_frame)`` at ``columns`` pixel columns.

        Near and below the pyramid's finest level, the samples around the view are also
        prefetched (see :meth:`SampleReader.prefetch`): the reach is one view at the
        finest level's limit on each side of the centre, so zooming further in or
        panning by up to half that view reads samples already decoded.
        """
        self.reader.hold_background(_FRAME_HOLD_SECS)
        pyr = self.pyramid
        if pyr is not None and not pyr.needs_samples(start_frame, stop_frame, columns):
            if pyr.needs_samples(start_frame, stop_frame, columns * _PREFETCH_ZOOM_FACTOR):
                self._prefetch_around(pyr, start_frame, stop_frame, columns)
            t, y = pyr.envelope(start_frame, stop_frame, columns)
            return np.asarray(t), np.asarray(y)
        try:
            samples = self.reader.read_mono(start_frame, stop_frame)
        except AudioFileChangedError as exc:
            # Drawn from the pyramid (read before the change) from now on; the failure
            # is kept for the window to say once, instead of one error per frame.
            self.failure = self.failure or str(exc)
            if pyr is None:
                return np.empty(0), np.empty(0)
            t, y = pyr.envelope(start_frame, stop_frame, columns)
            return np.asarray(t), np.asarray(y)
        if pyr is not None:
            self._prefetch_around(pyr, start_frame, stop_frame, columns)
        t, y = sample_envelope(samples, start_frame, self.samplerate, columns)
        return np.asarray(t), np.asarray(y)

    def _prefetch_around(
        self, pyr: PeakPyramid, start_frame: int, stop_frame: int, columns: int
    ) -> None:
        if pyr.complete:  # while loading, the decoding threads need the CPU
            reach = pyr.bucket_sizes[0] * columns  # a whole view at the finest level
            centre = (start_frame + stop_frame) // 2
            self.reader.prefetch(centre - reach, centre + reach)

    def read_mono(self, start_frame: int, stop_frame: int) -> np.ndarray:
        """float32 mono samples for playback or deep zoom."""
        return self.reader.read_mono(start_frame, stop_frame)

    def close(self) -> None:
        """Release the file handle."""
        self.reader.close()


@dataclass(frozen=True)
class LoadProgress:
    """How far a file's load has come, with the document being filled.

    ``document`` is the one the load will return: its pyramid grows as the load goes on,
    so a view can draw the part already read from it, and nothing else needs asking.
    """

    document: AudioDocument
    fraction: float

    @property
    def name(self) -> str:
        """The file's name, for a progress line."""
        return self.document.label


def load_audio_document(
    path: Path,
    *,
    cancel: threading.Event | None = None,
    on_progress: Callable[[LoadProgress], None] | None = None,
) -> AudioDocument:
    """Open ``path``: build (or load from cache) its peak pyramid and open a reader.

    ``on_progress`` receives a :class:`LoadProgress` while the pyramid fills, so the view
    can draw the part already loaded. Raises AudioLoadError with a user-facing message.
    """
    reader = SampleReader(path)
    try:
        info = reader.info
        _check_length(info.frames, info.samplerate, Path(path).name)
        doc = AudioDocument(
            samplerate=info.samplerate,
            frames=info.frames,
            reader=reader,
            pyramid=None,
            path=Path(path),
            label=Path(path).name,
        )

        def progress(pyramid: PeakPyramid, fraction: float) -> None:
            doc.pyramid = pyramid
            if on_progress is not None:
                on_progress(LoadProgress(doc, fraction))

        # Ten partial redraws a second look as live as twenty and leave the decoding
        # threads the CPU a window repaint takes (~4 ms each at 1600 px).
        pyramid = load_pyramid(
            path, on_progress=progress, cancel=cancel, progress_interval=0.1, reader=reader
        )
        doc.pyramid = pyramid
        # A cut-short FLAC/MP3 turns out shorter than its header said.
        doc.frames = pyramid.info.frames
        # An MP3's first far seek scans frame headers (~75 ms per hour): pay it on the
        # reader's background thread once the document is out, not on the first deep
        # zoom or playback, nor before the overview is shown.
        reader.warm_up(background=True)
        return doc
    except BaseException:
        reader.close()
        raise


def decode_mono(data: bytes, media_type: str) -> tuple[np.ndarray, int]:
    """Decode audio bytes from the server into its float32 mono mix and sample rate.

    Any format libsndfile reads (WAV, FLAC, MP3, Ogg); the container is recognised from
    the bytes, so a wrong or generic ``media_type`` still decodes and only makes the
    error message useful. Decoded block by block into one mono buffer (never a
    multichannel copy), with NaN → 0, ±Inf → ±1 and samples clipped to [-1, 1] as for
    files (see :mod:`pvc_sample_editor.audio.source`). Held in memory, 4 bytes a frame:
    for clips of minutes, not hours. Raises AudioLoadError with a user-facing message.
    """
    kind = media_type.split(";")[0].strip().lower() or "unknown type"
    if not data:
        raise AudioLoadError(f"The server sent no audio data ({kind}).")
    try:
        quiet = mpeg_output_to_log() if "mpeg" in kind else contextlib.nullcontext()
        with quiet:
            handle = sf.SoundFile(io.BytesIO(data))
        with handle:
            samplerate = int(handle.samplerate)
            mono = np.zeros(max(0, handle.frames), dtype=np.float32)
            got = 0
            for block in handle.blocks(blocksize=1 << 16, dtype="float32", always_2d=True):
                n = min(block.shape[0], mono.size - got)
                np.nan_to_num(block, copy=False, nan=0.0, posinf=1.0, neginf=-1.0)
                block[:n].mean(axis=1, out=mono[got : got + n])
                got += n
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        detail = getattr(exc, "error_string", "") or str(exc)
        raise AudioLoadError(
            f"Could not decode the server's audio ({kind}, {len(data)} bytes): {detail}"
        ) from exc
    if got == 0 or samplerate <= 0:
        raise AudioLoadError(f"The server's audio ({kind}) contains no samples.")
    mono = mono[:got]
    np.clip(mono, -1.0, 1.0, out=mono)
    return mono, samplerate


def _check_length(frames: int, samplerate: int, name: str) -> None:
    """Refuse audio whose length cannot be a recording's (past :data:`MAX_MS`).

    A tiny file can claim weeks: 3 MB of 8-bit samples at 1 Hz is 35 days. The header is
    then wrong, or the file is not a recording; either way the editor cannot show it.
    """
    ms = frames_to_ms(frames, samplerate)
    if ms > MAX_MS:
        days = ms / 86_400_000
        raise AudioLoadError(
            f"{name} says it lasts {days:,.0f} days ({frames:,} samples at {samplerate} Hz), "
            "longer than any recording the editor can open. Its header is probably wrong: "
            "open the original recording, or convert it to WAV or FLAC and open that."
        )


def document_from_bytes(
    data: bytes, media_type: str, label: str = "server preview"
) -> AudioDocument:
    """A document for a clip the server sent (the preview, a speaker's audio); see decode_mono."""
    mono, rate = decode_mono(data, media_type)
    _check_length(int(mono.shape[0]), rate, label)
    return AudioDocument(
        samplerate=rate,
        frames=int(mono.shape[0]),
        reader=_ArrayReader(mono),
        pyramid=None,
        path=None,
        label=label,
    )
