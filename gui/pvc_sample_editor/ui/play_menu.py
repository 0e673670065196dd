"""The Play menu: its actions, their keys and the playback options, built on the window.

Only creates and arranges (like the rest of :mod:`~pvc_sample_editor.ui.window_layout`);
:class:`~pvc_sample_editor.ui.playback_routes.PlaybackRoutes` connects the actions to
the player. The edge keys are Audacity's (Shift+F5 to Shift+F8), so a hand used to it
finds them where it expects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QLabel, QMainWindow, QMenu, QStyle

from pvc_sample_editor.ui.settings import PlaybackPrefs

__all__ = ["EDGE_KEYS", "PlayKeysInFields", "PlayMenu", "SoundStateLabel"]

# What each edge key plays, in the menu's order: (id, text, key).
EDGE_KEYS = (
    ("before_start", "Play Up to Start", "Shift+F5"),
    ("after_start", "Play from Start", "Shift+F6"),
    ("before_end", "Play Up to End", "Shift+F7"),
    ("after_end", "Play from End into the Cut", "Shift+F8"),
)


class PlayMenu:
    """The play actions (on ``window``, so their keys work anywhere in it) and the menu."""

    def __init__(self, window: QMainWindow, menu: QMenu, prefs: PlaybackPrefs) -> None:
        self.prefs = prefs
        self.window = window
        style = window.style()
        self.toggle = self._action("&Play/Stop", "Space")
        self.toggle.setStatusTip(
            "Play from the cursor; stop leaves the cursor there, so Space resumes"
        )
        self.toggle_return = self._action("Play/Stop and &Return", "Shift+Space")
        self.toggle_return.setStatusTip(
            "Play from the cursor; stop (or the end) puts the cursor back where play began"
        )
        self.kept = self._action("Play &Kept Region", "Ctrl+Space")
        self.kept.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        # The toolbar's play button: Space when nothing plays (no key of its own).
        self.from_cursor = self._action("Play from &Cursor", None)
        self.from_cursor.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward))
        self.stop = self._action("&Stop", "Escape")
        self.stop.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaStop))
        for a in (self.toggle, self.toggle_return, self.kept, self.stop):
            menu.addAction(a)
        menu.addSeparator()
        self.edges: dict[str, QAction] = {}
        for edge, text, key in EDGE_KEYS:
            self.edges[edge] = self._action(text, key)
            menu.addAction(self.edges[edge])
        length_menu = menu.addMenu("Edge &Length")
        self.edge_lengths: dict[int, QAction] = {}
        group = QActionGroup(window)
        for ms in PlaybackPrefs.EDGE_CHOICES_MS:
            action = QAction(f"{ms / 1000:g} s", window)
            action.setCheckable(True)
            action.setChecked(ms == prefs.edge_ms)
            action.triggered.connect(lambda _on=False, ms=ms: self._set_edge_ms(ms))
            group.addAction(action)
            length_menu.addAction(action)
            self.edge_lengths[ms] = action
        menu.addSeparator()
        self.stop_at_end = QAction("Stop at the &End Handle", window)
        self.stop_at_end.setCheckable(True)
        self.stop_at_end.setChecked(prefs.stop_at_end)
        self.stop_at_end.setStatusTip(
            "Playing from a cursor inside the kept region stops at the end handle"
        )
        self.stop_at_end.toggled.connect(lambda on: setattr(prefs, "stop_at_end", on))
        menu.addAction(self.stop_at_end)
        self.audition = QAction("&Audition Handles While Dragging", window)
        self.audition.setCheckable(True)
        self.audition.setStatusTip("A dragged handle that rests for 0.3 s plays the 0.6 s at it")
        menu.addAction(self.audition)
        menu.addSeparator()
        self.compare_noise = self._action("Compare &Noise Removal (A/B)…", "Ctrl+B")
        self.compare_noise.setStatusTip(
            "Hear the server's preview as recorded and with noise removed, and choose"
        )
        menu.addAction(self.compare_noise)
        self._retitle_edges()

    def _action(self, text: str, key: str | None) -> QAction:
        action = QAction(text, self.window)
        if key is not None:
            action.setShortcut(QKeySequence(key))
        self.window.addAction(action)
        return action

    @property
    def play_actions(self) -> tuple[QAction, ...]:
        """Every action that starts playback (enabled together)."""
        return (
            self.toggle,
            self.toggle_return,
            self.kept,
            self.from_cursor,
            *self.edges.values(),
        )

    def _set_edge_ms(self, ms: int) -> None:
        self.prefs.edge_ms = ms
        self._retitle_edges()

    def _retitle_edges(self) -> None:
        """Say N in each edge entry's tooltip and status tip."""
        n = f"{self.prefs.edge_ms / 1000:g} s"
        tips = {
            "before_start": f"Play the {n} up to the start handle",
            "after_start": f"Play {n} from the start handle (at most to the end handle)",
            "before_end": f"Play the {n} up to the end handle (from the start at most)",
            "after_end": f"Play {n} from the end handle on, into what is cut",
        }
        for edge, action in self.edges.items():
            action.setStatusTip(tips[edge])


class PlayKeysInFields(QObject):
    """Space and Shift+Space in a trim field play and stop, after committing what is typed.

    A spin box takes Space as text (it refuses it, but the window's shortcut never
    sees it), so right after typing a trim Space did nothing. Here the typed value is
    committed first, as Enter would, and then the key does what it does elsewhere.
    """

    def __init__(
        self, menu: PlayMenu, fields: Sequence[QAbstractSpinBox], commit: Callable[[], None]
    ) -> None:
        super().__init__(menu.window)
        self._menu = menu
        self._commit = commit
        for field in fields:
            field.installEventFilter(self)
            if field.lineEdit() is not None:
                field.lineEdit().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return False
        assert isinstance(event, QKeyEvent)
        if event.key() != Qt.Key.Key_Space:
            return False
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if modifiers == Qt.KeyboardModifier.NoModifier:
            action = self._menu.toggle
        elif modifiers == Qt.KeyboardModifier.ShiftModifier:
            action = self._menu.toggle_return
        else:
            return False
        if event.type() == QEvent.Type.KeyPress:
            self._commit()
            action.trigger()
        event.accept()
        return True


class SoundStateLabel(QLabel):
    """The status bar's note of why nothing plays: the reason's first sentence, in sight.

    Hidden while playback works or the output is still being checked; the whole reason
    (what to do) is its tooltip and goes to the status line when a play key is pressed.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("fieldError")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.hide()

    def show_reason(self, reason: str) -> None:
        """Show ``reason`` (empty: hide)."""
        first = reason.split(". ", 1)[0].rstrip(".")
        self.setText(f"{first}." if reason else "")
        self.setToolTip(reason)
        self.setVisible(bool(reason))
