"""Drafts: nothing the producer did is lost to a crash, a kill or a bad file on disk."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import platformdirs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pvc_sample_editor
from pvc_sample_editor.editing import drafts
from pvc_sample_editor.editing.drafts import (
    SCHEMA_VERSION,
    Draft,
    DraftKey,
    DraftStore,
    encode_draft,
)
from pvc_sample_editor.editing.edit import SampleEdit
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.system.paths import user_cache_dir, user_data_dir, user_log_dir

EDIT = SampleEdit(1200, 58_300, True, "Grüße — 音声.wav", ("spk_0", "spk_2"))
BASELINE = SampleEdit(0, 60_000, False, "take 1.wav", ("spk_0", "spk_1", "spk_2"))
KEY = DraftKey.for_sample(SampleRef("voice_abc", "sample_123"))
NAME_RE = re.compile(r"draft-[0-9a-f]{64}\.json")


def _draft(key: DraftKey = KEY, **changes: object) -> Draft:
    fields: dict[str, object] = {
        "key": key,
        "edit": EDIT,
        "baseline": BASELINE,
        "saved_at": 1_700_000_000.25,
        "local_path": "/audio/take 1.wav",
    }
    fields.update(changes)
    return Draft(**fields)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> DraftStore:
    return DraftStore(tmp_path / "drafts")


def _files(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir())


# ---------------------------------------------------------------- paths


def test_user_dirs_live_under_the_home_override_and_are_created() -> None:
    home = Path(os.environ["PVC_SAMPLE_EDITOR_HOME"])
    assert (user_data_dir(), user_log_dir(), user_cache_dir()) == (
        home / "data",
        home / "logs",
        home / "cache",
    )
    assert all(p.is_dir() for p in (home / "data", home / "logs", home / "cache"))


def test_without_the_override_the_platform_folders_are_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # An empty value must count as unset, not as "the current directory".
    monkeypatch.setenv("PVC_SAMPLE_EDITOR_HOME", "")
    monkeypatch.chdir(tmp_path)
    expected = Path(platformdirs.user_data_dir("pvc-sample-editor", appauthor=False))
    assert user_data_dir(create=False) == expected
    assert user_log_dir(create=False) == Path(
        platformdirs.user_log_dir("pvc-sample-editor", appauthor=False)
    )
    assert user_cache_dir(create=False) == Path(
        platformdirs.user_cache_dir("pvc-sample-editor", appauthor=False)
    )
    assert list(tmp_path.iterdir()) == []


def test_the_default_store_is_in_the_user_data_folder() -> None:
    store = DraftStore()
    assert store.root == Path(os.environ["PVC_SAMPLE_EDITOR_HOME"]) / "data" / "drafts"
    store.save(_draft())
    assert DraftStore().load(KEY) == _draft()


# ---------------------------------------------------------------- round trip

# Every code point, lone surrogates included, with the awkward ones made frequent.
chars = st.characters(exclude_categories=()) | st.sampled_from('\ud83d\udca9\x00/\\.\n"é音')
text = st.text(chars, max_size=60)
ids = st.text(chars, max_size=40)
edits = st.builds(
    SampleEdit,
    trim_start_ms=st.integers(min_value=-(2**63), max_value=2**63),
    trim_end_ms=st.integers(min_value=-(2**63), max_value=2**63),
    remove_background_noise=st.booleans(),
    file_name=text,
    selected_speaker_ids=st.lists(ids, max_size=6).map(tuple),
)


@settings(max_examples=60, deadline=None)
@given(
    voice_id=ids,
    sample_id=ids,
    edit=edits,
    baseline=st.none() | edits,
    saved_at=st.floats(allow_nan=False, allow_infinity=False),
    local_path=st.none() | text,
    pending=st.booleans(),
    version=st.text(chars, max_size=10),
)
def test_any_valid_draft_round_trips_exactly(
    voice_id: str,
    sample_id: str,
    edit: SampleEdit,
    baseline: SampleEdit | None,
    saved_at: float,
    local_path: str | None,
    pending: bool,
    version: str,
) -> None:
    # Text includes lone surrogates and NULs: JSON from the server can carry both.
    store = DraftStore()
    key = DraftKey.for_sample(SampleRef(voice_id, sample_id))
    draft = Draft(key, edit, baseline, saved_at, local_path, pending, version)
    path = store.save(draft)
    assert store.load(key) == draft
    assert path.parent == store.root
    assert NAME_RE.fullmatch(path.name)
    store.discard(key)


def test_server_text_with_a_lone_surrogate_round_trips(store: DraftStore) -> None:
    # json.loads turns "\\ud800" from a server into a lone surrogate, which UTF-8 cannot hold.
    draft = _draft(edit=replace(EDIT, file_name="take\ud800.wav", selected_speaker_ids=("\udfff",)))
    store.save(draft)
    assert store.load(KEY) == draft


def test_the_file_is_readable_json_with_a_schema(store: DraftStore) -> None:
    path = store.save(_draft())
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["schema"] == SCHEMA_VERSION == 1
    assert data["edit"]["trim_start_ms"] == 1200
    assert data["edit"]["file_name"] == "Grüße — 音声.wav"
    assert data["app_version"] == pvc_sample_editor.__version__


def test_a_local_file_key_is_the_resolved_path(
    store: DraftStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audio = tmp_path / "sub" / "take.wav"
    audio.parent.mkdir()
    audio.write_bytes(b"")
    monkeypatch.chdir(audio.parent)
    relative = DraftKey.for_local_file("take.wav")
    via_dotdot = DraftKey.for_local_file(Path("..") / "sub" / "take.wav")
    assert relative == via_dotdot == DraftKey(local_file=str(audio.resolve()))
    assert relative.ref is None
    draft = _draft(relative, baseline=None, local_path=str(audio))
    store.save(draft)
    assert store.load(via_dotdot) == draft


def test_a_sample_key_names_its_sample() -> None:
    assert KEY.ref == SampleRef("voice_abc", "sample_123")


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"voice_id": "v"},
        {"voice_id": "v", "sample_id": "s", "local_file": "/a.wav"},
        {"local_file": "relative.wav"},
    ],
)
def test_a_key_is_either_a_sample_or_an_absolute_file(fields: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="draft"):
        DraftKey(**fields)


# ---------------------------------------------------------------- hostile ids


@pytest.mark.parametrize(
    ("voice_id", "sample_id"),
    [
        ("../../etc/passwd", "x"),
        ("a/b", "c"),
        ("..", ".."),
        ("C:\\Windows\\System32", "con"),
        ("", ""),
        ("голос 🎙", "サンプル\u202e"),
        ("v" * 5000, "s"),
    ],
)
def test_hostile_ids_map_to_safe_names_inside_the_root(
    store: DraftStore, voice_id: str, sample_id: str
) -> None:
    key = DraftKey.for_sample(SampleRef(voice_id, sample_id))
    assert store.path_for(key).parent == store.root
    assert NAME_RE.fullmatch(key.file_name)
    draft = _draft(key)
    store.save(draft)
    assert store.load(key) == draft
    assert NAME_RE.fullmatch(" ".join(_files(store.root)))
    assert [p for p in store.root.parent.rglob("*") if p.parent != store.root] == [store.root]


def test_ids_that_join_to_the_same_text_are_different_drafts() -> None:
    one = DraftKey.for_sample(SampleRef("a/b", "c"))
    two = DraftKey.for_sample(SampleRef("a", "b/c"))
    local = DraftKey(local_file=os.path.abspath("a"))
    assert len({one.file_name, two.file_name, local.file_name}) == 3


# ---------------------------------------------------------------- atomicity


@pytest.mark.parametrize(
    ("step", "error"),
    [
        ("replace", OSError("simulated crash before the rename")),
        ("fsync", OSError(28, "No space left on device")),
    ],
)
def test_a_save_failing_midway_keeps_the_previous_draft(
    store: DraftStore, monkeypatch: pytest.MonkeyPatch, step: str, error: OSError
) -> None:
    store.save(_draft())

    def fail(*args: object) -> None:
        raise error

    monkeypatch.setattr(os, step, fail)
    with pytest.raises(OSError, match=re.escape(str(error))) as raised:
        store.save(_draft(edit=EDIT.with_trims(0, 10)))
    monkeypatch.undo()
    assert raised.value is error
    assert store.load(KEY) == _draft()
    # The temp file is cleaned up, not left beside the drafts.
    assert _files(store.root) == [KEY.file_name]


def test_temp_files_of_a_killed_save_are_never_drafts(store: DraftStore) -> None:
    store.save(_draft())
    # What a save killed between write and rename leaves behind: a complete other draft.
    other = DraftKey.for_sample(SampleRef("voice_abc", "other"))
    fresh = store.root / ".draft-fresh.tmp"
    stale = store.root / ".draft-stale.tmp"
    for path in (fresh, stale):
        path.write_bytes(encode_draft(_draft(other)))
    old = time.time() - 2 * drafts.STALE_TEMP_SECONDS
    os.utime(stale, (old, old))

    assert store.list() == [_draft()]
    assert store.load(other) is None
    # A stale one is swept; a fresh one may belong to a save in progress elsewhere.
    assert _files(store.root) == sorted([".draft-fresh.tmp", KEY.file_name])


def test_a_draft_saved_by_a_process_killed_right_after_is_loaded_exactly(
    tmp_path: Path,
) -> None:
    root = tmp_path / "drafts"
    expected = _draft(
        DraftKey.for_sample(SampleRef("voice ✓", "sample/1")), submission_pending=True
    )
    child = (
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from pvc_sample_editor.editing.drafts import Draft, DraftKey, DraftStore\n"
        "from pvc_sample_editor.editing.edit import SampleEdit\n"
        "from pvc_sample_editor.editing.session import SampleRef\n"
        "f = json.loads(sys.argv[2])\n"
        "draft = Draft(\n"
        "    DraftKey.for_sample(SampleRef(*f['ref'])),\n"
        "    SampleEdit(*f['edit'][:4], tuple(f['edit'][4])),\n"
        "    SampleEdit(*f['baseline'][:4], tuple(f['baseline'][4])),\n"
        "    f['saved_at'], f['local_path'], True,\n"
        ")\n"
        "DraftStore(Path(sys.argv[1])).save(draft)\n"
        "print('saved', flush=True)\n"
        "time.sleep(60)\n"
    )

    def as_list(e: SampleEdit) -> list[object]:
        return [
            e.trim_start_ms,
            e.trim_end_ms,
            e.remove_background_noise,
            e.file_name,
            list(e.selected_speaker_ids),
        ]

    fields = {
        "ref": ["voice ✓", "sample/1"],
        "edit": as_list(expected.edit),
        "baseline": as_list(BASELINE),
        "saved_at": expected.saved_at,
        "local_path": expected.local_path,
    }
    gui_dir = str(Path(pvc_sample_editor.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([gui_dir, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-c", child, str(root), json.dumps(fields)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "saved"
        proc.kill()  # SIGKILL: no atexit, no flush, no cleanup of any kind
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    if sys.platform != "win32":
        assert proc.returncode == -9
    assert DraftStore(root).load(expected.key) == expected


# ---------------------------------------------------------------- bad files

GOOD = json.loads(encode_draft(_draft()))


def _with(path: tuple[str, ...], value: object) -> bytes:
    data = json.loads(json.dumps(GOOD))
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return json.dumps(data).encode()


def _without(name: str) -> bytes:
    data = dict(GOOD)
    del data[name]
    return json.dumps(data).encode()


BAD_FILES = {
    "empty": b"",
    "truncated": encode_draft(_draft())[:-40],
    "json list": b"[1, 2, 3]",
    "json string": b'"draft"',
    "binary junk": bytes(range(256)) * 4,
    "invalid utf-8": b'{"schema": 1, "x": "\xff\xfe"}',
    "future schema": _with(("schema",), 2),
    "schema as text": _with(("schema",), "1"),
    "schema as bool": _with(("schema",), True),
    "ms as text": _with(("edit", "trim_start_ms"), "1200"),
    "ms as bool": _with(("edit", "trim_end_ms"), True),
    "ms as float": _with(("edit", "trim_end_ms"), 58300.0),
    "noise as int": _with(("edit", "remove_background_noise"), 1),
    "file name null": _with(("edit", "file_name"), None),
    "speakers not a list": _with(("edit", "selected_speaker_ids"), "spk_0"),
    "speaker not a string": _with(("edit", "selected_speaker_ids"), ["spk_0", 7]),
    "baseline not an object": _with(("baseline",), [0, 1]),
    "edit missing": _without("edit"),
    "pending missing": _without("submission_pending"),
    "pending as text": _with(("submission_pending",), "false"),
    "local path as number": _with(("local_path",), 3),
    "unknown key kind": _with(("key", "kind"), "url"),
    "relative file key": json.dumps({**GOOD, "key": {"kind": "file", "path": "a.wav"}}).encode(),
    "saved_at as text": _with(("saved_at",), "yesterday"),
    "saved_at NaN": json.dumps({**GOOD, "saved_at": float("nan")}).encode(),
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
    "huge integer": _with(("edit", "trim_start_ms"), 0).replace(
        b'"trim_start_ms": 0', b'"trim_start_ms": ' + b"9" * 5000
    ),
    "too large": b" " * (drafts.MAX_DRAFT_BYTES + 1) + json.dumps(GOOD).encode(),
}


@pytest.mark.parametrize("content", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_an_unreadable_draft_is_ignored_and_moved_aside(store: DraftStore, content: bytes) -> None:
    store.root.mkdir(parents=True)
    store.path_for(KEY).write_bytes(content)
    assert store.load(KEY) is None
    assert _files(store.root) == [KEY.file_name + ".corrupt"]
    # Moved, not rewritten: whatever it held is still there for a human to look at.
    assert (store.root / (KEY.file_name + ".corrupt")).read_bytes() == content
    # And it no longer stands in the way of the next autosave.
    store.save(_draft())
    assert store.load(KEY) == _draft()


def test_the_bad_file_fixtures_differ_from_a_good_one_only_where_named() -> None:
    # Guard the guard: the same edits to a good draft with valid values load fine.
    assert drafts.decode_draft(_with(("edit", "trim_start_ms"), 1200)) == _draft()
    assert drafts.decode_draft(json.dumps(GOOD).encode()) == _draft()


def test_unknown_extra_fields_are_tolerated(store: DraftStore) -> None:
    store.root.mkdir(parents=True)
    store.path_for(KEY).write_bytes(json.dumps({**GOOD, "note": "from 0.2"}).encode())
    assert store.load(KEY) == _draft()


def test_list_moves_bad_files_aside_and_keeps_the_good(store: DraftStore) -> None:
    good = _draft(DraftKey.for_sample(SampleRef("v", "good")))
    store.save(good)
    bad = DraftKey.for_sample(SampleRef("v", "bad"))
    store.path_for(bad).write_bytes(BAD_FILES["truncated"])
    (store.root / "notes.txt").write_text("not a draft")
    assert store.list() == [good]
    assert _files(store.root) == sorted(
        [good.key.file_name, bad.file_name + ".corrupt", "notes.txt"]
    )


def test_a_draft_under_another_keys_name_is_foreign(store: DraftStore) -> None:
    store.save(_draft())
    other = DraftKey.for_sample(SampleRef("voice_abc", "other"))
    os.replace(store.path_for(KEY), store.path_for(other))
    assert store.load(other) is None
    assert _files(store.root) == [other.file_name + ".corrupt"]


def test_a_second_bad_file_does_not_overwrite_the_first(store: DraftStore) -> None:
    store.root.mkdir(parents=True)
    for content in (b"first", b"second", b"third"):
        store.path_for(KEY).write_bytes(content)
        assert store.load(KEY) is None
    aside = {p.name: p.read_bytes() for p in store.root.iterdir()}
    assert sorted(aside.values()) == [b"first", b"second", b"third"]
    assert all(name.endswith(".corrupt") for name in aside)


def test_a_bad_file_replaced_meanwhile_by_a_good_save_is_not_moved(
    store: DraftStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another instance saves between our read of the bad bytes and the move aside.
    store.root.mkdir(parents=True)
    store.path_for(KEY).write_bytes(b"garbage")
    real_decode = drafts.decode_draft

    def decode_while_another_process_saves(raw: bytes) -> Draft:
        DraftStore(store.root).save(_draft())
        return real_decode(raw)

    monkeypatch.setattr(drafts, "decode_draft", decode_while_another_process_saves)
    assert store.load(KEY) is None
    monkeypatch.undo()
    assert store.load(KEY) == _draft()
    assert _files(store.root) == [KEY.file_name]


def test_an_unreadable_file_is_left_in_place(store: DraftStore) -> None:
    # A directory where the draft should be: an I/O error, not known corruption.
    store.path_for(KEY).mkdir(parents=True)
    assert store.load(KEY) is None
    assert store.list() == []
    assert _files(store.root) == [KEY.file_name]


# ---------------------------------------------------------------- store operations


def test_save_replaces_the_previous_draft_of_the_same_key(store: DraftStore) -> None:
    store.save(_draft())
    newer = _draft(edit=EDIT.with_trims(5, 6), saved_at=1_800_000_000.0)
    store.save(newer)
    assert store.load(KEY) == newer
    assert store.list() == [newer]


def test_discard_removes_only_that_draft(store: DraftStore) -> None:
    other = _draft(DraftKey.for_sample(SampleRef("voice_abc", "other")))
    store.save(_draft())
    store.save(other)
    assert store.discard(KEY) is True
    assert store.discard(KEY) is False
    assert store.load(KEY) is None
    assert store.list() == [other]


def test_list_is_newest_first(store: DraftStore) -> None:
    made = [
        _draft(DraftKey.for_sample(SampleRef("v", name)), saved_at=when)
        for name, when in (("a", 10.0), ("b", 30.0), ("c", 20.0))
    ]
    for draft in made:
        store.save(draft)
    assert [d.key.sample_id for d in store.list()] == ["b", "c", "a"]


def test_list_of_a_missing_folder_is_empty(store: DraftStore) -> None:
    assert store.list() == []
    assert not store.root.exists()


# ---------------------------------------------------------------- policy helpers


def test_a_draft_is_confirmed_only_by_its_exact_values() -> None:
    draft = _draft()
    assert draft.confirmed_by(EDIT)
    # A selection has no order; the server may return it in another one.
    assert draft.confirmed_by(EDIT.with_speakers(reversed(EDIT.selected_speaker_ids)))
    assert not draft.confirmed_by(BASELINE)
    assert not draft.confirmed_by(EDIT.with_trims(1200, 58_301))
    assert not draft.confirmed_by(EDIT.with_speakers(["spk_0"]))


def test_a_server_change_since_the_baseline_is_detected() -> None:
    draft = _draft()
    assert not draft.server_changed(BASELINE)
    assert draft.server_changed(BASELINE.with_trims(0, 59_000))
    assert not _draft(baseline=None).server_changed(BASELINE)


def test_a_server_change_is_described_field_by_field() -> None:
    draft = _draft()
    assert draft.server_changes(BASELINE) == ()
    renamed = replace(BASELINE, file_name="other.wav", remove_background_noise=True)
    assert draft.server_changes(renamed.with_trims(0, 59_000)) == (
        "the trims",
        "noise removal",
        "the file name (now 'other.wav')",
    )
    reordered = BASELINE.with_speakers(reversed(BASELINE.selected_speaker_ids))
    assert draft.server_changes(reordered) == ()
    assert draft.server_changes(BASELINE.with_speakers(["spk_0"])) == ("the speakers kept",)


def test_a_pending_submission_survives_a_restart(store: DraftStore) -> None:
    pending = _draft().with_submission_pending()
    assert pending.submission_pending
    assert pending.saved_at > _draft().saved_at
    store.save(pending)
    restored = DraftStore(store.root).load(KEY)
    assert restored is not None
    assert restored.submission_pending
    assert not restored.with_submission_pending(False).submission_pending


def test_for_samples_reads_only_the_drafts_that_exist(tmp_path: Path) -> None:
    """A voice of many samples with a few drafts: each draft by its sample, none invented."""
    store = DraftStore(tmp_path)
    keys = {s: DraftKey.for_sample(SampleRef("voice1", s)) for s in ("a", "b", "c")}
    for sample_id in ("a", "c"):
        store.save(_draft(keys[sample_id]))
    (tmp_path / keys["b"].file_name).with_suffix(".tmp").write_text("not a draft")
    found = store.for_samples("voice1", ["a", "b", "c", "d"])
    assert set(found) == {"a", "c"}
    assert found["a"].key == keys["a"]
    assert DraftStore(tmp_path / "absent").for_samples("voice1", ["a"]) == {}
