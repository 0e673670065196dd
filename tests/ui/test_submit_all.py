"""Submit all edited: the background queue, two requests at a time, each confirmed by
read-back, failures kept as drafts and retried on demand; driven with the mouse."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from queue_driver import Concurrency, open_row, row_of
from ui_driver import Editor, drag_handle_to

from pvc_sample_editor.api.client import ApiClient
from pvc_sample_editor.editing.drafts import Draft, DraftKey, DraftStore
from pvc_sample_editor.editing.edit import SampleEdit, edit_from_sample
from pvc_sample_editor.editing.queue import QueueJournal
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.editing.workspace import SampleState
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.main_window import MainWindow
from pvc_sample_editor.ui.workspace_panel import COLUMNS

HERE = Path(__file__).parent
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier
EDIT_ROUTE = "edit_pvc_voice_sample"


def edit_three(qtbot: QtBot, editor: Editor) -> dict[str, SampleEdit]:
    """Drag a handle in the demo sample and two more of its voice; the last stays open."""
    voice = editor.check.get_voice(editor.server.demo.voice_id)
    demo_id = editor.server.demo.sample_id
    ids = [demo_id, *[s.sample_id for s in voice.samples if s.sample_id != demo_id][:2]]
    edits = {}
    for n, sample_id in enumerate(ids):
        if n:
            open_row(qtbot, editor, sample_id)
        # Shift: placed freely, not snapped to the nearest speech edge.
        drag_handle_to(editor.window.waveform, 0, 5.0 + 1.5 * n, modifiers=SHIFT)
        session = editor.controller.session
        assert session is not None
        assert session.dirty, (n, session.edit, session.baseline)
        edits[sample_id] = session.edit
    return edits


def held(editor: Editor, sample_id: str) -> tuple[int | None, int | None]:
    sample = editor.check.get_sample(editor.server.demo.voice_id, sample_id)
    return sample.trim_start, sample.trim_end


def test_submit_all_sends_every_edited_sample_two_at_a_time_and_confirms_each(
    qtbot: QtBot, editor: Editor, monkeypatch: pytest.MonkeyPatch
) -> None:
    edits = edit_three(qtbot, editor)
    panel = editor.window.workspace
    assert panel.submit_all_button.isEnabled()
    assert "(3)" in panel.submit_all_button.text()
    assert {r.sample_id for r in panel.model.rows if r.state is SampleState.EDITED} == set(edits)
    concurrency = Concurrency(editor.server, monkeypatch)
    editor.server.faults.inject("*", latency=0.3, count=100)  # every request takes a while
    seen: dict[str, set[str]] = {s: set() for s in edits}
    bars: list[tuple[int, int]] = []
    editor.window.batch.progressed.connect(lambda done, total: bars.append((done, total)))
    editor.window.batch.rows_changed.connect(
        lambda ids: [seen[i].add(row_of(editor, i).state.value) for i in ids if i in seen]
    )
    assert editor.window.submit_button.isEnabled()
    qtbot.mouseClick(panel.submit_all_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.queue_progress.isVisible(), timeout=5000)
    assert not editor.window.submit_button.isEnabled()  # the queue holds the sample shown
    qtbot.waitUntil(lambda: not editor.window.batch.busy, timeout=30000)
    editor.server.faults.clear()
    assert concurrency.peak == 2  # in parallel, never past the free tier's limit
    for sample_id, edit in edits.items():
        assert held(editor, sample_id) == (edit.trim_start_ms, edit.trim_end_ms)
        assert row_of(editor, sample_id).state is SampleState.SAVED
        assert "submitting" in seen[sample_id]
        voice_id = editor.server.demo.voice_id
        assert DraftStore().load(DraftKey.for_sample(SampleRef(voice_id, sample_id))) is None
    assert "queued" in set().union(*seen.values())  # the third waited its turn
    assert (0, 3) in bars
    assert bars[-1] == (0, 0)  # and the bar went away
    assert not panel.queue_progress.isVisible()
    session = editor.controller.session
    assert session is not None
    assert not session.dirty  # the open one settled like a single Submit
    assert not panel.submit_all_button.isEnabled()
    assert "Submit all done: 3 of 3 saved" in editor.window.statusBar().currentMessage()


def test_a_failed_submission_stays_drafted_with_its_reason_and_retry_sends_it(
    qtbot: QtBot, editor: Editor
) -> None:
    edits = edit_three(qtbot, editor)
    panel = editor.window.workspace
    first = next(iter(edits))
    editor.server.faults.inject("edit_pvc_voice_sample", status=400, count=1)
    before = held(editor, first)
    editor.window.activateWindow()
    qtbot.keyClick(editor.window, Qt.Key.Key_S, CTRL | SHIFT)  # Voice → Submit All Edited
    assert editor.window.batch.busy
    qtbot.waitUntil(lambda: not editor.window.batch.busy, timeout=30000)
    failed = [r for r in panel.model.rows if r.state is SampleState.FAILED]
    assert len(failed) == 1
    loser = failed[0].sample_id
    assert failed[0].reason  # said on hover
    source = panel.model.index(panel.model.row_of(loser), COLUMNS.index("State"))
    assert panel.model.data(source, Qt.ItemDataRole.ToolTipRole) == failed[0].reason
    ref = SampleRef(editor.server.demo.voice_id, loser)
    draft = DraftStore().load(DraftKey.for_sample(ref))
    if loser != editor.controller.session.ref.sample_id:  # type: ignore[union-attr]
        assert draft is not None
        assert draft.edit == edits[loser]
        assert not draft.submission_pending  # not sent: plainly unsent
    if loser == first:
        assert held(editor, first) == before
    assert panel.retry_button.isEnabled()
    assert "1 failed" in editor.window.statusBar().currentMessage()
    qtbot.mouseClick(panel.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not editor.window.batch.busy, timeout=30000)
    assert row_of(editor, loser).state is SampleState.SAVED
    edit = edits[loser]
    assert held(editor, loser) == (edit.trim_start_ms, edit.trim_end_ms)
    assert DraftStore().load(DraftKey.for_sample(ref)) is None
    assert not panel.retry_button.isEnabled()


def test_a_sample_removed_on_the_server_meanwhile_is_said_and_its_draft_kept(
    qtbot: QtBot, editor: Editor
) -> None:
    """The queue meets a 404: its row and the status line say so, its draft stays, and
    the other samples are sent as if nothing happened."""
    edits = edit_three(qtbot, editor)
    voice_id = editor.server.demo.voice_id
    gone = list(edits)[1]  # edited, then left for the third sample
    editor.check.delete_sample(voice_id, gone)
    panel = editor.window.workspace
    messages: list[str] = []
    editor.window.statusBar().messageChanged.connect(messages.append)
    qtbot.mouseClick(panel.submit_all_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not editor.window.batch.busy, timeout=30000)
    row = row_of(editor, gone)
    assert row.state is SampleState.FAILED
    assert "was removed on the server" in row.reason
    assert "kept as a draft" in row.reason
    source = panel.model.index(panel.model.row_of(gone), 0)
    assert panel.model.data(source, Qt.ItemDataRole.ToolTipRole) == row.reason
    assert any("was removed on the server" in m for m in messages)
    final = editor.window.statusBar().currentMessage()
    assert "2 of 3 saved" in final
    assert "1 removed on the server" in final
    draft = DraftStore().load(DraftKey.for_sample(SampleRef(voice_id, gone)))
    assert draft is not None
    assert draft.edit == edits[gone]
    for sample_id, edit in edits.items():
        if sample_id != gone:
            assert held(editor, sample_id) == (edit.trim_start_ms, edit.trim_end_ms)
            assert row_of(editor, sample_id).state is SampleState.SAVED


def test_closing_mid_queue_asks_and_leaves_the_rest_to_the_next_start(
    qtbot: QtBot, editor: Editor
) -> None:
    edits = edit_three(qtbot, editor)
    asked: list[str] = []
    editor.window.confirm = lambda title, _text: asked.append(title) is None
    editor.server.faults.inject(EDIT_ROUTE, latency=30.0, count=3)  # none lands before close
    qtbot.mouseClick(editor.window.workspace.submit_all_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(editor.window.batch.sending) == 2, timeout=5000)
    editor.window.close()
    assert asked == ["Submit all in progress"]
    left = QueueJournal().load()
    assert {r.sample_id for r in left} == set(edits)
    voice_id = editor.server.demo.voice_id
    for sample_id, edit in edits.items():
        draft = DraftStore().load(DraftKey.for_sample(SampleRef(voice_id, sample_id)))
        assert draft is not None
        assert draft.edit == edit


def _child(mode: str, *extra: str, emulator: Any, sample_id: str = "") -> list[str]:
    demo = emulator.demo
    opened = ["--sample-id", sample_id] if sample_id else [
        "--sample-id", demo.sample_id, str(demo.audio_path),
    ]  # fmt: skip
    return [
        sys.executable, str(HERE / "queue_child.py"), mode, *extra,
        "--api-base", emulator.base_url, "--voice-id", demo.voice_id, *opened,
    ]  # fmt: skip


def test_a_queue_killed_mid_way_resumes_on_restart_without_sending_twice(
    emulator: Any, tmp_path: Path
) -> None:
    """Edit three samples, Submit all, kill -9 mid-queue, restart, resume: the emulator
    holds all three edits, and the one that landed after the kill was not sent again
    (restarted on that one, whose draft the window finds already on the server)."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        ELEVENLABS_API_KEY=emulator.api_key,
        PVC_SAMPLE_EDITOR_HOME=str(tmp_path / "home"),
    )
    # The first edit to arrive lands at once; the second only after the kill (the server
    # applies it late, as a slow real one can); the third never lands.
    emulator.faults.inject(EDIT_ROUTE, latency=0.001)
    emulator.faults.inject(EDIT_ROUTE, latency=4.0)
    emulator.faults.inject(EDIT_ROUTE, latency=60.0, drop=True)
    child = subprocess.Popen(
        _child("queue", emulator=emulator),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    states = []
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line, child.stderr.read() if child.stderr else ""
        edits = {k: tuple(v) for k, v in json.loads(line).items()}
        for line in child.stdout:
            states.append(json.loads(line))
            if len(states[-1]["saved"]) == 1 and len(states[-1]["sending"]) == 2:
                break  # one saved, the other two in flight: kill it now
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        for stream in (child.stdout, child.stderr):
            if stream:
                stream.close()
    assert child.returncode == -signal.SIGKILL
    assert len(edits) == 3
    assert states
    assert len(states[-1]["saved"]) == 1, states
    check = ApiClient(emulator.base_url, emulator.api_key)
    voice_id = emulator.demo.voice_id

    def holding() -> set[str]:
        return {
            s.sample_id
            for s in check.get_voice(voice_id).samples
            if s.sample_id in edits and (s.trim_start, s.trim_end) == edits[s.sample_id]
        }

    deadline = time.monotonic() + 20
    while len(holding()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the late edit lands in the emulator, the app long dead
    landed = holding()
    assert len(landed) == 2
    emulator.faults.clear()  # the third's fault may not have been used: no more faults
    emulator.requests_log.clear()
    # Restart on the sample whose edit landed after the kill (its draft says pending).
    (late,) = landed - set(states[-1]["saved"])
    again = subprocess.run(
        _child("resume", "yes", emulator=emulator, sample_id=late),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    report = json.loads(again.stdout.strip().splitlines()[-1])
    assert report == {"asked": ["Resume the unfinished queue?"], "failures": {}}
    assert holding() == set(edits)  # all three, exactly as edited
    posted = [r.path for r in emulator.requests_log.for_operation(EDIT_ROUTE)]
    (never_landed,) = set(edits) - landed
    assert len(posted) == 1  # only the one that never landed was sent again
    assert posted[0].endswith(never_landed)
    drafts = DraftStore(tmp_path / "home" / "data" / "drafts")
    for sample_id in edits:
        assert drafts.load(DraftKey.for_sample(SampleRef(voice_id, sample_id))) is None
    assert not (tmp_path / "home" / "data" / "queue.json").exists()
    check.close()


def test_answering_no_to_resume_keeps_the_drafts_and_sends_nothing(
    qtbot: QtBot, emulator: Any
) -> None:
    """A queue an earlier run left: the app asks once; No drops the queue, not the edits."""
    demo = emulator.demo
    check = ApiClient(emulator.base_url, emulator.api_key)
    other = next(s for s in check.get_voice(demo.voice_id).samples if s.sample_id != demo.sample_id)
    ref = SampleRef(demo.voice_id, other.sample_id)
    edit = edit_from_sample(other).with_trims(4000, 9000)
    draft = Draft(DraftKey.for_sample(ref), edit, baseline=edit_from_sample(other))
    DraftStore().save(draft.with_submission_pending())  # it was being sent when killed
    journal = QueueJournal()
    journal.save([ref])
    asked: list[str] = []

    def confirm(title: str, _text: str) -> bool:
        asked.append(title)
        return False

    client = ApiClient(emulator.base_url, emulator.api_key)
    window = MainWindow(EditorController(client), player=None, confirm=confirm)
    qtbot.addWidget(window)
    window.show()
    emulator.requests_log.clear()
    window.controller.open_sample(SampleRef(demo.voice_id, demo.sample_id), None)
    qtbot.waitUntil(lambda: bool(asked), timeout=10000)
    assert asked == ["Resume the unfinished queue?"]
    assert journal.load() == ()
    assert not window.batch.busy
    kept = DraftStore().load(DraftKey.for_sample(ref))
    assert kept is not None
    assert kept.edit == edit
    row = row_of(Editor(window, window.controller, emulator, check), other.sample_id)
    assert row.state is SampleState.EDITED
    assert "interrupted" in row.reason
    assert emulator.requests_log.for_operation(EDIT_ROUTE) == []
    qtbot.waitUntil(lambda: not window.controller._api.busy, timeout=10000)
    window.close()
    client.close()
    check.close()
