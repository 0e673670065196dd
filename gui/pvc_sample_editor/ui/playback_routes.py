"""What the play keys and buttons do: which audio, from where to where, and when they work.

The window's playback actions call here; it asks the controller for the session and the
audio, the waveform for the cursor, and tells the :class:`~pvc_sample_editor.ui.playback.Player`
what to play. It enables the actions only while the player can play, with the reason
in every tooltip otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from pvc_sample_editor.audio.document import AudioDocument
from pvc_sample_editor.audio.output import SpanTimeline
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.speakers import SpeakersPanel
from pvc_sample_editor.ui.waveform import WaveformView

__all__ = ["PlaybackRoutes"]

NOT_YET_CHECKED = "Playback is available once the audio output has been checked."
NO_PLAYER = "Playback is not available: its module could not be loaded."


class PlaybackRoutes(QObject):
    """Routes the play actions to the player; keeps the actions' state true."""

    def __init__(
        self,
        controller: EditorController,
        waveform: WaveformView,
        speakers: SpeakersPanel,
        play_actions: Sequence[QAction],
        stop_action: QAction,
        say: Callable[[str], None],
    ) -> None:
        super().__init__(waveform)
        self._c = controller
        self._view = waveform
        self._speakers = speakers
        self._play_actions = tuple(play_actions)
        self._stop_action = stop_action
        self._say = say
        self.player: Any = None
        # Until attach: the app probes the audio output after a given file is shown.
        self._no_player_reason = NOT_YET_CHECKED

    def attach(self, player: Any) -> None:
        """Use ``player`` (None: there is none to be had)."""
        self.player = player
        self._no_player_reason = NO_PLAYER
        if player is not None:
            player.position_changed.connect(self._view.set_playhead)
            player.failed.connect(self._say)
            player.state_changed.connect(self.refresh)
            player.availability_changed.connect(self.refresh)
        self.refresh()

    def refresh(self, *_args: object) -> None:
        """Enable playback, or disable it with the reason in every tooltip."""
        player = self.player
        available = bool(player is not None and player.available)
        reason = (
            "" if available else getattr(player, "unavailable_reason", "") or self._no_player_reason
        )
        for action in self._play_actions:
            action.setEnabled(available)
            action.setToolTip(reason or action.text().replace("&", ""))
        self._stop_action.setEnabled(available and bool(player and player.playing))
        self._speakers.set_listen_enabled(available, reason)

    def play_kept(self) -> None:
        """Play the region between the trims."""
        session, audio = self._c.session, self._c.audio
        if self.player is None or session is None or audio is None:
            return
        self.player.play(audio, session.edit.trim_start_ms, session.edit.trim_end_ms)

    def play_from_cursor(self) -> None:
        """Play from the playhead (or the start trim) to the end of the file."""
        session, audio = self._c.session, self._c.audio
        if self.player is None or session is None or audio is None:
            return
        start = self._view.playhead_ms()
        self.player.play(audio, start if start is not None else session.edit.trim_start_ms, None)

    def toggle(self) -> None:
        """Space: stop if playing, else play from the cursor."""
        if self.player is not None and self.player.playing:
            self.player.stop()
        else:
            self.play_from_cursor()

    def stop(self) -> None:
        """Stop playback."""
        if self.player is not None:
            self.player.stop()

    def listen_to_speaker(self, speaker_id: str) -> None:
        """Fetch and play the server's separated audio of one speaker."""
        if self.player is None or not self.player.available:
            return
        separation = self._c.session.separation if self._c.session else None
        utterances = [
            (u.start, u.end)
            for s in (separation.speakers if separation else ())
            if s.speaker_id == speaker_id
            for u in s.utterances
        ]
        spans = SpanTimeline.from_seconds(utterances)

        def play(clip: AudioDocument) -> None:
            if self.player is not None:  # the playhead follows the clip through the recording
                self.player.play(clip, 0, None, timeline=spans if spans.spans_ms else None)
                self._say(f"Playing {speaker_id}'s audio.")

        self._c.fetch_speaker_audio(speaker_id, play)
