"""Speaker separation in the window: cancelling the poll, and listening to a speaker."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from pytestqt.qtbot import QtBot
from ui_driver import Editor, separate_speakers


class RecordingPlayer(QObject):
    """Stands in for the sound device only: records what the window asks it to play."""

    position_changed = Signal(int)
    state_changed = Signal(bool)
    finished = Signal()
    failed = Signal(str)
    availability_changed = Signal(bool)
    probed = Signal()

    available = True
    unavailable_reason = ""
    playing = False

    def __init__(self) -> None:
        super().__init__()
        self.plays: list[tuple[Any, int, int | None]] = []
        self.timelines: list[Any] = []

    def play(
        self, source: Any, start_ms: int, end_ms: int | None = None, *, timeline: Any = None
    ) -> None:
        self.plays.append((source, start_ms, end_ms))
        self.timelines.append(timeline)

    def stop(self) -> None:
        pass


def separate(qtbot: QtBot, editor: Editor) -> None:
    separate_speakers(qtbot, editor.window)


def test_listen_plays_the_servers_audio_of_that_speaker(qtbot: QtBot, editor: Editor) -> None:
    """Listen fetches the speaker's separated audio and plays all of it."""
    player = RecordingPlayer()
    editor.window.set_player(player)
    separate(qtbot, editor)
    button = editor.window.speakers_panel.listen_button("speaker_1")
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(player.plays), timeout=10000)
    source, start, end = player.plays[0]
    assert (start, end) == (0, None)
    speaker = next(
        s for s in editor.controller.session.separation.speakers if s.speaker_id == "speaker_1"
    )
    # The clip holds that speaker's utterances back to back, and its playhead runs
    # through them: clip time 0 is the first utterance's start, the clip's end the last's end.
    assert abs(source.frames / source.samplerate - speaker.duration_secs) < 0.1
    timeline = player.timelines[0]
    first, last = speaker.utterances[0], speaker.utterances[-1]
    assert timeline(0) == round(first.start * 1000)
    assert timeline(source.frames * 1000 // source.samplerate) == round(last.end * 1000)
    assert not editor.window.statusBar().currentMessage().startswith("Fetching")
    gets = [r for r in editor.server.requests_log if r.operation_id == "get_speaker_audio"]
    assert [r.path.rsplit("/", 2)[-2] for r in gets] == ["speaker_1"]


def test_cancelling_the_poll_stops_checking(qtbot: QtBot, editor: Editor) -> None:
    """Cancel while separation is pending: the progress row goes, no more polls are sent."""
    sp = editor.window.speakers_panel
    editor.controller.poller.timer.setInterval(300)
    editor.server.api.separation_delay = 30.0  # stays pending for the whole test
    qtbot.mouseClick(sp.separate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sp._busy_row.isVisible(), timeout=5000)
    qtbot.mouseClick(sp.cancel_button, Qt.MouseButton.LeftButton)
    assert not sp._busy_row.isVisible()
    qtbot.waitUntil(lambda: not editor.controller._api.busy, timeout=5000)
    polls = len(editor.server.requests_log.for_operation("get_pvc_sample_speakers"))
    qtbot.wait(800)
    assert len(editor.server.requests_log.for_operation("get_pvc_sample_speakers")) == polls


def test_a_failed_start_leaves_separate_clickable_to_try_again(
    qtbot: QtBot, editor: Editor
) -> None:
    sp = editor.window.speakers_panel
    editor.server.faults.inject("start_speaker_separation", count=10, status=500)
    assert sp.separate_button.isEnabled()
    qtbot.mouseClick(sp.separate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sp._busy_row.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: not editor.controller._api.busy, timeout=20000)
    qtbot.waitUntil(lambda: not sp._busy_row.isVisible(), timeout=5000)
    assert sp.separate_button.isEnabled()
