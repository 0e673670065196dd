"""Probing files and reading samples: clear errors, and samples equal to the file's."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import count_decodes, exit_during_a_slow_decode, file_mono, write_in_blocks
from pvc_sample_editor.audio import AudioLoadError, SampleReader, probe
from pvc_sample_editor.audio import source as source_module
from pvc_sample_editor.audio.source import FrameDecoder, direct_layout

RATE = 48_000


def _noise(frames: int, channels: int = 1, seed: int = 0) -> np.ndarray:
    """Noise under a slowly varying envelope, so every block has its own peaks."""
    rng = np.random.default_rng(seed)
    envelope = 0.05 + 0.9 * np.abs(np.sin(np.linspace(0, 7 * np.pi, frames)))
    return (rng.uniform(-1, 1, (frames, channels)) * envelope[:, None]).astype(np.float32)


# ---------------------------------------------------------------- probe


def test_probe_reports_what_the_file_holds(tmp_path: Path) -> None:
    path = write_in_blocks(tmp_path / "a.flac", _noise(44_100 * 2 + 7, 2), 44_100, subtype="PCM_24")
    info = probe(path)
    assert (info.frames, info.samplerate, info.channels) == (88_207, 44_100, 2)
    assert (info.format, info.subtype) == ("FLAC", "PCM_24")
    assert info.duration_ms == 2000  # 2000.16 ms rounds down
    assert info.duration_secs == pytest.approx(88_207 / 44_100)
    assert info.path == path
    assert info.is_compressed
    assert not info.reads_as_int16


def _bad_file(tmp_path: Path, case: str) -> Path:
    path = tmp_path / {"missing": "gone.wav", "folder": "folder.wav"}.get(case, f"{case}.wav")
    if case == "empty":
        path.write_bytes(b"")
    elif case == "zero_frames":
        sf.write(path, np.zeros((0, 1), np.float32), RATE)
    elif case == "random_bytes":
        path.write_bytes(np.random.default_rng(1).bytes(50_000))
    elif case == "png":
        path = tmp_path / "picture.flac"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2000))
    elif case == "text":
        path = tmp_path / "notes.mp3"
        path.write_text("Take 3: the quick brown fox.\n" * 40)
    elif case == "folder":
        path.mkdir()
    elif case == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs on this platform")
        os.mkfifo(path)
    elif case == "truncated_mp3":
        whole = write_in_blocks(tmp_path / "whole.mp3", _noise(RATE), format="MP3")
        path = tmp_path / "cut.mp3"
        path.write_bytes(whole.read_bytes()[:400])
    return path


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("missing", ["not found", "choose the file again"]),
        ("folder", ["is a folder"]),
        ("empty", ["is empty", "0 bytes"]),
        ("zero_frames", ["contains no audio", "0 samples"]),
        ("random_bytes", ["cannot be read as audio", "damaged", "not really a WAV"]),
        ("png", ["PNG image", "Choose a WAV, FLAC, MP3"]),
        ("text", ["text file", "Choose a WAV"]),
        ("fifo", ["not a regular file"]),
        ("truncated_mp3", ["cannot be read as audio", "cut short"]),
    ],
)
def test_probe_explains_what_is_wrong(tmp_path: Path, case: str, words: list[str]) -> None:
    path = _bad_file(tmp_path, case)
    with pytest.raises(AudioLoadError) as caught:
        probe(path)
    message = str(caught.value)
    for word in words:
        assert word in message
    assert path.name in message


def test_probe_names_a_permission_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_in_blocks(tmp_path / "locked.wav", _noise(1000), subtype="PCM_16")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(source_module, "open", refuse, raising=False)
    with pytest.raises(AudioLoadError, match=r"do not have permission to read “locked\.wav”"):
        probe(path)


_UNPRIVILEGED_PROBE = """
import os, sys
from pvc_sample_editor.audio import AudioLoadError, probe  # import while still root
if os.getuid() == 0:
    os.setgid(65534)
    os.setuid(65534)
try:
    probe(sys.argv[1])
except AudioLoadError as err:
    print(err)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="chmod cannot make a file unreadable")
def test_probe_of_an_unreadable_file_says_so() -> None:
    """A real permission failure: root reads everything, so the child drops to nobody."""
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)
        path = write_in_blocks(Path(folder) / "private.wav", _noise(1000), subtype="PCM_16")
        path.chmod(0)
        result = subprocess.run(
            [sys.executable, "-c", _UNPRIVILEGED_PROBE, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert "do not have permission to read “private.wav”" in result.stdout


def test_probe_accepts_a_non_ascii_path(tmp_path: Path) -> None:
    path = write_in_blocks(tmp_path / "Grüße — 音声 ñ.flac", _noise(5000), subtype="PCM_16")
    assert probe(path).frames == 5000
    with SampleReader(path) as reader:
        np.testing.assert_array_equal(reader.read_mono(0, 5000), file_mono(path))


def test_truncated_wav_probes_as_the_part_that_is_there(tmp_path: Path) -> None:
    whole = write_in_blocks(tmp_path / "whole.wav", _noise(10_000), subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[: 44 + 2 * 6000 + 1])
    assert probe(cut).frames == 6000


# ---------------------------------------------------------------- samples


FORMATS = {
    "wav16_stereo": (2, {"subtype": "PCM_16"}, ".wav"),
    "wav_float": (1, {"subtype": "FLOAT"}, ".wav"),
    "aiff16": (1, {"subtype": "PCM_16"}, ".aiff"),
    "wav24_6ch": (6, {"subtype": "PCM_24"}, ".wav"),
    "flac16": (1, {"subtype": "PCM_16"}, ".flac"),
    "mp3": (1, {"format": "MP3"}, ".mp3"),
    "ogg_vorbis": (1, {"format": "OGG", "subtype": "VORBIS"}, ".ogg"),
    "opus": (2, {"format": "OGG", "subtype": "OPUS"}, ".opus"),
}


@pytest.fixture(scope="module")
def audio_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("formats")
    return {
        name: write_in_blocks(
            folder / f"{name}{suffix}", _noise(RATE * 3, channels, seed=i), **kwargs
        )
        for i, (name, (channels, kwargs, suffix)) in enumerate(FORMATS.items())
    }


@pytest.mark.parametrize("name", FORMATS)
def test_read_mono_equals_the_files_samples(audio_files: dict[str, Path], name: str) -> None:
    path = audio_files[name]
    expected = file_mono(path)
    # Mono files are exact. Mixing channels in float32 rounds differently from float64;
    # an MP3 decoder started at a seek point rounds differently by ~1e-7 (module doc).
    tolerance = 0.0 if FORMATS[name][0] == 1 and name != "mp3" else 1e-6
    with SampleReader(path) as reader:
        for start, stop in [(0, 1000), (70_001, 140_123), (RATE * 3 - 500, RATE * 3 + 500)]:
            got = reader.read_mono(start, stop)
            assert got.dtype == np.float32
            np.testing.assert_allclose(got, expected[start:stop], rtol=0, atol=tolerance)


def test_read_mono_clips_the_range_to_the_file(audio_files: dict[str, Path]) -> None:
    with SampleReader(audio_files["flac16"]) as reader:
        assert reader.read_mono(-100, 10).size == 10
        assert reader.read_mono(RATE * 3 - 5, RATE * 4).size == 5
        assert reader.read_mono(RATE * 5, RATE * 6).size == 0
        assert reader.read_mono(50, 10).size == 0


@pytest.mark.parametrize(
    ("name", "channels", "kwargs"),
    [
        ("six.wav", 6, {"subtype": "PCM_16"}),
        ("six_float.wav", 6, {"subtype": "FLOAT"}),
        ("big.rf64", 2, {"subtype": "PCM_16", "format": "RF64"}),
        ("be.aiff", 1, {"subtype": "PCM_16"}),
        ("le.aifc", 2, {"subtype": "PCM_16", "format": "AIFF", "endian": "LITTLE"}),
        ("float.aiff", 1, {"subtype": "FLOAT"}),
    ],
)
def test_uncompressed_files_are_read_directly_and_exactly(
    tmp_path: Path, name: str, channels: int, kwargs: dict[str, str]
) -> None:
    path = write_in_blocks(tmp_path / name, _noise(30_000, channels), **kwargs)
    assert direct_layout(probe(path)) is not None
    with SampleReader(path) as reader:
        got = reader.read_mono(0, 30_000)
    np.testing.assert_allclose(got, file_mono(path), rtol=0, atol=1e-6 if channels > 1 else 0)


def test_24_bit_files_are_left_to_libsndfile(audio_files: dict[str, Path]) -> None:
    assert direct_layout(probe(audio_files["wav24_6ch"])) is None


def _time_decodes(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record when (time.monotonic()) every block any FrameDecoder decodes starts."""
    decoded_at: list[float] = []
    real_read_sum = FrameDecoder.read_sum

    def timed_read_sum(self: FrameDecoder, start: int, frames: int) -> np.ndarray:
        decoded_at.append(time.monotonic())
        return real_read_sum(self, start, frames)

    monkeypatch.setattr(FrameDecoder, "read_sum", timed_read_sum)
    return decoded_at


def test_deep_zoom_rereads_of_a_compressed_file_decode_nothing_new(
    audio_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = count_decodes(monkeypatch)
    with SampleReader(audio_files["mp3"]) as reader:
        first = reader.read_mono(100_000, 110_000)
        decoded = len(reads)
        assert decoded > 0
        for shift in range(0, 5000, 250):  # a user dragging around one spot
            reader.read_mono(100_000 + shift, 110_000 + shift)
        assert len(reads) == decoded
        np.testing.assert_array_equal(reader.read_mono(100_000, 110_000), first)
        reader.warm_up()  # moves the handle to the end; cached reads stay the same
        np.testing.assert_array_equal(reader.read_mono(100_000, 110_000), first)
        np.testing.assert_allclose(
            reader.read_mono(RATE * 3 - 700, RATE * 3),
            file_mono(audio_files["mp3"])[-700:],
            atol=1e-6,
        )


def test_float_nan_and_inf_are_sanitised(tmp_path: Path) -> None:
    data = _noise(4000, 2)
    data[10, 0] = np.nan
    data[20, 1] = np.inf
    data[30, :] = -np.inf
    data[40, 0] = 7.5  # overshoot in a float file
    path = write_in_blocks(tmp_path / "nan.wav", data, subtype="FLOAT")
    with SampleReader(path) as reader:
        got = reader.read_mono(0, 4000)
    assert np.isfinite(got).all()
    assert np.abs(got).max() <= 1.0
    assert got[10] == pytest.approx(data[10, 1] / 2)  # NaN counts as 0
    assert got[20] == pytest.approx((data[20, 0] + 1) / 2)  # +Inf counts as 1
    assert got[30] == -1.0
    assert got[40] == 1.0


def test_a_reader_shared_by_threads_returns_consistent_samples(
    audio_files: dict[str, Path],
) -> None:
    path = audio_files["ogg_vorbis"]
    expected = file_mono(path)
    failures: list[str] = []
    with SampleReader(path) as reader:

        def play(offset: int) -> None:
            for start in range(offset, offset + 40_000, 4096):  # playback-sized blocks
                got = reader.read_mono(start, start + 4096)
                if not np.array_equal(got, expected[start : start + 4096].astype(np.float32)):
                    failures.append(f"block at {start}")

        threads = [threading.Thread(target=play, args=(o,)) for o in (0, 60_000)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []


def test_a_closed_reader_refuses_to_read(audio_files: dict[str, Path]) -> None:
    reader = SampleReader(audio_files["wav_float"])
    reader.close()
    reader.close()
    with pytest.raises(ValueError, match="closed"):
        reader.read_mono(0, 10)


def test_the_audio_core_imports_no_qt() -> None:
    code = (
        "import sys, pvc_sample_editor.audio, pvc_sample_editor.audio.loader; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')]; "
        "sys.exit(str(bad) if bad else 0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# ---------------------------------------------------------------- background work


@pytest.fixture(scope="module")
def long_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """30-second FLAC and MP3 files: about 22 of the reader's cache chunks each."""
    folder = tmp_path_factory.mktemp("long")
    data = _noise(RATE * 30, 1, seed=11)
    return {
        "flac": write_in_blocks(folder / "long.flac", data, subtype="PCM_16"),
        "mp3": write_in_blocks(folder / "long.mp3", data, format="MP3"),
    }


@pytest.mark.parametrize("fmt", ["flac", "mp3"])
def test_a_prefetched_neighbourhood_is_read_without_decoding_again(
    long_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    path = long_files[fmt]
    expected = file_mono(path)
    reads = count_decodes(monkeypatch)
    with SampleReader(path) as reader:
        reader.prefetch(RATE * 10, RATE * 20)
        assert reader.wait_background(timeout=30)
        assert reads, "the prefetch decoded nothing"
        decoded = len(reads)
        for start in range(RATE * 10, RATE * 20 - 50_000, 37_000):  # zooming and panning
            got = reader.read_mono(start, start + 50_000)
            np.testing.assert_allclose(got, expected[start : start + 50_000], rtol=0, atol=1e-6)
        assert len(reads) == decoded
        reader.read_mono(RATE * 25, RATE * 25 + 1000)  # outside: decoded on demand
        assert len(reads) > decoded


def test_prefetch_asks_for_at_most_half_the_cache_nearest_the_middle(
    long_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = count_decodes(monkeypatch)
    chunk = source_module._READER_CHUNK_FRAMES
    with SampleReader(long_files["flac"]) as reader:
        reader.prefetch(0, RATE * 30)  # all 22 chunks asked for
        assert reader.wait_background(timeout=30)
    chunks = sorted({start // chunk for start in reads})
    assert len(chunks) == source_module._READER_CACHE_CHUNKS // 2
    middle = RATE * 15 // chunk
    assert chunks[0] <= middle <= chunks[-1]
    assert chunks == list(range(chunks[0], chunks[0] + len(chunks)))  # one run, in order


def test_reads_race_a_prefetch_and_close_ends_it(long_files: dict[str, Path]) -> None:
    path = long_files["mp3"]
    expected = file_mono(path)
    reader = SampleReader(path)
    reader.warm_up(background=True)
    reader.prefetch(0, RATE * 30)
    results: list[np.ndarray] = []
    other = threading.Thread(target=lambda: results.append(reader.read_mono(RATE * 7, RATE * 8)))
    other.start()  # a player thread reading while the view's prefetch runs
    here = reader.read_mono(RATE * 21, RATE * 22)
    other.join()
    np.testing.assert_allclose(here, expected[RATE * 21 : RATE * 22], rtol=0, atol=1e-6)
    np.testing.assert_allclose(results[0], expected[RATE * 7 : RATE * 8], rtol=0, atol=1e-6)
    reader.prefetch(RATE * 20, RATE * 30)  # replaces what is still wanted
    reader.close()  # mid-prefetch: returns once the background thread has ended
    assert not [t for t in threading.enumerate() if t.name == "pvc-reader"]
    reader.prefetch(0, RATE)  # after close: ignored, no thread started
    reader.warm_up(background=True)
    assert not [t for t in threading.enumerate() if t.name == "pvc-reader"]
    with pytest.raises(ValueError, match="closed"):
        reader.read_mono(0, 10)


def test_a_warm_up_seeks_to_the_end_in_steps_that_close_can_come_between(
    long_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source_module, "_WARM_UP_STEP_FRAMES", RATE)  # 30 steps
    reads = count_decodes(monkeypatch)
    with SampleReader(long_files["mp3"]) as reader:
        reader.warm_up(background=True)
        assert reader.wait_background(timeout=30)
        frames = reader.info.frames
    assert reads == [*range(RATE - 1, frames - 1, RATE), frames - 1]

    real_read_sum = FrameDecoder.read_sum

    def slow_read_sum(self: FrameDecoder, start: int, frames: int) -> np.ndarray:
        time.sleep(0.01)  # a long file's scan: 30 steps now take 0.3 s
        return real_read_sum(self, start, frames)

    monkeypatch.setattr(FrameDecoder, "read_sum", slow_read_sum)
    reads.clear()
    reader = SampleReader(long_files["mp3"])
    reader.warm_up(background=True)
    time.sleep(0.05)
    reader.close()  # returns after the step in hand, not after the whole scan
    assert 0 < len(reads) < 15
    assert not [t for t in threading.enumerate() if t.name == "pvc-reader"]


def test_held_background_work_waits_for_the_hold_and_no_longer(
    long_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A view holds the reader while it paints; prefetch decodes after, not during."""
    decoded_at = _time_decodes(monkeypatch)
    monkeypatch.setattr(source_module, "_MAX_HOLD_SECS", 0.15)
    with SampleReader(long_files["mp3"]) as reader:
        held_at = time.monotonic()
        reader.hold_background(0.3)  # longer than one job may wait: the cap decides
        reader.prefetch(RATE * 10, RATE * 20)
        assert reader.wait_background(timeout=30)
    assert decoded_at, "the prefetch never ran"
    first = decoded_at[0] - held_at
    assert 0.15 <= first < 0.3, f"first decode {first:.3f} s after a 0.3 s hold capped at 0.15"


def test_a_view_that_never_stops_redrawing_still_gets_its_prefetch(
    long_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source_module, "_MAX_HOLD_SECS", 0.02)
    with SampleReader(long_files["flac"]) as reader:
        reader.prefetch(RATE * 10, RATE * 20)
        deadline = time.monotonic() + 30
        while reader._background is not None and time.monotonic() < deadline:
            reader.hold_background(0.01)  # a frame every 5 ms, each holding for 10 ms
            time.sleep(0.005)
        assert reader.wait_background(timeout=5)
        assert reader._chunks, "prefetch starved by holds"


def test_uncompressed_files_need_no_background_work(
    audio_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = count_decodes(monkeypatch)
    with SampleReader(audio_files["aiff16"]) as reader:
        reader.prefetch(0, RATE * 3)
        reader.warm_up(background=True)
        assert not [t for t in threading.enumerate() if t.name == "pvc-reader"]
    assert reads == []


def test_zooming_towards_samples_prefetches_them(
    long_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Near the pyramid's finest level the document decodes the view's neighbourhood
    ahead, so the first frames drawn from samples find them decoded."""
    from pvc_sample_editor.audio.document import load_audio_document

    path = long_files["flac"]
    doc = load_audio_document(path)
    try:
        assert doc.reader.wait_background(timeout=30)  # the warm-up after loading
        reads = count_decodes(monkeypatch)
        columns = 100  # samples are drawn below 256 frames per column: 25 600 frames
        middle = RATE * 15
        doc.envelope(0, doc.frames, columns)  # whole file: far from samples
        doc.envelope(middle - 200_000, middle + 200_000, columns)  # 16 columns per bucket
        assert doc.reader.wait_background(timeout=30)
        assert reads == []
        doc.envelope(middle - 40_000, middle + 40_000, columns)  # within 4x: prefetch
        assert doc.reader.wait_background(timeout=30)
        decoded = len(reads)
        assert decoded > 0
        for shift in (0, 12_000, -12_000):  # zoom in to samples and pan around
            _, y = doc.envelope(middle - 10_000 + shift, middle + 10_000 + shift, columns)
            assert y.size == 2 * columns
        assert len(reads) == decoded
    finally:
        doc.close()


def test_the_document_holds_its_prefetch_while_a_frame_is_drawn(
    long_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pvc_sample_editor.audio import document as audio_document
    from pvc_sample_editor.audio.document import load_audio_document

    monkeypatch.setattr(audio_document, "_FRAME_HOLD_SECS", 0.04)
    doc = load_audio_document(long_files["mp3"])
    try:
        assert doc.reader.wait_background(timeout=30)  # the warm-up after loading
        decoded_at = _time_decodes(monkeypatch)
        middle = RATE * 15
        asked_at = time.monotonic()
        doc.envelope(middle - 40_000, middle + 40_000, 100)  # within 4x of samples
        assert doc.reader.wait_background(timeout=30)
        assert decoded_at, "no prefetch"
        assert decoded_at[0] - asked_at >= 0.04
    finally:
        doc.close()


def test_the_interpreter_waits_for_a_reader_decode_before_exiting(
    long_files: dict[str, Path],
) -> None:
    # A script, or a crash path, may exit without closing a reader. The warm-up is
    # asked from a daemon thread, as the app's loader asks it (a thread inherits the
    # flag), and the process must still wait for it (see exit_during_a_slow_decode).
    body = (
        "from pvc_sample_editor.audio import SampleReader\n"
        "reader = SampleReader(path)\n"
        "kwargs = {'background': True}\n"
        "threading.Thread(target=reader.warm_up, kwargs=kwargs, daemon=True).start()"
    )
    assert exit_during_a_slow_decode(body, long_files["mp3"]) == ["exiting", "decoded"]
