"""Closing is quick whatever the server does, and leaves every draft saying what is true."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import soundfile as sf
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from ui_driver import Editor

from pvc_sample_editor.editing.drafts import DraftStore


def _edit_noise(qtbot: QtBot, editor: Editor) -> None:
    qtbot.mouseClick(editor.window.edit_panel.noise_box, Qt.MouseButton.LeftButton)
    assert editor.controller.session is not None
    assert editor.controller.session.dirty


def test_closing_while_a_slow_server_holds_a_call_takes_about_a_second(
    qtbot: QtBot, editor: Editor
) -> None:
    """The speaker read is held for 60 s by the server; closing still takes under 2 s
    (it once waited for the whole call, 143 s against a trickling server)."""
    editor.server.faults.inject("get_pvc_sample_speakers", latency=60.0)
    editor.controller.refresh_speakers()
    qtbot.waitUntil(lambda: editor.controller._api.busy, timeout=2000)
    qtbot.wait(200)  # the request is on the wire
    started = time.monotonic()
    editor.window.close()
    assert time.monotonic() - started < 2.0


def test_closing_during_a_submission_the_server_applies_removes_its_draft(
    qtbot: QtBot, editor: Editor
) -> None:
    """The server answers the edit after 0.8 s; the user closes at once and says yes. The
    edit lands, so its draft is removed, not left "pending" for ever."""
    _edit_noise(qtbot, editor)
    key = editor.controller.draft_key()
    assert key is not None
    editor.server.faults.inject("edit_pvc_voice_sample", latency=0.8)
    editor.window.submit()
    assert editor.controller.submitting
    assert DraftStore().load(key) is not None
    started = time.monotonic()
    editor.window.close()
    assert time.monotonic() - started < 3.0
    assert editor.check.get_sample(key.voice_id, key.sample_id).remove_background_noise
    assert DraftStore().load(key) is None


def test_closing_during_a_submission_that_hangs_is_quick_and_keeps_it_pending(
    qtbot: QtBot, editor: Editor
) -> None:
    _edit_noise(qtbot, editor)
    key = editor.controller.draft_key()
    assert key is not None
    editor.server.faults.inject("edit_pvc_voice_sample", latency=60.0)
    editor.window.submit()
    started = time.monotonic()
    editor.window.close()
    assert time.monotonic() - started < 4.0  # the 2 s grace, then cancel
    draft = DraftStore().load(key)
    assert draft is not None
    assert draft.submission_pending  # it may or may not have landed: that is the truth


def test_a_new_local_copy_of_the_open_sample_is_the_one_its_draft_names(
    qtbot: QtBot, editor: Editor, tmp_path: Path
) -> None:
    """Open another local copy of the sample being edited: the draft must name that file,
    not the one opened before it."""
    other = tmp_path / "other copy.flac"
    data, rate = sf.read(editor.controller.local_path, dtype="float32")
    sf.write(other, np.asarray(data), rate)
    _edit_noise(qtbot, editor)
    editor.window.open_path(other)
    qtbot.waitUntil(
        lambda: editor.controller.audio is not None and editor.controller.audio.path == other,
        timeout=10000,
    )
    key = editor.controller.draft_key()
    assert key is not None
    draft = DraftStore().load(key)
    assert draft is not None
    assert draft.local_path == str(other)
