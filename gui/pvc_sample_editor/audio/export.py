"""Export the kept region of a local file as a new WAV or FLAC file, sample for sample.

Needs no key and no network: the editor is useful offline, and the exported file can be
uploaded later as a new sample. The rules:

- **Exact.** The new file has the source's sample rate, channels and sample format
  (``PCM_16`` stays 16-bit, ``PCM_24`` 24-bit, float stays float), and its samples are
  the source's frames ``[ms_to_frame(start), ms_to_frame(end))``, bit for bit: integer
  formats are read as 32-bit integers and written back (libsndfile shifts without
  rounding), float formats as 64-bit floats. A lossy source (MP3, Ogg, Opus, or a WAV
  in GSM or ADPCM) has no bit depth to keep; its decoded samples are written as
  16-bit, and the result says so. FLAC holds at most 24-bit integers: a float or 32-bit
  source is refused for FLAC, with the advice to export it as WAV.
- **Streamed** in blocks of about a second, so an hours-long file is never in memory;
  ``should_stop`` is polled between blocks and ``on_progress`` gets the fraction done.
- **Safe.** It never writes over the source (whatever the name or link that leads to
  it), and writes a hidden ``.part`` file beside the destination that replaces it only
  once complete: a cancel or a failure leaves the destination as it was.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

from pvc_sample_editor.audio.errors import AudioLoadError
from pvc_sample_editor.audio.source import _soundfile_path, open_sound_file, probe
from pvc_sample_editor.timecode import frames_to_ms, ms_to_frame

__all__ = [
    "EXPORT_SUFFIXES",
    "ExportCancelled",
    "ExportError",
    "ExportResult",
    "export_format_for",
    "export_region",
]

#: What a destination's name may end with, and the container each one means.
EXPORT_SUFFIXES = {".wav": "WAV", ".wave": "WAV", ".flac": "FLAC"}
_INTEGER = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32}
_FLOAT = {"FLOAT": 32, "DOUBLE": 64}
_BLOCK_FRAMES = 1 << 16


class ExportError(ValueError):
    """The export cannot be done as asked; the message says why and what to do."""


class ExportCancelled(Exception):  # noqa: N818 - mirrors audio.LoadCancelled
    """``should_stop`` turned true; nothing was written to the destination."""


@dataclass(frozen=True)
class ExportResult:
    """What was written: where, how many frames, in which format."""

    path: Path
    frames: int
    samplerate: int
    channels: int
    format: str
    subtype: str
    #: A sentence when the sample format had to change (a lossy source), else "".
    note: str = ""

    @property
    def duration_ms(self) -> int:
        """The exported length in ms."""
        return frames_to_ms(self.frames, self.samplerate)


def export_format_for(dest: Path) -> str:
    """``"WAV"`` or ``"FLAC"`` from the destination's name; ExportError for another."""
    container = EXPORT_SUFFIXES.get(dest.suffix.lower())
    if container is None:
        raise ExportError(
            f"“{dest.name}” does not end in .wav or .flac. Choose a name ending in .flac "
            "(lossless and smaller) or .wav."
        )
    return container


def _target_subtype(source_format: str, subtype: str, container: str) -> tuple[str, str]:
    """The subtype to write and a note when it is not the source's."""
    exact = subtype in _INTEGER or subtype in _FLOAT
    if exact and sf.check_format(container, subtype):
        return subtype, ""
    if exact:  # FLAC and a float or 32-bit source (or WAV and signed 8-bit)
        bits = _INTEGER.get(subtype) or _FLOAT[subtype]
        kind = "float" if subtype in _FLOAT else "integer"
        other = "WAV" if container == "FLAC" else "FLAC"
        raise ExportError(
            f"{container} cannot hold this file's {bits}-bit {kind} samples exactly. "
            f"Export it as {other} (a name ending in .{other.lower()}) to keep them."
        )
    return "PCM_16", (
        f"The source is {source_format} ({subtype}), which has no bit depth of its own: "
        "its decoded samples were written as 16-bit."
    )


def _same_file(a: Path, b: Path) -> bool:
    """True when ``a`` names ``b``: the same path, or a link or another name for it."""
    if a.resolve() == b.resolve():
        return True
    with contextlib.suppress(OSError):
        return os.path.samefile(a, b)
    return False


def export_region(
    source: str | os.PathLike[str],
    start_ms: int,
    end_ms: int,
    dest: str | os.PathLike[str],
    *,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[float], None] | None = None,
    block_frames: int = _BLOCK_FRAMES,
) -> ExportResult:
    """Write ``[start_ms, end_ms)`` of ``source`` to ``dest`` (WAV or FLAC by its name).

    Raises ExportError (bad name, the source itself, a format that cannot hold the
    samples, an empty region, a folder that cannot be written), AudioLoadError (the
    source cannot be read) and ExportCancelled. See the module's rules.
    """
    src, out = Path(source), Path(dest)
    container = export_format_for(out)
    if _same_file(out, src):
        raise ExportError(
            f"“{out.name}” is the file being edited. Choose another name: the export "
            "never writes over its source."
        )
    info = probe(src)
    subtype, note = _target_subtype(info.format, info.subtype, container)
    start = min(max(ms_to_frame(start_ms, info.samplerate), 0), info.frames)
    stop = min(max(ms_to_frame(end_ms, info.samplerate), start), info.frames)
    if stop <= start:
        raise ExportError("The kept region is empty: move the end handle after the start.")
    if subtype in _FLOAT:
        dtype = "float64"
    elif subtype in _INTEGER:
        dtype = "int32"
    else:
        dtype = "float32"
    part = out.with_name(f".{out.name}.part")
    written = 0
    try:
        with (
            open_sound_file(info.path) as reader,
            _open_for_writing(part, info.samplerate, info.channels, container, subtype) as writer,
        ):
            _skip_to(reader, start, info.seekable, block_frames, dtype)
            while written < stop - start:
                if should_stop is not None and should_stop():
                    raise ExportCancelled(f"the export to {out.name} was cancelled")
                want = min(block_frames, stop - start - written)
                block = reader.read(want, dtype=dtype, always_2d=True)
                if block.shape[0] == 0:
                    raise AudioLoadError(
                        f"“{info.path.name}” ends before its header says it does: it is "
                        "cut short. Export or copy it again."
                    )
                writer.write(block)
                written += block.shape[0]
                if on_progress is not None:
                    on_progress(written / (stop - start))
        os.replace(part, out)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise AudioLoadError(f"“{info.path.name}” could not be read to the end ({err}).") from err
    finally:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
    return ExportResult(out, written, info.samplerate, info.channels, container, subtype, note)


def _open_for_writing(
    part: Path, rate: int, channels: int, container: str, subtype: str
) -> sf.SoundFile:
    try:
        return sf.SoundFile(
            _soundfile_path(part),
            "w",
            samplerate=rate,
            channels=channels,
            format=container,
            subtype=subtype,
        )
    except (sf.LibsndfileError, RuntimeError, OSError) as err:
        raise ExportError(
            f"“{part.parent}” cannot be written to ({err}). Choose another folder."
        ) from err


def _skip_to(reader: sf.SoundFile, frame: int, seekable: bool, block: int, dtype: str) -> None:
    """Put ``reader`` at ``frame``; an encoding that cannot seek is read up to it."""
    if not frame:
        return
    if seekable:
        reader.seek(frame)
        return
    left = frame
    while left > 0:
        got = reader.read(min(block, left), dtype=dtype, always_2d=True).shape[0]
        if got == 0:
            break
        left -= got
