"""Deleting samples and training the voice from the window, against the emulator, with
real mouse and keyboard events."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot
from queue_driver import open_row
from ui_driver import Editor, drag_handle_to

from pvc_sample_editor.api.models import Voice
from pvc_sample_editor.api.training import DEFAULT_MODEL_ID, TrainingState, VoiceVerification
from pvc_sample_editor.editing.drafts import DraftKey, DraftStore
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.emulator.training import TrainingSettings
from pvc_sample_editor.ui.report_panel import NO_AUDIO_TEXT
from pvc_sample_editor.ui.training import training_html

SHIFT = Qt.KeyboardModifier.ShiftModifier


class Answers:
    """The window's yes/no questions, recorded and answered."""

    def __init__(self, editor: Editor, answer: bool = True) -> None:
        self.asked: list[tuple[str, str]] = []
        self.answer = answer
        editor.window.confirm = self._ask

    def _ask(self, title: str, text: str) -> bool:
        self.asked.append((title, text))
        return self.answer


def _row_rect_center(editor: Editor, sample_id: str) -> QPoint:
    panel = editor.window.workspace
    source = panel.model.index(panel.model.row_of(sample_id), 0)
    return panel.table.visualRect(panel.proxy.mapFromSource(source)).center()


def _server_ids(editor: Editor) -> set[str]:
    return {s.sample_id for s in editor.check.get_voice(editor.server.demo.voice_id).samples}


def _ids_shown(editor: Editor) -> set[str]:
    return {r.sample_id for r in editor.window.workspace.model.rows}


# A popup menu on the offscreen platform: it cannot raise itself or grab the keyboard.
@pytest.mark.qt_log_ignore("^This plugin does not support (raise\\(\\)|grabbing the keyboard)$")
def test_deleting_a_row_from_its_context_menu_names_it_and_removes_it_and_its_draft(
    qtbot: QtBot, editor: Editor
) -> None:
    demo = editor.server.demo
    panel = editor.window.workspace
    others = [r for r in panel.model.rows if r.sample_id != demo.sample_id]
    victim = others[0]
    # Give the victim an unsent edit (a draft), then go back to the demo sample.
    open_row(qtbot, editor, victim.sample_id)
    drag_handle_to(editor.window.waveform, 0, 6.5, modifiers=SHIFT)
    ref = SampleRef(demo.voice_id, victim.sample_id)
    assert DraftStore().load(DraftKey.for_sample(ref)) is not None
    open_row(qtbot, editor, demo.sample_id)
    victim = next(r for r in panel.model.rows if r.sample_id == victim.sample_id)
    total_before = panel.gauge.total_ms
    answers = Answers(editor)
    # Right-click the victim's row: its menu pops up; click its Delete entry.
    viewport = panel.table.viewport()
    pos = _row_rect_center(editor, victim.sample_id)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, viewport.mapToGlobal(pos))
    QApplication.sendEvent(viewport, event)
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    (entry,) = [a for a in menu.actions() if a.text().startswith("Delete")]
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(entry).center())
    qtbot.waitUntil(lambda: victim.sample_id not in _ids_shown(editor), timeout=10000)
    (_title, text) = answers.asked[-1]
    assert victim.file_name in text
    assert f"{victim.kept_ms / 60_000:.1f} min kept" in text
    assert "cannot undo" in text
    assert "unsent edits" in text  # it had a draft
    assert victim.sample_id not in _server_ids(editor)
    assert DraftStore().load(DraftKey.for_sample(ref)) is None
    assert panel.gauge.total_ms == total_before - victim.kept_ms
    # The sample open in the editor was not the one deleted: it stays open.
    session = editor.controller.session
    assert session is not None
    assert session.ref is not None
    assert session.ref.sample_id == demo.sample_id


def test_the_delete_key_on_the_list_deletes_the_open_sample_and_opens_its_neighbour(
    qtbot: QtBot, editor: Editor
) -> None:
    demo = editor.server.demo
    panel = editor.window.workspace
    order = [r.sample_id for r in panel.model.rows]
    expected = order[order.index(demo.sample_id) + 1]
    panel.table.setFocus()
    qtbot.waitUntil(panel.table.hasFocus, timeout=2000)
    answers = Answers(editor, answer=False)
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    assert answers.asked
    assert "demo" in answers.asked[-1][1]
    qtbot.wait(200)
    assert demo.sample_id in _server_ids(editor)  # No: nothing deleted
    answers.answer = True
    c = editor.controller
    with qtbot.waitSignal(c.audio_loaded, timeout=15000):
        qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(
        lambda: (
            c.session is not None
            and c.session.ref is not None
            and c.session.ref.sample_id == expected
            and demo.sample_id not in _ids_shown(editor)
        ),
        timeout=15000,
    )
    assert demo.sample_id not in _server_ids(editor)
    assert c.histories.parked(SampleRef(demo.voice_id, demo.sample_id)) is None
    assert panel.model.rows[panel.model.row_of(expected)].sample_id == expected
    assert len(panel.model.rows) == len(order) - 1


def test_deleting_a_voices_last_sample_shown_from_its_preview_leaves_no_sample_open(
    qtbot: QtBot, editor: Editor, tmp_path: Path
) -> None:
    # A voice of one sample with no local copy: the editor shows the server's preview.
    recording = tmp_path / "only take.wav"
    t = np.arange(8_000 * 40) / 8_000
    sf.write(recording, (0.2 * np.sin(2 * np.pi * 150 * t)).astype(np.float32), 8_000)
    voice_id = editor.check.create_voice("One take", "en")
    (sample,) = editor.check.add_samples(voice_id, [recording])
    c, window = editor.controller, editor.window
    with qtbot.waitSignal(c.audio_loaded, timeout=15000):
        c.open_sample(SampleRef(voice_id, sample.sample_id), None)
    qtbot.waitUntil(lambda: _ids_shown(editor) == {sample.sample_id}, timeout=10000)
    assert window.banner.isVisible()  # "Showing the server's preview…"
    assert c.audio is not None
    drag_handle_to(window.waveform, 0, 2.0, modifiers=SHIFT)  # an edit, and its draft
    ref = SampleRef(voice_id, sample.sample_id)
    assert DraftStore().load(DraftKey.for_sample(ref)) is not None
    panel = window.workspace
    qtbot.mouseClick(
        panel.table.viewport(),
        Qt.MouseButton.LeftButton,
        pos=_row_rect_center(editor, sample.sample_id),
    )
    panel.table.setFocus()
    qtbot.waitUntil(panel.table.hasFocus, timeout=2000)
    Answers(editor)
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: c.session is None, timeout=10000)
    assert editor.check.get_voice(voice_id).samples == ()
    # Nothing of the deleted sample is left to edit or to submit.
    assert c.audio is None
    # The window is as before the first sample: no picture, no name, no check.
    view = window.waveform
    assert view.source is None
    assert view.duration == 0.0
    assert view.view_range_secs() == pytest.approx((0.0, 1.0))
    assert view.trims_secs() == pytest.approx((0.0, 1.0))
    assert all(line.scene() is view.scene() for line in view._region.lines)  # still drawn
    assert window.edit_panel.file_name_edit.text() == ""
    assert window.report_panel.summary.text() == NO_AUDIO_TEXT
    assert window.title_label.text() == "No sample open"
    assert not window.submit_button.isEnabled()
    assert not window.banner.isVisible()
    assert not window.draft_bar.isVisible()
    assert not c.undo_stack.canUndo()
    assert DraftStore().load(DraftKey.for_sample(ref)) is None
    qtbot.waitUntil(lambda: not _ids_shown(editor), timeout=10000)
    assert window.windowTitle().startswith("PVC Sample Editor")


def _add_minutes(editor: Editor, tmp_path: Path, minutes: float) -> None:
    rate = 8_000
    path = tmp_path / "extra reading.wav"
    rng = np.random.default_rng(7)
    samples = int(minutes * 60 * rate)
    t = np.arange(samples) / rate
    audio = 0.2 * np.sin(2 * np.pi * 180 * t) + 0.001 * rng.standard_normal(samples)
    sf.write(path, audio.astype(np.float32), rate, subtype="PCM_16")
    editor.check.add_samples(editor.server.demo.voice_id, [path])


def test_train_is_disabled_below_the_minimum_and_says_why(editor: Editor) -> None:
    training = editor.window.voice_actions.training
    assert not training.button.isEnabled()
    assert not training.action.isEnabled()
    assert "more are needed" in training.button.toolTip()
    assert training.label.text() == "No training yet."  # the gauge's sentence says the rest
    assert "more are needed" in training.label.toolTip()


def test_train_sends_unsent_edits_first_then_follows_the_training_to_the_end(
    qtbot: QtBot, editor: Editor, tmp_path: Path
) -> None:
    editor.server.api.training = TrainingSettings(seconds=3.0)
    demo = editor.server.demo
    _add_minutes(editor, tmp_path, 4.0)
    panel = editor.window.workspace
    other = next(r.sample_id for r in panel.model.rows if r.sample_id != demo.sample_id)
    open_row(qtbot, editor, other)  # the list reads the voice again, with the new sample
    training = editor.window.voice_actions.training
    qtbot.waitUntil(training.button.isEnabled, timeout=5000)
    drag_handle_to(editor.window.waveform, 0, 6.5, modifiers=SHIFT)  # an unsent edit
    session = editor.controller.session
    assert session is not None
    assert session.dirty
    edit = session.edit
    answers = Answers(editor)
    models: list[list[str]] = []
    training.choose_model = lambda choices: models.append(choices) or DEFAULT_MODEL_ID
    lines: list[str] = []
    qtbot.mouseClick(training.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(models), timeout=20000)
    assert "edits not sent" in answers.asked[-1][1]
    sample = editor.check.get_sample(demo.voice_id, other)
    assert sample.trim_start == edit.trim_start_ms  # sent before training began
    assert models[-1][0] == DEFAULT_MODEL_ID

    def seen() -> bool:
        lines.append(training.label.text())
        return "trained" in lines[-1] and not training.polling

    qtbot.waitUntil(seen, timeout=30000)
    voice = editor.check.get_voice(demo.voice_id)
    assert voice.fine_tuning is not None
    model = voice.fine_tuning.model(DEFAULT_MODEL_ID)
    assert model is not None
    assert model.state is TrainingState.FINE_TUNED
    assert any("training" in line and "%" in line for line in lines)  # progress shown
    assert "recording quality" in lines[-1]
    assert voice.recording_quality_reason is not None
    assert voice.recording_quality_reason in training.label.toolTip()


def test_a_voice_that_needs_verification_says_so_and_links_to_elevenlabs(editor: Editor) -> None:
    voice = editor.check.get_voice(editor.server.demo.voice_id)
    needs = dataclasses.replace(voice, verification=VoiceVerification(True, False))
    done = dataclasses.replace(voice, verification=VoiceVerification(True, True))
    assert VoiceVerification.VERIFY_URL in training_html(needs)
    assert "Verification required" in training_html(needs)
    assert "Verification" not in training_html(done)
    assert "Speaker verified." in training_html(done)
    not_asked = dataclasses.replace(voice, verification=VoiceVerification(False, False))
    assert "erif" not in training_html(not_asked)  # nothing to say where nobody asks
    training = editor.window.voice_actions.training
    editor.controller.voice_loaded.emit(needs)
    assert VoiceVerification.VERIFY_URL in training.label.text()
    assert isinstance(training.voice, Voice)
