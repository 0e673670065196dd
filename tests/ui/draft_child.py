"""Child process for the crash test: the real app shell, driven by real mouse events.

``edit`` mode: open the sample, drag both handles, tick noise on, print the edit as
JSON and wait to be killed. ``restore`` mode: open the sample again and print the edit
it comes up with (and whether a draft was restored), then exit.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))

from PySide6.QtWidgets import QApplication
from ui_driver import drag_handle_to

from pvc_sample_editor.cli import parse_args
from pvc_sample_editor.ui.app import AppShell, create_application


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
    create_application()
    restored: list[object] = []
    shell = AppShell(parse_args(argv))
    shell.controller.draft_restored.connect(restored.append)
    shell.window.resize(1200, 780)
    shell.start()
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
    print(json.dumps({"restored": bool(restored and restored[0] is not None)}), flush=True)
    print(edit_json(shell), flush=True)
    shell.window._confirm_close = lambda _t, _x: True
    shell.window.close()


if __name__ == "__main__":
    main()
