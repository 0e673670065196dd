"""On-disk peak cache, so reopening a file shows its waveform at once.

One cache file per audio path (named by a hash of the resolved path), holding:

    8 bytes   magic ``PVCPEAKS``
    4 bytes   header length, little-endian uint32
    header    UTF-8 JSON: format version, the key (resolved path, size, mtime_ns and a
              fingerprint of the content), the AudioInfo fields, bucket sizes, level
              lengths, CRC-32 of the payload and (since 2026-12) its sum as 64-bit
              words; padded with spaces so the payload starts on an 8-byte boundary
    payload   per level: minima then maxima, little-endian float32

A hit needs the key to match the file as it is now, so a file replaced or edited
(new size or mtime) is never served stale; its entry is overwritten by the next load.
Size and mtime alone missed a rewrite of the same size within the file system's time
resolution (a second on HFS+, two on FAT; an mtime restored by a copy tool), so the key
also holds a fingerprint: a hash of the first and last 64 KiB and of 16 pieces of 4 KiB
spread between, about 200 KiB read (a millisecond or two, from the page cache).

A hit is memory-mapped, not read: the levels are the page cache's own pages, and the
view touches only those it draws. Reading a 3-hour file's 22 MB entry into memory and
taking its CRC-32 cost 15-60 ms of a switch between samples; mapping it and summing it
as 64-bit words (which a flipped bit, a zeroed page or a shifted block changes) costs
about 1.5 ms. Entries written before the sum was stored are checked with their CRC.
Anything unexpected (foreign or truncated file, bad JSON, wrong lengths, a sum or CRC
mismatch, other version) is treated as a miss and rebuilt. Writes go to a temporary
file in the same folder and are renamed over the old entry, so a reader never sees half
a file; there is no fsync (it cost up to 0.1 s of a load, before the overview is
whole): after a crash a damaged entry fails its check and is rebuilt. Raw arrays rather
than ``np.savez``: no zip layer, no pickle, one mapping, one check.

On Windows a mapped entry cannot be replaced or deleted while a document shows it: its
rewrite (the file changed) or pruning waits for a later load, as any failed write does.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import struct
import tempfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from pvc_sample_editor.audio.peaks import BUCKET_SIZES, PeakPyramid
from pvc_sample_editor.audio.source import AudioInfo

__all__ = [
    "CACHE_VERSION",
    "StatKey",
    "cache_path",
    "default_cache_dir",
    "prune",
    "read_cache",
    "stat_key",
    "write_cache",
]

log = logging.getLogger(__name__)

CACHE_VERSION = 2
# Version 1 entries have the same layout and still serve, except those of cut-short
# files: that version's loader dropped up to one block (~22 s) of the audio before the
# damage, so they are rebuilt.
_SAME_LAYOUT_VERSION = 1
_MAGIC = b"PVCPEAKS"
_SUFFIX = ".peaks"
_MAX_HEADER_BYTES = 1 << 16
DEFAULT_MAX_BYTES = 512 * 1024 * 1024  # ~70 hours of audio at 48 kHz

StatKey = tuple[str, int, int, str]  # resolved path, size, mtime_ns, content fingerprint

_FINGERPRINT_EDGE = 64 * 1024
_FINGERPRINT_PIECES = 16
_FINGERPRINT_PIECE = 4 * 1024


def default_cache_dir() -> Path:
    """``$PVC_SAMPLE_EDITOR_HOME/cache/peaks`` if set, else the user cache folder."""
    home = os.environ.get("PVC_SAMPLE_EDITOR_HOME")
    if home:
        return Path(home) / "cache" / "peaks"
    import platformdirs  # imported here: only needed outside tests and dev setups

    return Path(platformdirs.user_cache_dir("pvc-sample-editor")) / "peaks"


def stat_key(path: str | os.PathLike[str]) -> StatKey | None:
    """The cache key of the file as it is now, or None if it cannot be stat'ed or read."""
    try:
        resolved = Path(path).resolve()
        with open(resolved, "rb") as f:
            st = os.fstat(f.fileno())
            fingerprint = _fingerprint(f, st.st_size)
    except OSError:
        return None
    return (str(resolved), st.st_size, st.st_mtime_ns, fingerprint)


def _fingerprint(f: io.BufferedReader, size: int) -> str:
    """A hash of the start, the end and pieces spread between (all of a small file)."""
    digest = hashlib.blake2b(digest_size=16)
    edge = _FINGERPRINT_EDGE
    if size <= 2 * edge + _FINGERPRINT_PIECES * _FINGERPRINT_PIECE:
        digest.update(f.read())
        return digest.hexdigest()
    offsets = [0] + [
        edge + (size - 2 * edge) * (i + 1) // (_FINGERPRINT_PIECES + 1)
        for i in range(_FINGERPRINT_PIECES)
    ]
    for offset in offsets:
        f.seek(offset)
        digest.update(f.read(edge if offset == 0 else _FINGERPRINT_PIECE))
    f.seek(size - edge)
    digest.update(f.read(edge))
    return digest.hexdigest()


def cache_path(resolved_path: str, cache_dir: Path) -> Path:
    """Where the entry for ``resolved_path`` lives in ``cache_dir``."""
    digest = hashlib.sha256(resolved_path.encode("utf-8", "surrogatepass")).hexdigest()
    return cache_dir / f"{digest[:32]}{_SUFFIX}"


def read_cache(path: str | os.PathLike[str], key: StatKey, cache_dir: Path) -> PeakPyramid | None:
    """Return the cached pyramid for the file at ``path``, whose :func:`stat_key` is ``key``."""
    entry = cache_path(key[0], cache_dir)
    try:
        with open(entry, "rb") as f:
            pyramid = _read_entry(f, key, Path(os.path.abspath(path)))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError) as err:
        log.info("ignoring peak cache entry %s: %s", entry, err)
        return None
    if pyramid is None:
        return None
    with contextlib.suppress(OSError):
        os.utime(entry)  # recently used: prune() removes the oldest entries first
    return pyramid


def write_cache(
    pyramid: PeakPyramid, key: StatKey, cache_dir: Path, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Path | None:
    """Store a complete pyramid under ``key``; return the entry, or None on failure.

    Failure (read-only or full disk) is logged, never raised: the cache only saves time.
    """
    if not pyramid.complete:
        raise ValueError("only a complete pyramid can be cached")
    entry = cache_path(key[0], cache_dir)
    tmp_name = None
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        # One buffer: levels of odd lengths share the 64-bit words the sum is taken in.
        whole = np.concatenate(
            [a for pair in zip(pyramid.mins, pyramid.maxs, strict=True) for a in pair]
        ).astype("<f4", copy=False)
        crc, total = zlib.crc32(whole.data), _sum64(whole)
        info = pyramid.info
        header = json.dumps(
            {
                "version": CACHE_VERSION,
                "key": list(key),
                "frames": info.frames,
                "samplerate": info.samplerate,
                "channels": info.channels,
                "format": info.format,
                "subtype": info.subtype,
                "truncated": pyramid.truncated,
                "bucket_sizes": list(pyramid.bucket_sizes),
                "lengths": [a.size for a in pyramid.mins],
                "crc32": crc,
                "sum64": total,
            }
        ).encode()
        # Spaces (JSON's own) so the payload starts on a word: mapped, it is summed as is.
        header += b" " * (-(len(_MAGIC) + 4 + len(header)) % 8)
        fd, tmp_name = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-", suffix=_SUFFIX)
        with os.fdopen(fd, "wb") as f:
            f.write(_MAGIC + struct.pack("<I", len(header)) + header)
            f.write(whole.data)
        os.replace(tmp_name, entry)
        tmp_name = None
    except OSError as err:
        log.warning("could not write peak cache entry %s: %s", entry, err)
        return None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    prune(cache_dir, max_bytes, keep=entry)
    return entry


def prune(cache_dir: Path, max_bytes: int, *, keep: Path | None = None) -> None:
    """Delete the least recently used entries until the folder holds ≤ ``max_bytes``."""
    try:
        entries = [(p.stat(), p) for p in cache_dir.glob(f"*{_SUFFIX}") if p != keep]
        total = sum(st.st_size for st, _ in entries)
        if keep is not None:
            total += keep.stat().st_size
    except OSError:
        return
    for st, p in sorted(entries, key=lambda item: item[0].st_mtime_ns):
        if total <= max_bytes:
            break
        try:
            p.unlink()
            total -= st.st_size
        except OSError:
            pass


def _sum64(values: np.ndarray[Any, Any]) -> int:
    """The sum of ``values``' bytes read as little-endian 64-bit words, modulo 2**64
    (numpy's unsigned sum wraps). ``values`` is contiguous and a whole number of words."""
    words = values.view("<u8") if values.ctypes.data % 8 == 0 else values.copy().view("<u8")
    return int(words.sum(dtype=np.uint64))


def _read_entry(f: io.BufferedReader, key: StatKey, path: Path) -> PeakPyramid | None:
    """Parse an entry; None for a stale or other-version one, ValueError if damaged."""
    start = f.read(len(_MAGIC) + 4)
    if len(start) < len(_MAGIC) + 4 or not start.startswith(_MAGIC):
        raise ValueError("not a peak cache file")
    (header_len,) = struct.unpack_from("<I", start, len(_MAGIC))
    if header_len > _MAX_HEADER_BYTES:
        raise ValueError("header too long")
    raw_header = f.read(header_len)
    if len(raw_header) != header_len:
        raise ValueError("header truncated")
    header: dict[str, Any] = json.loads(raw_header.decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError("header is not an object")
    version, truncated = header.get("version"), bool(header.get("truncated", False))
    if version != CACHE_VERSION and (version != _SAME_LAYOUT_VERSION or truncated):
        return None
    if tuple(header.get("key", ())) != key:
        return None
    info = AudioInfo(
        path=path,
        frames=int(header["frames"]),
        samplerate=int(header["samplerate"]),
        channels=int(header["channels"]),
        format=str(header["format"]),
        subtype=str(header["subtype"]),
    )
    sizes = [int(b) for b in header["bucket_sizes"]]
    if tuple(sizes) != BUCKET_SIZES:
        return None  # written by a build with other levels: rebuild
    lengths = [int(n) for n in header["lengths"]]
    if info.frames <= 0 or info.samplerate <= 0 or info.channels <= 0:
        raise ValueError("bad audio info")
    if len(sizes) != len(lengths) or any(
        n != -(-info.frames // b) for n, b in zip(lengths, sizes, strict=True)
    ):
        raise ValueError("level lengths do not match the frame count")
    payload_bytes = 2 * 4 * sum(lengths)
    payload_at = len(start) + header_len
    if os.fstat(f.fileno()).st_size != payload_at + payload_bytes:
        raise ValueError("payload has the wrong size")  # checked before mapping it
    # Mapped read-only: nothing is copied, and the pages are the page cache's.
    payload = np.memmap(f, dtype="<f4", mode="r", offset=payload_at, shape=payload_bytes // 4)
    if "sum64" in header:
        if _sum64(payload) != int(header["sum64"]):
            raise ValueError("sum mismatch")
    elif zlib.crc32(payload.data) != header["crc32"]:  # an entry from before the sum
        raise ValueError("checksum mismatch")
    values = payload.astype(np.float32, copy=False)  # a no-op on little-endian machines
    arrays = []
    offset = 0
    for n in lengths:
        arrays.append(values[offset : offset + n])
        arrays.append(values[offset + n : offset + 2 * n])
        offset += 2 * n
    pyramid = PeakPyramid.from_arrays(info, sizes, arrays[0::2], arrays[1::2])
    pyramid.truncated = truncated
    pyramid.from_cache = True
    return pyramid
