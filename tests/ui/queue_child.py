"""Child process for the queue's kill test: the real app, driven by real events.

It starts exactly as ``pvc-sample-editor`` does (``launch``), then:
- ``queue``: edits the open sample and the next two of its voice (Ctrl+PgDown, a drag
  with Shift), prints their edits as JSON, clicks Submit All Edited, and prints the
  queue's state (``{"saved": [...], "sending": [...]}``) at every change until killed;
- ``resume ANSWER``: answers the question to resume with ANSWER (yes/no), waits for the
  queue to finish, prints the questions asked, and quits.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))

from draft_child import wait_for
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from ui_driver import drag_handle_to

from pvc_sample_editor.cli import parse_args
from pvc_sample_editor.editing.workspace import SampleState
from pvc_sample_editor.ui.app import launch


def main() -> None:
    mode, argv = sys.argv[1], sys.argv[2:]
    answer = ""
    if mode == "resume":
        answer, argv = argv[0], argv[1:]
    shell, notifier, _log = launch(parse_args(argv))
    window = shell.window
    asked: list[str] = []

    def confirm(title: str, _text: str) -> bool:
        asked.append(title)
        return answer == "yes" if title.startswith("Resume") else True

    window.confirm = confirm
    window.resize(1200, 780)
    c = shell.controller
    loads = [0]
    c.audio_loaded.connect(lambda: loads.__setitem__(0, loads[0] + 1))
    wait_for(lambda: c.audio is not None and c.session is not None)
    wait_for(lambda: not c._api.busy and window.workspace.model.rowCount() > 3)
    batch = window.batch
    if mode == "queue":
        wait_for(lambda: bool(c.session and c.session.local_duration_ms))
        edits = {}
        for n in range(3):
            if n:
                before = loads[0]
                QTest.keyClick(window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
                wait_for(lambda before=before: loads[0] > before and not c._api.busy)
                QTest.qWait(50)
            drag_handle_to(
                window.waveform, 0, 5.0 + 1.5 * n, modifiers=Qt.KeyboardModifier.ShiftModifier
            )
            session = c.session
            assert session is not None
            assert session.ref is not None
            assert session.dirty
            edits[session.ref.sample_id] = [session.edit.trim_start_ms, session.edit.trim_end_ms]
        print(json.dumps(edits), flush=True)
        QTest.mouseClick(window.workspace.submit_all_button, Qt.MouseButton.LeftButton)
        shown = ""
        while True:  # wait for SIGKILL, saying what the queue does
            rows = {r.sample_id: r for r in window.workspace.model.rows}
            state = json.dumps(
                {
                    "saved": sorted(i for i in edits if rows[i].state is SampleState.SAVED),
                    "sending": sorted(batch.sending),
                }
            )
            if state != shown:
                print(state, flush=True)
                shown = state
            QApplication.processEvents()
            time.sleep(0.005)
    wait_for(lambda: bool(asked))
    wait_for(lambda: not batch.busy, timeout=60)
    print(json.dumps({"asked": asked, "failures": batch.failures}), flush=True)
    window.close()
    notifier.uninstall()


if __name__ == "__main__":
    main()
