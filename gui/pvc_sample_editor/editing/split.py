"""Split a long recording into balanced parts, cut in pauses, written losslessly (no Qt).

ElevenLabs takes samples of up to 30 minutes, so a longer recording is offered a split
(:func:`should_offer_split`: over 35 minutes). The plan (:func:`plan_split`) makes the
fewest parts of at most ``max_seconds`` and balances them: 70 minutes becomes three
parts of about 23, not 30 + 30 + 10. Each cut is searched for around its balanced
target, within a window that keeps every part inside its bound whatever the search
picks (:func:`cut_windows`), and placed in the quietest pause there
(:func:`~pvc_sample_editor.analysis.quiet.find_quiet_cut`). When that window would be
narrower than a quarter of ``search_seconds`` (60 minutes into two parts of exactly
30), one more part is made to leave room to look.

:func:`write_split` then streams the file once, in blocks, into the parts: peak memory
does not grow with the length. The parts put back together are the original sample for
sample. What each source becomes (:func:`output_format`):

- PCM of 8 to 24 bits (WAV, AIFF, FLAC, …) and the codecs that decode to 16 bits
  (μ-law, A-law, ADPCM, GSM): FLAC of the same depth; exact.
- 32-bit integer, 32- and 64-bit float: FLAC cannot hold them (libsndfile's FLAC
  stops at 24 bits, and floats above full scale would clip), so their parts are WAV of
  the same subtype; exact.
- Lossy sources (MP3, Vorbis, Opus): their decoded samples, as 24-bit FLAC: not bit
  for bit (24-bit quantisation of the decoder's floats, 144 dB down), and a decoder's
  priming may differ from another program's.

Parts go into a chosen folder under new names (``take-part1-of-3.flac``), written as
``.partial`` files and renamed only when all are complete; an existing file is never
overwritten, and a part can never be the source.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from pvc_sample_editor.analysis.quiet import QuietCut, find_quiet_cut
from pvc_sample_editor.audio.errors import AudioLoadError
from pvc_sample_editor.audio.source import AudioInfo, open_sound_file, probe
from pvc_sample_editor.timecode import frames_to_ms

__all__ = [
    "DEFAULT_MAX_SECONDS",
    "SPLIT_OFFER_SECONDS",
    "SplitCancelled",
    "SplitError",
    "SplitPart",
    "SplitPlan",
    "cut_windows",
    "output_format",
    "plan_split",
    "should_offer_split",
    "split_file",
    "write_split",
]

#: Longest part: the longest sample ElevenLabs accepts.
DEFAULT_MAX_SECONDS = 30 * 60
#: Recordings longer than this are offered a split.
SPLIT_OFFER_SECONDS = 35 * 60
#: How far either side of its target a cut is looked for, at most.
DEFAULT_SEARCH_SECONDS = 120.0
_BLOCK = 1 << 17  # frames per read/write: ~1 MB of stereo int32

_FLAC_DEPTH = {"PCM_S8": "PCM_S8", "PCM_U8": "PCM_S8", "PCM_16": "PCM_16", "PCM_24": "PCM_24"}
_WAV_ONLY = {"PCM_32", "FLOAT", "DOUBLE", "ALAC_32"}
_DECODES_TO_16 = {"ULAW", "ALAW", "IMA_ADPCM", "MS_ADPCM", "GSM610", "G721_32", "G723_24"}
_DECODES_TO_16 |= {"DWVW_16", "ALAC_16", "NMS_ADPCM_16", "VOX_ADPCM"}
_LOSSY_FORMATS = {"MP3", "OGG", "MPEG"}
_FLAC_MAX_CHANNELS = 8
_BYTES_PER_SAMPLE = {"PCM_S8": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8}


class SplitError(Exception):
    """The split cannot be made; the message says why and what to do."""


class SplitCancelled(Exception):  # noqa: N818 - a cancel is not an error
    """The caller's ``should_stop`` turned True; nothing was left behind."""


@dataclass(frozen=True)
class SplitPart:
    """One part: where it is (or will be written), and its place in the original."""

    index: int  # 1-based
    path: Path
    start_frame: int
    stop_frame: int
    start_ms: int
    end_ms: int
    #: True when the cut that ends this part lies in a detected pause (the last: True).
    ends_in_pause: bool

    def to_json(self) -> dict[str, object]:
        """``{"path", "start_ms", "end_ms"}``, as ``split --json`` prints it."""
        return {"path": str(self.path), "start_ms": self.start_ms, "end_ms": self.end_ms}


@dataclass(frozen=True)
class SplitPlan:
    """Where the cuts go and what the parts will be; nothing is written yet."""

    info: AudioInfo
    parts: tuple[SplitPart, ...]
    cuts: tuple[QuietCut, ...]
    format: str  # "FLAC" or "WAV"
    subtype: str
    #: A sentence when the parts cannot be bit-identical (lossy source), else None.
    caveat: str | None


def should_offer_split(info: AudioInfo) -> bool:
    """True when the recording is long enough to be offered a split."""
    return info.frames > SPLIT_OFFER_SECONDS * info.samplerate


def output_format(info: AudioInfo) -> tuple[str, str, str, str | None]:
    """(format, subtype, read dtype, caveat) of the parts for this source (module doc)."""
    subtype = info.subtype
    if info.format in _LOSSY_FORMATS:
        caveat = (
            f"“{info.path.name}” is lossy ({subtype}); its parts hold its decoded sound as "
            "24-bit FLAC, which no listener can tell apart but is not bit for bit."
        )
        return "FLAC", "PCM_24", "int32", caveat
    if subtype in _WAV_ONLY or info.channels > _FLAC_MAX_CHANNELS:
        dtype = {"FLOAT": "float32", "DOUBLE": "float64"}.get(subtype, "int32")
        wav_subtype = "PCM_32" if subtype == "ALAC_32" else subtype
        if info.channels > _FLAC_MAX_CHANNELS and subtype not in _WAV_ONLY:
            wav_subtype = "PCM_24" if subtype not in _FLAC_DEPTH else subtype
        return "WAV", wav_subtype, dtype, None
    if subtype in _FLAC_DEPTH:
        depth = _FLAC_DEPTH[subtype]
        return "FLAC", depth, "int32" if depth == "PCM_24" else "int16", None
    if subtype in _DECODES_TO_16:
        return "FLAC", "PCM_16", "int16", None
    return "FLAC", "PCM_24", "int32", None  # 20-bit ALAC and the like: 24 bits hold them


def part_count(frames: int, samplerate: int, max_seconds: float, search_seconds: float) -> int:
    """How many balanced parts: the fewest within the bound that leave room to search."""
    duration = frames / samplerate
    count = max(1, math.ceil(duration / max_seconds))
    if count > 1 and (max_seconds - duration / count) / 2 < search_seconds / 4:
        count += 1
    return count


def cut_windows(
    frames: int, samplerate: int, count: int, max_seconds: float, search_seconds: float
) -> list[tuple[int, int, int]]:
    """(lo, target, hi) frames for each of the ``count - 1`` cuts.

    Targets are the balanced points ``i * frames / count``; each window reaches at most
    half the slack (``max - frames / count``) either way, so two neighbouring cuts at
    opposite edges still leave a part no longer than ``max_seconds``.
    """
    balanced = frames / count
    slack = max_seconds * samplerate - balanced
    reach = max(0, min(round(search_seconds * samplerate), math.floor(slack / 2)))
    windows = []
    for i in range(1, count):
        target = round(i * balanced)
        windows.append((max(0, target - reach), target, min(frames, target + reach + 1)))
    return windows


def _part_name(stem: str, index: int, count: int, suffix: str) -> str:
    width = len(str(count))
    return f"{stem}-part{index:0{width}d}-of-{count}{suffix}"


def plan_split(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    search_seconds: float = DEFAULT_SEARCH_SECONDS,
    min_pause_ms: int = 300,
    should_stop: Callable[[], bool] | None = None,
) -> SplitPlan:
    """Decide the cuts of the file at ``path`` (reads only the windows around them).

    Raises :class:`AudioLoadError` for an unreadable file, :class:`SplitError` when the
    arguments or the output folder cannot work, :class:`SplitCancelled` on a stop.
    A file no longer than ``max_seconds`` gets a plan of one part: itself.
    """
    if not (max_seconds > 0 and search_seconds > 0):
        raise SplitError("The longest part and the search window must be above 0 seconds.")
    info = probe(path)
    if not info.seekable:
        raise SplitError(
            f"“{info.path.name}” is in an encoding that cannot be searched ({info.subtype}). "
            "Convert it to WAV or FLAC first."
        )
    fmt, subtype, _, caveat = output_format(info)
    count = part_count(info.frames, info.samplerate, max_seconds, search_seconds)
    cuts: list[QuietCut] = []
    try:
        for lo, target, hi in cut_windows(
            info.frames, info.samplerate, count, max_seconds, search_seconds
        ):
            cuts.append(
                find_quiet_cut(
                    info.path, target, lo, hi, min_pause_ms=min_pause_ms, should_stop=should_stop
                )
            )
    except InterruptedError:
        raise SplitCancelled(f"the split of {info.path.name} was cancelled") from None
    except (sf.LibsndfileError, RuntimeError) as err:
        raise AudioLoadError(
            f"“{info.path.name}” is damaged or cut short: it cannot be read to the end. "
            "Export or copy it again."
        ) from err
    folder = Path(os.path.abspath(out_dir))
    suffix = ".flac" if fmt == "FLAC" else ".wav"
    edges = [0, *(c.frame for c in cuts), info.frames]
    parts = tuple(
        SplitPart(
            index=i + 1,
            path=folder / _part_name(info.path.stem, i + 1, count, suffix),
            start_frame=edges[i],
            stop_frame=edges[i + 1],
            start_ms=frames_to_ms(edges[i], info.samplerate),
            end_ms=frames_to_ms(edges[i + 1], info.samplerate),
            ends_in_pause=cuts[i].in_pause if i < len(cuts) else True,
        )
        for i in range(count)
    )
    return SplitPlan(info, parts, tuple(cuts), fmt, subtype, caveat)


def _check_targets(plan: SplitPlan) -> None:
    source = plan.info.path
    for part in plan.parts:
        if part.path == source or (part.path.exists() and os.path.samefile(part.path, source)):
            raise SplitError(
                f"A part would be written over the original “{source.name}”. "
                "Choose another output folder."
            )
        if part.path.exists():
            raise SplitError(
                f"“{part.path}” already exists; nothing was written. Move it away, or "
                "choose another output folder."
            )
    folder = plan.parts[0].path.parent
    if folder.exists() and not folder.is_dir():
        raise SplitError(f"“{folder}” is a file, not a folder: give a folder for the parts.")
    if not folder.is_dir():
        raise SplitError(f"The output folder “{folder}” does not exist. Create it first.")
    if not os.access(folder, os.W_OK):
        raise SplitError(f"The output folder “{folder}” cannot be written to. Choose another.")
    # An uncompressed copy is the most the parts can take.
    need = plan.info.frames * plan.info.channels * _BYTES_PER_SAMPLE.get(plan.subtype, 3)
    if shutil.disk_usage(folder).free < need:
        raise SplitError(
            f"The output folder “{folder}” has less free space than the parts may need "
            f"({need / 1e9:.1f} GB). Free some space or choose another folder."
        )


def write_split(
    plan: SplitPlan,
    *,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> tuple[SplitPart, ...]:
    """Write the plan's parts in one streamed pass; returns them once all are in place.

    ``on_progress(fraction)`` after each block. Nothing is left behind on an error or a
    cancel; the original is only read.
    """
    _check_targets(plan)
    info = plan.info
    _, _, dtype, _ = output_format(info)
    temps = [p.path.with_name(f".{p.path.name}.partial") for p in plan.parts]
    buffer: np.ndarray[Any, Any] = np.empty((_BLOCK, info.channels), dtype=dtype)
    try:
        with open_sound_file(info.path) as source:
            for part, temp in zip(plan.parts, temps, strict=True):
                with sf.SoundFile(
                    temp, "w", info.samplerate, info.channels, plan.subtype, format=plan.format
                ) as out:
                    position = part.start_frame
                    while position < part.stop_frame:
                        if should_stop is not None and should_stop():
                            raise SplitCancelled(f"the split of {info.path.name} was cancelled")
                        want = min(_BLOCK, part.stop_frame - position)
                        got = source.read(want, dtype=dtype, always_2d=True, out=buffer[:want])
                        if got.shape[0] < want:
                            raise SplitError(
                                f"“{info.path.name}” ended at {position + got.shape[0]} of the "
                                f"{info.frames} samples its header announces; it is cut "
                                "short. Nothing was written."
                            )
                        out.write(got)
                        position += want
                        if on_progress is not None:
                            on_progress(position / info.frames)
        for temp, part in zip(temps, plan.parts, strict=True):
            os.replace(temp, part.path)
    except BaseException as err:
        for temp in temps:
            temp.unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise SplitError(f"The parts could not be written: {err.strerror or err}.") from err
        if isinstance(err, RuntimeError):  # libsndfile's errors
            raise SplitError(
                f"“{info.path.name}” could not be read to the end ({err}); nothing was written."
            ) from err
        raise
    return plan.parts


def split_file(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    search_seconds: float = DEFAULT_SEARCH_SECONDS,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> tuple[SplitPart, ...]:
    """Plan and write the split of ``path`` into ``out_dir`` (see :func:`plan_split`)."""
    plan = plan_split(
        path,
        out_dir,
        max_seconds=max_seconds,
        search_seconds=search_seconds,
        should_stop=should_stop,
    )
    return write_split(plan, should_stop=should_stop, on_progress=on_progress)
