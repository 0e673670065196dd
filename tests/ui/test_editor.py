"""End-to-end editor tests: real mouse and keyboard, real client, emulator over loopback."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from ui_driver import (
    Editor,
    click_at,
    drag,
    drag_handle_to,
    handle_pos,
    ms_per_pixel,
    separate_speakers,
    submit_and_wait,
)

ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts"
CTRL = Qt.KeyboardModifier.ControlModifier


def test_dragging_handles_stores_those_trims_on_the_server(qtbot: QtBot, editor: Editor) -> None:
    """Drag both handles with the mouse; the server stores what the data coordinates say."""
    view = editor.window.waveform
    tolerance = ms_per_pixel(view) * 1.01
    drag_handle_to(view, 0, 4.25)
    drag_handle_to(view, 1, 31.5)
    start_ms, end_ms = (
        editor.controller.session.edit.trim_start_ms,
        editor.controller.session.edit.trim_end_ms,
    )
    assert abs(start_ms - 4250) <= tolerance
    assert abs(end_ms - 31500) <= tolerance
    submit_and_wait(qtbot, editor)
    stored = editor.server_sample()
    assert abs((stored.trim_start or 0) - 4250) <= tolerance
    assert abs((stored.trim_end or 0) - 31500) <= tolerance
    assert (stored.trim_start, stored.trim_end) == (start_ms, end_ms)
    assert "Saved" in editor.window.saved_label.text()
    assert not editor.window.isWindowModified()


def test_fields_move_handles_and_handles_move_fields(qtbot: QtBot, editor: Editor) -> None:
    """Typing a start moves the handle; dragging the end updates its field, live."""
    panel = editor.window.edit_panel
    spin = panel.start_field.spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "2500")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert editor.window.waveform.trims_ms()[0] == 2500
    assert editor.controller.session.edit.trim_start_ms == 2500
    drag_handle_to(editor.window.waveform, 1, 20.0)
    end = editor.controller.session.edit.trim_end_ms
    assert panel.end_field.spin.value() == end
    assert abs(end - 20000) <= ms_per_pixel(editor.window.waveform) * 1.01


def test_handles_stay_in_bounds_and_in_order(qtbot: QtBot, editor: Editor) -> None:
    """Dragging past the file's end, or the start past the end, is stopped at the limit."""
    view = editor.window.waveform
    drag_handle_to(view, 1, 25.0)
    far_right = QPointF(view.viewport().width() + 200, view.viewport().height() / 2)
    drag(view, handle_pos(view, 0), far_right)
    edit = editor.controller.session.edit
    assert edit.trim_start_ms < edit.trim_end_ms <= editor.controller.session.duration_ms
    drag(view, handle_pos(view, 1), QPointF(view.viewport().width() + 500, 10))
    assert editor.controller.session.edit.trim_end_ms <= editor.controller.session.duration_ms


def test_keyboard_nudges_and_undo(qtbot: QtBot, editor: Editor) -> None:
    """Arrow keys nudge the chosen handle by 10/100/1 ms; Ctrl+Z undoes, Ctrl+Shift+Z redoes."""
    view = editor.window.waveform
    view.setFocus()
    qtbot.keyClick(editor.window, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert editor.controller.session.edit.trim_start_ms == 111
    qtbot.keyClick(editor.window, Qt.Key.Key_BracketRight)
    end0 = editor.controller.session.edit.trim_end_ms
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert editor.controller.session.edit.trim_end_ms == end0 - 10
    assert editor.window.isWindowModified()
    qtbot.keyClick(editor.window, Qt.Key.Key_Z, CTRL)
    assert editor.controller.session.edit.trim_end_ms == end0
    qtbot.keyClick(editor.window, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert editor.controller.session.edit.trim_end_ms == end0 - 10


def test_set_start_and_end_at_playhead(qtbot: QtBot, editor: Editor) -> None:
    """Click to place the cursor, press I; click elsewhere, press O."""
    view = editor.window.waveform
    click_at(view.viewport(), view.data_to_widget(3.0))
    qtbot.keyClick(editor.window, Qt.Key.Key_I)
    click_at(view.viewport(), view.data_to_widget(12.0))
    qtbot.keyClick(editor.window, Qt.Key.Key_O)
    edit = editor.controller.session.edit
    tolerance = ms_per_pixel(view) * 1.01
    assert abs(edit.trim_start_ms - 3000) <= tolerance
    assert abs(edit.trim_end_ms - 12000) <= tolerance


def test_speakers_noise_and_file_name_reach_the_server(qtbot: QtBot, editor: Editor) -> None:
    """Separate, untick one speaker, switch noise on, rename: the server holds exactly that."""
    w = editor.window
    sp = w.speakers_panel
    separate_speakers(qtbot, w)
    assert sp.checkbox("speaker_0").isChecked()
    assert sp.checkbox("speaker_1").isChecked()
    qtbot.mouseClick(sp.checkbox("speaker_1"), Qt.MouseButton.LeftButton)
    assert editor.controller.session.edit.selected_speaker_ids == ("speaker_0",)
    qtbot.mouseClick(w.edit_panel.noise_box, Qt.MouseButton.LeftButton)
    name = w.edit_panel.file_name_edit
    name.setFocus()
    name.selectAll()
    qtbot.keyClicks(name, "interview-take-3.flac")
    qtbot.keyClick(name, Qt.Key.Key_Tab)
    submit_and_wait(qtbot, editor)
    stored = editor.server_sample()
    assert stored.remove_background_noise is True
    assert stored.file_name == "interview-take-3.flac"
    speakers = editor.check.get_speakers(editor.server.demo.voice_id, editor.server.demo.sample_id)
    assert speakers.selected_speaker_ids == ("speaker_0",)
    body = [r for r in editor.server.requests_log if r.operation_id == "edit_pvc_voice_sample"][
        -1
    ].body
    assert body["selected_speaker_ids"] == ["speaker_0"]


def test_422_is_shown_and_the_edit_survives(qtbot: QtBot, editor: Editor) -> None:
    """A refused edit shows the server's message; nothing the user set is lost."""
    drag_handle_to(editor.window.waveform, 0, 6.0)
    before = editor.controller.session.edit
    editor.server.faults.inject("edit_pvc_voice_sample", status=422)
    submit_and_wait(qtbot, editor)
    assert "Not saved" in editor.window.submit_error.text()
    assert editor.controller.session.edit == before
    assert editor.window.isWindowModified()
    assert editor.window.submit_button.isEnabled()
    submit_and_wait(qtbot, editor)
    assert editor.server_sample().trim_start == before.trim_start_ms


def test_429_is_retried_then_succeeds(qtbot: QtBot, editor: Editor) -> None:
    """A rate limit is waited out (the wait is shown) and the edit lands."""
    drag_handle_to(editor.window.waveform, 0, 2.0)
    editor.server.faults.inject("edit_pvc_voice_sample", status=429, retry_after=1)
    seen: list[str] = []
    editor.controller.submission_progress.connect(seen.append)
    submit_and_wait(qtbot, editor)
    assert any("retrying" in s for s in seen), seen
    assert "Saved" in editor.window.saved_label.text()
    posts = [r for r in editor.server.requests_log if r.operation_id == "edit_pvc_voice_sample"]
    assert [r.status for r in posts] == [429, 200]


def test_gui_stays_responsive_during_a_slow_submission(qtbot: QtBot, editor: Editor) -> None:
    """With the server taking 1 s, a 10 ms GUI timer never stalls for more than 100 ms."""
    drag_handle_to(editor.window.waveform, 1, 30.0)
    editor.server.faults.inject("edit_pvc_voice_sample", latency=1.0)
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    last[0] = time.perf_counter()
    submit_and_wait(qtbot, editor)
    timer.stop()
    assert len(gaps) > 50
    assert max(gaps) < 0.100, f"GUI stalled for {max(gaps) * 1000:.0f} ms"


def test_only_one_submission_in_flight(qtbot: QtBot, editor: Editor) -> None:
    """While a submission runs, Submit is disabled and a second Ctrl+S sends nothing."""
    drag_handle_to(editor.window.waveform, 1, 29.0)
    editor.server.faults.inject("edit_pvc_voice_sample", latency=0.5)
    qtbot.keyClick(editor.window, Qt.Key.Key_S, CTRL)
    assert editor.controller.submitting
    assert not editor.window.submit_button.isEnabled()
    qtbot.keyClick(editor.window, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not editor.controller.submitting, timeout=10000)
    posts = [r for r in editor.server.requests_log if r.operation_id == "edit_pvc_voice_sample"]
    assert len(posts) == 1


def test_submit_disabled_with_reason_when_unchanged_or_invalid(
    qtbot: QtBot, editor: Editor
) -> None:
    """Unchanged: disabled, says so. An empty file name: disabled, says what to do."""
    w = editor.window
    assert not w.submit_button.isEnabled()
    assert "No changes" in w.reason_label.text()
    name = w.edit_panel.file_name_edit
    name.setFocus()
    name.selectAll()
    qtbot.keyClick(name, Qt.Key.Key_Delete)
    qtbot.keyClick(name, Qt.Key.Key_Tab)
    assert not w.submit_button.isEnabled()
    assert "file name" in w.reason_label.text().lower()
    assert w.edit_panel.errors["file_name"].isVisible()


def test_twenty_thousand_handle_moves(qtbot: QtBot, editor: Editor) -> None:
    """A long drag of 20,000 mouse moves neither crashes nor loses the final position."""
    from PySide6.QtCore import QEvent
    from ui_driver import LEFT, NO_BUTTON, send_mouse

    view = editor.window.waveform
    view.snapping = False  # this is about the drag itself; snapping has its own tests
    vp = view.viewport()
    start = handle_pos(view, 1)
    send_mouse(vp, QEvent.Type.MouseButtonPress, start, LEFT, LEFT)
    left = view.data_to_widget(20.0).x()
    right = view.data_to_widget(35.0).x()
    for i in range(20_000):
        x = left + (right - left) * ((i % 200) / 199.0)
        send_mouse(vp, QEvent.Type.MouseMove, QPointF(x, start.y()), NO_BUTTON, LEFT)
        if i % 100 == 0:
            QApplication.processEvents()
    final = view.data_to_widget(30.0)
    send_mouse(vp, QEvent.Type.MouseMove, final, NO_BUTTON, LEFT)
    send_mouse(vp, QEvent.Type.MouseButtonRelease, final, LEFT, NO_BUTTON)
    QApplication.processEvents()
    assert abs(editor.controller.session.edit.trim_end_ms - 30000) <= ms_per_pixel(view) * 1.01


def test_screenshot_with_speakers(qtbot: QtBot, editor: Editor) -> None:
    """Save the window with the demo loaded and speakers shown, for the README and review."""
    sp = editor.window.speakers_panel
    separate_speakers(qtbot, editor.window)
    drag_handle_to(editor.window.waveform, 0, 1.2)
    drag_handle_to(editor.window.waveform, 1, 37.4)
    qtbot.mouseClick(sp.checkbox("speaker_1"), Qt.MouseButton.LeftButton)
    click_at(editor.window.waveform.viewport(), editor.window.waveform.data_to_widget(14.2))
    # The audio check of the kept region, as a user sees it a moment after the trims rest.
    with qtbot.waitSignal(editor.window.insight.region_checked, timeout=20000):
        pass
    qtbot.wait(50)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "screenshot.png"
    assert editor.window.grab().save(str(path))
    assert path.stat().st_size > 20_000


def test_cancelling_a_submission_keeps_the_edit_and_stays_busy_until_it_ends(
    qtbot: QtBot, editor: Editor
) -> None:
    """Cancel while the server is slow: no 'Saved', the edit kept, and no second submission
    can start until the first request has really finished."""
    drag_handle_to(editor.window.waveform, 0, 8.0)
    before = editor.controller.session.edit
    editor.server.faults.inject("edit_pvc_voice_sample", latency=1.0)
    qtbot.keyClick(editor.window, Qt.Key.Key_S, CTRL)
    assert editor.window.cancel_button.isVisible()
    qtbot.mouseClick(editor.window.cancel_button, Qt.MouseButton.LeftButton)
    assert editor.window.busy_label.text() == "Cancelling…"
    assert editor.controller.submitting
    assert not editor.window.submit_button.isEnabled()
    qtbot.waitUntil(lambda: not editor.controller.submitting, timeout=10000)
    assert "Saved" not in editor.window.saved_label.text()
    assert editor.controller.session.edit == before
    assert editor.window.submit_button.isEnabled()


def test_a_poll_arriving_while_typing_does_not_clobber_the_file_name(
    qtbot: QtBot, editor: Editor
) -> None:
    """Separation polls re-render the window; a half-typed file name must survive them."""
    editor.server.api.separation_delay = 1.0
    sp = editor.window.speakers_panel
    qtbot.mouseClick(sp.separate_button, Qt.MouseButton.LeftButton)
    name = editor.window.edit_panel.file_name_edit
    name.setFocus()
    name.selectAll()
    qtbot.keyClicks(name, "half-typ")
    polls = len(editor.server.requests_log.for_operation("get_pvc_sample_speakers"))
    qtbot.waitUntil(
        lambda: (
            len(editor.server.requests_log.for_operation("get_pvc_sample_speakers")) > polls + 1
        ),
        timeout=5000,
    )
    qtbot.waitUntil(lambda: "speaker_1" in sp._boxes, timeout=10000)
    assert name.text() == "half-typ"
    qtbot.keyClicks(name, "ed.flac")
    qtbot.keyClick(name, Qt.Key.Key_Return)
    assert editor.controller.session.edit.file_name == "half-typed.flac"
