"""Adding recordings from the window: checked first, long ones split, uploaded with
progress and Cancel, matched as local copies, and an interrupted upload resumed on the
next start with nothing sent twice; against the emulator, with real events."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot
from ui_driver import Editor

from pvc_sample_editor.api.client import ApiClient
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.editing.upload_journal import EntryState, UploadJournal, UploadProgress
from pvc_sample_editor.editing.workspace import LocalState
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.main_window import MainWindow
from pvc_sample_editor.ui.new_voice import VoiceDetailsDialog
from pvc_sample_editor.ui.uploads import Uploader


def _wav(path: Path, seconds: float, rate: int = 16_000, *, pauses: bool = False) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    audio = 0.2 * np.sin(2 * np.pi * 220 * t)
    if pauses:  # 4 s of tone, then 1 s of silence, over and over
        audio[(t % 5.0) >= 4.0] = 0.0
    sf.write(path, audio.astype(np.float32), rate, subtype="PCM_16")
    return path


def _drop(widget: Any, paths: list[Path]) -> None:
    """Drag ``paths`` over ``widget`` and drop them, as a file manager does."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPoint(widget.width() // 2, widget.height() // 2)
    copy = Qt.DropAction.CopyAction
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, copy, mime, left, none)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(widget, QDropEvent(pos.toPointF(), copy, mime, left, none))


def _names_on_server(editor: Editor) -> list[str]:
    voice = editor.check.get_voice(editor.server.demo.voice_id)
    return [s.file_name for s in voice.samples]


class Asked:
    """Yes/no questions (answered ``answer``) and notices, recorded instead of shown."""

    def __init__(self, answer: bool = True) -> None:
        self.questions: list[tuple[str, str]] = []
        self.notices: list[str] = []
        self.answer = answer
        self.answers: dict[str, bool] = {}  # by title, over ``answer``

    def confirm(self, title: str, text: str) -> bool:
        self.questions.append((title, text))
        return self.answers.get(title, self.answer)


def _uploader(editor: Editor, asked: Asked) -> Uploader:
    editor.window.confirm = asked.confirm
    uploader = editor.window.voice_actions.uploader
    uploader.inform = lambda _title, text: asked.notices.append(text)
    return uploader


def test_dropped_recordings_are_checked_uploaded_with_progress_and_open_their_files(
    qtbot: QtBot, editor: Editor, tmp_path: Path
) -> None:
    asked = Asked()
    uploader = _uploader(editor, asked)
    takes = [_wav(tmp_path / "new take 1.wav", 3.0), _wav(tmp_path / "new take 2.wav", 4.5)]
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio")
    seen: list[UploadProgress] = []
    show = uploader.progress.show_progress
    uploader.progress.show_progress = lambda p: (seen.append(p), show(p))  # type: ignore[method-assign]
    _drop(editor.window.workspace.table.viewport(), [*takes, notes])
    panel = editor.window.workspace
    qtbot.waitUntil(
        lambda: {"new take 1.wav", "new take 2.wav"} <= {r.file_name for r in panel.model.rows},
        timeout=20000,
    )
    qtbot.waitUntil(lambda: not uploader.busy, timeout=5000)
    (_title, text) = asked.questions[0]
    assert "notes.txt" in text
    assert "not a format the upload takes" in text
    assert "2 of 3 files can be sent" in text
    names = _names_on_server(editor)
    assert names.count("new take 1.wav") == 1
    assert names.count("new take 2.wav") == 1
    assert "notes.txt" not in names
    rows = {r.file_name: r for r in panel.model.rows}
    for take in takes:
        row = rows[take.name]
        assert row.local is LocalState.FILE
        assert str(take) in row.local_note
    assert seen
    assert seen[-1].batch_sent == seen[-1].batch_total == sum(t.stat().st_size for t in takes)
    assert {p.index for p in seen} == {0, 1}  # each file's own bar moved
    assert not uploader.progress.isVisible()
    assert UploadJournal().unfinished() == []
    # Opening a new sample opens its uploaded file, not the preview.
    new_id = rows["new take 2.wav"].sample_id
    c = editor.controller
    with qtbot.waitSignal(c.audio_loaded, timeout=15000):
        editor.window.workspace_binder.open_sample(new_id)
    qtbot.waitUntil(lambda: c.local_path == takes[1], timeout=10000)


def test_no_to_the_issues_sends_nothing_and_only_refused_files_send_nothing_either(
    qtbot: QtBot, editor: Editor, tmp_path: Path
) -> None:
    asked = Asked(answer=False)
    uploader = _uploader(editor, asked)
    take = _wav(tmp_path / "maybe.wav", 2.0)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    before = _names_on_server(editor)
    _drop(editor.window.workspace.table.viewport(), [take, empty])
    qtbot.waitUntil(lambda: bool(asked.questions), timeout=10000)
    qtbot.waitUntil(lambda: not uploader.busy, timeout=5000)
    assert "empty (0 bytes)" in asked.questions[0][1]
    _drop(editor.window.workspace.table.viewport(), [empty])  # nothing it could send
    qtbot.waitUntil(lambda: bool(asked.notices), timeout=10000)
    assert "0 of 1 file can be sent" in asked.notices[0]
    assert len(asked.questions) == 1  # not asked to go on: there is nothing to go on with
    assert _names_on_server(editor) == before
    assert UploadJournal().unfinished() == []


def test_a_recording_over_35_minutes_is_split_into_a_chosen_folder_and_its_parts_uploaded(
    qtbot: QtBot, editor: Editor, tmp_path: Path
) -> None:
    asked = Asked()
    uploader = _uploader(editor, asked)
    long = _wav(tmp_path / "long session.wav", 36 * 60 + 10, rate=8_000, pauses=True)
    before = hashlib.sha256(long.read_bytes()).hexdigest()
    parts_dir = tmp_path / "parts"
    parts_dir.mkdir()
    folders: list[Path] = []
    uploader.choose_folder = lambda start: (folders.append(start), parts_dir)[1]
    fractions: list[float] = []
    split_bar = uploader.progress.show_splitting
    uploader.progress.show_splitting = lambda n, f: (fractions.append(f), split_bar(n, f))  # type: ignore[method-assign]
    uploader.choose_files = lambda: [long]
    uploader.action.trigger()  # File → Add Recordings…
    qtbot.waitUntil(lambda: not uploader.busy, timeout=120000)
    assert any("Split" in title for title, _ in asked.questions)
    assert folders == [tmp_path]
    parts = sorted(parts_dir.iterdir())
    assert [p.name for p in parts] == [
        "long session-part1-of-2.flac",
        "long session-part2-of-2.flac",
    ]
    assert hashlib.sha256(long.read_bytes()).hexdigest() == before  # the original untouched
    names = _names_on_server(editor)
    assert "long session.wav" not in names
    assert all(names.count(p.name) == 1 for p in parts)
    assert fractions
    assert fractions[-1] == pytest.approx(1.0)
    total_ms = 0
    for part in parts:
        info = sf.info(part)
        assert info.duration <= 30 * 60
        total_ms += round(info.frames / info.samplerate * 1000)
    assert abs(total_ms - (36 * 60 + 10) * 1000) <= 2


def _window(qtbot: QtBot, emulator: Any, asked: Asked) -> Iterator[MainWindow]:
    client = ApiClient(emulator.base_url, emulator.api_key)
    controller = EditorController(client, poll_interval_ms=100)
    window = MainWindow(controller, player=None, confirm=asked.confirm)
    qtbot.addWidget(window)
    window.show()
    demo = emulator.demo
    controller.open_sample(SampleRef(demo.voice_id, demo.sample_id), Path(demo.audio_path))
    yield window
    window.close()
    client.close()


def test_a_cancelled_upload_is_offered_on_the_next_start_and_sends_each_file_once(
    qtbot: QtBot, editor: Editor, tmp_path: Path
) -> None:
    asked = Asked()
    uploader = _uploader(editor, asked)
    big = _wav(tmp_path / "big reading.wav", 400.0, rate=48_000)  # ~38 MB
    small = _wav(tmp_path / "short reading.wav", 2.0)
    # The server waits before reading the body: the upload stalls part-way, as on a
    # slow line, and Cancel comes mid-file.
    editor.server.faults.inject("add_pvc_voice_samples", latency=30.0, count=1)
    uploader.choose_files = lambda: [big, small]
    uploader.action.trigger()
    bars = uploader.progress
    qtbot.waitUntil(lambda: bool(bars.file_bars) and bars.file_bars[0].value() > 0, timeout=20000)
    qtbot.mouseClick(bars.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not uploader.busy, timeout=10000)
    editor.server.faults.clear()
    (batch,) = UploadJournal().unfinished()
    assert [e.state for e in batch.entries] == [EntryState.SENDING, EntryState.PENDING]
    assert "cancelled" in editor.window.statusBar().currentMessage()
    editor.window.close()
    # The next start: asked, resumed, every file on the server once.
    later = Asked()
    windows = _window(qtbot, editor.server, later)
    window = next(windows)
    qtbot.waitUntil(lambda: bool(later.questions), timeout=15000)
    title, text = later.questions[0]
    assert title == "Resume the interrupted upload?"
    assert "An upload of 2 files" in text
    assert "may have reached it" in text
    resumed = window.voice_actions.uploader
    qtbot.waitUntil(lambda: not resumed.busy and not UploadJournal().unfinished(), timeout=60000)
    names = _names_on_server(editor)
    assert names.count("big reading.wav") == 1
    assert names.count("short reading.wav") == 1
    qtbot.waitUntil(
        lambda: "big reading.wav" in {r.file_name for r in window.workspace.model.rows},
        timeout=10000,
    )
    next(windows, None)


def _fill(qtbot: QtBot, dialog: VoiceDetailsDialog, name: str, *, labels: str = "") -> None:
    """Type into the dialog's fields and press its OK button, as a person does."""
    dialog.name.selectAll()
    qtbot.keyClicks(dialog.name, name)
    if labels:
        qtbot.keyClicks(dialog.labels, labels)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)


def test_the_noise_removal_chosen_in_the_file_menu_goes_with_each_upload(
    qtbot: QtBot, editor: Editor, tmp_path: Path
) -> None:
    uploader = _uploader(editor, Asked())
    panel = editor.window.workspace
    assert uploader.noise_action in editor.window.file_menu.actions()
    assert not uploader.noise_action.isChecked()  # off unless asked: it can hurt clean audio
    for name, on in (("plain take.wav", False), ("noisy take.wav", True)):
        if on:
            uploader.noise_action.trigger()  # File → Remove Background Noise from Uploads
        _drop(panel.table.viewport(), [_wav(tmp_path / name, 2.0 if on else 2.5)])
        qtbot.waitUntil(lambda n=name: n in {r.file_name for r in panel.model.rows}, timeout=20000)
        qtbot.waitUntil(lambda: not uploader.busy, timeout=5000)
    served = {s.file_name: s for s in editor.check.get_voice(editor.server.demo.voice_id).samples}
    assert served["plain take.wav"].remove_background_noise is False
    assert served["noisy take.wav"].remove_background_noise is True
    rows = {r.file_name: r for r in panel.model.rows}
    assert (rows["plain take.wav"].noise, rows["noisy take.wav"].noise) == (False, True)


def test_duplicates_can_be_left_out_of_an_upload_or_sent_as_asked(
    qtbot: QtBot, editor: Editor, tmp_path: Path
) -> None:
    """A copy of a file chosen with it, and a file already in the voice: one question
    offers to send the repeats too (Yes) or leave them out (No, the default)."""
    asked = Asked()
    uploader = _uploader(editor, asked)
    panel = editor.window.workspace
    first = _wav(tmp_path / "reading.wav", 2.0)
    _drop(panel.table.viewport(), [first])
    qtbot.waitUntil(lambda: "reading.wav" in _names_on_server(editor), timeout=20000)
    qtbot.waitUntil(lambda: not uploader.busy, timeout=5000)
    fresh = _wav(tmp_path / "new.wav", 3.0)
    copy = tmp_path / "new copy.wav"
    copy.write_bytes(fresh.read_bytes())
    again = tmp_path / "reading again.wav"
    again.write_bytes(first.read_bytes())
    asked.questions.clear()
    asked.answers["Upload the repeats too?"] = False  # No, the default button
    _drop(panel.table.viewport(), [fresh, copy, again])
    qtbot.waitUntil(lambda: "new.wav" in _names_on_server(editor), timeout=20000)
    qtbot.waitUntil(lambda: not uploader.busy, timeout=5000)
    titles = [title for title, _text in asked.questions]
    assert titles == ["Upload the repeats too?"]  # the only issue: one question
    duplicates_text = asked.questions[0][1]
    assert "“new copy.wav”, “reading again.wav” repeat" in duplicates_text
    names = _names_on_server(editor)
    assert names.count("new.wav") == 1
    assert "new copy.wav" not in names
    assert "reading again.wav" not in names
    # Answered Yes: every file goes, as asked.
    asked.answers["Upload the repeats too?"] = True
    _drop(panel.table.viewport(), [again])
    qtbot.waitUntil(lambda: "reading again.wav" in _names_on_server(editor), timeout=20000)
    qtbot.waitUntil(lambda: not uploader.busy, timeout=5000)


def test_a_new_voice_is_created_opened_empty_filled_by_a_drop_and_renamed(
    qtbot: QtBot, editor: Editor, tmp_path: Path
) -> None:
    asked = Asked()
    _uploader(editor, asked)
    details = editor.window.voice_actions.details
    dialogs: list[VoiceDetailsDialog] = []

    def ask_new(voice: Any) -> Any:
        dialog = VoiceDetailsDialog(editor.window, voice=voice)
        dialogs.append(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        if voice is None:
            _fill(qtbot, dialog, "")  # no name: refused, the dialog stays
            assert dialog.isVisible()
            assert "name" in dialog.problem.text()
            dialog.language.setFocus()
            qtbot.keyClicks(dialog.language, "German")
            qtbot.keyClicks(dialog.description, "Calm, low, unhurried.")
            _fill(qtbot, dialog, "Night reader", labels="accent: Bavarian")
        else:  # the details as they are; a label added and the description rewritten
            assert dialog.labels.toPlainText() == "accent: Bavarian"
            dialog.labels.setFocus()
            dialog.labels.moveCursor(QTextCursor.MoveOperation.End)
            qtbot.keyClick(dialog.labels, Qt.Key.Key_Return)
            qtbot.keyClicks(dialog.labels, "age: middle-aged")
            dialog.description.setFocus()
            qtbot.keyClick(dialog.description, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
            qtbot.keyClicks(dialog.description, "Brighter now.")
            _fill(qtbot, dialog, "Night reader (v2)")
        assert not dialog.isVisible()
        return dialog.result_details

    details.ask = ask_new
    details.new_action.trigger()  # File → New Voice…
    panel = editor.window.workspace
    qtbot.waitUntil(lambda: panel.title.text() == "Night reader: 0 samples", timeout=10000)
    c = editor.controller
    qtbot.waitUntil(lambda: c.session is None, timeout=5000)  # not the demo sample beside it
    uploader = editor.window.voice_actions.uploader
    assert uploader.hint.isVisible()  # the empty voice says how to fill it
    assert "Add Recordings" in uploader.hint.text()
    voice_id = details.voice.voice_id  # type: ignore[union-attr]
    made = editor.check.get_voice(voice_id)
    assert made.description == "Calm, low, unhurried."
    assert dict(made.labels) == {"accent": "Bavarian"}
    assert editor.server.api.store.voice(voice_id).language == "de"
    take = _wav(tmp_path / "first reading.wav", 3.0)
    _drop(panel.table.viewport(), [take])
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=15000)
    assert not uploader.hint.isVisible()
    (sample,) = editor.check.get_voice(voice_id).samples
    assert sample.file_name == "first reading.wav"
    # The new voice's first recording opens by itself, from its file.
    qtbot.waitUntil(lambda: c.session is not None and c.audio is not None, timeout=15000)
    assert c.session is not None
    assert c.session.ref == SampleRef(voice_id, sample.sample_id)
    assert c.local_path == take  # its uploaded file, not the preview
    details.edit_action.trigger()  # Voice → Edit Voice Details…
    qtbot.waitUntil(lambda: panel.title.text() == "Night reader (v2): 1 sample", timeout=10000)
    edited = editor.check.get_voice(voice_id)
    assert edited.name == "Night reader (v2)"
    assert edited.description == "Brighter now."
    assert dict(edited.labels) == {"accent": "Bavarian", "age": "middle-aged"}
    # Deleting the voice's last sample, open in the editor: its recording stays open on
    # its own (nothing of it is on the server now) and the list says how to fill it.
    editor.window.activateWindow()
    panel.table.setFocus()
    qtbot.waitUntil(panel.table.hasFocus, timeout=5000)
    with qtbot.waitSignal(c.session_replaced, timeout=15000):
        qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=10000)
    assert c.session is not None
    assert c.session.ref is None
    assert c.local_path == take
    assert uploader.hint.isVisible()
    assert editor.check.get_voice(voice_id).samples == ()
