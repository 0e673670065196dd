"""The split of long recordings: balanced parts, cuts in pauses, exact when put back.

Recordings are generated with espeak-ng (``labelled.make_clip``): phrases separated by
pauses whose places are known, with room noise, breaths and clicks in the pauses. The
scale is shrunk (parts of 30 s rather than 30 min) through the core's ``max_seconds``;
the verb is run the same way through ``--max-minutes``.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import labelled
import numpy as np
import pytest
import soundfile as sf

from pvc_sample_editor.cli import HEADLESS_VERBS
from pvc_sample_editor.commands import split as split_verb
from pvc_sample_editor.editing.split import (
    SplitCancelled,
    SplitError,
    cut_windows,
    part_count,
    plan_split,
    split_file,
    write_split,
)

pytestmark = pytest.mark.skipif(not labelled.have_espeak(), reason="needs espeak-ng")

RATE = 22050
#: Margin a cut must keep from the speech either side of its pause.
EDGE_MS = 40


def _speech(
    tmp_path: Path,
    seconds: float,
    *,
    name: str = "take.wav",
    subtype: str = "PCM_16",
    channels: int = 1,
    seed: int = 0,
) -> tuple[Path, labelled.Clip]:
    rng = np.random.default_rng(seed)
    gaps: list[float] = []
    length = 2.0  # the clip's lead and tail
    while length < seconds:  # phrases cycle through labelled.PHRASES
        length += labelled.phrase(labelled.PHRASES[len(gaps) % 6], RATE).size / RATE
        gaps.append(float(rng.uniform(0.35, 1.6)))
        length += gaps[-1]
    clip = labelled.make_clip(
        RATE, tuple(gaps[:-1]), snr_db=35, breaths=True, clicks=True, seed=seed
    )
    data = clip.samples if channels == 1 else np.stack([clip.samples] * channels, axis=1)
    if channels > 1:
        data[:, 1] *= 0.5  # the channels differ, so a swap or a mix-down would show
    path = tmp_path / name
    sf.write(path, data, RATE, subtype=subtype)
    return path, clip


def _assert_cut_in_pause(ms: int, clip: labelled.Clip) -> None:
    inside = [(a, b) for a, b in clip.pauses_ms if a + EDGE_MS <= ms <= b - EDGE_MS]
    assert inside, f"cut at {ms} ms is not inside any pause (pauses: {clip.pauses_ms})"


def test_cuts_fall_in_pauses_and_parts_concatenate_to_the_original(tmp_path: Path) -> None:
    path, clip = _speech(tmp_path, 75)
    out = tmp_path / "parts"
    out.mkdir()
    parts = split_file(path, out, max_seconds=35, search_seconds=6)
    original, _ = sf.read(path, dtype="int16")
    duration_ms = original.size * 1000 / RATE
    assert len(parts) == 3  # 75 s into three of ~25 s, not 35 + 35 + 5
    pieces = []
    for part in parts:
        data, rate = sf.read(part.path, dtype="int16")
        info = sf.info(str(part.path))
        assert (rate, info.format, info.subtype) == (RATE, "FLAC", "PCM_16")
        assert data.size <= 35 * RATE  # within its bound
        assert abs(data.size / RATE - duration_ms / 3000) <= 2 * 5.0  # balanced: ±2 reaches
        pieces.append(data)
    assert np.array_equal(np.concatenate(pieces), original)
    for part in parts[:-1]:
        assert part.ends_in_pause
        _assert_cut_in_pause(round(part.stop_frame * 1000 / RATE), clip)
    assert [p.start_ms for p in parts[1:]] == [p.end_ms for p in parts[:-1]]
    assert parts[0].start_ms == 0
    assert parts[-1].end_ms == round(duration_ms)


def test_the_quietest_pause_near_the_target_wins_over_the_nearest(tmp_path: Path) -> None:
    """A pause with a loud hum right at the target loses to a silent one seconds away."""
    path, clip = _speech(tmp_path, 62, seed=3)
    data, _ = sf.read(path, dtype="float32")
    target_ms = data.size * 1000 // RATE // 3  # 62 s in 3 parts: first cut near a third
    nearest = min(clip.pauses_ms, key=lambda p: abs((p[0] + p[1]) / 2 - target_ms))
    hum = 0.02 * np.sin(2 * np.pi * 300 * np.arange(data.size) / RATE).astype(np.float32)
    a, b = (nearest[0] * RATE // 1000, nearest[1] * RATE // 1000)
    data[a:b] += hum[a:b]
    sf.write(path, data, RATE, subtype="PCM_16")
    plan = plan_split(path, tmp_path, max_seconds=30, search_seconds=6)
    cut_ms = plan.parts[0].end_ms
    _assert_cut_in_pause(cut_ms, clip)
    assert not nearest[0] <= cut_ms <= nearest[1]


@pytest.mark.parametrize(
    ("subtype", "channels", "fmt", "out_subtype", "dtype"),
    [
        ("PCM_24", 2, "FLAC", "PCM_24", "int32"),
        ("PCM_U8", 1, "FLAC", "PCM_S8", "int16"),
        ("FLOAT", 2, "WAV", "FLOAT", "float32"),
        ("DOUBLE", 1, "WAV", "DOUBLE", "float64"),
        ("PCM_32", 1, "WAV", "PCM_32", "int32"),
    ],
)
def test_every_depth_comes_back_sample_for_sample(
    tmp_path: Path, subtype: str, channels: int, fmt: str, out_subtype: str, dtype: str
) -> None:
    path, _ = _speech(tmp_path, 40, subtype=subtype, channels=channels, seed=1)
    if subtype in ("FLOAT", "DOUBLE"):  # floats above full scale must survive too
        data, _ = sf.read(path, dtype=dtype)
        sf.write(path, data * 4.0, RATE, subtype=subtype)
    out = tmp_path / "parts"
    out.mkdir()
    parts = split_file(path, out, max_seconds=25, search_seconds=5)
    assert len(parts) == 2
    original, _ = sf.read(path, dtype=dtype, always_2d=True)
    pieces = [sf.read(p.path, dtype=dtype, always_2d=True)[0] for p in parts]
    for p in parts:
        info = sf.info(str(p.path))
        assert (info.format, info.subtype, info.channels) == (fmt, out_subtype, channels)
    assert np.array_equal(np.concatenate(pieces), original)


def test_balanced_part_counts() -> None:
    minute = 60 * 48_000
    assert part_count(70 * minute, 48_000, 1800, 120) == 3
    assert part_count(90 * minute, 48_000, 1800, 120) == 4  # 3 × 30 would leave no room
    assert part_count(60 * minute, 48_000, 1800, 120) == 3
    assert part_count(36 * minute, 48_000, 1800, 120) == 2
    assert part_count(20 * minute, 48_000, 1800, 120) == 1
    frames = 181 * minute + 12_345
    count = part_count(frames, 48_000, 1800, 120)
    windows = cut_windows(frames, 48_000, count, 1800, 120)
    # Worst case: every cut at the far edge of its window, either way.
    for picks in ([w[0] for w in windows], [w[2] - 1 for w in windows]):
        edges = [0, *picks, frames]
        assert max(np.diff(edges)) <= 1800 * 48_000


def test_nothing_is_overwritten_and_nothing_is_left_behind(tmp_path: Path) -> None:
    path, _ = _speech(tmp_path, 40)
    before = path.read_bytes()
    plan = plan_split(path, tmp_path, max_seconds=25, search_seconds=5)
    plan.parts[1].path.write_bytes(b"mine")
    with pytest.raises(SplitError, match="already exists"):
        write_split(plan)
    assert plan.parts[1].path.read_bytes() == b"mine"
    assert not plan.parts[0].path.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [path.name, plan.parts[1].path.name]
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    stops = iter([False, False, True])
    with pytest.raises(SplitCancelled):
        write_split(
            plan_split(path, elsewhere, max_seconds=25, search_seconds=5),
            should_stop=lambda: next(stops, True),
        )
    assert path.read_bytes() == before
    assert list(elsewhere.iterdir()) == []


def _run_verb(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = split_verb.run(argv, out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_the_verb_prints_the_parts_as_json_and_as_lines(tmp_path: Path) -> None:
    assert HEADLESS_VERBS["split"] == split_verb.__name__
    path, clip = _speech(tmp_path, 75)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    status, out, err = _run_verb(
        [str(path), "--out", str(tmp_path / "a"), "--max-minutes", "0.6", "--json"]
    )
    assert (status, err) == (0, "")
    listed = json.loads(out)
    assert [set(p) for p in listed] == [{"path", "start_ms", "end_ms"}] * 3
    assert listed[0]["start_ms"] == 0
    assert [p["start_ms"] for p in listed[1:]] == [p["end_ms"] for p in listed[:-1]]
    for p in listed[:-1]:
        _assert_cut_in_pause(p["end_ms"], clip)
    status, out, _ = _run_verb([str(path), "--out", str(tmp_path / "b"), "--max-minutes", "0.6"])
    lines = [line.split("\t") for line in out.splitlines()]
    assert status == 0
    assert [(Path(p).name, int(a), int(b)) for p, a, b in lines] == [
        (Path(p["path"]).name, p["start_ms"], p["end_ms"]) for p in listed
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{missing}", "--out", "{dir}"], "was not found"),
        (["{file}", "--out", "{dir}/nowhere"], "does not exist. Create it"),
        (["{file}", "--out", "{file}"], "is a file, not a folder"),
        (["{file}", "--out", "{dir}", "--max-minutes", "0"], "above 0"),
        (["{file}", "--out", "{dir}", "--max-minutes", "nan"], "above 0"),
        (["{file}"], "--out"),
    ],
)
def test_the_verb_says_what_is_wrong(tmp_path: Path, argv: list[str], message: str) -> None:
    path, _ = _speech(tmp_path, 40)
    args = [a.format(file=path, dir=tmp_path, missing=tmp_path / "gone.wav") for a in argv]
    args += ["--max-minutes", "0.4"] if "--max-minutes" not in args and len(args) > 1 else []
    status, out, err = _run_verb(args)
    assert status == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_the_verb_leaves_a_short_file_alone(tmp_path: Path) -> None:
    path, _ = _speech(tmp_path, 10)
    status, out, err = _run_verb([str(path), "--out", str(tmp_path), "--json"])
    assert (status, json.loads(out)) == (0, [])
    assert "nothing to split" in err
    assert sorted(tmp_path.iterdir()) == [path]


def test_the_verb_runs_from_the_command_line(tmp_path: Path) -> None:
    import subprocess

    path, _ = _speech(tmp_path, 40)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pvc_sample_editor",
            "split",
            str(path),
            "--out",
            str(tmp_path),
            "--max-minutes",
            "0.4",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 2


def test_the_verb_warns_when_no_pause_is_near_a_cut(tmp_path: Path) -> None:
    """Unbroken sound (a held note) has no pause: the parts are still exact, exit 1."""
    t = np.arange(40 * RATE) / RATE
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.2 * np.sin(2 * np.pi * 3 * t)) / 1.2
    path = tmp_path / "held.wav"
    sf.write(path, tone.astype(np.float32), RATE, subtype="PCM_16")
    (tmp_path / "out").mkdir()
    status, out, err = _run_verb(
        [str(path), "--out", str(tmp_path / "out"), "--max-minutes", "0.4", "--json"]
    )
    assert status == 1
    assert "no pause near" in err
    parts = json.loads(out)
    assert len(parts) == 2
    joined = np.concatenate([sf.read(p["path"], dtype="int16")[0] for p in parts])
    assert np.array_equal(joined, sf.read(path, dtype="int16")[0])
