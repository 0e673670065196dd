"""``pvc-sample-editor voice VOICE_ID``: the real verb against the emulator over loopback.

Kept milliseconds are checked against an independent reckoning from what the emulator
holds (its trims, the generated samples' known utterances, the speakers it separated),
not against :func:`~pvc_sample_editor.editing.budget.kept_ms`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from test_secret_service import gnome_keyring, private_bus  # noqa: F401 (fixtures)

from conftest import EmulatorHttp
from pvc_sample_editor.api.models import Sample, Voice
from pvc_sample_editor.commands.voice import print_table, run, summary_json
from pvc_sample_editor.editing.budget import budget_sentence
from pvc_sample_editor.editing.drafts import Draft, DraftKey, DraftStore
from pvc_sample_editor.editing.edit import SampleEdit
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.editing.voice_summary import summarise_voice
from pvc_sample_editor.emulator.demo import DEMO_EXTRA_SAMPLES, DEMO_SAMPLE_ID, DEMO_VOICE_ID
from pvc_sample_editor.emulator.demo_audio import render
from pvc_sample_editor.system.credentials import KeyStore
from pvc_sample_editor.system.settings_file import settings_path

PODCAST = DEMO_EXTRA_SAMPLES[1]
CHAPTER_2 = DEMO_EXTRA_SAMPLES[3]
INTERVIEW = f"/v1/voices/pvc/{DEMO_VOICE_ID}/samples/{DEMO_SAMPLE_ID}"


@pytest.fixture
def keyed(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The emulator, with its key in ``ELEVENLABS_API_KEY`` as a script would set it."""
    monkeypatch.setenv("ELEVENLABS_API_KEY", emulator.api_key)
    return emulator


def verb(capsys: pytest.CaptureFixture[str], emulator: Any, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run([*args, "--api-base", emulator.base_url])
    out, err = capsys.readouterr()
    return code, out, err


def verb_json(capsys: pytest.CaptureFixture[str], emulator: Any) -> dict[str, Any]:
    code, out, err = verb(capsys, emulator, DEMO_VOICE_ID, "--json")
    assert (code, err) == (0, "")
    parsed: dict[str, Any] = json.loads(out)
    return parsed


def expected_kept_ms(sample: dict[str, Any]) -> int:
    """What a sample keeps, reckoned from the emulator's JSON and the known utterances."""
    duration = round(sample["duration_secs"] * 1000)
    start = sample["trim_start"] or 0
    end = duration if sample["trim_end"] is None else sample["trim_end"]
    separation = sample["speaker_separation"]
    if separation["status"] != "completed":
        return end - start
    kept = set(separation["selected_speaker_ids"])
    covered = set()
    for speaker_id, speaker in separation["speakers"].items():
        if speaker_id in kept:
            for u in speaker["utterances"]:
                covered |= set(
                    range(max(start, round(u["start"] * 1000)), min(end, round(u["end"] * 1000)))
                )
    return len(covered)


def test_json_holds_what_the_emulator_holds(
    keyed: Any, http: EmulatorHttp, capsys: pytest.CaptureFixture[str]
) -> None:
    server = http.get(f"/v1/voices/{DEMO_VOICE_ID}").json()
    got = verb_json(capsys, keyed)
    assert set(got) == {"voice_id", "name", "samples", "total_kept_ms", "total_kept_minutes"}
    assert (got["voice_id"], got["name"]) == (DEMO_VOICE_ID, server["name"])
    assert [s["sample_id"] for s in got["samples"]] == [s["sample_id"] for s in server["samples"]]
    for row, sample in zip(got["samples"], server["samples"], strict=True):
        assert set(row) == {"sample_id", "file_name", "duration_ms", "kept_ms", "state"}
        assert row["file_name"] == sample["file_name"]
        assert row["duration_ms"] == round(sample["duration_secs"] * 1000)
        assert row["kept_ms"] == expected_kept_ms(sample)
        assert row["state"] == "saved"
    # The podcast keeps its host only: exactly the host's sentences as generated.
    podcast = next(r for r in got["samples"] if r["sample_id"] == PODCAST.sample_id)
    host = render(PODCAST.recording).utterances_ms["speaker_0"]
    assert podcast["kept_ms"] == sum(b - a for a, b in host)
    total = sum(r["kept_ms"] for r in got["samples"])
    assert got["total_kept_ms"] == total
    assert got["total_kept_minutes"] == round(total / 60_000, 3)


def test_trims_and_a_separated_speaker_change_the_kept_time(
    keyed: Any, http: EmulatorHttp, capsys: pytest.CaptureFixture[str]
) -> None:
    before = verb_json(capsys, keyed)["samples"][0]["kept_ms"]
    http.post(INTERVIEW, json={"trim_start_time": 1500, "trim_end_time": 30_000})
    speakers = http.separate(INTERVIEW)["speakers"]
    second = sorted(speakers)[1]
    http.post(INTERVIEW, json={"selected_speaker_ids": [second]})
    sample = http.sample(DEMO_VOICE_ID, DEMO_SAMPLE_ID)
    after = verb_json(capsys, keyed)
    row = after["samples"][0]
    assert row["kept_ms"] == expected_kept_ms(sample)
    assert 0 < row["kept_ms"] < 28_500 < before
    assert after["total_kept_ms"] == sum(r["kept_ms"] for r in after["samples"])


def draft_for(sample_id: str, edit: SampleEdit, *, pending: bool = False) -> None:
    key = DraftKey.for_sample(SampleRef(DEMO_VOICE_ID, sample_id))
    DraftStore().save(Draft(key, edit, submission_pending=pending))


def test_drafts_make_samples_edited_or_submitting_with_their_kept_time(
    keyed: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = {r["sample_id"]: r for r in verb_json(capsys, keyed)["samples"]}
    chapter = CHAPTER_2.recording
    draft_for(CHAPTER_2.sample_id, SampleEdit(60_000, 180_500, True, chapter.file_name))
    warmup = DEMO_EXTRA_SAMPLES[0]
    draft_for(
        warmup.sample_id,
        SampleEdit(5_000, 65_000, False, warmup.recording.file_name),
        pending=True,
    )
    # A draft holding exactly what the server has (confirmed, not yet removed): saved.
    draft_for(DEMO_SAMPLE_ID, SampleEdit(0, 38_657, False, "demo-interview.flac"))
    got = verb_json(capsys, keyed)
    rows = {r["sample_id"]: r for r in got["samples"]}
    assert (rows[CHAPTER_2.sample_id]["state"], rows[CHAPTER_2.sample_id]["kept_ms"]) == (
        "edited",
        120_500,
    )
    assert (rows[warmup.sample_id]["state"], rows[warmup.sample_id]["kept_ms"]) == (
        "submitting",
        60_000,
    )
    assert rows[DEMO_SAMPLE_ID] == saved[DEMO_SAMPLE_ID]
    assert rows[PODCAST.sample_id] == saved[PODCAST.sample_id]
    assert got["total_kept_ms"] == (
        sum(r["kept_ms"] for r in saved.values())
        - saved[CHAPTER_2.sample_id]["kept_ms"]
        + 120_500
        - saved[warmup.sample_id]["kept_ms"]
        + 60_000
    )


def test_table_lists_every_sample_with_its_state_and_the_budget(
    keyed: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    draft_for(CHAPTER_2.sample_id, SampleEdit(0, 1000, False, CHAPTER_2.recording.file_name))
    total = verb_json(capsys, keyed)["total_kept_ms"]
    code, out, err = verb(capsys, keyed, DEMO_VOICE_ID)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("Demo narrator (offline) (DemoVoicePvc0ffline1): 5 samples")
    header = next(i for i, line in enumerate(lines) if line.startswith("name"))
    rows = lines[header + 1 : header + 6]
    names = ["demo-interview.flac", *(g.recording.file_name for g in DEMO_EXTRA_SAMPLES)]
    assert [r.startswith(n) for r, n in zip(rows, names, strict=True)] == [True] * 5
    assert rows[4].split()[-1] == "edited"
    assert "0:00:01.000" in rows[4]
    assert [r.split()[-1] for r in rows[:4]] == ["saved"] * 4
    assert f"total kept: {total / 60_000:.1f} min ({total:,} ms)" in lines
    assert lines[-1] == budget_sentence(total)


def test_an_unknown_voice_exits_2_saying_so(keyed: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = verb(capsys, keyed, "NoSuchVoice000000000")
    assert (code, out) == (2, "")
    assert "not found" in err
    assert "NoSuchVoice000000000" in err
    assert "Traceback" not in err


def test_no_key_exits_2_and_says_how_to_give_one(
    emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = verb(capsys, emulator, DEMO_VOICE_ID)
    assert (code, out) == (2, "")
    assert "No API key" in err
    assert "ELEVENLABS_API_KEY" in err
    assert not emulator.requests_log.for_operation("get_voice_by_id")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="GNOME Keyring is Linux's")
@pytest.mark.usefixtures("gnome_keyring")  # a real one, on a bus of the test's own
def test_without_the_variable_the_key_the_window_saved_in_the_keyring_is_used(
    emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "ELEVENLABS_API_KEY" not in os.environ
    KeyStore().save(emulator.api_key)  # as the window does when told to remember it
    code, out, err = verb(capsys, emulator, DEMO_VOICE_ID, "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["voice_id"] == DEMO_VOICE_ID
    assert emulator.requests_log.for_operation("get_voice_by_id")


def test_a_rejected_key_exits_2(
    emulator: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ELEVENLABS_API_KEY", "not-the-key")
    code, out, err = verb(capsys, emulator, DEMO_VOICE_ID)
    assert (code, out) == (2, "")
    assert "rejected" in err
    assert "not-the-key" not in err


@pytest.mark.parametrize(
    ("base", "says"),
    [
        ("http://example.com", "unencrypted"),
        ("ftp://127.0.0.1", "https://"),
        ("https://", "no host name"),
    ],
)
def test_a_bad_api_base_exits_2_before_asking_anyone(
    keyed: Any, capsys: pytest.CaptureFixture[str], base: str, says: str
) -> None:
    capsys.readouterr()
    code = run([DEMO_VOICE_ID, "--api-base", base])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert says in err
    assert "Traceback" not in err


def test_a_failing_server_exits_1_with_its_sentence(
    keyed: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    keyed.faults.inject("get_voice_by_id", count=3, status=500, retry_after=0)
    code, out, err = verb(capsys, keyed, DEMO_VOICE_ID, "--json")
    assert (code, out) == (1, "")
    assert "500" in err.splitlines()[-1]
    assert "Traceback" not in err


def test_bad_syntax_is_argparses_usage_and_help_tells_the_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run([]) == 2
    assert "required: VOICE_ID" in capsys.readouterr().err
    assert run(["V", "--bogus"]) == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err
    assert run(["  ", "--api-base", "https://api.elevenlabs.io"]) == 2
    assert "voice id is empty" in capsys.readouterr().err
    assert run(["--help"]) == 0
    help_text = capsys.readouterr().out
    assert "exit status" in help_text
    assert "1  the server or the network failed" in help_text
    assert "2  bad input" in help_text


def test_the_server_the_window_remembered_is_used(
    keyed: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"[api]\nbase_url={keyed.base_url}\n")
    capsys.readouterr()
    assert run([DEMO_VOICE_ID]) == 0
    assert capsys.readouterr().out.startswith("Demo narrator (offline)")
    path.write_text("[api]\nbase_url=http://example.com\n")
    assert run([DEMO_VOICE_ID]) == 2
    err = capsys.readouterr().err
    assert str(path) in err
    assert "--api-base" in err


def test_as_a_command_it_prints_the_same_json_and_never_imports_qt(
    keyed: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    in_process = verb_json(capsys, keyed)
    env = {**os.environ, "ELEVENLABS_API_KEY": keyed.api_key}
    args = ["voice", DEMO_VOICE_ID, "--json", "--api-base", keyed.base_url]
    done = subprocess.run(
        [sys.executable, "-m", "pvc_sample_editor", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout) == in_process
    probe = (
        "import sys\n"
        "from pvc_sample_editor.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'pyqtgraph'))\n"
        "print('QT', qt, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "QT []"


def test_the_table_prints_hostile_names_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    # What a server sends is shown, not obeyed: no terminal escapes, no encoding errors.
    sample = Sample("s1", "take\x1b[31m red\ud800.wav", duration_secs=2.0, trim_start=500)
    summary = summarise_voice(Voice("v1", "Évelyne\x07", "professional", samples=(sample,)))
    print_table(summary, sys.stdout)
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\x07" not in out
    out.encode("utf-8")  # no lone surrogate left
    assert "Évelyne" in out
    assert "0:00:01.500" in out
    assert summary_json(summary)["total_kept_ms"] == 1500
