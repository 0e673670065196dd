"""The peak pyramid: equal to a brute-force min/max, loaded in parallel, cached on disk."""

from __future__ import annotations

import json
import mmap
import os
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import exit_during_a_slow_decode, file_mono, write_in_blocks
from pvc_sample_editor.audio import (
    BUCKET_SIZES,
    AudioLoadError,
    LoadCancelled,
    PeakPyramid,
    load_pyramid,
    probe,
    sample_envelope,
)
from pvc_sample_editor.audio import cache as cache_module
from pvc_sample_editor.audio import loader as loader_module
from pvc_sample_editor.audio.source import FrameDecoder

RATE = 48_000
SECONDS = 8


@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of one coarsest bucket, so short fixtures still load as many ranges."""
    monkeypatch.setattr(loader_module, "_BLOCK_BYTES", 4 * BUCKET_SIZES[-1])


def _signal(frames: int, channels: int = 1, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    envelope = 0.02 + 0.95 * np.abs(np.sin(np.linspace(0, 9 * np.pi, frames))) ** 3
    return (rng.uniform(-1, 1, (frames, channels)) * envelope[:, None]).astype(np.float32)


def _brute_force_levels(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """Min/max per bucket of the sanitised float64 mono mix of the whole file."""
    mono = file_mono(path)
    levels = []
    for size in BUCKET_SIZES:
        buckets = -(-mono.size // size)
        padded = np.pad(mono, (0, buckets * size - mono.size), mode="edge").reshape(-1, size)
        levels.append((padded.min(axis=1), padded.max(axis=1)))
    return levels


def _assert_levels_equal(pyramid: PeakPyramid, expected: object, atol: float) -> None:
    assert isinstance(expected, list)
    for level, (lows, highs) in enumerate(expected):
        np.testing.assert_allclose(pyramid.mins[level], lows, rtol=0, atol=atol, err_msg=f"{level}")
        np.testing.assert_allclose(
            pyramid.maxs[level], highs, rtol=0, atol=atol, err_msg=f"{level}"
        )


CASES = {
    # name: (channels, rate, writer kwargs, suffix, tolerance)
    "wav16": (1, RATE, {"subtype": "PCM_16"}, ".wav", 0.0),
    "wav16_stereo": (2, RATE, {"subtype": "PCM_16"}, ".wav", 1e-6),
    "wav_float": (1, RATE, {"subtype": "FLOAT"}, ".wav", 0.0),
    "wav24_6ch": (6, RATE, {"subtype": "PCM_24"}, ".wav", 1e-6),
    "aiff16": (1, RATE, {"subtype": "PCM_16"}, ".aiff", 0.0),
    "flac16": (1, RATE, {"subtype": "PCM_16"}, ".flac", 0.0),
    "flac24_stereo": (2, RATE, {"subtype": "PCM_24"}, ".flac", 1e-6),
    # An MP3 decoder started at a range boundary rounds differently from one that ran
    # from the start, by ~1e-7 (1/300 of a 16-bit step) - see the loader's module doc.
    "mp3": (1, RATE, {"format": "MP3"}, ".mp3", 1e-6),
    "ogg_vorbis": (1, RATE, {"format": "OGG", "subtype": "VORBIS"}, ".ogg", 0.0),
    "opus_stereo": (2, RATE, {"format": "OGG", "subtype": "OPUS"}, ".opus", 1e-6),
    "rate_8k": (1, 8_000, {"subtype": "PCM_16"}, ".wav", 0.0),
    "rate_192k": (1, 192_000, {"subtype": "PCM_16"}, ".flac", 0.0),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pyramid")
    made = {}
    for i, (name, (channels, rate, kwargs, suffix, _)) in enumerate(CASES.items()):
        seconds = 2 if rate > RATE else SECONDS
        made[name] = write_in_blocks(
            folder / f"{name}{suffix}", _signal(rate * seconds, channels, i), rate, **kwargs
        )
    return made


@pytest.mark.parametrize("name", CASES)
def test_pyramid_equals_brute_force_min_max(files: dict[str, Path], name: str) -> None:
    pyramid = load_pyramid(files[name], workers=2, use_cache=False)
    assert pyramid.complete
    assert not pyramid.truncated
    assert not pyramid.from_cache
    assert pyramid.frames_done == pyramid.info.frames
    _assert_levels_equal(pyramid, _brute_force_levels(files[name]), CASES[name][4])


@pytest.mark.parametrize("name", ["wav16_stereo", "flac16", "mp3", "opus_stereo"])
def test_any_number_of_workers_gives_the_same_pyramid(files: dict[str, Path], name: str) -> None:
    single = load_pyramid(files[name], workers=1, use_cache=False)
    for workers in (2, 3, 5):
        several = load_pyramid(files[name], workers=workers, use_cache=False)
        _assert_levels_equal(
            several, list(zip(single.mins, single.maxs, strict=True)), CASES[name][4]
        )


def test_default_block_size_and_workers_also_match(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # back to the real block size
    pyramid = load_pyramid(files["flac24_stereo"], use_cache=False)
    _assert_levels_equal(pyramid, _brute_force_levels(files["flac24_stereo"]), 1e-6)


def test_nan_and_inf_do_not_poison_the_peaks(tmp_path: Path) -> None:
    data = _signal(RATE * 2, 2)
    data[1000:1100, 0] = np.nan  # a run of NaN in one channel
    data[5000, 1] = np.inf
    data[70_000, :] = -np.inf
    data[90_000:90_300, :] = np.nan  # a whole bucket of NaN in both channels
    data[80_000, 0] = 50.0  # float files may overshoot
    path = write_in_blocks(tmp_path / "bad.wav", data, subtype="FLOAT")
    pyramid = load_pyramid(path, use_cache=False)
    for lows, highs in zip(pyramid.mins, pyramid.maxs, strict=True):
        assert np.isfinite(lows).all()
        assert np.isfinite(highs).all()
        assert lows.min() >= -1
        assert highs.max() <= 1
    _assert_levels_equal(pyramid, _brute_force_levels(path), 1e-6)


# ---------------------------------------------------------------- envelope


def test_envelope_uses_the_coarsest_level_fine_enough(files: dict[str, Path]) -> None:
    pyramid = load_pyramid(files["wav16"], use_cache=False)
    frames = pyramid.info.frames
    assert pyramid.level_for(0, frames, 20) == BUCKET_SIZES.index(16384)  # 19200 per column
    assert pyramid.level_for(0, 300_000, 1000) == 0
    t, y = pyramid.envelope(0, frames, 400)
    assert t.shape == y.shape == (800,)
    assert np.all(np.diff(t) >= 0)
    assert 0 < t[0] < t[-1] < pyramid.info.duration_secs
    assert y.min() == pyramid.mins[0].min()
    assert y.max() == pyramid.maxs[0].max()
    assert np.all(y[0::2] <= y[1::2])  # min then max in every column


def test_envelope_columns_cover_their_own_frames(files: dict[str, Path]) -> None:
    pyramid = load_pyramid(files["wav16"], use_cache=False)
    lows, highs = _brute_force_levels(files["wav16"])[0]
    start, columns = 7 * 256, 37
    stop = start + 3 * 256 * columns  # 3 finest buckets per column: level 0, aligned
    _, y = pyramid.envelope(start, stop, columns)
    buckets = slice(start // 256, stop // 256)
    np.testing.assert_array_equal(y[0::2], lows[buckets].reshape(columns, 3).min(axis=1))
    np.testing.assert_array_equal(y[1::2], highs[buckets].reshape(columns, 3).max(axis=1))


def test_deep_zoom_switches_to_samples(files: dict[str, Path]) -> None:
    pyramid = load_pyramid(files["wav16"], use_cache=False)
    assert not pyramid.needs_samples(0, 256 * 800, 800)
    assert pyramid.needs_samples(0, 256 * 800 - 1, 800)
    t, y = pyramid.envelope(1000, 1000 + 256 * 5, 800)  # still drawable: one column per bucket
    assert y.size <= 2 * 6
    t, y = pyramid.envelope(500, 400, 800)
    assert t.size == y.size == 0


def test_sample_envelope_draws_raw_samples_or_per_column_extremes() -> None:
    samples = np.sin(np.linspace(0, 20, 3000)).astype(np.float32)
    t, y = sample_envelope(samples, 48_000, RATE, 2000)  # ≤ 2 per column: raw
    np.testing.assert_array_equal(y, samples)
    assert t[0] == 1.0
    assert t[1] == pytest.approx(1 + 1 / RATE)
    t, y = sample_envelope(samples, 0, RATE, 100)
    assert y.size == t.size == 200
    np.testing.assert_array_equal(y[0::2], samples.reshape(100, 30).min(axis=1))
    np.testing.assert_array_equal(y[1::2], samples.reshape(100, 30).max(axis=1))


def test_an_unloaded_pyramid_draws_zeros(files: dict[str, Path]) -> None:
    pyramid = PeakPyramid(probe(files["flac16"]))
    _, y = pyramid.envelope(0, pyramid.info.frames, 500)
    assert y.size == 1000
    assert not y.any()
    assert pyramid.fraction_done == 0.0
    assert not pyramid.complete


# ---------------------------------------------------------------- progress and cancel


def _hold_back_after_first_block(monkeypatch: pytest.MonkeyPatch, release: threading.Event) -> None:
    """Make every block but the first wait for ``release``: a slow decoder, deterministically."""
    real_read_sum = FrameDecoder.read_sum

    def gated_read_sum(self: FrameDecoder, start: int, frames: int) -> np.ndarray:
        if start != 0:
            release.wait(10)
        return real_read_sum(self, start, frames)

    monkeypatch.setattr(FrameDecoder, "read_sum", gated_read_sum)


def test_partial_results_arrive_before_the_load_completes(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[float, bool, int, float]] = []
    loader_thread = threading.current_thread()
    shown = threading.Event()
    _hold_back_after_first_block(monkeypatch, shown)

    def on_progress(pyramid: PeakPyramid, fraction: float) -> None:
        assert threading.current_thread() is loader_thread
        peak = float(pyramid.maxs[-1].max())  # what the view would see at this moment
        calls.append((fraction, pyramid.complete, pyramid.frames_done, peak))
        shown.set()

    pyramid = load_pyramid(files["mp3"], workers=2, on_progress=on_progress, progress_interval=0)
    first_fraction, first_complete, first_done, first_peak = calls[0]
    assert 0 < first_fraction < 1
    assert not first_complete
    assert 0 < first_done < pyramid.info.frames
    assert first_peak > 0
    fractions = [c[0] for c in calls]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert calls[-1][1]


def test_cancel_stops_promptly_and_leaves_no_thread(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cancel = threading.Event()
    _hold_back_after_first_block(monkeypatch, cancel)
    seen: list[PeakPyramid] = []

    def on_progress(pyramid: PeakPyramid, fraction: float) -> None:
        seen.append(pyramid)
        cancel.set()

    before = set(threading.enumerate())
    started = time.monotonic()
    with pytest.raises(LoadCancelled):
        load_pyramid(files["flac24_stereo"], on_progress=on_progress, cancel=cancel)
    assert time.monotonic() - started < 2.0
    assert set(threading.enumerate()) <= before  # joined, not merely abandoned
    assert len(seen) == 1
    assert not seen[0].complete
    assert not issubclass(LoadCancelled, AudioLoadError)


def test_cancel_set_before_the_load_reads_nothing(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FrameDecoder, "__init__", _must_not_decode)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(LoadCancelled):
        load_pyramid(files["wav16"], cancel=cancel)


def _must_not_decode(*args: object, **kwargs: object) -> None:
    raise AssertionError("the file was decoded")


# ---------------------------------------------------------------- damaged files


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", ["wav16_stereo", "flac16", "mp3", "ogg_vorbis"])
def test_truncated_file_loads_what_is_there(
    files: dict[str, Path], tmp_path: Path, name: str
) -> None:
    whole = files[name].read_bytes()
    cut = tmp_path / f"cut{files[name].suffix}"
    cut.write_bytes(whole[: len(whole) * 6 // 10])
    pyramid = load_pyramid(cut)
    full = CASES[name][1] * SECONDS
    assert 0.5 * full < pyramid.info.frames < 0.7 * full
    assert pyramid.complete
    assert pyramid.fraction_done == 1.0
    for size, lows, highs in zip(BUCKET_SIZES, pyramid.mins, pyramid.maxs, strict=True):
        assert lows.size == highs.size == -(-pyramid.info.frames // size)
        assert np.isfinite(lows).all()
        assert np.isfinite(highs).all()
    assert pyramid.maxs[0][: pyramid.maxs[0].size // 2].max() > 0.5  # the audio is really there
    # WAV and Ogg lengths come from the data that is there; FLAC and MP3 headers claim more.
    assert pyramid.truncated == (name in ("flac16", "mp3"))


def test_a_file_with_no_decodable_audio_is_an_error(files: dict[str, Path], tmp_path: Path) -> None:
    cut = tmp_path / "header_only.flac"
    # The header (86 bytes) and part of the first frame (~5.7 KB of noise), so no frame
    # is whole: 8300 bytes would hold one, and the frames it holds decode.
    cut.write_bytes(files["flac16"].read_bytes()[:3000])
    with pytest.raises(AudioLoadError, match="damaged"):
        load_pyramid(cut)


# ---------------------------------------------------------------- peak cache


def _entry(path: Path) -> Path:
    key = cache_module.stat_key(path)
    assert key is not None
    return cache_module.cache_path(key[0], cache_module.default_cache_dir())


def test_default_cache_dir_follows_the_app_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PVC_SAMPLE_EDITOR_HOME", str(tmp_path))
    assert cache_module.default_cache_dir() == tmp_path / "cache" / "peaks"


def test_a_second_load_comes_from_the_cache_without_decoding(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_pyramid(files["flac24_stereo"])
    assert not first.from_cache
    assert _entry(files["flac24_stereo"]).is_file()
    monkeypatch.setattr(FrameDecoder, "__init__", _must_not_decode)
    progress: list[float] = []
    second = load_pyramid(files["flac24_stereo"], on_progress=lambda p, f: progress.append(f))
    assert second.from_cache
    assert second.complete
    assert progress == [1.0]
    assert second.info == first.info
    _assert_levels_equal(second, list(zip(first.mins, first.maxs, strict=True)), 0.0)
    # Mapped from the entry, not read into memory: the view pages in what it draws.
    assert all(_mapped(level) for level in (*second.mins, *second.maxs))


def _mapped(array: np.ndarray) -> bool:
    """True when ``array``'s memory is a file mapping (a view of an ``np.memmap``)."""
    base: object = array
    while isinstance(base, np.ndarray):
        if isinstance(base, np.memmap):
            return True
        base = base.base
    return isinstance(base, mmap.mmap)


def _payload_at(data: bytes) -> int:
    (length,) = struct.unpack_from("<I", data, 8)
    return 12 + length


def test_an_entry_written_before_the_sum_is_still_served_and_still_checked(
    files: dict[str, Path],
) -> None:
    # As the build before wrote it: the same layout with the CRC-32 alone, no padding.
    path = files["ogg_vorbis"]
    good = load_pyramid(path)
    entry = _entry(path)
    data = entry.read_bytes()
    at = _payload_at(data)
    header = json.loads(data[12:at])
    del header["sum64"]
    raw = json.dumps(header).encode()
    older = data[:8] + struct.pack("<I", len(raw)) + raw + data[at:]
    entry.write_bytes(older)
    served = load_pyramid(path)
    assert served.from_cache
    _assert_levels_equal(served, list(zip(good.mins, good.maxs, strict=True)), 0.0)
    at = _payload_at(older)
    entry.write_bytes(older[: at + 5] + bytes([older[at + 5] ^ 0x01]) + older[at + 6 :])
    assert not load_pyramid(path).from_cache
    assert entry.read_bytes() == data  # rewritten in today's form


def test_opening_a_document_examines_the_file_once(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reader and the load share the probe, the PCM layout and the stat.
    from pvc_sample_editor.audio import source as source_module
    from pvc_sample_editor.audio.document import load_audio_document

    layouts, stats = [], []
    real_layout, real_stat = source_module.find_pcm_layout, cache_module.stat_key
    monkeypatch.setattr(
        source_module, "find_pcm_layout", lambda *a, **k: layouts.append(1) or real_layout(*a, **k)
    )
    monkeypatch.setattr(cache_module, "stat_key", lambda p: stats.append(1) or real_stat(p))
    doc = load_audio_document(files["wav16"])
    doc.close()
    assert doc.pyramid is not None
    assert not doc.pyramid.from_cache
    assert (len(layouts), len(stats)) == (1, 2)  # the stat again after: unchanged?


@pytest.mark.parametrize(
    "damage",
    ["garbage", "cut_short", "flipped_byte", "flipped_bit_early", "zeroed_page", "png", "empty"],
)
def test_a_damaged_cache_entry_is_ignored_and_rebuilt(files: dict[str, Path], damage: str) -> None:
    path = files["ogg_vorbis"]
    good = load_pyramid(path)
    entry = _entry(path)
    data = entry.read_bytes()
    damaged = {
        "garbage": np.random.default_rng(3).bytes(len(data)),
        "cut_short": data[: len(data) // 2],
        "flipped_byte": data[:-100] + bytes([data[-100] ^ 0x40]) + data[-99:],
        # In the finest level, which the first views never draw: the check is still whole.
        "flipped_bit_early": data[: _payload_at(data) + 9]
        + bytes([data[_payload_at(data) + 9] ^ 0x01])
        + data[_payload_at(data) + 10 :],
        "zeroed_page": data[:8192] + bytes(4096) + data[12288:],
        "png": b"\x89PNG\r\n\x1a\n" + bytes(100),
        "empty": b"",
    }[damage]
    entry.write_bytes(damaged)
    rebuilt = load_pyramid(path)
    assert not rebuilt.from_cache
    _assert_levels_equal(rebuilt, list(zip(good.mins, good.maxs, strict=True)), 0.0)
    assert entry.read_bytes() == data  # rewritten whole
    assert load_pyramid(path).from_cache


def test_a_replaced_file_is_never_served_from_the_stale_cache(tmp_path: Path) -> None:
    path = write_in_blocks(tmp_path / "take.wav", _signal(RATE, seed=1) * 0.1, subtype="PCM_16")
    quiet = load_pyramid(path)
    assert quiet.maxs[-1].max() < 0.11
    stamp = path.stat().st_mtime_ns
    write_in_blocks(tmp_path / "take.wav", _signal(RATE, seed=2), subtype="PCM_16")  # same size
    os.utime(path, ns=(stamp + 5_000_000_000, stamp + 5_000_000_000))
    loud = load_pyramid(path)
    assert not loud.from_cache
    assert loud.maxs[-1].max() > 0.5
    _assert_levels_equal(loud, _brute_force_levels(path), 0.0)


def test_an_unwritable_cache_folder_only_costs_the_cache(
    files: dict[str, Path], tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    pyramid = load_pyramid(files["wav16"], cache_dir=blocker)
    assert pyramid.complete
    assert not pyramid.from_cache


def test_the_cache_works_for_non_ascii_paths(tmp_path: Path) -> None:
    path = write_in_blocks(tmp_path / "Ansage für Zoë — 録音.flac", _signal(RATE), subtype="PCM_16")
    assert not load_pyramid(path).from_cache
    assert load_pyramid(path).from_cache


def test_prune_removes_the_least_recently_used_entries(tmp_path: Path) -> None:
    for i in range(5):
        entry = tmp_path / f"{i}.peaks"
        entry.write_bytes(bytes(1000))
        os.utime(entry, ns=(i * 10**9, i * 10**9))
    cache_module.prune(tmp_path, 2500)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3.peaks", "4.peaks"]


def test_the_interpreter_waits_for_a_load_block_before_exiting(files: dict[str, Path]) -> None:
    # A load on a daemon thread (a script's, say) when the process exits: its worker
    # must not be inside libsndfile while the process tears it down.
    body = (
        "from pvc_sample_editor.audio import load_pyramid\n"
        "kwargs = {'use_cache': False, 'workers': 1}\n"
        "threading.Thread(target=load_pyramid, args=(path,), kwargs=kwargs, daemon=True).start()"
    )
    assert exit_during_a_slow_decode(body, files["flac16"])[:2] == ["exiting", "decoded"]
