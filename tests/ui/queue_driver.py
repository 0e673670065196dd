"""Helpers for the queue's tests: rows of the workspace list, and the server's concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from ui_driver import Editor


def row_of(editor: Editor, sample_id: str) -> Any:
    model = editor.window.workspace.model
    return model.rows[model.row_of(sample_id)]


def click_row(qtbot: QtBot, editor: Editor, sample_id: str) -> None:
    panel = editor.window.workspace
    source = panel.model.index(panel.model.row_of(sample_id), 0)
    rect = panel.table.visualRect(panel.proxy.mapFromSource(source))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def open_row(qtbot: QtBot, editor: Editor, sample_id: str) -> None:
    """Click a sample's row and wait until it is open, its audio drawn."""
    c = editor.controller
    with qtbot.waitSignal(c.audio_loaded, timeout=15000):
        click_row(qtbot, editor, sample_id)
    qtbot.waitUntil(
        lambda: (
            c.session is not None
            and c.session.ref is not None
            and c.session.ref.sample_id == sample_id
            and not c._api.busy
        ),
        timeout=15000,
    )
    qtbot.wait(50)  # layout settles, so the handles are where the drag aims


class Concurrency:
    """How many requests the emulator handled at once, at most (measured in its latency)."""

    def __init__(self, server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = self.peak = 0
        self._lock = threading.Lock()
        wait: Callable[[float], None] = server.wait_unless_stopping

        def counted(seconds: float) -> None:
            with self._lock:
                self.now += 1
                self.peak = max(self.peak, self.now)
            try:
                wait(seconds)
            finally:
                with self._lock:
                    self.now -= 1

        monkeypatch.setattr(server, "wait_unless_stopping", counted)
