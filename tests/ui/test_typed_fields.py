"""Text still being typed in a field is an edit: it is sent, drafted, and never moves on
to another sample or file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from ui_driver import Editor, submit_and_wait

from pvc_sample_editor.editing.drafts import DraftKey, DraftStore
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.main_window import MainWindow


def _wav(path: Path, seconds: float) -> Path:
    sf.write(path, np.zeros(int(seconds * 8000), dtype=np.float32), 8000)
    return path


def _type_into(qtbot: QtBot, widget: object, text: str) -> None:
    """Focus the field, replace its text by typing, and leave it without pressing Enter."""
    widget.setFocus()  # type: ignore[attr-defined]
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)


def test_a_half_typed_file_name_stays_with_its_file(qtbot: QtBot, tmp_path: Path) -> None:
    """Typing a name for file A, then opening B: A's draft has the name; B shows its own."""
    first, second = _wav(tmp_path / "a.wav", 2.0), _wav(tmp_path / "b.wav", 3.0)
    window = MainWindow(EditorController(None), player=None, confirm=lambda title, text: True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    c = window.controller
    window.open_path(first)
    qtbot.waitUntil(lambda: c.session is not None and c.local_path == first, timeout=10000)
    name = window.edit_panel.file_name_edit
    _type_into(qtbot, name, "renamed-a.wav")
    assert name.hasFocus()
    window.open_path(second)  # e.g. dropped on the window while the name is being typed
    qtbot.waitUntil(lambda: c.local_path == second, timeout=10000)
    assert c.session.edit.file_name == "b.wav"
    assert name.text() == "b.wav"
    draft = DraftStore().load(DraftKey.for_local_file(first))
    assert draft is not None
    assert draft.edit.file_name == "renamed-a.wav"
    assert DraftStore().load(DraftKey.for_local_file(second)) is None
    window.close()


def test_submit_by_shortcut_sends_a_half_typed_trim(qtbot: QtBot, editor: Editor) -> None:
    """Ctrl+S while a trim is still being typed sends the typed value, not the old one."""
    w = editor.window
    qtbot.mouseClick(w.edit_panel.noise_box, Qt.MouseButton.LeftButton)  # something to submit
    spin = w.edit_panel.start_field.spin
    _type_into(qtbot, spin, "1234")
    assert spin.hasFocus()
    submit_and_wait(qtbot, editor)
    assert "Saved" in w.saved_label.text(), w.submit_error.text()
    demo = editor.server.demo
    assert editor.check.get_sample(demo.voice_id, demo.sample_id).trim_start == 1234
    assert editor.controller.session.edit.trim_start_ms == 1234


def test_closing_with_a_half_typed_name_asks_and_keeps_it(qtbot: QtBot, editor: Editor) -> None:
    """A name typed but not confirmed counts as an unsaved edit when the window closes."""
    asked: list[str] = []
    editor.window.confirm = lambda title, text: asked.append(title) is None
    _type_into(qtbot, editor.window.edit_panel.file_name_edit, "typed-only.flac")
    key = editor.controller.draft_key()
    editor.window.close()
    assert asked == ["Unsaved changes"]
    draft = DraftStore().load(key)
    assert draft is not None
    assert draft.edit.file_name == "typed-only.flac"
