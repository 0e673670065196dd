"""Export of the kept region: the samples are the source's, bit for bit, and nothing is lost.

Sources are generated here with random samples (every frame unlike its neighbours, so
an off-by-one anywhere shows), read back with soundfile as integers (or float64 for
float files) and compared with the source's frames ``[ms_to_frame(start),
ms_to_frame(end))`` computed independently with numpy.
"""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from pvc_sample_editor.audio.errors import AudioLoadError
from pvc_sample_editor.audio.export import ExportCancelled, ExportError, export_region


def write_random(
    path: Path, seconds: float, rate: int, channels: int, subtype: str, fmt: str | None = None
) -> np.ndarray[Any, Any]:
    """A file of random samples; returns them as libsndfile reads them back (int32/float64)."""
    rng = np.random.default_rng(len(path.name))
    frames = round(seconds * rate)
    data = rng.uniform(-0.9, 0.9, (frames, channels))
    sf.write(path, data, rate, subtype=subtype, format=fmt)
    kind = "float64" if subtype in ("FLOAT", "DOUBLE") else "int32"
    return np.asarray(sf.read(path, dtype=kind, always_2d=True)[0])


def frames_of(ms: int, rate: int) -> int:
    """The first frame at or after ``ms``, computed apart from the code under test."""
    return int(np.ceil(ms * rate / 1000))


@pytest.mark.parametrize(
    ("source_name", "subtype", "rate", "channels", "dest_name"),
    [
        ("take16.wav", "PCM_16", 44_100, 2, "kept.wav"),
        ("take16.wav", "PCM_16", 44_100, 2, "kept.flac"),
        ("take24.wav", "PCM_24", 48_000, 1, "kept.flac"),
        ("take24.wav", "PCM_24", 48_000, 1, "kept.wav"),
        ("take.flac", "PCM_16", 22_050, 1, "kept.wav"),
        ("take24.flac", "PCM_24", 96_000, 2, "kept.flac"),
        ("takef.wav", "FLOAT", 44_100, 1, "kept.wav"),
    ],
)
def test_the_exported_samples_are_the_sources_in_the_kept_range(
    tmp_path: Path, source_name: str, subtype: str, rate: int, channels: int, dest_name: str
) -> None:
    source = tmp_path / source_name
    samples = write_random(source, 3.0, rate, channels, subtype)
    dest = tmp_path / dest_name
    result = export_region(source, 1234, 2567, dest, block_frames=4096)
    info = sf.info(dest)
    assert (info.samplerate, info.channels, info.subtype) == (rate, channels, subtype)
    assert info.format == ("FLAC" if dest_name.endswith(".flac") else "WAV")
    kind = "float64" if subtype == "FLOAT" else "int32"
    got = sf.read(dest, dtype=kind, always_2d=True)[0]
    expected = samples[frames_of(1234, rate) : frames_of(2567, rate)]
    assert got.shape == expected.shape
    assert np.array_equal(got, expected)
    assert result.frames == expected.shape[0]
    assert result.note == ""
    assert abs(result.duration_ms - (2567 - 1234)) <= 1


def test_it_refuses_to_write_over_its_source_by_any_name(tmp_path: Path) -> None:
    """The same path, a symlink to it, a path through "..": refused, the source intact."""
    source = tmp_path / "take.wav"
    write_random(source, 1.0, 16_000, 1, "PCM_16")
    before = source.read_bytes()
    link = tmp_path / "link.wav"
    link.symlink_to(source)
    for dest in (source, link, tmp_path / "sub" / ".." / "take.wav"):
        with pytest.raises(ExportError, match="never writes over its source"):
            export_region(source, 0, 500, dest)
    assert source.read_bytes() == before


def test_flac_cannot_hold_float_samples_and_says_to_use_wav(tmp_path: Path) -> None:
    source = tmp_path / "float.wav"
    write_random(source, 1.0, 16_000, 1, "FLOAT")
    with pytest.raises(ExportError, match=r"Export it as WAV \(a name ending in \.wav\)"):
        export_region(source, 0, 500, tmp_path / "out.flac")
    assert not (tmp_path / "out.flac").exists()


def test_a_lossy_source_is_written_as_16_bit_and_says_so(tmp_path: Path) -> None:
    """GSM 6.10 in WAV (lossy, and it cannot seek): its decoded samples, as 16-bit."""
    source = tmp_path / "gsm.wav"
    write_random(source, 2.0, 8000, 1, "GSM610")
    result = export_region(source, 500, 1500, tmp_path / "out.flac", block_frames=1000)
    assert result.subtype == "PCM_16"
    assert "16-bit" in result.note
    decoded = sf.read(source, dtype="int16")[0][frames_of(500, 8000) : frames_of(1500, 8000)]
    got = sf.read(tmp_path / "out.flac", dtype="int16")[0]
    assert got.shape == decoded.shape
    assert np.max(np.abs(got.astype(np.int32) - decoded)) <= 1


def test_a_cancelled_export_leaves_the_destination_as_it_was(tmp_path: Path) -> None:
    source = tmp_path / "take.wav"
    write_random(source, 2.0, 16_000, 1, "PCM_16")
    dest = tmp_path / "kept.wav"
    dest.write_bytes(b"an older export")
    polls = []

    def stop() -> bool:
        polls.append(1)
        return len(polls) > 3

    with pytest.raises(ExportCancelled):
        export_region(source, 0, 2000, dest, should_stop=stop, block_frames=1000)
    assert dest.read_bytes() == b"an older export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.wav", "take.wav"]


def test_bad_names_and_places_are_said_plainly(tmp_path: Path) -> None:
    source = tmp_path / "take.wav"
    write_random(source, 1.0, 16_000, 1, "PCM_16")
    with pytest.raises(ExportError, match=r"does not end in \.wav or \.flac"):
        export_region(source, 0, 500, tmp_path / "kept.mp3")
    with pytest.raises(ExportError, match="cannot be written to"):
        export_region(source, 0, 500, tmp_path / "no such folder" / "kept.wav")
    with pytest.raises(ExportError, match="region is empty"):
        export_region(source, 700, 700, tmp_path / "kept.wav")
    with pytest.raises(AudioLoadError):
        export_region(tmp_path / "missing.wav", 0, 500, tmp_path / "kept.wav")


def test_a_long_file_is_streamed_in_blocks(tmp_path: Path) -> None:
    """Five minutes at 48 kHz (27 MB): progress in many steps, memory a block's worth."""
    source = tmp_path / "long.wav"
    rate = 48_000
    with sf.SoundFile(source, "w", samplerate=rate, channels=1, subtype="PCM_16") as out:
        rng = np.random.default_rng(5)
        for _ in range(300):
            out.write(rng.integers(-20_000, 20_000, rate, dtype=np.int16))
    assert os.path.getsize(source) > 25_000_000
    fractions: list[float] = []
    tracemalloc.start()
    try:
        result = export_region(
            source, 1000, 299_000, tmp_path / "kept.flac", on_progress=fractions.append
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.frames == frames_of(299_000, rate) - frames_of(1000, rate)
    assert len(fractions) > 100
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert peak < 4_000_000, f"{peak / 1e6:.1f} MB held: not streamed"
    with sf.SoundFile(source) as a, sf.SoundFile(tmp_path / "kept.flac") as b:
        a.seek(frames_of(150_000, rate))
        b.seek(frames_of(150_000, rate) - frames_of(1000, rate))
        assert np.array_equal(a.read(rate, dtype="int16"), b.read(rate, dtype="int16"))
