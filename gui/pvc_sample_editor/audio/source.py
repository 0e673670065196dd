"""Open audio files: probe what they hold and read mono samples from any position.

The mono mix is defined once, here, and the peak pyramid uses the very same code, so a
waveform drawn from the pyramid and one drawn from samples agree exactly:

- 16-bit (and 8-bit, µ-law, A-law) sources are read as int16 and the channels summed in
  integers; the sum becomes float32 as ``sum * (1 / (32768 * channels))``.
- Everything else (24/32-bit, float, MP3, Vorbis, Opus) is read as float32 and the
  channels are summed in float32, then scaled by ``1 / channels``.
- Samples of float files may be NaN or ±Inf. They are sanitised per sample before the
  mix (NaN → 0, ±Inf → ±1), and every mono sample is clipped to [-1, 1] (decoders and
  float files may overshoot; a display and a player want that range).
"""

from __future__ import annotations

import logging
import os
import re
import stat
import sys
import threading
import time
from collections import OrderedDict
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import soundfile as sf

from pvc_sample_editor.audio.errors import AudioFileChangedError, AudioLoadError
from pvc_sample_editor.audio.pcm import PcmLayout, find_pcm_layout
from pvc_sample_editor.system.native_output import library_output_to_log
from pvc_sample_editor.timecode import frames_to_ms

__all__ = [
    "AUDIO_SUFFIXES",
    "SUPPORTED_FORMATS_TEXT",
    "AudioInfo",
    "FileStamp",
    "FrameDecoder",
    "SampleReader",
    "direct_layout",
    "mpeg_output_to_log",
    "open_sound_file",
    "probe",
    "stamp_of",
]

SUPPORTED_FORMATS_TEXT = "WAV, FLAC, MP3, OGG Vorbis, Opus or AIFF"
_CHOOSE_SUPPORTED = f"Choose a {SUPPORTED_FORMATS_TEXT} file."
#: The file name endings of audio the editor opens.
AUDIO_SUFFIXES = frozenset(
    {".wav", ".wave", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".aif", ".aiff", ".aifc"}
)

log = logging.getLogger(__name__)

# Subtypes libsndfile can hand out as int16 without losing anything: 16 bits or fewer.
_INT16_SUBTYPES = frozenset({"PCM_16", "PCM_S8", "PCM_U8", "ULAW", "ALAW", "DPCM_8", "DPCM_16"})
# Containers whose samples must be decoded, so seeking and re-reading cost real work.
_COMPRESSED_FORMATS = frozenset({"FLAC", "OGG", "MP3", "MPEG"})
# Containers whose first far seek scans frame headers up to the target (see warm_up).
_SCANNED_FORMATS = frozenset({"MP3", "MPEG"})

# Bytes read to recognise a few common non-audio files for a friendlier message.
_SNIFF_BYTES = 512


class FileStamp(NamedTuple):
    """What identifies one version of a file: a write, a cut or a rename changes it."""

    size: int
    mtime_ns: int
    inode: int
    device: int


def stamp_of(path: Path) -> FileStamp | None:
    """The :class:`FileStamp` of the file at ``path`` now; None if it is gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return FileStamp(st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds, as libsndfile reports it.

    ``format`` and ``subtype`` are libsndfile's names, e.g. ``"WAV"``/``"PCM_16"``,
    ``"FLAC"``/``"PCM_24"``, ``"MP3"``/``"MPEG_LAYER_III"``, ``"OGG"``/``"OPUS"``.
    """

    path: Path
    frames: int
    samplerate: int
    channels: int
    format: str
    subtype: str
    #: False for encodings libsndfile decodes only front to back (GSM 6.10, G.721,
    #: NMS ADPCM): they are read forwards, and a read behind the last one starts over.
    seekable: bool = True
    #: The file as it was probed; readers stop with AudioFileChangedError once it differs.
    #: None (a pyramid from the cache) means the caller checks elsewhere.
    stamp: FileStamp | None = field(default=None, compare=False)

    @property
    def duration_secs(self) -> float:
        """Length in seconds."""
        return self.frames / self.samplerate

    @property
    def duration_ms(self) -> int:
        """Length in whole milliseconds, rounded to nearest."""
        return frames_to_ms(self.frames, self.samplerate)

    @property
    def is_compressed(self) -> bool:
        """True when samples must be decoded (FLAC, MP3, Vorbis, Opus, GSM), so seeks cost."""
        return self.format in _COMPRESSED_FORMATS or not self.seekable

    @property
    def reads_as_int16(self) -> bool:
        """True when the samples fit int16 exactly (16 bits or fewer)."""
        return self.subtype in _INT16_SUBTYPES


def probe(path: str | os.PathLike[str]) -> AudioInfo:
    """Return what the audio file at ``path`` holds, without decoding it.

    Raises :class:`AudioLoadError` with a message naming the file and the remedy when
    the path is missing, a folder, not a regular file, unreadable, empty, not audio
    libsndfile understands, damaged, or holds no samples.
    """
    p = Path(os.path.abspath(path))
    stamp = _check_file(p)
    try:
        with open_sound_file(p) as handle:
            info = AudioInfo(
                path=p,
                frames=int(handle.frames),
                samplerate=int(handle.samplerate),
                channels=int(handle.channels),
                format=str(handle.format),
                subtype=str(handle.subtype),
                seekable=bool(handle.seekable()),
                stamp=stamp,
            )
    except (RuntimeError, TypeError, ValueError) as err:  # LibsndfileError is a RuntimeError
        raise AudioLoadError(_unreadable_message(p)) from err
    if info.samplerate <= 0 or info.channels <= 0:
        raise AudioLoadError(
            f"“{p.name}” has a damaged header ({info.channels} channels at "
            f"{info.samplerate} Hz). Export it again from your recording software."
        )
    if info.frames <= 0:
        if info.format == "OGG" and _ogg_cut_short(p):
            raise AudioLoadError(
                f"“{p.name}” is cut short: its last part is missing and none of its audio "
                "can be decoded. Export or copy it again."
            )
        raise AudioLoadError(
            f"“{p.name}” contains no audio (0 samples). Choose a file with a recording in it."
        )
    if info.duration_ms == 0:
        # Trims are whole milliseconds and the length rounds to the nearest one (as the
        # API's does), so a file under half a millisecond is 0 ms: no edit of it could
        # ever be valid, and no voice sample is that short.
        raise AudioLoadError(
            f"“{p.name}” is too short to be a voice sample: it holds {info.frames} "
            f"sample{'s' if info.frames != 1 else ''} ({info.duration_secs * 1000:.2f} ms). "
            "Choose a recording of at least a few seconds."
        )
    return info


_OGG_PAGE_HEADER = 27
_OGG_EOS = 0x04


def _ogg_cut_short(p: Path) -> bool:
    """True when the Ogg file's pages run past its end or it never ends its stream.

    Walks the page headers (27 bytes and a segment table each), not the packets, so
    it costs a few reads per page; only called for a file that decoded to nothing.
    """
    try:
        with open(p, "rb") as f:
            size = f.seek(0, 2)
            pos = 0
            ended = False
            while pos < size:
                f.seek(pos)
                header = f.read(_OGG_PAGE_HEADER)
                if len(header) < _OGG_PAGE_HEADER or header[:4] != b"OggS":
                    return True
                segments = f.read(header[26])
                if len(segments) < header[26]:
                    return True
                ended = bool(header[5] & _OGG_EOS)
                pos += _OGG_PAGE_HEADER + header[26] + sum(segments)
            return pos > size or not ended
    except OSError:
        return False


def _soundfile_path(path: Path) -> str | bytes:
    """``path`` in the form that libsndfile opens whatever the name's bytes are.

    soundfile encodes a ``str`` path strictly, so a name that is not valid UTF-8 (a
    Latin-1 "café" from an old zip, which Python holds with a surrogate escape) would
    not open; the file system's own bytes always do. Windows names are UTF-16 and open
    from a ``str`` (soundfile then uses ``sf_wchar_open``).
    """
    return str(path) if sys.platform == "win32" else os.fsencode(path)


# Decoders that never print on stderr; any other file may be an MP3, and libmpg123 prints
# "Warning: Xing stream size off…" opening one that was cut short (said here in words).
_QUIET_SUFFIXES = frozenset(AUDIO_SUFFIXES - {".mp3"})
_MPG123_SAYS = re.compile(r"(Warning|Note|Error): |\[src/libmpg123/")


def open_sound_file(path: Path) -> sf.SoundFile:
    """libsndfile's handle on ``path`` for reading, whatever the name's bytes are.

    What libmpg123 prints while it opens an MP3 goes to the log, not to the terminal.
    Raises what :class:`soundfile.SoundFile` raises.
    """
    name = _soundfile_path(path)
    if path.suffix.lower() in _QUIET_SUFFIXES:
        return sf.SoundFile(name)
    with mpeg_output_to_log():
        return sf.SoundFile(name)


def mpeg_output_to_log() -> AbstractContextManager[None]:
    """A block in which what libmpg123 prints on stderr goes to the log (keep it short)."""
    return library_output_to_log("libmpg123", _MPG123_SAYS)


def _check_file(p: Path) -> FileStamp:
    """Raise AudioLoadError for the problems Python can name better than libsndfile.

    Returns the file's stamp, taken before libsndfile opens it: a change after that
    shows as a difference, never as a stamp that already describes the new file.
    """
    try:
        st = p.stat()
    except FileNotFoundError as err:
        raise AudioLoadError(
            f"“{p}” was not found. It may have been moved, renamed or deleted; "
            "choose the file again."
        ) from err
    except PermissionError as err:
        raise _permission_error(p, err) from err
    except OSError as err:
        raise AudioLoadError(f"“{p}” cannot be opened: {err.strerror or err}.") from err
    if stat.S_ISDIR(st.st_mode):
        raise AudioLoadError(f"“{p}” is a folder. Choose an audio file inside it.")
    if not stat.S_ISREG(st.st_mode):
        # Opening a FIFO would block until someone writes to it; a device is never audio.
        raise AudioLoadError(
            f"“{p.name}” is not a regular file (it is a pipe, socket or device). "
            + _CHOOSE_SUPPORTED
        )
    if st.st_size == 0:
        raise AudioLoadError(f"“{p.name}” is empty (0 bytes). Choose a file with audio in it.")
    try:
        with open(p, "rb") as f:
            f.read(1)
    except PermissionError as err:
        raise _permission_error(p, err) from err
    except OSError as err:
        raise AudioLoadError(f"“{p.name}” cannot be read: {err.strerror or err}.") from err
    return FileStamp(st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


def _permission_error(p: Path, err: OSError) -> AudioLoadError:
    return AudioLoadError(
        f"You do not have permission to read “{p.name}”. Change the file's permissions "
        "or copy it somewhere you can read it, then open it again."
    )


def _unreadable_message(p: Path) -> str:
    """Word a libsndfile refusal by what the file's first bytes say it is."""
    try:
        with open(p, "rb") as f:
            head = f.read(_SNIFF_BYTES)
    except OSError:
        head = b""
    container = _container_of(head)
    tag = _wave_format_tag(head) if container == "WAV" else None
    if tag is not None and tag not in _LIBSNDFILE_WAVE_TAGS:
        what = _WAVE_TAG_NAMES.get(tag, "an encoding")
        return (
            f"“{p.name}” is a WAV file holding {what} (format tag 0x{tag:04X}), which this "
            "editor cannot decode. Convert it to FLAC or to WAV with PCM samples (Audacity "
            "or ffmpeg can), and open that."
        )
    if container is not None:
        size = _size_text(p)
        return (
            f"“{p.name}” is a damaged or cut-short {container} file{size}: its audio "
            "cannot be read. Export or copy it again."
        )
    kind = _sniff(head)
    if kind is not None:
        return f"“{p.name}” is {kind}, not audio this editor can open. {_CHOOSE_SUPPORTED}"
    if p.suffix.lower() in AUDIO_SUFFIXES:
        claimed = p.suffix.lstrip(".").upper() or "audio"
        return (
            f"“{p.name}” cannot be read as audio: it is damaged, cut short, or not really "
            f"a {claimed} file. Export or copy it again."
        )
    return f"“{p.name}” is not a recognised audio file. {_CHOOSE_SUPPORTED}"


def _sniff(head: bytes) -> str | None:
    signatures = (
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"%PDF", "a PDF document"),
        (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    )
    for magic, kind in signatures:
        if head.startswith(magic):
            return kind
    if head[4:8] == b"ftyp":
        return "an MP4/M4A/AAC file (convert it to WAV or FLAC first)"
    if head and all(32 <= b < 127 or b in b"\t\r\n" for b in head):
        return "a text file"
    return None


# WAVE format tags libsndfile decodes: PCM, MS ADPCM, float, A-law, µ-law, IMA ADPCM,
# GSM 6.10, NMS ADPCM, G.721, MPEG layers I/II and III, and the extensible header.
_LIBSNDFILE_WAVE_TAGS = frozenset(
    {0x0001, 0x0002, 0x0003, 0x0006, 0x0007, 0x0011, 0x0031, 0x0038, 0x0040, 0x0050, 0x0055}
    | {0xFFFE}
)
_WAVE_TAG_NAMES = {
    0x0161: "Windows Media Audio",
    0x0162: "Windows Media Audio",
    0x0163: "Windows Media Audio",
    0x00FF: "AAC",
    0x1600: "AAC",
    0x1610: "AAC",
    0x2000: "AC-3",
    0x2001: "DTS",
    0x0092: "AC-3",
}


def _wave_format_tag(head: bytes) -> int | None:
    """The format tag of a RIFF/WAVE ``fmt `` chunk found in ``head``, or None."""
    pos = 12
    while pos + 8 <= len(head):
        cid, size = head[pos : pos + 4], int.from_bytes(head[pos + 4 : pos + 8], "little")
        if cid == b"fmt ":
            raw = head[pos + 8 : pos + 10]
            return int.from_bytes(raw, "little") if len(raw) == 2 else None
        pos += 8 + size + (size & 1)
    return None


def _container_of(head: bytes) -> str | None:
    """The audio container the first bytes announce, or None.

    Checked before the text test: a 4-byte ``RIFF`` is printable, but it is the start
    of a WAV, not a text file. Where a signature could begin ordinary text (``FORM``,
    ``ID3``) the bytes after it must agree, when the file has them.
    """
    if head[:4] in (b"RIFF", b"RF64") and (len(head) < 12 or head[8:12] == b"WAVE"):
        return "WAV"
    if head[:4] == b"FORM" and (len(head) < 12 or head[8:12] in (b"AIFF", b"AIFC")):
        return "AIFF"
    if head[:4] == b"fLaC":
        return "FLAC"
    if head[:4] == b"OggS":
        return "Ogg"
    if head[:3] == b"ID3" and (len(head) == 3 or 2 <= head[3] <= 4):
        return "MP3"
    return None


def _size_text(p: Path) -> str:
    try:
        size = p.stat().st_size
    except OSError:
        return ""
    return f" ({size} byte{'s' if size != 1 else ''})"


def direct_layout(info: AudioInfo) -> PcmLayout | None:
    """Return the layout to read ``info``'s samples directly, if that is safe.

    Parses the header (:func:`~pvc_sample_editor.audio.pcm.find_pcm_layout`) and then
    compares the first and last frames read both ways: any doubt means ``None`` and
    the caller reads through libsndfile instead.
    """
    if info.format not in ("WAV", "WAVEX", "RF64", "AIFF"):
        return None
    layout = find_pcm_layout(
        info.path, frames=info.frames, channels=info.channels, subtype=info.subtype
    )
    if layout is None:
        return None
    probe_frames = min(info.frames, 512)
    try:
        with open_sound_file(info.path) as handle, open(info.path, "rb") as raw:
            for start in (0, info.frames - probe_frames):
                handle.seek(start)
                expected = handle.read(probe_frames, dtype="float32", always_2d=True)
                raw.seek(layout.offset + start * layout.frame_bytes)
                got = np.frombuffer(raw.read(probe_frames * layout.frame_bytes), layout.dtype)
                if got.size != expected.size:
                    return None
                as_float = got.astype(np.float32).reshape(expected.shape)
                if layout.dtype.kind == "i":
                    as_float *= np.float32(1 / 32768)
                if not np.array_equal(as_float, expected, equal_nan=True):
                    return None
    except (OSError, sf.LibsndfileError, RuntimeError):
        return None
    return layout


class FrameDecoder:
    """One handle on a file that reads blocks of frames and sums their channels.

    The loader's workers each own one; :class:`SampleReader` owns one. Not thread-safe.
    ``read_sum`` returns a view into a buffer reused by the next call, holding the sum
    of the channels (int16 for 16-bit mono, int32 for 16-bit multi-channel, float32
    otherwise); ``scale`` turns it into the float mono mix. A read past the readable end
    of the file (a truncated or damaged file) returns fewer frames instead of raising:
    every frame before the damage that libsndfile decodes, and later reads work as before.
    """

    def __init__(self, info: AudioInfo, *, block_frames: int, layout: PcmLayout | None = None):
        self.info = info
        self.block_frames = block_frames
        self.is_int = info.reads_as_int16
        channels = info.channels
        raw_dtype = np.dtype(np.int16) if self.is_int else np.dtype(np.float32)
        if layout is not None and layout.dtype.kind != raw_dtype.kind:
            raise ValueError("layout sample type disagrees with the subtype")
        self._layout = layout
        self._raw = np.empty((block_frames, channels), dtype=raw_dtype)
        self._sum: np.ndarray[Any, Any] | None = None
        if channels > 1:
            self._sum = np.empty(block_frames, dtype=np.int32 if self.is_int else np.float32)
        self.scale = np.float32(1.0 / ((32768.0 if self.is_int else 1.0) * channels))
        self._file: Any = None
        self._handle: sf.SoundFile | None = None
        self._position = -1  # frame the handle will read next; avoids needless seeks
        self._last_frames = 0
        # Set once the file is seen to differ from info.stamp; raised by every later read.
        self._changed: AudioFileChangedError | None = None
        if layout is None:
            self._reopen()
            return
        try:
            self._file = open(info.path, "rb", buffering=0)  # noqa: SIM115 - closed in close()
        except OSError as err:
            raise self._open_error(err) from err

    def _open_error(self, err: Exception) -> AudioLoadError:
        self.check_unchanged()  # a file that changed cannot be opened: say that instead
        return AudioLoadError(f"“{self.info.path.name}” could not be opened for reading: {err}")

    def check_unchanged(self) -> None:
        """Raise :class:`AudioFileChangedError` if the file differs from ``info.stamp``.

        One ``stat`` (about a microsecond). Once raised, raised again by every call,
        with the same message, whatever the file does next.
        """
        if self._changed is not None:
            raise self._changed
        if self.info.stamp is not None and stamp_of(self.info.path) != self.info.stamp:
            self._changed = AudioFileChangedError.for_file(self.info.path.name)
            raise self._changed

    def _reopen(self) -> sf.SoundFile:
        """Open a fresh libsndfile handle in place of the current one, and return it."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self._position = -1
        try:
            self._handle = open_sound_file(self.info.path)
        except (OSError, sf.LibsndfileError) as err:
            raise self._open_error(err) from err
        self._position = 0
        return self._handle

    def close(self) -> None:
        """Release the file handle."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def read_sum(self, start: int, frames: int) -> np.ndarray[Any, Any]:
        """Read up to ``frames`` (≤ ``block_frames``) frames from ``start``; sum channels.

        Raises :class:`AudioFileChangedError` when the file changed on disk since it was
        probed, checked before the read (no samples of another file are decoded) and
        after it (a change during the read is not taken for a cut-short file).
        """
        self.check_unchanged()
        frames = max(0, min(frames, self.block_frames, self.info.frames - start))
        got = self._read_raw(start, frames) if frames else 0
        self.check_unchanged()
        self._last_frames = got
        return self._mix(self._raw[:got])

    def resum_sanitized(self) -> np.ndarray[Any, Any]:
        """Redo the last ``read_sum`` with NaN → 0 and ±Inf → ±1 applied per sample."""
        raw = self._raw[: self._last_frames]
        if not self.is_int:
            np.nan_to_num(raw, copy=False, nan=0.0, posinf=1.0, neginf=-1.0)
        return self._mix(raw)

    def to_mono(self, sums: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Turn channel sums (or their min/max) into the float32 mono mix in [-1, 1]."""
        out = sums.astype(np.float32)
        out *= self.scale
        np.clip(out, -1.0, 1.0, out=out)
        return out

    def read_mono(self, start: int, frames: int) -> np.ndarray[Any, Any]:
        """Return a new float32 mono block, sanitised, read like :meth:`read_sum`."""
        sums = self.read_sum(start, frames)
        if not self.is_int and not np.isfinite(sums).all():
            sums = self.resum_sanitized()
        return self.to_mono(sums)

    def _mix(self, raw: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        if self._sum is None:
            return raw[:, 0]
        out = self._sum[: raw.shape[0]]
        # dtype= makes numpy add int16 channels in int32; without it the sum would be
        # computed in int16 (and wrap) before being stored. A float file's +Inf and -Inf
        # sum to NaN, and values near float32's maximum overflow to Inf: both are
        # sanitised after the sum (see resum_sanitized and to_mono), so numpy's warnings
        # about them are noise (and errors wherever warnings are).
        with np.errstate(invalid="ignore", over="ignore"):
            np.add(raw[:, 0], raw[:, 1], out=out, dtype=out.dtype)
            for channel in range(2, raw.shape[1]):
                np.add(out, raw[:, channel], out=out, dtype=out.dtype)
        return out

    def _read_raw(self, start: int, frames: int) -> int:
        buf = self._raw[:frames]
        if self._layout is not None:
            layout = self._layout
            self._file.seek(layout.offset + start * layout.frame_bytes)
            view = buf.reshape(-1).view(np.uint8).data
            got_bytes = 0
            while got_bytes < len(view):  # raw reads may come back short
                n = self._file.readinto(view[got_bytes:])
                if not n:
                    break
                got_bytes += n
            got = got_bytes // layout.frame_bytes
            if not layout.dtype.isnative:
                buf[:got].byteswap(inplace=True)
            return got
        # No handle: the last reopen failed (and said why); try again rather than assume.
        handle = self._handle if self._handle is not None else self._reopen()
        try:
            if self._position != start:
                handle = self._seek(handle, start)
            got = int(handle.read(dtype=buf.dtype.name, out=buf).shape[0])
        except (sf.LibsndfileError, RuntimeError):
            # A truncated FLAC "loses sync", a seek past a truncated MP3's real end fails:
            # either way the readable part of the file ends in this block.
            return self._salvage(start, frames)
        self._position = start + got
        return got

    def _seek(self, handle: sf.SoundFile, frame: int) -> sf.SoundFile:
        """Put the next read at ``frame``; returns the handle to read from.

        An encoding that cannot seek (GSM 6.10, G.721, NMS ADPCM) is read forwards to
        ``frame``, from a fresh handle if ``frame`` lies behind: about 15 M frames a
        second on the 2-core machine, so 0.3 s for the far end of a 10-minute file.
        The loader reads such a file front to back once, and a reader keeps decoded
        chunks around, so that cost comes with deep zooms far apart, not every frame.
        """
        if self.info.seekable:
            handle.seek(frame)
            self._position = frame
            return handle
        if not 0 <= self._position <= frame:
            handle = self._reopen()
        scratch = self._raw
        while self._position < frame:
            want = min(frame - self._position, scratch.shape[0])
            n = int(handle.read(dtype=scratch.dtype.name, out=scratch[:want]).shape[0])
            self._position += n
            if n < want:
                break  # the file ends before ``frame``: the next read gets nothing
        return handle

    def _salvage(self, start: int, frames: int) -> int:
        """Read what decodes of ``frames`` from ``start`` after libsndfile failed them.

        A failed read hands back none of its frames, even those before the damage, and
        a failed seek (a cut-short FLAC's, to beyond the cut) leaves the handle failing
        every later call. So read again on a fresh handle, on from the last good frame
        in steps that halve after each failure, down to single frames, and leave a
        fresh handle for the next read. Runs only after an error, and costs ~0.3 s for
        a loader block: about 20 halvings (a reopen, a seek, a read each), and
        soundfile seeks after every read, which takes ~40 ms within a frame of the cut.
        """
        buf = self._raw[:frames]
        got = 0
        step = frames // 2
        while step:
            handle = self._reopen()
            try:
                handle = self._seek(handle, start + got)
            except (sf.LibsndfileError, RuntimeError):
                break  # nothing from here on can be reached
            try:
                while got < frames:
                    want = min(step, frames - got)
                    n = int(handle.read(dtype=buf.dtype.name, out=buf[got : got + want]).shape[0])
                    got += n
                    if n < want:
                        break  # the end, without an error: the handle is fine
                self._position = start + got
                return got
            except (sf.LibsndfileError, RuntimeError):
                step //= 2
        self._reopen()
        return got


# Decoded neighbourhood for compressed files: chunks of this many frames, aligned, kept
# in a small LRU so that dragging or zooming around one spot re-decodes nothing.
_READER_CHUNK_FRAMES = 1 << 16
_READER_CACHE_CHUNKS = 32  # 32 × 64 Ki frames × 4 B = 8 MiB at most
_READER_CACHE_FRAMES = _READER_CACHE_CHUNKS * _READER_CHUNK_FRAMES
_READER_BLOCK_FRAMES = 1 << 16
# The longest background work waits for holds (see hold_background) before each job.
_MAX_HOLD_SECS = 0.05
# An MP3 warm-up seeks to the end in steps of this many frames (~6 minutes at 48 kHz,
# ~7 ms of scanning). The scan is incremental, so the steps cost what one seek does,
# and a close() (on the GUI thread, when another file replaces this one), a read or a
# view's hold waits for one step instead of the whole scan (~75 ms per hour of audio).
_WARM_UP_STEP_FRAMES = 1 << 24


class SampleReader:
    """Reads the float32 mono mix of any frame range, for deep zoom and for playback.

    Owns its own file handle, so it can be used beside a running load. Calls are
    serialised by a lock, so one reader may be shared by a view and a player thread.
    For compressed files it keeps the decoded neighbourhood of recent reads (at most
    8 MiB), so repeated reads near one spot, and sequential playback reads, decode
    each part of the file once and never seek backwards needlessly; :meth:`prefetch`
    fills that neighbourhood ahead of time on a background thread.

    Use as a context manager or call :meth:`close` (which also ends the background thread).
    """

    def __init__(self, path: str | os.PathLike[str], *, info: AudioInfo | None = None):
        self.info: AudioInfo = info if info is not None else probe(path)
        #: How reads bypass libsndfile (uncompressed WAV/AIFF), or None.
        self.layout = None if self.info.is_compressed else direct_layout(self.info)
        self._decoder = FrameDecoder(
            self.info, block_frames=_READER_BLOCK_FRAMES, layout=self.layout
        )
        self._lock = threading.Lock()
        self._chunks: OrderedDict[int, np.ndarray[Any, Any]] = OrderedDict()
        # Where the audio ends: the header's length until a read comes up short (a cut-short
        # FLAC or MP3), then that read's end, so no later read or prefetch tries past it.
        self._readable_end = self.info.frames
        self._closed = False
        # Work for the background thread (a warm-up, then chunks to decode in file order)
        # and the thread itself, guarded by their own lock so asking never waits for a
        # decode in progress.
        self._wanted_lock = threading.Lock()
        self._warm_up_pending = False
        self._wanted: list[int] = []
        self._background: threading.Thread | None = None  # set while one is running
        self._background_threads: list[threading.Thread] = []
        self._quiet_until = 0.0  # time.monotonic() before which background work waits

    def __enter__(self) -> SampleReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """End the background thread, release the file handle and the decoded cache.

        Safe to call twice. Waits for at most one chunk's decode (or a warm-up), or what
        is left of a hold (see :meth:`hold_background`).
        """
        with self._wanted_lock:
            self._closed = True
            self._wanted.clear()
            self._warm_up_pending = False
            threads, self._background_threads = self._background_threads, []
        for thread in threads:  # each ends after its current job once it sees _closed
            thread.join()
        with self._lock:
            self._chunks.clear()
            self._decoder.close()

    def check_unchanged(self) -> None:
        """Raise :class:`AudioFileChangedError` if the file changed on disk since it was probed."""
        self._decoder.check_unchanged()

    def prefetch(self, start_frame: int, stop_frame: int) -> None:
        """Start decoding ``[start_frame, stop_frame)`` into the neighbourhood cache.

        Returns at once, without waiting for a read in progress: the background thread
        decodes the missing chunks in file order (one seek, then reading forwards;
        FLAC and MP3 seeks cost milliseconds each), taking the read lock one chunk at a
        time, so a read waits for at most one chunk. A later call replaces what is
        still wanted. At most half the cache is asked for, the chunks nearest the
        middle of the range, so a prefetch never evicts all of what was read last.
        Only compressed files have a cache; for others this does nothing.
        """
        if not self.info.is_compressed:
            return
        size = _READER_CHUNK_FRAMES
        start = max(0, int(start_frame))
        stop = min(self._readable_end, int(stop_frame))
        if stop <= start:
            return
        centre = (start + stop) // 2 // size
        indices = range(start // size, (stop - 1) // size + 1)
        nearest = sorted(indices, key=lambda i: abs(i - centre))[: _READER_CACHE_CHUNKS // 2]
        # Read without the read lock (a dict lookup is atomic): a view asks on every
        # frame, mostly for chunks already decoded, and must neither wait nor start a
        # thread for nothing. The background thread checks again under the lock.
        missing = [i for i in sorted(nearest) if i not in self._chunks]
        with self._wanted_lock:
            self._wanted = missing
            if missing:
                self._start_background()

    def warm_up(self, *, background: bool = False) -> None:
        """Pay ahead, off the GUI thread, for what the first far seek would cost later.

        libsndfile's MP3 decoder indexes frame headers up to a seek target the first
        time (~75 ms per hour of audio); a seek to the end builds the whole index. Other
        formats seek without such a scan, so for them this does nothing: it would buy
        nothing, and for a cut-short FLAC the seek to the end its header claims fails.
        ``background=True`` returns at once and does it on the background thread, before
        any prefetch, in steps of a few milliseconds: a read, a hold or :meth:`close`
        meanwhile waits for one step.
        """
        if self.info.format not in _SCANNED_FORMATS:
            return
        if background:
            with self._wanted_lock:
                self._warm_up_pending = True
                self._start_background()
            return
        for target in self._warm_up_targets():
            if not self._warm_up_step(target):
                return

    def _warm_up_targets(self) -> list[int]:
        last = max(0, self._readable_end - 1)
        return [*range(_WARM_UP_STEP_FRAMES - 1, last, _WARM_UP_STEP_FRAMES), last]

    def _warm_up_step(self, target: int) -> bool:
        """Seek (by reading one frame) to ``target``; False if the reader is closed."""
        with self._lock:
            if self._closed:
                return False
            self._decoder.read_sum(target, 1)
            return True

    def hold_background(self, seconds: float) -> None:
        """Keep background work (prefetch, warm-up) waiting for the next ``seconds``.

        For a view about to compute and paint a frame. Python threads share one GIL,
        and a background decode takes it back several times per chunk; each time, the
        GUI thread waits. Measured on a 2-core machine, that made a 2.7 ms zoom frame
        take 7.7 ms. With the background paused for the frame, it decodes between
        frames instead. Work already started (one chunk, about a millisecond) runs to
        its end, and each job waits at most 50 ms however often holds come, so a view
        that never stops redrawing slows prefetch down but does not stop it.
        """
        until = time.monotonic() + max(0.0, seconds)
        # No lock: a float store is atomic, and a lost race only shortens one pause.
        self._quiet_until = max(self._quiet_until, until)

    def wait_background(self, timeout: float | None = None) -> bool:
        """Wait until the background thread is idle; False if ``timeout`` passed first."""
        with self._wanted_lock:
            threads = list(self._background_threads)
        for thread in threads:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in threads)

    def _start_background(self) -> None:
        """Make sure a background thread will see the work just queued (hold _wanted_lock)."""
        if self._closed or self._background is not None:
            return  # closed, or the running thread picks the new work up
        self._background_threads = [t for t in self._background_threads if t.is_alive()]
        # Not a daemon, even when started from one (a loader's thread, say): interpreter
        # exit waits for the job in hand (a chunk, a warm-up) instead of tearing
        # libsndfile down under a decode, which crashed the process.
        thread = threading.Thread(target=self._background_loop, name="pvc-reader", daemon=False)
        self._background = thread
        self._background_threads.append(thread)
        thread.start()

    def _background_loop(self) -> None:
        while True:
            self._wait_for_quiet()
            with self._wanted_lock:
                if self._closed or not (self._warm_up_pending or self._wanted):
                    self._background = None
                    return
                warm_up, self._warm_up_pending = self._warm_up_pending, False
                index = None if warm_up else self._wanted.pop(0)
            try:
                self._background_job(index)
            except AudioLoadError as err:
                # The file changed on disk or cannot be opened any more: background work
                # ends here, and the next read raises the same error to its caller.
                log.info("background reads of %s stopped: %s", self.info.path, err)
                with self._wanted_lock:
                    self._wanted.clear()
                    self._background = None
                return

    def _background_job(self, index: int | None) -> None:
        """A warm-up (``index`` None) or the decode of chunk ``index``."""
        if index is None:
            for target in self._warm_up_targets():  # waiting for holds between steps
                self._wait_for_quiet()
                if not self._warm_up_step(target):
                    return
            return
        with self._lock:
            wanted = index * _READER_CHUNK_FRAMES < self._readable_end
            if wanted and not self._closed and index not in self._chunks:
                self._chunk(index)

    def _wait_for_quiet(self) -> None:
        """Sleep while held (see hold_background), at most ``_MAX_HOLD_SECS`` in all."""
        give_up = time.monotonic() + _MAX_HOLD_SECS
        while not self._closed:
            now = time.monotonic()
            delay = min(self._quiet_until, give_up) - now
            if delay <= 0:
                return
            time.sleep(delay)

    def read_mono(self, start_frame: int, stop_frame: int) -> np.ndarray[Any, Any]:
        """Return the mono mix of frames ``[start_frame, stop_frame)`` as float32.

        The range is clipped to the file (so the result may be shorter, or empty);
        NaN/Inf are sanitised and samples clipped to [-1, 1] (see the module doc).
        A truncated file yields only the samples that can be decoded.
        """
        start = max(0, int(start_frame))
        stop = min(self._readable_end, int(stop_frame))
        if stop <= start:
            return np.zeros(0, dtype=np.float32)
        with self._lock:
            if self._closed:
                raise ValueError("read from a closed SampleReader")
            # Before the cache too: once the file changed, every read says so, rather
            # than some returning the old samples and others failing.
            self._decoder.check_unchanged()
            # A read larger than half the cache would only churn it: decode it straight.
            if self.info.is_compressed and stop - start <= _READER_CACHE_FRAMES // 2:
                return self._read_cached(start, stop)
            return self._read_direct(start, stop)

    def _read_direct(self, start: int, stop: int) -> np.ndarray[Any, Any]:
        stop = min(stop, self._readable_end)
        out = np.empty(max(0, stop - start), dtype=np.float32)
        pos = start
        while pos < stop:
            wanted = min(stop - pos, _READER_BLOCK_FRAMES)
            block = self._decoder.read_mono(pos, wanted)
            out[pos - start : pos - start + block.size] = block
            pos += block.size
            if block.size < wanted:  # the readable part of a cut-short file ends here
                self._readable_end = min(self._readable_end, pos)
                break
        return out[: pos - start]

    def _chunk(self, index: int) -> np.ndarray[Any, Any]:
        """Chunk ``index`` from the cache, decoding it if needed (call with the lock)."""
        chunk = self._chunks.get(index)
        if chunk is not None:
            self._chunks.move_to_end(index)
            return chunk
        size = _READER_CHUNK_FRAMES
        chunk = self._read_direct(index * size, min(self.info.frames, (index + 1) * size))
        self._chunks[index] = chunk
        while len(self._chunks) > _READER_CACHE_CHUNKS:
            self._chunks.popitem(last=False)
        return chunk

    def _read_cached(self, start: int, stop: int) -> np.ndarray[Any, Any]:
        size = _READER_CHUNK_FRAMES
        parts = []
        for index in range(start // size, (stop - 1) // size + 1):
            chunk = self._chunk(index)
            lo = max(start - index * size, 0)
            hi = min(stop - index * size, chunk.size)
            parts.append(chunk[lo:hi])
            if chunk.size < size and index * size + chunk.size < self.info.frames:
                break  # the readable part of a truncated file ends in this chunk
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
