"""What the play keys and buttons do: which audio, from where to where, and when they work.

The window's playback actions call here; it asks the controller for the session and the
audio, the waveform for the cursor, and tells the :class:`~pvc_sample_editor.ui.playback.Player`
what to play. It enables the actions only while the player can play, with the reason
in every tooltip otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from pvc_sample_editor.audio.document import AudioDocument
from pvc_sample_editor.audio.output import SpanTimeline
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.play_menu import PlayMenu
from pvc_sample_editor.ui.playback import CHECKING_REASON
from pvc_sample_editor.ui.speakers import SpeakersPanel
from pvc_sample_editor.ui.waveform import WaveformView

__all__ = ["PlaybackRoutes", "edge_range"]

NOT_YET_CHECKED = "Playback is available once the audio output has been checked."
NO_PLAYER = "Playback is not available: its module could not be loaded."
_NOTHING_THERE = {
    "before_start": "Nothing to play before the start handle: it is at the start of the file.",
    "after_start": "Nothing to play after the start handle.",
    "before_end": "Nothing to play before the end handle.",
    "after_end": "Nothing is cut after the end handle: it is at the end of the file.",
}


def edge_range(
    edge: str, start_ms: int, end_ms: int, length_ms: int, duration_ms: int
) -> tuple[int, int]:
    """The ms range an edge key plays, as Audacity's edge plays do.

    ``before_start``: the ``length_ms`` up to the start handle; ``after_start``: from
    the start handle for ``length_ms``, at most to the end handle; ``before_end``: the
    ``length_ms`` up to the end handle, from the start handle at most; ``after_end``:
    from the end handle for ``length_ms``, into what is cut. Clipped to the file.
    """
    if edge == "before_start":
        lo, hi = start_ms - length_ms, start_ms
    elif edge == "after_start":
        lo, hi = start_ms, min(start_ms + length_ms, max(end_ms, start_ms))
    elif edge == "before_end":
        lo, hi = max(end_ms - length_ms, min(start_ms, end_ms)), end_ms
    elif edge == "after_end":
        lo, hi = end_ms, end_ms + length_ms
    else:
        raise ValueError(f"unknown edge {edge!r}")
    lo = min(max(lo, 0), duration_ms)
    return lo, min(max(hi, lo), duration_ms)


class PlaybackRoutes(QObject):
    """Routes the play actions to the player; keeps the actions' state true.

    ``availability_changed(reason)``: why nothing can play, worth showing in sight; ""
    once it can, or while the output is still being checked.
    """

    availability_changed = Signal(str)

    def __init__(
        self,
        controller: EditorController,
        waveform: WaveformView,
        speakers: SpeakersPanel,
        menu: PlayMenu,
        say: Callable[[str], None],
    ) -> None:
        super().__init__(waveform)
        self._c = controller
        self._view = waveform
        self._speakers = speakers
        self._menu = menu
        self._prefs = menu.prefs
        self._play_actions = menu.play_actions
        self._stop_action = menu.stop
        self._say = say
        self.player: Any = None
        # Until attach: the app probes the audio output after a given file is shown.
        self._no_player_reason = NOT_YET_CHECKED
        #: Called before anything plays: commits a trim still being typed, so the
        #: keys play what the fields show.
        self.before_play: Callable[[], None] = lambda: None
        # Where the playhead goes back to when play stops (Shift+Space, a snippet).
        self._returning = False
        self._return_to: int | None = None
        self.snippet_playing = False  # what plays is a handle's audition
        menu.toggle.triggered.connect(self.toggle)
        menu.toggle_return.triggered.connect(self.toggle_and_return)
        menu.from_cursor.triggered.connect(self.play_from_cursor)
        menu.kept.triggered.connect(self.play_kept)
        menu.stop.triggered.connect(self.stop)
        for edge, action in menu.edges.items():
            action.triggered.connect(lambda _on=False, edge=edge: self.play_edge(edge))

    def attach(self, player: Any) -> None:
        """Use ``player`` (None: there is none to be had)."""
        self.player = player
        self._no_player_reason = NO_PLAYER
        if player is not None:
            player.position_changed.connect(self._view.set_playhead)
            player.failed.connect(self._say)
            player.state_changed.connect(self.refresh)
            player.state_changed.connect(self._on_state)
            player.availability_changed.connect(self.refresh)
            # A first probe that finds no output flips nothing (it was not available
            # while checking either), but its reason replaces "checking".
            player.probed.connect(self.refresh)
        self.refresh()

    @property
    def audio(self) -> AudioDocument | None:
        """The audio on screen, which the keys play."""
        return self._c.audio

    @property
    def unavailable_reason(self) -> str:
        """Why nothing can play now (no player yet, no device, no server); empty if it can."""
        player = self.player
        if player is not None and player.available:
            return ""
        return getattr(player, "unavailable_reason", "") or self._no_player_reason

    def refresh(self, *_args: object) -> None:
        """Keep the actions' tooltips and the sound indicator true.

        The play keys stay enabled without an output: pressing one says why nothing
        plays, in the status line, where a disabled key would only be silent.
        """
        player = self.player
        reason = self.unavailable_reason
        for action in self._play_actions:
            action.setToolTip(reason or action.text().replace("&", ""))
        self._stop_action.setEnabled(not reason and bool(player and player.playing))
        self._speakers.set_listen_enabled(not reason, reason)
        checking = reason in (CHECKING_REASON, NOT_YET_CHECKED)
        self.availability_changed.emit("" if checking else reason)

    def _on_state(self, playing: bool) -> None:
        if not playing and self._returning:
            self._view.set_playhead(self._return_to)
            self._returning, self._return_to = False, None
        if not playing:
            self.snippet_playing = False

    def play_snippet(self, start_ms: int, end_ms: int) -> bool:
        """Play a short range and put the playhead back as it was; False if it cannot.

        For auditioning a handle: silent when nothing can play (a dragged handle is
        no time for a message), and never over a play the user started.
        """
        session, audio, player = self._c.session, self._c.audio, self.player
        if session is None or audio is None or self.unavailable_reason or player is None:
            return False
        if player.playing and not self.snippet_playing:
            return False
        back = self._return_to if self._returning else self._view.playhead_ms()
        player.play(audio, start_ms, end_ms)
        self._returning, self._return_to = True, back
        self.snippet_playing = True
        return True

    def _ready(self) -> tuple[Any, AudioDocument] | None:
        """The session and audio to play, once typed trims are in; None if nothing can play.

        Without an output, says why in the status line.
        """
        self.before_play()
        session, audio = self._c.session, self._c.audio
        if session is None or audio is None:
            return None
        if reason := self.unavailable_reason:
            self._say(reason)
            return None
        self._returning, self._return_to = False, None
        self.snippet_playing = False
        return session, audio

    def play_kept(self) -> None:
        """Play the region between the trims."""
        if (ready := self._ready()) is None:
            return
        session, audio = ready
        self.player.play(audio, session.edit.trim_start_ms, session.edit.trim_end_ms)

    def play_edge(self, edge: str) -> None:
        """Play at a handle: ``before_start``, ``after_start``, ``before_end``, ``after_end``."""
        if (ready := self._ready()) is None:
            return
        session, audio = ready
        edit = session.edit
        lo, hi = edge_range(
            edge, edit.trim_start_ms, edit.trim_end_ms, self._prefs.edge_ms, audio.duration_ms
        )
        if hi <= lo:
            self._say(_NOTHING_THERE[edge])
            return
        self.player.play(audio, lo, hi)

    def play_from_cursor(self) -> int | None:
        """Play from the playhead (or the start handle); returns where it starts.

        To the end of the file, or to the end handle when it starts inside the kept
        region and *Stop at the End Handle* is on.
        """
        if (ready := self._ready()) is None:
            return None
        session, audio = ready
        edit = session.edit
        cursor = self._view.playhead_ms()
        start = cursor if cursor is not None else edit.trim_start_ms
        inside = edit.trim_start_ms <= start < edit.trim_end_ms
        end = edit.trim_end_ms if inside and self._prefs.stop_at_end else None
        self.player.play(audio, start, end)
        return start

    def toggle(self) -> None:
        """Space: stop (the playhead stays there, to resume), else play from the cursor."""
        if self.player is not None and self.player.playing:
            self.player.stop()
        else:
            self.play_from_cursor()

    def toggle_and_return(self) -> None:
        """Shift+Space: as Space, but the playhead goes back to where play began."""
        if self.player is not None and self.player.playing:
            self.player.stop()
        elif (start := self.play_from_cursor()) is not None:
            self._returning, self._return_to = True, start

    def stop(self) -> None:
        """Stop playback."""
        if self.player is not None:
            self.player.stop()

    def listen_to_speaker(self, speaker_id: str) -> None:
        """Fetch and play the server's separated audio of one speaker."""
        if self.player is None or not self.player.available:
            return
        self._returning, self._return_to = False, None
        self.snippet_playing = False
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
