"""Find where the sample data of an uncompressed WAV/AIFF file lies, to read it directly.

libsndfile reads PCM well but copies every block twice and converts it; for a WAV the
loader only needs the bytes, so it reads them with plain block reads into a reused
buffer (not a memmap: mapped pages of a file count towards the process's resident
memory, and a 3-hour WAV is 1 GB). This module parses just enough of RIFF, RF64 and
AIFF/AIFF-C headers to find the data chunk, and :func:`find_pcm_layout` answers
``None`` whenever anything is unusual, so the caller falls back to libsndfile.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

__all__ = ["PcmLayout", "find_pcm_layout"]

_HEADER_SCAN_LIMIT = 1 << 20  # chunks before the data chunk rarely exceed a few KB
_WAVE_FORMAT_PCM = 0x0001
_WAVE_FORMAT_IEEE_FLOAT = 0x0003
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE


@dataclass(frozen=True)
class PcmLayout:
    """Interleaved samples of ``dtype`` at byte ``offset``, ``frames`` × ``channels``."""

    offset: int
    frames: int
    channels: int
    dtype: np.dtype[np.int16] | np.dtype[np.float32]

    @property
    def frame_bytes(self) -> int:
        """Bytes per frame (all channels)."""
        return self.channels * self.dtype.itemsize


def find_pcm_layout(path: Path, *, frames: int, channels: int, subtype: str) -> PcmLayout | None:
    """Return the direct-read layout of a 16-bit or 32-bit-float WAV/RF64/AIFF file.

    ``frames``, ``channels`` and ``subtype`` are what libsndfile reported; a header that
    disagrees with them, or any other layout (24-bit, 8-bit, compressed AIFF-C, odd
    chunk sizes), gives ``None``.
    """
    if subtype not in ("PCM_16", "FLOAT"):
        return None
    try:
        with open(path, "rb") as f:
            file_size = f.seek(0, 2)
            f.seek(0)
            head = f.read(12)
            if len(head) < 12:
                return None
            if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
                found = _parse_riff(f, rf64=head[:4] == b"RF64")
            elif head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
                found = _parse_aiff(f, aifc=head[8:12] == b"AIFC")
            else:
                return None
    except (OSError, struct.error):
        return None
    if found is None:
        return None
    offset, data_bytes, n_channels, dtype = found
    if n_channels != channels or dtype.itemsize * 8 != (16 if subtype == "PCM_16" else 32):
        return None
    if (dtype.kind == "f") != (subtype == "FLOAT"):
        return None
    frame_bytes = channels * dtype.itemsize
    available = min(data_bytes, max(0, file_size - offset)) // frame_bytes
    # libsndfile trims a data chunk that runs past the end of a truncated file the same
    # way; when the two disagree something unusual is going on, so leave it to libsndfile.
    if available != frames:
        return None
    return PcmLayout(offset=offset, frames=frames, channels=channels, dtype=dtype)


_Chunks = dict[bytes, tuple[int, int]]  # chunk id → (data offset, size)
_Found = tuple[int, int, int, "np.dtype[np.int16] | np.dtype[np.float32]"]


def _chunk_table(f: BinaryIO, *, big_endian: bool, required: tuple[bytes, ...]) -> _Chunks | None:
    """Map the chunks up to the data chunk; None if one of ``required`` is missing."""
    fmt = ">4sI" if big_endian else "<4sI"
    table: _Chunks = {}
    pos = 12  # after the RIFF/FORM header
    while pos < _HEADER_SCAN_LIMIT:
        f.seek(pos)
        raw = f.read(8)
        if len(raw) < 8:
            break
        cid, size = struct.unpack(fmt, raw)
        table[cid] = (pos + 8, size)
        if cid in (b"data", b"SSND"):
            break
        pos += 8 + size + (size & 1)  # chunks are padded to even sizes
    return table if all(cid in table for cid in required) else None


def _read_chunk(f: BinaryIO, table: _Chunks, cid: bytes, limit: int) -> bytes:
    offset, size = table[cid]
    f.seek(offset)
    return f.read(min(size, limit))


def _parse_riff(f: BinaryIO, *, rf64: bool) -> _Found | None:
    table = _chunk_table(f, big_endian=False, required=(b"fmt ", b"data"))
    if table is None:
        return None
    fmt_raw = _read_chunk(f, table, b"fmt ", 40)
    if len(fmt_raw) < 16:
        return None
    tag, n_channels, _rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", fmt_raw[:16])
    if tag == _WAVE_FORMAT_EXTENSIBLE and len(fmt_raw) >= 26:
        tag = struct.unpack("<H", fmt_raw[24:26])[0]  # first two bytes of the sub-format GUID
    data_off, data_size = table[b"data"]
    if rf64:
        if b"ds64" not in table:
            return None
        _riff_size, data_size = struct.unpack("<QQ", _read_chunk(f, table, b"ds64", 16))
    dtype: np.dtype[np.int16] | np.dtype[np.float32]
    if tag == _WAVE_FORMAT_PCM and bits == 16:
        dtype = np.dtype("<i2")
    elif tag == _WAVE_FORMAT_IEEE_FLOAT and bits == 32:
        dtype = np.dtype("<f4")
    else:
        return None
    if block_align != n_channels * dtype.itemsize:
        return None
    return data_off, data_size, n_channels, dtype


def _parse_aiff(f: BinaryIO, *, aifc: bool) -> _Found | None:
    table = _chunk_table(f, big_endian=True, required=(b"COMM", b"SSND"))
    if table is None:
        return None
    comm = _read_chunk(f, table, b"COMM", 64)
    n_channels, _frames, bits = struct.unpack(">hIh", comm[:8])
    compression = comm[18:22] if aifc and len(comm) >= 22 else b"NONE"
    dtype: np.dtype[np.int16] | np.dtype[np.float32]
    if compression in (b"NONE", b"twos") and bits == 16:
        dtype = np.dtype(">i2")
    elif compression == b"sowt" and bits == 16:
        dtype = np.dtype("<i2")
    elif compression in (b"fl32", b"FL32") and bits == 32:
        dtype = np.dtype(">f4")
    else:
        return None
    ssnd_off, ssnd_size = table[b"SSND"]
    f.seek(ssnd_off)
    data_offset, _block_size = struct.unpack(">II", f.read(8))
    start = ssnd_off + 8 + data_offset
    return start, ssnd_size - 8 - data_offset, n_channels, dtype
