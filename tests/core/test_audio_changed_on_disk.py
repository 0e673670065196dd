"""A file overwritten, cut short, replaced or deleted while it is open.

Reads after the change used to return nothing (taken for a cut-short file), new
samples under the old length, or, once libsndfile could not reopen the file, an
``AudioLoadError`` followed by an ``AssertionError`` from the reader on every later
read: several crash dialogs. Now every read after the change raises one typed error,
:class:`AudioFileChangedError`, whose message says the file changed on disk; for every
format the loader streams.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from conftest import write_in_blocks
from pvc_sample_editor.audio import (
    BUCKET_SIZES,
    AudioFileChangedError,
    SampleReader,
    load_pyramid,
)
from pvc_sample_editor.audio import loader as loader_module

RATE = 48_000
SECONDS = 4

# name: (suffix, soundfile keyword arguments); every container the loader streams,
# both ways of reading a WAV (plain block reads of 16-bit PCM, libsndfile for 24-bit)
# and an encoding that cannot seek (GSM 6.10, read front to back).
FORMATS: dict[str, tuple[str, dict[str, str]]] = {
    "wav16": (".wav", {"subtype": "PCM_16"}),
    "wav24": (".wav", {"subtype": "PCM_24"}),
    "aiff": (".aiff", {"subtype": "PCM_16"}),
    "flac": (".flac", {"subtype": "PCM_16"}),
    "mp3": (".mp3", {"format": "MP3", "subtype": "MPEG_LAYER_III"}),
    "ogg_vorbis": (".ogg", {"format": "OGG", "subtype": "VORBIS"}),
    "opus": (".opus", {"format": "OGG", "subtype": "OPUS"}),
    "wav_gsm": (".wav", {"subtype": "GSM610"}),
}


def _signal(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    frames = int(RATE * seconds)
    return (0.5 * rng.uniform(-1, 1, (frames, 1))).astype(np.float32)


def _write(path: Path, name: str, seconds: float, seed: int) -> Path:
    _suffix, kwargs = FORMATS[name]
    rate = 8000 if name == "wav_gsm" else RATE  # GSM 6.10 is 8 kHz mono
    data = _signal(seconds, seed)[: int(rate * seconds)]
    return write_in_blocks(path, data, rate, **kwargs)


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("originals")
    return {
        name: _write(folder / f"{name}{suffix}", name, SECONDS, 1).read_bytes()
        for name, (suffix, _) in FORMATS.items()
    }


def _cut_to_a_third(path: Path, name: str) -> None:
    os.truncate(path, path.stat().st_size // 3)


def _cut_to_ten_bytes(path: Path, name: str) -> None:
    os.truncate(path, 10)


def _overwritten(path: Path, name: str) -> None:
    """Written again in place (same inode), shorter and with other samples."""
    _write(path, name, 1.5, 2)


def _replaced(path: Path, name: str) -> None:
    """Saved the way editors save: a new file renamed over the old one."""
    tmp = path.with_name("new-" + path.name)
    _write(tmp, name, SECONDS, 3)
    os.replace(tmp, path)


def _deleted(path: Path, name: str) -> None:
    path.unlink()


CHANGES: dict[str, Callable[[Path, str], None]] = {
    "cut_to_a_third": _cut_to_a_third,
    "cut_to_ten_bytes": _cut_to_ten_bytes,
    "overwritten": _overwritten,
    "replaced": _replaced,
    "deleted": _deleted,
}


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("name", FORMATS)
def test_reads_after_a_change_fail_with_one_clear_error(
    tmp_path: Path, originals: dict[str, bytes], name: str, change: str
) -> None:
    path = tmp_path / f"take{FORMATS[name][0]}"
    path.write_bytes(originals[name])
    with SampleReader(path) as reader:
        end = reader.info.frames
        assert reader.read_mono(0, 1000).size == 1000  # it reads before the change
        CHANGES[change](path, name)
        messages = []
        for start, stop in ((end - 3000, end - 1000), (0, 1000), (end // 2, end // 2 + 10)):
            with pytest.raises(AudioFileChangedError) as caught:
                reader.read_mono(start, stop)
            messages.append(str(caught.value))
        assert len(set(messages)) == 1
        assert f"“{path.name}” changed on disk" in messages[0]
        assert "Open it again" in messages[0]
        # The reader's own load refuses too, with the same error.
        with pytest.raises(AudioFileChangedError):
            load_pyramid(path, reader=reader, use_cache=False)


@pytest.mark.parametrize("change", ["cut_to_a_third", "overwritten", "replaced"])
@pytest.mark.parametrize("name", FORMATS)
def test_a_change_during_the_load_is_one_clear_error(
    tmp_path: Path,
    originals: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    change: str,
) -> None:
    """Changed while the workers decode: the load raises AudioFileChangedError, nothing else."""
    monkeypatch.setattr(loader_module, "_BLOCK_BYTES", 4 * BUCKET_SIZES[-1])
    path = tmp_path / f"take{FORMATS[name][0]}"
    path.write_bytes(originals[name])
    changed = threading.Event()

    def change_once(pyramid: object, fraction: float) -> None:
        if not changed.is_set():
            changed.set()
            CHANGES[change](path, name)

    with pytest.raises(AudioFileChangedError, match="changed on disk"):
        load_pyramid(path, workers=2, on_progress=change_once, use_cache=False)
    assert changed.is_set()


def test_a_rewrite_with_the_same_size_and_time_is_not_served_from_the_cache(
    tmp_path: Path,
) -> None:
    """The peak cache's key was path, size and mtime: a same-size rewrite within the
    file system's time resolution (a second on some) showed the old waveform."""
    path = tmp_path / "take.wav"
    write_in_blocks(path, _signal(2, 1), RATE, subtype="PCM_16")
    first = load_pyramid(path)
    assert not first.from_cache
    stat = path.stat()
    write_in_blocks(path, _signal(2, 2) * 0.1, RATE, subtype="PCM_16")  # much quieter
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    second = load_pyramid(path)
    assert not second.from_cache
    assert float(second.maxs[-1].max()) < 0.1
    assert load_pyramid(path).from_cache  # and the new content is cached in turn
