"""Nothing lost: drafts survive closing and kill -9, and clear only after a confirmed save."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from ui_driver import Editor, drag_handle_to, submit_and_wait

from pvc_sample_editor.api.client import ApiClient
from pvc_sample_editor.editing.drafts import DraftKey, DraftStore
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.main_window import MainWindow

HERE = Path(__file__).parent


def reopen(qtbot: QtBot, emulator: Any, client: ApiClient) -> MainWindow:
    """A second window on the demo sample, as after a restart."""
    window = MainWindow(
        EditorController(client, poll_interval_ms=100),
        player=None,
        confirm=lambda title, text: True,
    )
    qtbot.addWidget(window)
    window.show()
    demo = emulator.demo
    window.controller.open_sample(SampleRef(demo.voice_id, demo.sample_id), Path(demo.audio_path))
    qtbot.waitUntil(lambda: window.controller.audio is not None, timeout=15000)
    return window


def test_closing_unsubmitted_keeps_a_draft_that_reopening_restores(
    qtbot: QtBot, editor: Editor
) -> None:
    """Edit, close without submitting, reopen: the edit is back and the window says so."""
    drag_handle_to(editor.window.waveform, 0, 5.0)
    qtbot.mouseClick(editor.window.edit_panel.noise_box, Qt.MouseButton.LeftButton)
    edited = editor.controller.session.edit
    editor.window.close()
    window = reopen(qtbot, editor.server, editor.check)
    assert window.controller.session.edit == edited
    assert window.draft_bar.isVisible()
    assert "Restored" in window.draft_label.text()
    # Discard goes back to the server's state and removes the draft file.
    qtbot.mouseClick(window.discard_draft_button, Qt.MouseButton.LeftButton)
    assert window.controller.session.edit == window.controller.session.baseline
    assert DraftStore().load(window.controller.draft_key()) is None
    window.close()


def test_confirmed_submission_clears_the_draft_and_a_failed_one_keeps_it(
    qtbot: QtBot, editor: Editor
) -> None:
    """A failed submit leaves the draft marked pending; a confirmed one removes it."""
    store = DraftStore()
    demo = editor.server.demo
    key = DraftKey.for_sample(SampleRef(demo.voice_id, demo.sample_id))
    drag_handle_to(editor.window.waveform, 1, 30.0)
    editor.server.faults.inject("edit_pvc_voice_sample", status=400)
    submit_and_wait(qtbot, editor)
    kept = store.load(key)
    assert kept is not None
    assert kept.submission_pending
    assert kept.edit == editor.controller.session.edit
    submit_and_wait(qtbot, editor)
    assert "Saved" in editor.window.saved_label.text()
    assert store.load(key) is None


def test_kill_9_then_restart_restores_the_edit_exactly(emulator: Any, tmp_path: Path) -> None:
    """The app, killed with SIGKILL mid-edit, comes back with the same edit."""
    demo = emulator.demo
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        ELEVENLABS_API_KEY=emulator.api_key,
        PVC_SAMPLE_EDITOR_HOME=str(tmp_path / "home"),
    )
    args = [
        "--api-base", emulator.base_url, "--voice-id", demo.voice_id,
        "--sample-id", demo.sample_id, str(demo.audio_path),
    ]  # fmt: skip
    child = subprocess.Popen(
        [sys.executable, str(HERE / "draft_child.py"), "edit", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line, child.stderr.read() if child.stderr else ""
        edited = json.loads(line)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        if child.stdout:
            child.stdout.close()
        if child.stderr:
            child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    assert edited["noise"] is True
    assert edited["start"] > 2000
    again = subprocess.run(
        [sys.executable, str(HERE / "draft_child.py"), "restore", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    status, restored = (json.loads(x) for x in again.stdout.strip().splitlines()[-2:])
    assert status == {"restored": True}
    assert restored == edited


def test_the_key_never_lands_in_a_file_or_output(emulator: Any, tmp_path: Path) -> None:
    """A whole session (open, edit, submit, fail, retry, crash) with a distinctive key:
    no file the app wrote, and none of its output, contains the key."""
    key = emulator.api_key
    demo = emulator.demo
    home = tmp_path / "home"
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        ELEVENLABS_API_KEY=key,
        PVC_SAMPLE_EDITOR_HOME=str(home),
    )
    # Three 500s use up the first submission's attempts; the retry then lands.
    emulator.faults.inject("edit_pvc_voice_sample", count=3, status=500)
    args = [
        "--api-base", emulator.base_url, "--voice-id", demo.voice_id,
        "--sample-id", demo.sample_id, str(demo.audio_path),
    ]  # fmt: skip
    proc = subprocess.run(
        [sys.executable, str(HERE / "draft_child.py"), "session", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "submit: Saved" in proc.stdout
    assert "Unexpected error" in proc.stderr  # the crash really happened and was reported
    assert key not in proc.stdout
    assert key not in proc.stderr
    written = [p for p in home.rglob("*") if p.is_file()]
    names = {p.name for p in written}
    assert "pvc-sample-editor.log" in names
    assert "settings.ini" in names
    for path in written:
        assert key.encode() not in path.read_bytes(), f"the key is in {path}"
    log = next(p for p in written if p.name == "pvc-sample-editor.log").read_text()
    assert "RuntimeError" in log
    assert "[redacted]" in log


def test_a_draft_that_cannot_be_removed_after_a_save_is_said_not_raised(
    qtbot: QtBot, editor: Editor, monkeypatch: Any
) -> None:
    """The confirmed save stands, the window is not left "submitting", and it says why the
    draft file is still there (the OS refused to delete it: a sharing violation, say)."""

    def refuse(key: DraftKey) -> bool:
        raise PermissionError(13, "The file is in use by another process")

    monkeypatch.setattr(editor.controller.drafts, "discard", refuse)
    drag_handle_to(editor.window.waveform, 1, 30.0)
    submit_and_wait(qtbot, editor)
    assert "Saved" in editor.window.saved_label.text()
    assert not editor.controller.submitting
    assert not editor.window.busy_bar.isVisible()
    assert "could not be removed" in editor.window.submit_error.text()
    assert "in use by another process" in editor.window.submit_error.text()


def test_a_failed_submit_of_a_sample_left_meanwhile_is_not_shown_as_the_new_ones(
    qtbot: QtBot, editor: Editor, tmp_path: Path
) -> None:
    """Submit, open a file before the answer comes, the submit fails: the window names the
    sample the failure is about and marks no field of the file now open."""
    import numpy as np
    import soundfile as sf

    other = tmp_path / "other.wav"
    sf.write(other, np.zeros(8000, dtype=np.float32), 8000)
    demo = editor.server.demo
    key = DraftKey.for_sample(SampleRef(demo.voice_id, demo.sample_id))
    drag_handle_to(editor.window.waveform, 0, 4.0)
    editor.server.faults.inject("edit_pvc_voice_sample", status=422, latency=0.5)
    qtbot.keyClick(editor.window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert editor.controller.submitting
    editor.controller.open_local_file(other)
    qtbot.waitUntil(lambda: editor.controller.local_path == other, timeout=10000)
    qtbot.waitUntil(lambda: not editor.controller.submitting, timeout=10000)
    text = editor.window.submit_error.text()
    assert f"sample you left ({demo.sample_id}) was not saved" in text
    assert not any(label.isVisible() for label in editor.window.edit_panel.errors.values())
    kept = DraftStore().load(key)
    assert kept is not None
    assert kept.submission_pending


def test_a_draft_left_invalid_is_restored_and_the_next_change_keeps_it(
    qtbot: QtBot, editor: Editor
) -> None:
    """Trims moved and the file name emptied, then closed: reopening restores both (the
    empty name marked), and the next change adds to the draft instead of replacing it."""
    drag_handle_to(editor.window.waveform, 0, 5.0)
    name = editor.window.edit_panel.file_name_edit
    name.setFocus()
    name.selectAll()
    qtbot.keyClick(name, Qt.Key.Key_Delete)
    qtbot.keyClick(name, Qt.Key.Key_Tab)
    edited = editor.controller.session.edit
    assert edited.file_name == ""
    editor.window.close()
    window = reopen(qtbot, editor.server, editor.check)
    c = window.controller
    assert c.session.edit == edited
    assert window.edit_panel.errors["file_name"].isVisible()
    assert "fix the marked fields" in window.draft_label.text()
    qtbot.mouseClick(window.edit_panel.noise_box, Qt.MouseButton.LeftButton)
    kept = DraftStore().load(c.draft_key())
    assert kept is not None
    assert kept.edit == replace(edited, remove_background_noise=not edited.remove_background_noise)
    window.close()


def test_a_draft_restored_over_a_sample_changed_on_the_server_says_what_changed(
    qtbot: QtBot, editor: Editor
) -> None:
    """Someone renamed the sample after the draft was saved: the restore names the change
    and what Submit and Discard Draft will do, instead of silently sending over it."""
    from pvc_sample_editor.editing.edit import EditContext, build_request, edit_from_sample

    drag_handle_to(editor.window.waveform, 0, 5.0)
    editor.window.close()
    demo = editor.server.demo
    sample = editor.check.get_sample(demo.voice_id, demo.sample_id)
    on_the_web = replace(edit_from_sample(sample), file_name="renamed-on-the-web.flac")
    ctx = EditContext(sample.duration_ms or 0)
    editor.check.edit_sample(demo.voice_id, demo.sample_id, build_request(on_the_web, ctx))
    window = reopen(qtbot, editor.server, editor.check)
    text = window.draft_label.text()
    assert "the file name (now 'renamed-on-the-web.flac')" in text
    assert "Submit sends your draft over those changes" in text
    qtbot.mouseClick(window.discard_draft_button, Qt.MouseButton.LeftButton)
    assert window.controller.session.edit.file_name == "renamed-on-the-web.flac"
    window.close()


def test_closing_after_a_draft_could_not_be_saved_says_the_edit_will_be_lost(
    qtbot: QtBot, editor: Editor, monkeypatch: Any
) -> None:
    """The close question must not promise a draft that the disk refused."""
    asked: list[str] = []

    def full_disk(draft: Any) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(editor.controller.drafts, "save", full_disk)
    editor.window.confirm = lambda title, text: asked.append(text) is not None
    drag_handle_to(editor.window.waveform, 0, 5.0)
    editor.window.close()
    assert len(asked) == 1
    assert "No space left on device" in asked[0]
    assert "will be lost" in asked[0]
    assert "kept as a draft" not in asked[0]
    assert editor.window.isVisible()  # the user said no
    monkeypatch.undo()
    qtbot.mouseClick(editor.window.edit_panel.noise_box, Qt.MouseButton.LeftButton)
    editor.window.close()  # saved again: the usual promise
    assert "kept as a draft" in asked[1]
    editor.window.confirm = lambda title, text: True
