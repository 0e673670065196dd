"""Opening audio: mismatch warning, the 30-second preview, drag and drop, zoom, closing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from pvc_sample_editor.api.client import ApiClient
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.main_window import MainWindow
from pvc_sample_editor.ui.playback import CHECKING_REASON, Player


def make_window(qtbot: QtBot, client: ApiClient | None, player: Any = None) -> MainWindow:
    """A shown editor window; closing never asks (tests answer for the user)."""
    window = MainWindow(
        EditorController(client, poll_interval_ms=100),
        player=player,
        confirm=lambda title, text: True,
    )
    qtbot.addWidget(window)
    window.resize(1200, 780)
    window.show()
    qtbot.waitExposed(window)
    return window


def tone(path: Path, seconds: float, rate: int = 16000) -> Path:
    """Write a short sine tone to ``path``."""
    t = np.arange(int(seconds * rate)) / rate
    sf.write(path, (0.4 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate)
    return path


def test_wrong_local_copy_is_warned_about(qtbot: QtBot, emulator: Any, tmp_path: Path) -> None:
    """A local file 28 s shorter than the server's sample raises a clear warning banner."""
    with ApiClient(emulator.base_url, emulator.api_key) as client:
        window = make_window(qtbot, client)
        demo = emulator.demo
        window.controller.open_sample(
            SampleRef(demo.voice_id, demo.sample_id), tone(tmp_path / "x.wav", 10)
        )
        qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10000)
        assert "may not be this sample's audio" in window.banner_label.text()
        window.close()


def test_without_a_local_copy_the_preview_is_shown_and_labelled(
    qtbot: QtBot, emulator: Any
) -> None:
    """No local copy: the server's preview is drawn and the window says it is the first 30 s."""
    with ApiClient(emulator.base_url, emulator.api_key) as client:
        window = make_window(qtbot, client)
        demo = emulator.demo
        window.controller.open_sample(SampleRef(demo.voice_id, demo.sample_id), None)
        qtbot.waitUntil(lambda: window.controller.audio is not None, timeout=10000)
        assert "FIRST 30 SECONDS" in window.banner_label.text()
        assert window.banner.isVisible()
        assert window.controller.audio.duration_secs <= 30.05
        # The handles still reach the end of the whole sample on the server.
        assert window.edit_panel.end_field.spin.maximum() == window.controller.session.duration_ms
        window.close()


def test_dropping_a_file_opens_it(qtbot: QtBot, tmp_path: Path) -> None:
    """Drag and drop of a local file onto the window opens it."""
    window = make_window(qtbot, None)
    path = tone(tmp_path / "dropped.wav", 2.5)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(100, 100),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.controller.audio is not None, timeout=10000)
    assert window.controller.session.edit.file_name == "dropped.wav"
    assert window.controller.session.edit.trim_end_ms == 2500
    assert "not attached" in window.reason_label.text()
    window.close()


def test_bad_file_leaves_the_open_document_alone(
    qtbot: QtBot, tmp_path: Path, warnings_shown: list[str]
) -> None:
    """A file that is not audio gives a clear message; what was open stays open."""
    window = make_window(qtbot, None)
    window.open_path(tone(tmp_path / "good.wav", 3.0))
    qtbot.waitUntil(lambda: window.controller.audio is not None, timeout=10000)
    before = window.controller.session
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"this is not audio" * 100)
    window.open_path(junk)
    qtbot.waitUntil(lambda: bool(warnings_shown), timeout=10000)
    assert "junk.wav" in warnings_shown[0] or "audio" in warnings_shown[0].lower()
    assert window.controller.session is before
    assert window.controller.audio.duration_ms == 3000
    window.close()


def test_wheel_zooms_and_fit_all_restores(qtbot: QtBot, tmp_path: Path) -> None:
    """The mouse wheel zooms the time axis; Z zooms to the selection; F fits all."""
    window = make_window(qtbot, None)
    window.open_path(tone(tmp_path / "z.wav", 20.0))
    qtbot.waitUntil(lambda: window.controller.audio is not None, timeout=10000)
    view = window.waveform
    x0, x1 = view.view_range_secs()
    vp = view.viewport()
    centre = QPointF(vp.width() / 2, vp.height() / 2)
    wheel = QWheelEvent(
        centre,
        QPointF(vp.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 480),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(vp, wheel)
    y0, y1 = view.view_range_secs()
    assert (y1 - y0) < (x1 - x0) * 0.8
    window.controller.set_trims(5000, 6000)
    qtbot.keyClick(window, Qt.Key.Key_Z)
    z0, z1 = view.view_range_secs()
    assert 4.9 <= z0 <= 5.0
    assert 6.0 <= z1 <= 6.1
    qtbot.keyClick(window, Qt.Key.Key_F)
    assert view.view_range_secs() == (0.0, 20.0)
    window.close()


def test_unsaved_changes_mark_the_title_and_closing_asks(qtbot: QtBot, tmp_path: Path) -> None:
    """An edit marks the title with '*'; closing asks, and 'No' keeps the window open."""
    window = make_window(qtbot, None)
    window.open_path(tone(tmp_path / "t.wav", 4.0))
    qtbot.waitUntil(lambda: window.controller.audio is not None, timeout=10000)
    assert not window.isWindowModified()
    window.controller.set_trims(500, 3500)
    assert window.isWindowModified()
    asked: list[str] = []

    def refuse(title: str, text: str) -> bool:
        asked.append(title)
        return False

    window.confirm = refuse
    window.close()
    assert asked == ["Unsaved changes"]
    assert window.isVisible()
    window.confirm = lambda title, text: True
    window.close()
    assert not window.isVisible()


def test_without_an_audio_device_play_says_why_where_the_user_looks(
    qtbot: QtBot, tmp_path: Path, deviceless_player: Any
) -> None:
    """No sound server: the status bar keeps the reason in sight, and Space (even in a
    trim field) or an edge key puts the whole reason in the status line; Listen is off."""
    player = deviceless_player
    assert not player.available
    reason = player.unavailable_reason
    window = make_window(qtbot, None, player)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    window.open_path(tone(tmp_path / "p.wav", 2.0))
    qtbot.waitUntil(lambda: window.controller.audio is not None, timeout=10000)
    assert window.sound_label.isVisible()
    assert window.sound_label.text() == reason.split(". ")[0] + "."
    assert window.sound_label.text().startswith("No sound server is running")
    for action in (window.play_kept_action, window.play_cursor_action, window.toggle_play_action):
        assert reason in action.toolTip()
    window.waveform.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not player.playing
    assert window.statusBar().currentMessage() == reason
    window.statusBar().clearMessage()
    spin = window.edit_panel.end_field.spin
    qtbot.mouseClick(spin.lineEdit(), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(spin.hasFocus, timeout=2000)
    qtbot.keyClick(spin, Qt.Key.Key_Space)
    assert window.statusBar().currentMessage() == reason
    window.statusBar().clearMessage()
    qtbot.keyClick(window, Qt.Key.Key_F7, Qt.KeyboardModifier.ShiftModifier)
    assert window.statusBar().currentMessage() == reason
    assert not player.playing
    window.close()


def test_a_first_probe_that_finds_no_server_replaces_checking(
    qtbot: QtBot, no_sound_server: None
) -> None:
    """The app attaches the player while it still checks; its finding reaches the window.

    Not available while checking nor after, so only the probe's end can say it.
    """
    window = make_window(qtbot, None)
    player = Player()
    try:
        window.set_player(player)
        assert player.unavailable_reason == CHECKING_REASON
        assert not window.sound_label.isVisible()
        qtbot.waitUntil(window.sound_label.isVisible, timeout=10_000)
        assert window.sound_label.text().startswith("No sound server is running")
        assert window.toggle_play_action.toolTip() == player.unavailable_reason
    finally:
        player.shutdown()
        window.close()


def test_a_late_preview_of_the_sample_left_never_reaches_the_next_one(
    qtbot: QtBot, emulator: Any, tmp_path: Path
) -> None:
    """Sample A opens without a local copy and its preview is slow (1.5 s). Opening sample
    B with its local copy meanwhile must show B's audio, and A's late preview must neither
    replace it nor close B's reader."""
    with ApiClient(emulator.base_url, emulator.api_key) as client:
        demo = emulator.demo
        b_audio = tone(tmp_path / "b take.wav", 3.0)
        (b_sample,) = client.add_samples(demo.voice_id, [b_audio])
        window = make_window(qtbot, client)
        controller = window.controller
        emulator.faults.inject("get_pvc_sample_audio", latency=1.5)
        a_ref = SampleRef(demo.voice_id, demo.sample_id)
        controller.open_sample(a_ref, None)
        # A is open and its preview asked for (the emulator holds the answer for 1.5 s).
        qtbot.waitUntil(
            lambda: controller.session is not None and controller.session.ref == a_ref,
            timeout=10000,
        )
        controller.open_sample(SampleRef(demo.voice_id, b_sample.sample_id), b_audio)
        qtbot.waitUntil(
            lambda: controller.audio is not None and controller.audio.path == b_audio,
            timeout=10000,
        )
        b_doc = controller.audio
        # A's preview is answered 1.5 s after it was asked for; wait until it has been.
        qtbot.waitUntil(lambda: not controller._api.busy, timeout=10000)
        qtbot.wait(100)  # let a queued delivery run, were one to be delivered
        assert controller.audio is b_doc
        assert controller.session is not None
        assert controller.session.ref == SampleRef(demo.voice_id, b_sample.sample_id)
        assert window.waveform.source is b_doc
        # B's reader is still open: its samples can be read for playback.
        assert len(b_doc.reader.read_mono(0, 1000)) == 1000
        window.close()
