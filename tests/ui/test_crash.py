"""An unexpected exception: logged with its traceback (key redacted), one dialog, app alive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot
from ui_driver import Editor, drag_handle_to

from pvc_sample_editor.editing.drafts import DraftStore
from pvc_sample_editor.system.crashlog import SECRETS, install_logging, uninstall_logging
from pvc_sample_editor.ui.crash import CrashNotifier

KEY = "sk_crashtest_0123456789abcdefXYZ"


@pytest.fixture
def notifier(editor: Editor, tmp_path: Path) -> Iterator[tuple[CrashNotifier, Path]]:
    """The app's crash handling installed as run_app installs it."""
    log_path = install_logging(tmp_path / "logs")
    SECRETS.add(KEY)
    n = CrashNotifier(lambda: editor.window, editor.controller.save_draft_now)
    n.install()
    yield n, log_path
    n.uninstall()
    if n.box is not None:
        n.box.close()
    uninstall_logging()
    SECRETS.clear()


@pytest.mark.qt_no_exception_capture
def test_exceptions_in_slots_are_logged_shown_once_and_survived(
    qtbot: QtBot, editor: Editor, notifier: tuple[CrashNotifier, Path]
) -> None:
    """Three failing clicks: one dialog naming the log, the key only as [redacted]."""
    n, log_path = notifier
    drag_handle_to(editor.window.waveform, 0, 7.0)
    edited = editor.controller.session.edit

    def broken() -> None:
        raise RuntimeError(f"request failed with header xi-api-key: {KEY}")

    button = QPushButton("break", editor.window)
    button.clicked.connect(broken)
    for _ in range(3):
        QTimer.singleShot(0, button.click)
    qtbot.waitUntil(lambda: n.count == 3, timeout=5000)
    assert n.box is not None
    assert n.box.isVisible()
    assert str(log_path) in n.box.informativeText()
    assert "2 more" in n.box.informativeText()
    assert KEY not in n.box.text()
    text = log_path.read_text(encoding="utf-8")
    assert "Traceback" in text
    assert "RuntimeError" in text
    assert KEY not in text
    assert "[redacted]" in text
    # The editor is still alive and the edit is on disk.
    assert editor.window.isVisible()
    assert editor.controller.session.edit == edited
    assert DraftStore().load(editor.controller.draft_key()).edit == edited
