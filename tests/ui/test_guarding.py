"""Guarding the edit: no 1 ms sample one Ctrl+S away, undo in the name field, open folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot
from ui_driver import Editor, click_at, submit_and_wait
from view_driver import local_window

CTRL = Qt.KeyboardModifier.ControlModifier


def _edits_sent(ed: Editor) -> int:
    return sum(1 for r in ed.server.requests_log if r.operation_id == "edit_pvc_voice_sample")


def _type_into(qtbot: QtBot, widget: Any, text: str) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(widget, text)


def test_start_and_end_at_one_playhead_keep_a_second(qtbot: QtBot, editor: Editor) -> None:
    """I then O without moving the cursor: a one-second region, never a 1 ms one."""
    view = editor.window.waveform
    click_at(view.viewport(), view.data_to_widget(10.0))
    qtbot.keyClick(editor.window, Qt.Key.Key_I)
    qtbot.keyClick(editor.window, Qt.Key.Key_O)
    edit = editor.controller.session.edit
    assert edit.trim_end_ms - edit.trim_start_ms == 1000
    assert edit.trim_end_ms == view.playhead_ms()
    assert editor.window.submit_button.isEnabled()


def test_a_short_region_is_refused_before_submit_saying_why(qtbot: QtBot, editor: Editor) -> None:
    w = editor.window
    panel = w.edit_panel
    _type_into(qtbot, panel.start_field.spin, "5000")
    qtbot.keyClick(panel.start_field.spin, Qt.Key.Key_Return)
    _type_into(qtbot, panel.end_field.spin, "5200")
    qtbot.keyClick(panel.end_field.spin, Qt.Key.Key_Return)
    assert editor.controller.session.edit.trim_end_ms == 5200
    reason = "Only 200 ms would be kept; a sample needs at least 1 s."
    assert w.reason_label.text().startswith(reason)
    assert w.reason_label.isVisible()
    assert panel.errors["trim_end_ms"].text().startswith(reason)
    assert not w.submit_button.isEnabled()
    sent = _edits_sent(editor)
    qtbot.keyClick(w, Qt.Key.Key_S, CTRL)
    qtbot.wait(100)
    assert not editor.controller.submitting
    assert _edits_sent(editor) == sent
    _type_into(qtbot, panel.end_field.spin, "6000")
    qtbot.keyClick(panel.end_field.spin, Qt.Key.Key_Return)
    assert w.submit_button.isEnabled()
    submit_and_wait(qtbot, editor)
    assert editor.server_sample().trim_end == 6000


def test_undo_in_the_name_field_after_a_submit_keeps_everything_consistent(
    qtbot: QtBot, editor: Editor
) -> None:
    """Ctrl+Z with the name field focused undoes the rename everywhere, not only its text."""
    w = editor.window
    name = w.edit_panel.file_name_edit
    old = editor.controller.session.edit.file_name
    _type_into(qtbot, name, "renamed-take.flac")
    qtbot.keyClick(name, Qt.Key.Key_Tab)
    submit_and_wait(qtbot, editor)
    assert editor.server_sample().file_name == "renamed-take.flac"
    assert not w.isWindowModified()
    name.setFocus()
    qtbot.waitUntil(name.hasFocus)
    qtbot.keyClick(name, Qt.Key.Key_Z, CTRL)
    session = editor.controller.session
    shown = name.text()
    assert shown == session.edit.file_name  # the field shows what the model holds
    assert shown == old
    assert shown in w.windowTitle()  # the title names it too
    assert w.isWindowModified()  # and the marker says it differs from the server's
    qtbot.keyClick(name, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert name.text() == session.edit.file_name == "renamed-take.flac"
    assert not w.isWindowModified()


def _wav(path: Path, seconds: float = 2.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros(int(seconds * 8000), dtype=np.float32), 8000)
    return path


class _Dialog:
    """Stands in for the platform's modal file dialog: notes where it starts, picks a file."""

    def __init__(self) -> None:
        self.started_in: list[str] = []
        self.pick = ""

    def __call__(self, _parent: object, _title: str, folder: str, _filter: str) -> tuple[str, str]:
        self.started_in.append(folder)
        return self.pick, ""


def test_the_open_dialog_starts_by_the_local_copy_then_where_it_was_last(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = _Dialog()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", dialog)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    picked = _wav(tmp_path / "takes" / "a.wav")
    dropped = _wav(tmp_path / "elsewhere" / "b.wav")
    window = local_window(qtbot, settings=settings)
    shift_ctrl = CTRL | Qt.KeyboardModifier.ShiftModifier

    dialog.pick = str(picked)
    qtbot.keyClick(window, Qt.Key.Key_O, shift_ctrl)  # File → Open Local Copy…
    qtbot.waitUntil(lambda: window.controller.local_path == picked, timeout=10000)
    window.open_path(dropped)  # dropped on the window: the copy now edited is elsewhere
    qtbot.waitUntil(lambda: window.controller.local_path == dropped, timeout=10000)
    dialog.pick = ""  # cancelled
    qtbot.keyClick(window, Qt.Key.Key_O, shift_ctrl)
    window.close()

    again = local_window(qtbot, settings=settings)  # the next run, nothing open yet
    qtbot.keyClick(again, Qt.Key.Key_O, shift_ctrl)
    again.close()
    assert dialog.started_in == ["", str(dropped.parent), str(picked.parent)]
