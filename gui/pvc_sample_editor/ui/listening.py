"""What the window does with sound and with the local result, built and wired in one place.

The play keys and their routes to the player, the audition of a resting handle, Space
in the trim fields, the status bar's note when nothing can play, the A/B window for
noise removal and the export of the kept region. The window builds one
:class:`Listening` after its widgets and actions, and shuts it down when it closes.
"""

from __future__ import annotations

from pvc_sample_editor.ui.audition import HandleAudition
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.export_routes import ExportRoutes
from pvc_sample_editor.ui.noise_compare import NoiseCompare
from pvc_sample_editor.ui.play_menu import PlayKeysInFields, SoundStateLabel
from pvc_sample_editor.ui.playback_routes import PlaybackRoutes
from pvc_sample_editor.ui.window_layout import EditorLayout

__all__ = ["Listening"]


class Listening:
    """The window's playback, audition, A/B and export parts (see the module docstring)."""

    def __init__(self, window: EditorLayout, controller: EditorController) -> None:
        self._window = window
        menu = window.play_menu
        self.routes = PlaybackRoutes(
            controller, window.waveform, window.speakers_panel, menu, self._say
        )
        self.routes.before_play = self.commit_typed_trims
        self.audition = HandleAudition(window.waveform, self.routes, menu.prefs, menu.audition)
        self.export = ExportRoutes(
            window,
            controller,
            window.export_action,
            lambda text: self._say(text, 10_000),
            self.commit_typed_trims,
        )
        self.sound_label = SoundStateLabel()  # why nothing plays, always in sight
        window.statusBar().addPermanentWidget(self.sound_label)
        self.routes.availability_changed.connect(self.sound_label.show_reason)
        panel = window.edit_panel
        spins = (panel.start_field.spin, panel.end_field.spin)
        self.field_keys = PlayKeysInFields(menu, spins, self.commit_typed_trims)
        self.noise_compare = NoiseCompare(window, controller, self.routes, menu.compare_noise)

    def _say(self, text: str, ms: int = 5000) -> None:
        self._window.statusBar().showMessage(text, ms)

    def commit_typed_trims(self) -> None:
        """A start or end still being typed becomes the edit (before anything plays)."""
        self._window.edit_panel.start_field.commit_typing()
        self._window.edit_panel.end_field.commit_typing()

    def shutdown(self) -> None:
        """Close the A/B window and cancel an export (its partial file is removed)."""
        self.noise_compare.close()
        self.export.shutdown()
