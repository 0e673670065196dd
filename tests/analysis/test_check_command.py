"""``pvc-sample-editor check``: formats, regions, JSON, exit statuses and broken files."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import labelled
import numpy as np
import pytest
import soundfile as sf

from pvc_sample_editor.analysis import AnalysisCancelled, Report, analyse_file
from pvc_sample_editor.commands.check import run

RATE = 48_000
JSON_KEYS = {
    "file", "start_ms", "end_ms", "duration_ms", "rms_dbfs", "true_peak_dbtp",
    "integrated_lufs", "noise_floor_dbfs", "clipped_runs", "dc_offset", "speech_ratio",
    "long_pauses", "suggested_trim_start_ms", "suggested_trim_end_ms", "verdict", "findings",
}  # fmt: skip


def check(*args: str | Path) -> tuple[int, str, str]:
    """Run the verb in this process; returns (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    status = run([str(a) for a in args], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, labelled.Clip]:
    """A clean speech recording peaking at -4 dBFS with one long pause, as a 16-bit WAV."""
    if not labelled.have_espeak():
        pytest.skip("needs espeak-ng")
    clip = labelled.make_clip(RATE, (0.7, 2.4), lead_s=0.8, tail_s=0.8, snr_db=45.0)
    samples = clip.samples * np.float32(10 ** (-4 / 20) / np.abs(clip.samples).max())
    clip = labelled.Clip(samples, RATE, clip.truth, clip.onset_ms, clip.offset_ms, clip.pauses_ms)
    path = tmp_path_factory.mktemp("check") / "speech.wav"
    sf.write(path, samples, RATE, subtype="PCM_16")
    return path, clip


def _rms_db(path: Path) -> float:
    data = sf.read(path, dtype="float64")[0]
    return float(10 * np.log10(np.mean(data**2)))


def _convert(source: Path, target: Path, subtype: str | None = None) -> Path:
    data, rate = sf.read(source, dtype="float32")
    sf.write(target, data, rate, subtype=subtype)
    return target


def test_json_has_every_key_with_integer_times(speech: tuple[Path, labelled.Clip]) -> None:
    path, clip = speech
    status, out, err = check(path, "--json")
    lines = out.splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert obj.keys() >= JSON_KEYS
    assert obj["file"] == str(path)
    for key in ("start_ms", "end_ms", "duration_ms", "suggested_trim_start_ms"):
        assert isinstance(obj[key], int)
    assert obj["rms_dbfs"] == pytest.approx(_rms_db(path), abs=0.01)
    assert obj["true_peak_dbtp"] == pytest.approx(-4.0, abs=0.5)
    assert len(obj["long_pauses"]) == 1
    true_start, true_end = clip.pauses_ms[1]
    assert obj["long_pauses"][0][0] == pytest.approx(true_start, abs=250)
    assert obj["long_pauses"][0][1] == pytest.approx(true_end, abs=250)
    assert obj["suggested_trim_start_ms"] <= clip.onset_ms
    assert obj["suggested_trim_end_ms"] >= clip.offset_ms
    assert {f["check"] for f in obj["findings"]} >= {"rms", "true_peak", "clipping"}
    # A long pause warns, nothing fails: exit 0.
    assert obj["verdict"] == "warn"
    assert [f["check"] for f in obj["findings"] if f["verdict"] == "fail"] == []
    assert status == 0
    assert err == ""


def test_table_names_each_line_and_the_trims(speech: tuple[Path, labelled.Clip]) -> None:
    path, _ = speech
    status, out, _ = check(path)
    assert status == 0
    assert out.splitlines()[0].startswith(f"{path}  0:00.000-")
    for label in ("RMS level", "True peak", "Noise floor", "Clipped spots", "Long pauses"):
        assert label in out
    assert "Suggested trims:" in out
    assert "pause   0:0" in out


@pytest.mark.parametrize(
    ("suffix", "subtype"),
    [(".flac", "PCM_24"), (".aiff", "PCM_16"), (".mp3", None), (".wav", "FLOAT")],
)
def test_every_format_the_editor_opens(
    speech: tuple[Path, labelled.Clip], tmp_path: Path, suffix: str, subtype: str | None
) -> None:
    path, _ = speech
    converted = _convert(path, tmp_path / f"speech{suffix}", subtype)
    status, out, err = check(converted, "--json")
    obj = json.loads(out)
    assert status == 0, err
    # Lossy coding moves the level a little; lossless must not move it at all.
    expected = _rms_db(path)
    assert obj["rms_dbfs"] == pytest.approx(expected, abs=0.3 if suffix == ".mp3" else 0.01)
    assert len(obj["long_pauses"]) == 1
    assert obj["bit_depth"] == {"PCM_24": 24, "PCM_16": 16, "FLOAT": 32, None: None}[subtype]


def test_ogg_made_with_sox(speech: tuple[Path, labelled.Clip], tmp_path: Path) -> None:
    if shutil.which("sox") is None:
        pytest.skip("needs sox")  # soundfile crashed writing OGG on this machine
    path, _ = speech
    ogg = tmp_path / "speech.ogg"
    subprocess.run(["sox", str(path), str(ogg)], check=True, timeout=60)
    status, out, _ = check(ogg, "--json")
    assert status == 0
    assert json.loads(out)["rms_dbfs"] == pytest.approx(_rms_db(path), abs=0.3)


def test_region_is_measured_alone(speech: tuple[Path, labelled.Clip]) -> None:
    path, clip = speech
    start, end = clip.pauses_ms[1][0] + 300, clip.pauses_ms[1][1] - 300  # inside the pause
    status, out, _ = check(path, "--json", "--start-ms", str(start), "--end-ms", str(end))
    obj = json.loads(out)
    assert (obj["start_ms"], obj["end_ms"]) == (start, end)
    assert obj["speech_ratio"] < 0.1
    assert obj["rms_dbfs"] < -55  # only the room noise
    assert status == 1  # no speech is a failure


def test_clipping_fails_with_positions(tmp_path: Path) -> None:
    t = np.arange(RATE * 4) / RATE
    x = 0.3 * np.sin(2 * np.pi * 220 * t)
    x[RATE : RATE + 96] = 1.0  # 2 ms
    path = tmp_path / "clipped.wav"
    sf.write(path, x, RATE, subtype="PCM_16")
    status, out, _ = check(path, "--json")
    obj = json.loads(out)
    assert status == 1
    assert obj["clipped_runs"] == [[1000, 1002]]
    assert obj["verdict"] == "fail"


def test_several_files_one_line_each_and_the_worst_status(
    speech: tuple[Path, labelled.Clip], tmp_path: Path
) -> None:
    path, _ = speech
    missing = tmp_path / "gone.wav"
    status, out, err = check(path, missing, path, "--json")
    assert [json.loads(line)["file"] for line in out.splitlines()] == [str(path)] * 2
    assert status == 2
    assert "gone.wav" in err
    assert "was not found" in err


def _broken_files(folder: Path, good: Path) -> dict[str, tuple[Path, str]]:
    """Each broken input and the words its message must contain."""
    empty = folder / "empty.wav"
    empty.write_bytes(b"")
    header_only = folder / "header.wav"
    header_only.write_bytes(good.read_bytes()[:30])
    flac = _convert(good, folder / "whole.flac")
    cut_flac = folder / "cut.flac"
    cut_flac.write_bytes(flac.read_bytes()[: flac.stat().st_size // 2])
    text = folder / "notes.wav"
    text.write_text("These are my notes, not audio.\n")
    (folder / "a folder.wav").mkdir()
    return {
        "empty": (empty, "is empty"),
        "header only": (header_only, "damaged or cut-short WAV"),
        "cut FLAC": (cut_flac, "damaged or cut short"),
        "text": (text, "is a text file"),
        "folder": (folder / "a folder.wav", "is a folder"),
        "missing": (folder / "missing.flac", "was not found"),
    }


def test_broken_files_exit_2_with_a_clear_message(
    speech: tuple[Path, labelled.Clip], tmp_path: Path
) -> None:
    path, _ = speech
    for name, (broken, words) in _broken_files(tmp_path, path).items():
        status, out, err = check(broken)
        assert status == 2, name
        assert out == "", name
        assert words in err, (name, err)
        assert broken.name in err, name
        assert "Traceback" not in err
        assert "usage" not in err.lower(), name


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), "the following arguments are required: FILE"),
        (("x.wav", "--start-ms", "soon"), "invalid int value"),
        (("{good}", "--start-ms", "500", "--end-ms", "400"), "ends (400 ms) before it starts"),
        (("{good}", "--start-ms", "99999999"), "after the end of"),
        (("{good}", "--pause-ms", "0"), "--pause-ms must be above 0"),
    ],
)
def test_bad_arguments_exit_2(
    speech: tuple[Path, labelled.Clip], args: tuple[str, ...], words: str
) -> None:
    path, _ = speech
    status, out, err = check(*(a.format(good=path) for a in args))
    assert status == 2
    assert words in err
    assert out == ""


def test_the_command_runs_without_qt(speech: tuple[Path, labelled.Clip]) -> None:
    path, _ = speech
    code = (
        "import sys\n"
        "from pvc_sample_editor.cli import main\n"
        f"status = main(['check', '--json', {str(path)!r}])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'PyQt5', 'PyQt6', 'pyqtgraph'))\n"
        "print('QT:' + ','.join(bad))\n"
        "sys.exit(status)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    first, last = done.stdout.splitlines()
    assert json.loads(first)["file"] == str(path)
    assert last == "QT:"


def test_progress_hands_out_partial_reports_and_cancel_stops(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    path = tmp_path / "long.wav"
    sf.write(path, 0.05 * rng.standard_normal(RATE * 60), RATE, subtype="PCM_16")
    seen: list[tuple[float, Report]] = []
    final = analyse_file(path, on_progress=lambda f, r: seen.append((f, r)), progress_interval=0)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions)
    assert len(fractions) >= 2  # paced: partial reports cost more as more is read
    assert 0 < fractions[0] < fractions[-1] <= 1.0
    assert not seen[0][1].complete
    assert seen[0][1].end_ms < final.end_ms
    assert final.complete
    calls = []

    def stop_after_two() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(AnalysisCancelled):
        analyse_file(path, should_stop=stop_after_two)
    assert len(calls) == 3


def test_low_rate_and_depth_warn(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    path = tmp_path / "phone.wav"
    sf.write(path, 0.05 * rng.standard_normal(8000 * 3), 8000, subtype="PCM_U8")
    status, out, _ = check(path, "--json")
    findings = {f["check"]: f for f in json.loads(out)["findings"]}
    assert findings["sample_rate"]["verdict"] == "warn"
    assert "44.1 kHz" in findings["sample_rate"]["message"]
    assert findings["bit_depth"] == {
        "check": "bit_depth",
        "verdict": "warn",
        "value": 8,
        "message": findings["bit_depth"]["message"],
    }
    assert "16-bit" in findings["bit_depth"]["message"]
    assert status == 1  # noise alone: no speech fails


def test_stereo_file_and_a_region_past_the_end(tmp_path: Path) -> None:
    t = np.arange(44_100 * 3) / 44_100
    left = 0.5 * np.sin(2 * np.pi * 440 * t)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, -left], axis=1), 44_100, subtype="PCM_24")
    status, out, _ = check(path, "--json", "--start-ms", "1000", "--end-ms", "60000")
    obj = json.loads(out)
    assert status in (0, 1)  # an end past the file is clamped, not an error
    assert (obj["start_ms"], obj["end_ms"], obj["channels"]) == (1000, 3000, 2)
    # Opposite channels: the mean would be silent, the per-channel rule is not.
    assert obj["rms_dbfs"] == pytest.approx(-6.02 - 3.01, abs=0.01)
    assert obj["true_peak_dbtp"] == pytest.approx(-6.02, abs=0.05)


def test_float_overs_are_measured_and_absurd_values_do_not_overflow(tmp_path: Path) -> None:
    t = np.arange(RATE * 2) / RATE
    x = (1.5 * np.sin(2 * np.pi * 100 * t)).astype(np.float32)
    x[100:110] = [np.nan, np.inf, -np.inf, 1e30, -1e30, 0, 0, 0, 0, 0]
    path = tmp_path / "float.wav"
    sf.write(path, x, RATE, subtype="FLOAT")
    status, out, err = check(path, "--json")
    obj = json.loads(out)
    assert obj["sample_peak_dbfs"] == pytest.approx(60.0, abs=0.01)  # clamped at 1000
    assert 60.0 <= obj["true_peak_dbtp"] < 62.0
    assert obj["clipped_run_count"] >= 2  # the overs of the two half-waves above 1
    assert status == 1
    assert err == ""
