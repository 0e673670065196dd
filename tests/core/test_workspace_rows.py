"""The workspace rows, Qt-free: state from the live edit, the drafts and submissions."""

from __future__ import annotations

from pathlib import Path

from pvc_sample_editor.api.models import Sample, Voice
from pvc_sample_editor.editing.drafts import Draft, DraftKey, DraftStore
from pvc_sample_editor.editing.edit import SampleEdit, edit_from_sample
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.editing.workspace import SampleState, sample_rows

A = Sample("a", "a.wav", duration_secs=10.0)
B = Sample("b", "b.wav", duration_secs=20.0, trim_start=1000, trim_end=15_000)
C = Sample("c", "c.wav", duration_secs=30.0)
VOICE = Voice("v", "Narrator", "professional", samples=(A, B, C))


def test_rows_say_saved_edited_submitting_and_failed(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    drafted = SampleEdit(0, 5000, False, "b.wav")
    key = DraftKey.for_sample(SampleRef("v", "b"))
    store.save(Draft(key=key, edit=drafted, baseline=edit_from_sample(B), local_path=None))
    live = {"a": SampleEdit(2000, 9000, True, "a.wav")}
    rows = sample_rows(VOICE, store, live=live, submitting={"c"}, failed={"b": "refused"})
    by_id = {r.sample_id: r for r in rows}
    assert [r.sample_id for r in rows] == ["a", "b", "c"]
    assert (by_id["a"].state, by_id["a"].kept_ms, by_id["a"].noise) == (
        SampleState.EDITED,
        7000,
        True,
    )
    assert (by_id["b"].state, by_id["b"].reason, by_id["b"].kept_ms) == (
        SampleState.FAILED,
        "refused",
        5000,
    )
    assert by_id["c"].state is SampleState.SUBMITTING
    plain = {r.sample_id: r for r in sample_rows(VOICE, store)}
    assert plain["a"].state is SampleState.SAVED
    assert plain["b"].state is SampleState.EDITED
    assert plain["c"].kept_ms == 30_000
