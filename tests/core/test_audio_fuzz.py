"""Generated WAV and AIFF headers: every file ends in audio or a clear AudioLoadError.

Each header field is either the value a sound file would have or an arbitrary one
(channel counts, rates, bit depths, format tags, chunk sizes past the end, odd chunks
before the data), followed by some data and sometimes cut anywhere. The whole path the
editor takes runs on each: probe, a SampleReader's reads, and the peak load on two
workers. It must finish within a time bound with a result or an AudioLoadError
carrying a sentence, never another exception (an assertion, an OverflowError, a
MemoryError, a numpy error) and never a hang.

Deterministic (derandomized, no example database) and bounded: 440 files in about two
seconds on the 2-core machine. Run with more examples and a random seed, it found the
overflow warning pinned in test_audio_odd_files.py.
"""

from __future__ import annotations

import math
import struct
import tempfile
import time
from pathlib import Path
from typing import TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from pvc_sample_editor.audio import AudioLoadError, SampleReader, load_pyramid

T = TypeVar("T")

# Wall-clock bound for one file through the whole path (a real 1 s clip takes ~20 ms).
PER_FILE_SECS = 5.0
FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None)


def _mostly(right: T, wrong: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """The value a real file would hold seven times in eight, else an arbitrary one.

    With a dozen fields, mostly right values keep most files nearly valid, so the
    reads and the load run, not only the header checks.
    """
    return st.integers(0, 7).flatmap(lambda k: st.just(right) if k else wrong)


U16 = st.integers(0, 0xFFFF)
U32 = st.integers(0, 0xFFFF_FFFF)
CHANNELS = st.one_of(st.integers(0, 9), st.sampled_from([255, 256, 1024, 1025, 0xFFFF]))
RATES = st.one_of(
    st.sampled_from([1, 7, 8000, 44_100, 48_000, 96_000, 384_000]), st.integers(0, 2**32 - 1)
)
BITS = st.sampled_from([0, 1, 4, 8, 12, 16, 20, 24, 32, 48, 64, 0xFFFF])
# (format tag, bits per sample) of the WAV encodings libsndfile reads.
WAVE_ENCODINGS = [(1, 8), (1, 16), (1, 24), (1, 32), (3, 32), (3, 64), (6, 8), (7, 8)]
AIFF_ENCODINGS = [(b"NONE", 8), (b"NONE", 16), (b"NONE", 24), (b"sowt", 16), (b"fl32", 32)]
OTHER_CHUNKS = [b"LIST", b"fact", b"JUNK", b"cue ", b"\0\0\0\0"]


def _chunk(cid: bytes, payload: bytes, size: int | None, *, big_endian: bool = False) -> bytes:
    fmt = ">4sI" if big_endian else "<4sI"
    declared = len(payload) if size is None else size
    return struct.pack(fmt, cid, declared) + payload + (b"\0" if len(payload) & 1 else b"")


def _samples(draw: st.DrawFn, frame_bytes: int) -> bytes:
    """Some whole frames of noise (0 to ~8 KB), sometimes with a stray byte or two."""
    frames = draw(st.integers(0, 8192 // max(1, frame_bytes)))
    data = draw(st.binary(min_size=frames * frame_bytes, max_size=frames * frame_bytes))
    return data + draw(_mostly(b"", st.binary(max_size=3)))


@st.composite
def wav_files(draw: st.DrawFn) -> bytes:
    """A RIFF/WAVE file: fmt (maybe extensible), maybe other chunks, data, maybe cut."""
    right_tag, right_bits = draw(st.sampled_from(WAVE_ENCODINGS))
    channels = draw(_mostly(draw(st.integers(1, 3)), CHANNELS))
    rate = draw(_mostly(draw(st.sampled_from([8000, 16_000, 44_100, 48_000])), RATES))
    bits = draw(_mostly(right_bits, BITS))
    tag = draw(_mostly(right_tag, st.one_of(st.just(0xFFFE), st.just(0x0031), U16)))
    align = draw(_mostly(max(1, channels * bits // 8) & 0xFFFF, U16))
    byte_rate = draw(_mostly(rate * align & 0xFFFF_FFFF, U32))
    fmt = struct.pack("<HHIIHH", tag, channels & 0xFFFF, rate, byte_rate, align, bits)
    if tag == 0xFFFE:
        sub = draw(st.sampled_from([right_tag, 0xBEEF]))
        fmt += struct.pack("<HHI", 22, bits, draw(U32)) + struct.pack("<H", sub) + bytes(14)
    data = _samples(draw, align)
    chunks = [_chunk(b"fmt ", fmt, draw(_mostly(None, U32)))]
    for _ in range(draw(st.integers(0, 2))):
        cid = draw(st.sampled_from(OTHER_CHUNKS))
        payload = draw(st.binary(max_size=64))
        chunks.insert(draw(st.integers(0, len(chunks))), _chunk(cid, payload, None))
    size = draw(_mostly(None, st.one_of(st.sampled_from([0, 0xFFFF_FFFF]), U32)))
    chunks.append(_chunk(b"data", data, size))
    body = b"WAVE" + b"".join(chunks)
    riff = draw(_mostly(b"RIFF", st.just(b"RF64")))
    whole = riff + struct.pack("<I", draw(_mostly(len(body), U32))) + body
    return _maybe_cut(draw, whole)


def _extended(rate: float) -> bytes:
    """An IEEE 754 80-bit extended float, as AIFF stores its sample rate."""
    if rate <= 0 or not math.isfinite(rate):
        return bytes(10)
    mantissa, exponent = math.frexp(rate)
    return struct.pack(">HQ", exponent + 16382, int(mantissa * 2**64) & 0xFFFF_FFFF_FFFF_FFFF)


@st.composite
def aiff_files(draw: st.DrawFn) -> bytes:
    """A FORM/AIFF or AIFC file: COMM (maybe with a compression type), SSND, maybe cut."""
    aifc = draw(st.booleans())
    right_type, right_bits = draw(st.sampled_from(AIFF_ENCODINGS if aifc else AIFF_ENCODINGS[:3]))
    channels = draw(_mostly(draw(st.integers(1, 3)), CHANNELS))
    bits = draw(_mostly(right_bits, BITS))
    data = _samples(draw, max(1, channels * bits // 8))
    frames = draw(_mostly(len(data) // max(1, channels * bits // 8), U32))
    right_rate = _extended(float(draw(st.sampled_from([8000, 44_100, 48_000]))))
    wrong_rate = st.one_of(RATES.map(float).map(_extended), st.binary(min_size=10, max_size=10))
    comm = struct.pack(">HIH", channels & 0xFFFF, frames, bits & 0xFFFF)
    comm += draw(_mostly(right_rate, wrong_rate))
    if aifc:
        wrong_type = st.sampled_from([b"ulaw", b"GSM ", b"XXXX", b"fl64"])
        comm += draw(_mostly(right_type, wrong_type))
        comm += b"\x00\x00"  # an empty Pascal string: the compression's name
    ssnd = struct.pack(">II", draw(_mostly(0, U32)), draw(_mostly(0, U32))) + data
    chunks = [
        _chunk(b"COMM", comm, draw(_mostly(None, U32)), big_endian=True),
        _chunk(b"SSND", ssnd, draw(_mostly(None, U32)), big_endian=True),
    ]
    if draw(st.integers(0, 3)) == 0:
        chunks.reverse()  # SSND before COMM is allowed by the spec
    if aifc:
        chunks.insert(0, _chunk(b"FVER", struct.pack(">I", 0xA2805140), None, big_endian=True))
    body = (b"AIFC" if aifc else b"AIFF") + b"".join(chunks)
    whole = b"FORM" + struct.pack(">I", draw(_mostly(len(body), U32))) + body
    return _maybe_cut(draw, whole)


def _maybe_cut(draw: st.DrawFn, whole: bytes) -> bytes:
    if draw(st.integers(0, 5)) == 0:
        return whole[: draw(st.integers(0, len(whole)))]
    return whole


def _open_everything(path: Path) -> str:
    """Run the editor's whole path on ``path``: "ok", or the AudioLoadError's message."""
    try:
        with SampleReader(path) as reader:
            frames = reader.info.frames
            reader.read_mono(0, 4096)
            reader.read_mono(max(0, frames - 4096), frames)
            reader.read_mono(frames // 2, frames // 2 + 100)
            pyramid = load_pyramid(path, workers=2, use_cache=False, reader=reader)
            assert pyramid.complete
            assert 0 < pyramid.info.frames <= frames
        return "ok"
    except AudioLoadError as err:
        return str(err)


def _check(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzzed{suffix}"
        path.write_bytes(data)
        started = time.monotonic()
        outcome = _open_everything(path)
        elapsed = time.monotonic() - started
    assert elapsed < PER_FILE_SECS, f"{elapsed:.1f} s for one {len(data)}-byte file"
    if outcome != "ok":
        # A sentence that names the file and ends like one, not an exception's repr.
        assert "“fuzzed" in outcome, outcome
        assert outcome.rstrip().endswith((".", ")")), outcome


@FUZZ
@given(data=wav_files())
def test_generated_wav_files_load_or_fail_cleanly(data: bytes) -> None:
    _check(data, ".wav")


@FUZZ
@given(data=aiff_files())
def test_generated_aiff_files_load_or_fail_cleanly(data: bytes) -> None:
    _check(data, ".aiff")


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(
    magic=st.sampled_from([b"RIFF", b"RF64", b"FORM", b"fLaC", b"OggS", b"ID3\x03", b""]),
    rest=st.binary(max_size=2048),
)
def test_a_known_signature_then_noise_fails_cleanly(magic: bytes, rest: bytes) -> None:
    _check(magic + rest, ".bin")
