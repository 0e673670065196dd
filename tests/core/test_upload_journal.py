"""The upload journal and the pre-upload checks, against the real emulator.

The crash test runs an upload in a child process, kills it with SIGKILL at a chosen
moment, reads the journal as the next start would, resumes, and counts what the
server holds: every file exactly once.
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from noise_audio import noise_wav

from pvc_sample_editor.api.client import ApiClient, RetryPolicy
from pvc_sample_editor.editing.upload_checks import IssueKind, inspect_file, upload_issues
from pvc_sample_editor.editing.upload_journal import (
    EntryState,
    UploadJournal,
    describe_batch,
    reconcile,
    run_batch,
)

CHILD = Path(__file__).with_name("upload_child.py")


@pytest.fixture
def client(emulator: Any) -> Any:
    with ApiClient(emulator.base_url, emulator.api_key) as api:
        yield api


def _names_on_server(client: ApiClient, voice_id: str) -> list[str]:
    return sorted(s.file_name for s in client.get_voice(voice_id).samples)


@pytest.mark.parametrize(
    ("mode", "state_at_kill"), [("mid-body", "not there"), ("after-answer", "there")]
)
def test_an_upload_killed_halfway_resumes_with_each_file_once(
    emulator: Any, client: ApiClient, tmp_path: Path, mode: str, state_at_kill: str
) -> None:
    voice_id = client.create_voice("Crash test", "en")
    files = [noise_wav(tmp_path / f"take{i}.wav", 60, seed=i) for i in range(3)]  # 5.8 MB each
    journal_dir = tmp_path / "journal"
    child = subprocess.run(
        [
            sys.executable,
            str(CHILD),
            emulator.base_url,
            emulator.api_key,
            str(journal_dir),
            voice_id,
            mode,
            "1",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    # The next start: the journal says what reached the server and what did not.
    journal = UploadJournal(journal_dir)
    (batch,) = journal.unfinished()
    assert [e.state for e in batch.entries] == [
        EntryState.DONE,
        EntryState.SENDING,
        EntryState.PENDING,
    ]
    assert describe_batch(batch, "Crash test") == (
        "An upload of 3 files to “Crash test” was interrupted: 1 reached the server; 1 may "
        "have reached it (the voice is checked before anything is sent again); 1 not sent yet."
    )
    on_server = _names_on_server(client, voice_id)
    expected = ["take0.wav", "take1.wav"] if state_at_kill == "there" else ["take0.wav"]
    assert on_server == expected
    outcome = run_batch(client, journal, batch)
    assert outcome.error is None
    assert outcome.batch.finished
    samples = client.get_voice(voice_id).samples
    assert sorted(s.file_name for s in samples) == ["take0.wav", "take1.wav", "take2.wav"]
    by_name = {s.file_name: s for s in samples}
    for file in files:
        assert by_name[file.name].hash == hashlib.sha256(file.read_bytes()).hexdigest()
    assert [e.sample_id for e in outcome.batch.entries] == [
        by_name[f.name].sample_id for f in files
    ]
    assert journal.unfinished() == []


def test_a_lost_answer_is_not_uploaded_again(
    emulator: Any, client: ApiClient, tmp_path: Path
) -> None:
    """The server stores the file and the connection breaks before its answer arrives."""
    voice_id = client.create_voice("Lost answers", "en")
    files = [noise_wav(tmp_path / f"t{i}.wav", 3, seed=i) for i in range(2)]
    journal = UploadJournal(tmp_path / "j")
    batch = journal.begin(client.base_url, voice_id, [inspect_file(f) for f in files])
    emulator.faults.inject("add_pvc_voice_samples", truncate=True)
    outcome = run_batch(client, journal, batch)
    assert outcome.error is not None
    assert [e.state for e in outcome.batch.entries] == [EntryState.SENDING, EntryState.PENDING]
    assert _names_on_server(client, voice_id) == ["t0.wav"]
    (batch,) = journal.unfinished()
    outcome = run_batch(client, journal, batch)
    assert outcome.batch.finished
    assert _names_on_server(client, voice_id) == ["t0.wav", "t1.wav"]


def test_a_refused_file_fails_alone_and_a_busy_server_stops_the_run(
    emulator: Any, tmp_path: Path
) -> None:
    files = [noise_wav(tmp_path / f"r{i}.wav", 2, seed=i) for i in range(3)]
    with ApiClient(
        emulator.base_url, emulator.api_key, retry=RetryPolicy(max_attempts=1)
    ) as client:
        voice_id = client.create_voice("Refusals", "en")
        journal = UploadJournal(tmp_path / "j")
        batch = journal.begin(client.base_url, voice_id, [inspect_file(f) for f in files])
        emulator.faults.inject("add_pvc_voice_samples", status=413)
        emulator.faults.inject("add_pvc_voice_samples", status=429)
        outcome = run_batch(client, journal, batch)
        assert outcome.error is not None
        assert outcome.error.status == 429
        states = [e.state for e in outcome.batch.entries]
        assert states == [EntryState.FAILED, EntryState.PENDING, EntryState.PENDING]
        assert "413" in (outcome.batch.entries[0].error or "")
        outcome = run_batch(client, journal, outcome.batch)
        assert [e.state for e in outcome.batch.entries] == [
            EntryState.FAILED,
            EntryState.DONE,
            EntryState.DONE,
        ]
        assert _names_on_server(client, voice_id) == ["r1.wav", "r2.wav"]
        assert [b.batch_id for b in journal.unfinished()] == [batch.batch_id]


def test_reconcile_matches_by_name_size_and_hash(client: ApiClient, tmp_path: Path) -> None:
    voice_id = client.create_voice("Reconcile", "en")
    a = noise_wav(tmp_path / "a.wav", 2, 1)
    b = tmp_path / "b.wav"
    b.write_bytes(a.read_bytes())  # the same bytes under another name: not the same sample
    (tmp_path / "other").mkdir()
    c = noise_wav(tmp_path / "other" / "a.wav", 2, 9)  # a's name and size, other content
    (on_server,) = client.add_samples(voice_id, [a])
    journal = UploadJournal(tmp_path / "j")
    batch = journal.begin(client.base_url, voice_id, [inspect_file(p) for p in (c, b, a)])
    for index in range(3):
        batch = batch.with_entry(index, state=EntryState.SENDING)
    result = reconcile(batch, client.get_voice(voice_id))
    assert [(e.state, e.sample_id) for e in result.entries] == [
        (EntryState.PENDING, None),
        (EntryState.PENDING, None),
        (EntryState.DONE, on_server.sample_id),
    ]


def test_a_journal_file_that_is_not_one_is_moved_aside(tmp_path: Path) -> None:
    journal = UploadJournal(tmp_path)
    (tmp_path / "123-x.json").write_text("{not json")
    assert journal.unfinished() == []
    assert [p.name for p in tmp_path.iterdir()] == ["123-x.corrupt"]


def test_pre_upload_checks_say_what_the_server_would_refuse_or_repeat(
    client: ApiClient, tmp_path: Path
) -> None:
    voice_id = client.create_voice("Checks", "en")
    kept = noise_wav(tmp_path / "kept.wav", 2, 1)
    client.add_samples(voice_id, [kept])
    again = tmp_path / "renamed copy.wav"
    again.write_bytes(kept.read_bytes())
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    broken = tmp_path / "broken.flac"
    broken.write_bytes(b"fLaC" + b"\x00" * 500)
    fresh = noise_wav(tmp_path / "fresh.wav", 2, 2)
    twin = tmp_path / "fresh twin.wav"
    twin.write_bytes(fresh.read_bytes())
    files = [inspect_file(p) for p in (again, text, empty, broken, fresh, twin)]
    issues = upload_issues(files, client.get_voice(voice_id).samples, speakers={fresh: 2})
    got = {(i.path.name, i.kind, i.blocking) for i in issues}
    assert got == {
        ("renamed copy.wav", IssueKind.DUPLICATE_ON_SERVER, False),
        ("notes.txt", IssueKind.UNSUPPORTED_FORMAT, True),
        ("empty.wav", IssueKind.EMPTY, True),
        ("broken.flac", IssueKind.UNREADABLE, True),
        ("fresh.wav", IssueKind.SEVERAL_SPEAKERS, False),
        ("fresh twin.wav", IssueKind.DUPLICATE_IN_SELECTION, False),
    }
    by_kind = {i.kind: i for i in issues}
    assert "kept.wav" in by_kind[IssueKind.DUPLICATE_ON_SERVER].message
    assert by_kind[IssueKind.DUPLICATE_ON_SERVER].sample_id is not None
    # The server agrees about what it refuses: each blocking file is a 422.
    from pvc_sample_editor.api.errors import ValidationError

    for path in (empty, broken):
        with pytest.raises(ValidationError):
            client.add_samples(voice_id, [path])
