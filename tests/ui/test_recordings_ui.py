"""A voice's recordings folder, chosen in the workspace: each sample opens its own file,
a wrong or missing one is said, and no edit is lost when files or the folder go away."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot
from ui_driver import Editor

from pvc_sample_editor.api.client import ApiClient
from pvc_sample_editor.api.models import Sample
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.editing.workspace import LocalState, SampleRow
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.main_window import MainWindow

RATE = 16_000


def _tone(path: Path, seconds: float, freq: float = 200.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * RATE)) / RATE
    sf.write(path, (0.2 * np.sin(2 * np.pi * freq * t)).astype(np.float32), RATE)
    return path


def _upload(editor: Editor, folder: Path, *seconds: float) -> list[Sample]:
    """Upload takes written in ``folder``; the folder then holds each sample's original."""
    paths = [
        _tone(folder / f"take {i + 1:02d}.wav", s, 150 + 50 * i) for i, s in enumerate(seconds)
    ]
    return list(editor.check.add_samples(editor.server.demo.voice_id, paths))


def _reopen_demo(qtbot: QtBot, editor: Editor) -> None:
    demo = editor.server.demo
    count = len(editor.check.get_voice(demo.voice_id).samples)
    with qtbot.waitSignal(editor.controller.audio_loaded, timeout=10000):
        editor.controller.open_sample(
            SampleRef(demo.voice_id, demo.sample_id), Path(demo.audio_path)
        )
    qtbot.waitUntil(lambda: editor.window.workspace.model.rowCount() == count, timeout=10000)


def _rows(editor: Editor) -> dict[str, SampleRow]:
    return {r.sample_id: r for r in editor.window.workspace.model.rows}


def _choose_folder(qtbot: QtBot, editor: Editor, folder: Path) -> None:
    """Click *Recordings Folder…* and answer the dialog with ``folder``."""
    asked: list[Path | None] = []

    def answer(start: Path | None) -> Path:
        asked.append(start)
        return folder

    editor.window.workspace_binder.choose_folder = answer
    qtbot.mouseClick(editor.window.workspace.folder_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1
    label = editor.window.workspace.folder_label
    qtbot.waitUntil(lambda: "have their file in" in label.text(), timeout=10000)


def _click_row(qtbot: QtBot, editor: Editor, sample_id: str) -> None:
    panel = editor.window.workspace
    index = panel.proxy.mapFromSource(panel.model.index(panel.model.row_of(sample_id), 0))
    rect = panel.table.visualRect(index)
    with qtbot.waitSignal(editor.controller.audio_loaded, timeout=10000):
        qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    session = editor.controller.session
    assert session is not None
    assert session.ref is not None
    assert session.ref.sample_id == sample_id


def test_each_sample_opens_its_own_file_and_a_wrong_one_is_said(
    qtbot: QtBot, editor: Editor, tmp_path: Path
) -> None:
    folder = tmp_path / "recordings"
    one, two, three = _upload(editor, folder, 4.0, 7.5, 3.0)
    _tone(folder / "take 03.wav", 5.0)  # another take now sits under the third's name
    _reopen_demo(qtbot, editor)
    _choose_folder(qtbot, editor, folder)
    rows = _rows(editor)
    assert rows[one.sample_id].local is LocalState.FILE
    assert rows[two.sample_id].local is LocalState.FILE
    assert rows[three.sample_id].local is LocalState.DIFFERS
    assert "lasts 0:00:05.000" in rows[three.sample_id].local_note
    assert rows[editor.server.demo.sample_id].local is LocalState.FILE  # opened by hand
    others = set(rows) - {one.sample_id, two.sample_id, three.sample_id}
    others.discard(editor.server.demo.sample_id)
    assert others  # the demo voice's other samples have no file here
    assert all(rows[s].local is LocalState.PREVIEW for s in others)
    assert "3 of" not in editor.window.workspace.folder_label.text()
    assert "2 of" in editor.window.workspace.folder_label.text()

    _click_row(qtbot, editor, two.sample_id)
    assert editor.controller.local_path == folder / "take 02.wav"
    assert editor.controller.audio is not None
    assert editor.controller.audio.duration_ms == 7500

    _click_row(qtbot, editor, three.sample_id)
    assert editor.controller.local_path is None  # the preview, not the wrong take
    banner = editor.window.banner_label
    qtbot.waitUntil(lambda: "another recording" in banner.text(), timeout=5000)
    assert "Showing the server's preview" in banner.text()  # the preview's own warning stays


def _edit_one_then_leave(
    qtbot: QtBot, editor: Editor, folder: Path, trims: tuple[int, int]
) -> tuple[Sample, Sample]:
    """Two takes matched from ``folder``; the first gets ``trims``, then the second opens."""
    edited, other = _upload(editor, folder, 4.0, 6.0)
    _reopen_demo(qtbot, editor)
    _choose_folder(qtbot, editor, folder)
    _click_row(qtbot, editor, edited.sample_id)
    editor.controller.set_trims(*trims)
    _click_row(qtbot, editor, other.sample_id)
    return edited, other


def _trims(editor: Editor) -> tuple[int, int]:
    session = editor.controller.session
    assert session is not None
    return session.edit.trim_start_ms, session.edit.trim_end_ms


def test_a_renamed_file_is_said_then_found_again_and_the_edit_is_kept(
    qtbot: QtBot, editor: Editor, tmp_path: Path
) -> None:
    folder = tmp_path / "recordings"
    edited, _other = _edit_one_then_leave(qtbot, editor, folder, (500, 3500))
    (folder / "take 01.wav").rename(folder / "chapter one (final).wav")

    _click_row(qtbot, editor, edited.sample_id)  # the folder is searched again first
    assert editor.controller.local_path == folder / "chapter one (final).wav"  # by its size
    banner = editor.window.banner_label
    qtbot.waitUntil(lambda: "no longer in the recordings folder" in banner.text(), timeout=5000)
    assert "found again as “chapter one (final).wav”" in banner.text()
    assert _trims(editor) == (500, 3500)
    assert _rows(editor)[edited.sample_id].local is LocalState.FILE


def test_a_folder_that_vanishes_is_said_and_nothing_is_lost(
    qtbot: QtBot, editor: Editor, tmp_path: Path, warnings_shown: list[str]
) -> None:
    """The drive goes while one of its files is on screen: that file's own warning may
    come (its redraws fail), and the next sample opened says the folder is gone."""
    edited, _other = _edit_one_then_leave(qtbot, editor, tmp_path / "usb" / "voice", (250, 3750))
    shutil.rmtree(tmp_path / "usb")  # the drive is unplugged

    _click_row(qtbot, editor, edited.sample_id)
    label = editor.window.workspace.folder_label
    qtbot.waitUntil(lambda: "is not there" in label.text(), timeout=10000)
    assert "color: #e5484d" in label.styleSheet()
    assert editor.controller.local_path is None  # the preview
    assert "is not there" in editor.window.banner_label.text()
    assert _trims(editor) == (250, 3750)


def test_the_folder_is_remembered_for_the_voice(
    qtbot: QtBot, editor: Editor, tmp_path: Path, emulator: Any
) -> None:
    """Chosen once in a window with settings, a second window finds the files at once."""
    folder = tmp_path / "recordings"
    (one,) = _upload(editor, folder, 4.0)
    ref = SampleRef(emulator.demo.voice_id, one.sample_id)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    for attempt in range(2):
        client = ApiClient(emulator.base_url, emulator.api_key)
        controller = EditorController(client, poll_interval_ms=100)
        window = MainWindow(controller, player=None, settings=settings, confirm=lambda t, x: True)
        qtbot.addWidget(window)
        window.show()
        controller.open_sample(ref, None)
        qtbot.waitUntil(lambda w=window: w.workspace.model.rowCount() > 0, timeout=10000)
        if attempt == 0:
            window.workspace_binder.choose_folder = lambda _start: folder
            qtbot.mouseClick(window.workspace.folder_button, Qt.MouseButton.LeftButton)
        # The open preview becomes the sample's file once the folder is matched.
        qtbot.waitUntil(
            lambda c=controller: c.local_path == folder / "take 01.wav" and c.audio is not None,
            timeout=10000,
        )
        window.close()
        client.close()


def test_the_quality_column_shows_the_kept_regions_audio_check(
    qtbot: QtBot, editor: Editor
) -> None:
    with qtbot.waitSignal(editor.window.insight.region_checked, timeout=15000) as checked:
        editor.controller.set_trims(1000, 9000)
    report = checked.args[0]
    panel = editor.window.workspace
    demo_id = editor.server.demo.sample_id
    row = panel.model.row_of(demo_id)
    assert panel.model.rows[row].verdict == report.verdict.value
    assert panel.model.index(row, 5).data() == report.verdict.value
