"""Child process for the crash and secrets tests: the real app, driven by real events.

It starts exactly as ``pvc-sample-editor`` does (``launch``: logging, crash handler,
shell), then:
- ``edit``: drags both handles, ticks noise on, prints the edit as JSON, waits to be
  killed;
- ``restore``: prints whether a draft was restored and the edit it came up with;
- ``session``: edits, submits (the test makes the server fail it), submits again, then
  raises an unexpected exception in a slot, and quits.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from ui_driver import drag_handle_to

from pvc_sample_editor.cli import parse_args
from pvc_sample_editor.ui.app import AppShell, launch


def wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        QApplication.processEvents()
        time.sleep(0.01)


def edit_json(shell: AppShell) -> str:
    e = shell.controller.session.edit  # type: ignore[union-attr]
    return json.dumps(
        {
            "start": e.trim_start_ms,
            "end": e.trim_end_ms,
            "noise": e.remove_background_noise,
            "name": e.file_name,
            "speakers": list(e.selected_speaker_ids),
        }
    )


def main() -> None:
    mode, argv = sys.argv[1], sys.argv[2:]
    shell, notifier, _log = launch(parse_args(argv))
    shell.window.resize(1200, 780)
    c = shell.controller
    wait_for(lambda: c.audio is not None and c.session is not None and c.session.local_duration_ms)
    wait_for(lambda: not c._api.busy)
    if mode == "edit":
        drag_handle_to(shell.window.waveform, 0, 2.5)
        drag_handle_to(shell.window.waveform, 1, 33.0)
        shell.window.edit_panel.noise_box.click()
        print(edit_json(shell), flush=True)
        while True:  # wait for SIGKILL
            QApplication.processEvents()
            time.sleep(0.01)
    if mode == "session":
        from PySide6.QtTest import QTest

        drag_handle_to(shell.window.waveform, 0, 3.0)
        for _ in range(2):  # the first fails on the server, the second lands
            QTest.keyClick(shell.window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
            wait_for(lambda: not c.submitting, timeout=60)
        print(
            "submit:",
            shell.window.saved_label.text() or shell.window.submit_error.text(),
            flush=True,
        )

        def broken() -> None:
            raise RuntimeError(f"unexpected, while holding {os.environ['ELEVENLABS_API_KEY']}")

        QTimer.singleShot(0, broken)
        wait_for(lambda: notifier.count >= 1)
        notifier.uninstall()
    print(json.dumps({"restored": c.autosave.restored_last is not None}), flush=True)
    print(edit_json(shell), flush=True)
    shell.window.confirm = lambda _t, _x: True
    shell.window.close()
    notifier.uninstall()


if __name__ == "__main__":
    main()
