"""Separate speakers in all samples: the starts on the queue (two at a time), one shared
poll loop with backoff for every pending separation, each row following its own state."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from queue_driver import Concurrency, row_of
from ui_driver import Editor

from pvc_sample_editor.editing.workspace import needs_separation

# Separations take a second: long enough for the loop to go several rounds.
EMULATOR_SEPARATION_DELAY = 1.0


def test_separate_all_starts_each_on_the_queue_and_polls_them_in_one_loop(
    qtbot: QtBot, editor: Editor, monkeypatch: pytest.MonkeyPatch
) -> None:
    voice = editor.check.get_voice(editor.server.demo.voice_id)
    todo = {s.sample_id for s in voice.samples if needs_separation(s)}
    assert len(todo) >= 3
    panel = editor.window.workspace
    assert panel.separate_all_button.isEnabled()
    separations = editor.window.queue.separations
    concurrency = Concurrency(editor.server, monkeypatch)
    editor.server.faults.inject("*", latency=0.05, count=1000)
    seen: dict[str, list[str]] = {s: [] for s in todo}

    def record(ids: tuple[str, ...]) -> None:
        for i in ids:
            if i in seen and (not seen[i] or seen[i][-1] != row_of(editor, i).speakers):
                seen[i].append(row_of(editor, i).speakers)

    editor.window.batch.rows_changed.connect(record)
    delays: list[int] = []
    separations.timer.timeout.connect(lambda: delays.append(separations.timer.interval()))
    editor.server.requests_log.clear()
    qtbot.mouseClick(panel.separate_all_button, Qt.MouseButton.LeftButton)
    assert set(separations.pending) == todo
    qtbot.waitUntil(lambda: not separations.pending and not editor.window.batch.busy, timeout=20000)
    editor.server.faults.clear()
    log = editor.server.requests_log
    assert len(log.for_operation("start_speaker_separation")) == len(todo)
    assert concurrency.peak == 2
    # One loop: each round is one read of the voice, whatever the number of samples.
    rounds = len(delays)
    assert rounds >= 2
    assert len(log.for_operation("get_voice_by_id")) == rounds
    assert delays == sorted(delays)  # backing off, never speeding up
    assert delays[-1] > delays[0]
    # The starts' own reads of the state, one each; no per-sample polling on top.
    assert len(log.for_operation("get_pvc_sample_speakers")) == len(todo)
    for sample_id in todo:
        assert seen[sample_id][0] == "separating", seen
        assert seen[sample_id][-1].endswith(("speaker", "speakers")), seen
        assert not row_of(editor, sample_id).separable
    session = editor.controller.session
    assert session is not None
    assert session.separation is not None
    assert session.separation.completed  # the sample shown follows too
    assert not panel.separate_all_button.isEnabled()
    assert "finished in every sample" in editor.window.statusBar().currentMessage()


def test_polling_stops_after_its_bound_and_says_so(
    qtbot: QtBot, editor: Editor, monkeypatch: pytest.MonkeyPatch
) -> None:
    separations = editor.window.queue.separations
    monkeypatch.setattr(separations, "max_rounds", 1)
    editor.server.requests_log.clear()
    qtbot.mouseClick(editor.window.workspace.separate_all_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not separations.pending, timeout=10000)
    assert len(editor.server.requests_log.for_operation("get_voice_by_id")) == 1
    assert "Stopped checking" in editor.window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not editor.window.batch.busy, timeout=5000)
    assert not separations.timer.isActive()


def test_a_sample_removed_on_the_server_is_said_on_its_row_and_the_rest_separate(
    qtbot: QtBot, editor: Editor
) -> None:
    voice = editor.check.get_voice(editor.server.demo.voice_id)
    shown = editor.server.demo.sample_id
    todo = [s.sample_id for s in voice.samples if needs_separation(s) and s.sample_id != shown]
    gone = todo[0]
    editor.check.delete_sample(voice.voice_id, gone)
    separations = editor.window.queue.separations
    qtbot.mouseClick(editor.window.workspace.separate_all_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not separations.pending and not editor.window.batch.busy, timeout=20000)
    row = row_of(editor, gone)
    assert "was removed on the server" in row.reason
    for sample_id in todo[1:]:
        assert row_of(editor, sample_id).speakers.endswith(("speaker", "speakers"))
