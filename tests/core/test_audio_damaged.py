"""Cut-short and oddly named files: keep every frame that decodes, at the real block sizes.

Unlike ``test_audio_peaks.py``, nothing here shrinks the loader's block, so a file is cut
inside a full-size block (the case that lost up to 22 seconds of audio).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import count_decodes, file_mono, write_in_blocks
from pvc_sample_editor.audio import BUCKET_SIZES, SampleReader, load_pyramid, probe
from pvc_sample_editor.audio import cache as cache_module
from pvc_sample_editor.audio import loader as loader_module
from pvc_sample_editor.audio.document import load_audio_document
from pvc_sample_editor.audio.source import FrameDecoder, direct_layout

RATE = 48_000
Cut = tuple[Path, np.ndarray]  # a cut-short file and the mono mix of what decodes

# name: (seconds, channels, subtype, fraction of the bytes kept)
CUTS = {
    # Cut inside the loader's second 1 Mi-frame block: that block used to vanish whole.
    "longer_than_a_block": (40, 1, "PCM_16", 0.8),
    # A 10-second take cut at 90 %: used to be rejected as "none of its audio decodes".
    "shorter_than_a_block": (10, 1, "PCM_16", 0.9),
    "stereo_24_bit": (12, 2, "PCM_24", 0.5),
}


def _noise(frames: int, channels: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    envelope = 0.05 + 0.9 * np.abs(np.sin(np.linspace(0, 7 * np.pi, frames)))
    return (rng.uniform(-1, 1, (frames, channels)) * envelope[:, None]).astype(np.float32)


def _sequential_mono(path: Path) -> np.ndarray:
    """The mono mix of what a plain read from the start gets before the damage stops it.

    A read that fails hands back none of its frames, so the file is read from the start
    again with ever smaller blocks past the frames the last pass got, down to single
    frames (single frames all the way would take minutes: near a FLAC's cut each read
    costs ~40 ms).
    """
    good = np.zeros((0, sf.info(path).channels))
    for block in (4096, 512, 64, 8, 1):
        parts = []
        with sf.SoundFile(path) as f:
            parts.append(f.read(len(good), dtype="float64", always_2d=True))
            try:
                while (part := f.read(block, dtype="float64", always_2d=True)).size:
                    parts.append(part)
            except RuntimeError:
                pass
        good = np.concatenate(parts)
    return np.clip(good.mean(axis=1), -1, 1)


@pytest.fixture(scope="module")
def cut_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cut")
    files = {}
    for i, (name, (seconds, channels, subtype, keep)) in enumerate(CUTS.items()):
        whole = write_in_blocks(
            folder / f"{name}-whole.flac", _noise(RATE * seconds, channels, i), subtype=subtype
        )
        data = whole.read_bytes()
        files[name] = folder / f"{name}.flac"
        files[name].write_bytes(data[: int(len(data) * keep)])
    return files


@pytest.fixture(scope="module")
def truths(cut_files: dict[str, Path]) -> dict[str, np.ndarray]:
    return {name: _sequential_mono(path) for name, path in cut_files.items()}


@pytest.fixture
def long_cut(cut_files: dict[str, Path], truths: dict[str, np.ndarray]) -> Cut:
    """The file cut inside the loader's second block, and the mono mix that decodes."""
    return cut_files["longer_than_a_block"], truths["longer_than_a_block"]


def _assert_same(got: np.ndarray, expected: np.ndarray) -> None:
    """Equal lengths, and samples equal to float32 precision."""
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def _bucket_extremes(mono: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    buckets = -(-mono.size // size)
    padded = np.pad(mono, (0, buckets * size - mono.size), mode="edge").reshape(-1, size)
    return padded.min(axis=1), padded.max(axis=1)


def test_the_cuts_fall_where_the_cases_say(
    cut_files: dict[str, Path], truths: dict[str, np.ndarray]
) -> None:
    block_frames = loader_module._BLOCK_BYTES // 4  # mono: one float32 per frame
    assert block_frames < truths["longer_than_a_block"].size
    assert probe(cut_files["shorter_than_a_block"]).frames < block_frames


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("name", CUTS)
def test_a_cut_short_flac_loads_every_frame_that_decodes(
    cut_files: dict[str, Path], truths: dict[str, np.ndarray], name: str, workers: int
) -> None:
    truth = truths[name]
    assert truth.size < probe(cut_files[name]).frames  # the header claims more
    pyramid = load_pyramid(cut_files[name], workers=workers, use_cache=False)
    assert pyramid.truncated
    assert pyramid.info.frames == truth.size
    lows, highs = _bucket_extremes(truth, BUCKET_SIZES[0])
    _assert_same(pyramid.mins[0], lows)
    _assert_same(pyramid.maxs[0], highs)


@pytest.mark.parametrize("name", CUTS)
def test_reads_near_the_cut_return_every_frame_that_decodes(
    cut_files: dict[str, Path], truths: dict[str, np.ndarray], name: str
) -> None:
    truth = truths[name]
    end = truth.size
    with SampleReader(cut_files[name]) as reader:
        # Through the decoded-chunk cache, then straight (a read longer than half of it).
        near = reader.read_mono(end - 3000, end + 3000)
        _assert_same(near, truth[-3000:])
        whole = reader.read_mono(0, reader.info.frames)
        _assert_same(whole, truth)


def test_a_read_past_the_cut_does_not_spoil_later_reads(long_cut: Cut) -> None:
    # libsndfile leaves a FLAC handle whose seek failed failing every later call.
    path, truth = long_cut
    info = probe(path)
    decoder = FrameDecoder(info, block_frames=4096)
    try:
        assert decoder.read_mono(info.frames - 4096, 4096).size == 0  # beyond the cut
        _assert_same(decoder.read_mono(0, 4096), truth[:4096])
    finally:
        decoder.close()
    with SampleReader(path) as reader:
        assert reader.read_mono(info.frames - 1000, info.frames).size == 0
        _assert_same(reader.read_mono(0, 1000), truth[:1000])


def test_a_cut_short_flac_still_plays_and_zooms_after_opening(long_cut: Cut) -> None:
    path, truth = long_cut
    doc = load_audio_document(path)
    try:
        assert doc.frames == truth.size
        assert doc.reader.wait_background(timeout=30)  # any background work is over
        _assert_same(doc.read_mono(0, RATE), truth[:RATE])
        _, deep = doc.envelope(1000, 1500, 800)  # below the pyramid: samples
        _assert_same(deep, truth[1000:1500])
        # Playback up to the end, and the prefetch a view near the end asks for.
        tail = doc.read_mono(truth.size - RATE, truth.size + RATE)
        _assert_same(tail, truth[-RATE:])
        doc.envelope(truth.size - 600, truth.size, 800)
        assert doc.reader.wait_background(timeout=30)
        _assert_same(doc.read_mono(0, RATE), truth[:RATE])
    finally:
        doc.close()


def test_a_prefetch_past_the_cut_stops_at_it(
    long_cut: Cut, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, truth = long_cut
    reads = count_decodes(monkeypatch)
    with SampleReader(path) as reader:
        # A view near the end asks for chunks on both sides, up to the header's length.
        reader.prefetch(truth.size - 200_000, reader.info.frames)
        assert reader.wait_background(timeout=30)
        assert reads, "the prefetch decoded nothing"
        assert [start for start in reads if start >= truth.size] == []
        reads.clear()
        reader.prefetch(truth.size - 1000, reader.info.frames)  # all known now
        assert reader.wait_background(timeout=30)
        assert reads == []
        _assert_same(reader.read_mono(truth.size - 1000, reader.info.frames), truth[-1000:])


def test_a_flac_is_not_warmed_up(long_cut: Cut, monkeypatch: pytest.MonkeyPatch) -> None:
    # Only MP3 seeks scan frame headers; a FLAC's warm-up would buy nothing, and a
    # cut-short one's would seek to beyond the cut.
    reads = count_decodes(monkeypatch)
    with SampleReader(long_cut[0]) as reader:
        reader.warm_up(background=True)
        assert reader.wait_background(timeout=30)
        reader.warm_up()
    assert reads == []


def _set_cache_version(path: Path, version: int) -> None:
    """Rewrite the version in the peak cache entry of ``path``, as an older build wrote it."""
    key = cache_module.stat_key(path)
    assert key is not None
    entry = cache_module.cache_path(key[0], cache_module.default_cache_dir())
    data = entry.read_bytes()
    (length,) = struct.unpack_from("<I", data, 8)
    header = json.loads(data[12 : 12 + length])
    header["version"] = version
    raw = json.dumps(header).encode()
    entry.write_bytes(data[:8] + struct.pack("<I", len(raw)) + raw + data[12 + length :])


def test_cache_entries_of_cut_short_files_from_the_old_loader_are_rebuilt(
    cut_files: dict[str, Path], truths: dict[str, np.ndarray], tmp_path: Path
) -> None:
    cut = cut_files["shorter_than_a_block"]
    assert load_pyramid(cut).truncated
    _set_cache_version(cut, 1)  # its length may be a block short: decode again
    rebuilt = load_pyramid(cut)
    assert not rebuilt.from_cache
    assert rebuilt.info.frames == truths["shorter_than_a_block"].size
    assert load_pyramid(cut).from_cache
    whole = write_in_blocks(tmp_path / "whole.flac", _noise(RATE, 1, 9), subtype="PCM_16")
    assert not load_pyramid(whole).truncated
    _set_cache_version(whole, 1)  # the same layout, and nothing was lost: still good
    assert load_pyramid(whole).from_cache


# ---------------------------------------------------------------- file names


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="names there are Unicode")
@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_a_name_that_is_not_utf8_opens(tmp_path: Path, suffix: str) -> None:
    # A Latin-1 "café" from an old zip: Python names it with a surrogate escape.
    made = write_in_blocks(tmp_path / f"made{suffix}", _noise(RATE, 2, 5), subtype="PCM_16")
    path = Path(os.fsdecode(os.fsencode(tmp_path) + b"/take_caf\xe9" + suffix.encode()))
    expected = file_mono(made)
    shutil.move(made, path)
    info = probe(path)
    assert info.frames == RATE
    assert (direct_layout(info) is not None) == (suffix == ".wav")
    with SampleReader(path) as reader:
        _assert_same(reader.read_mono(0, RATE), expected)
    doc = load_audio_document(path)
    try:
        assert doc.frames == RATE
        _assert_same(doc.read_mono(0, RATE), expected)
    finally:
        doc.close()
    cached = load_pyramid(path)
    assert cached.from_cache
    assert cached.info.path == path
