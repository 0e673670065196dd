"""A voice's recordings folder: each sample finds its own file, and a wrong one is said."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from pvc_sample_editor.api.models import Sample
from pvc_sample_editor.editing.recordings import (
    FolderGoneError,
    MatchKind,
    duration_agrees,
    match_samples,
    scan_folder,
)

RATE = 8000


def _wav(path: Path, seconds: float, *, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    sf.write(path, rng.uniform(-0.3, 0.3, round(seconds * RATE)), RATE, subtype="PCM_16")
    return path


def _sample(sample_id: str, file_name: str, path: Path | None, seconds: float) -> Sample:
    """A sample as the server lists it; ``path`` is the uploaded file (for its size)."""
    size = path.stat().st_size if path is not None else None
    return Sample(sample_id, file_name, size_bytes=size, duration_secs=seconds)


def test_a_sample_finds_its_file_by_name_in_a_subfolder(tmp_path: Path) -> None:
    take = _wav(tmp_path / "day 2" / "Take 1.WAV", 2.0)
    _wav(tmp_path / "other.wav", 3.0)
    copies = match_samples([_sample("s1", "take 1.wav", None, 2.0)], scan_folder(tmp_path))
    assert copies["s1"].path == take
    assert copies["s1"].how is MatchKind.NAME
    assert copies["s1"].usable


def test_renamed_on_the_server_it_is_found_by_size(tmp_path: Path) -> None:
    original = _wav(tmp_path / "raw_0001.wav", 1.5, seed=1)
    _wav(tmp_path / "raw_0002.wav", 1.2, seed=2)
    sample = _sample("s1", "Chapter one.wav", original, 1.5)
    copies = match_samples([sample], scan_folder(tmp_path))
    assert (copies["s1"].path, copies["s1"].how) == (original, MatchKind.SIZE)


def test_converted_copy_is_found_by_a_duration_no_other_file_has(tmp_path: Path) -> None:
    flac = tmp_path / "interview.flac"
    sf.write(flac, np.zeros(RATE * 4), RATE)
    _wav(tmp_path / "intro.wav", 2.0)
    sample = Sample("s1", "interview (final).mp3", size_bytes=999_999, duration_secs=4.03)
    copies = match_samples([sample], scan_folder(tmp_path))
    assert (copies["s1"].path, copies["s1"].how) == (flac, MatchKind.DURATION)


def test_two_files_of_the_same_length_are_a_guess_so_neither_is_used(tmp_path: Path) -> None:
    _wav(tmp_path / "a.wav", 2.0, seed=1)
    _wav(tmp_path / "b.wav", 2.0, seed=2)
    sample = Sample("s1", "c.wav", duration_secs=2.0)
    copy = match_samples([sample], scan_folder(tmp_path))["s1"]
    assert copy.path is None
    assert not copy.usable
    assert copy.problem == ""


def test_a_same_named_file_of_another_length_is_said_and_not_used(tmp_path: Path) -> None:
    _wav(tmp_path / "take.wav", 3.0)
    copy = match_samples([Sample("s1", "take.wav", duration_secs=5.0)], scan_folder(tmp_path))["s1"]
    assert not copy.usable
    assert copy.path == tmp_path / "take.wav"
    assert "0:00:03.000" in copy.problem
    assert "0:00:05.000" in copy.problem
    assert "not used" in copy.problem


def test_a_wrong_name_match_gives_way_to_the_right_size(tmp_path: Path) -> None:
    _wav(tmp_path / "take.wav", 3.0, seed=1)  # another take under the sample's name
    right = _wav(tmp_path / "export" / "final.wav", 5.0, seed=2)
    sample = _sample("s1", "take.wav", right, 5.0)
    copy = match_samples([sample], scan_folder(tmp_path))["s1"]
    assert (copy.path, copy.how, copy.problem) == (right, MatchKind.SIZE, "")


def test_a_file_is_given_to_one_sample_only(tmp_path: Path) -> None:
    shared = _wav(tmp_path / "a.wav", 2.0)
    first = _sample("s1", "a.wav", shared, 2.0)
    second = Sample("s2", "renamed.wav", size_bytes=first.size_bytes, duration_secs=2.0)
    copies = match_samples([second, first], scan_folder(tmp_path))
    assert copies["s1"].path == shared  # its name wins over the other's size
    assert copies["s2"].path is None


def test_unreadable_audio_is_not_used(tmp_path: Path) -> None:
    (tmp_path / "take.wav").write_bytes(b"RIFF" + b"\0" * 40)
    copy = match_samples([Sample("s1", "take.wav", duration_secs=1.0)], scan_folder(tmp_path))["s1"]
    assert not copy.usable
    assert "cannot be read" in copy.problem


def test_scan_lists_audio_only_and_skips_hidden_and_deep_folders(tmp_path: Path) -> None:
    _wav(tmp_path / "a.wav", 0.1)
    (tmp_path / "notes.txt").write_text("x")
    _wav(tmp_path / ".trash" / "b.wav", 0.1)
    _wav(tmp_path / "1" / "2" / "3" / "4" / "deep.wav", 0.1)
    _wav(tmp_path / "1" / "2" / "3" / "shallow.wav", 0.1)
    names = sorted(f.path.name for f in scan_folder(tmp_path).files)
    assert names == ["a.wav", "shallow.wav"]


def test_a_folder_that_is_gone_says_so(tmp_path: Path) -> None:
    with pytest.raises(FolderGoneError, match=r"not there.*preview"):
        scan_folder(tmp_path / "unplugged")


@pytest.mark.parametrize(
    ("local", "sample", "same"),
    [
        (10_000, 10_100, True),
        (10_000, 10_101, False),
        (600_000, 603_000, True),
        (600_000, 604_000, False),
    ],
)
def test_duration_tolerance(local: int, sample: int, same: bool) -> None:
    assert duration_agrees(local, sample) is same
