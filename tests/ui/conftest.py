"""UI-test settings: every TaskRunner must be idle when a test ends."""

from __future__ import annotations

import gc
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from ui_driver import Editor

from pvc_sample_editor.api.client import ApiClient, RetryPolicy, Timeouts
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.ui.app import retry_reporter
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.main_window import MainWindow
from pvc_sample_editor.ui.playback import Player


@pytest.fixture(autouse=True)
def _no_busy_runners(qapp: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test that leaves background work running on any TaskRunner.

    The runners a test creates are recorded here, by wrapping the constructor for the
    test's duration; production code keeps no registry of its own.
    """
    from pvc_sample_editor.ui.tasks import TaskRunner

    created: weakref.WeakSet[TaskRunner] = weakref.WeakSet()
    original_init = TaskRunner.__init__

    def recording_init(self: TaskRunner, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        created.add(self)

    monkeypatch.setattr(TaskRunner, "__init__", recording_init)
    yield
    # Collect what the test left in reference cycles here, outside any Qt destructor:
    # a QObject the collector deletes inside another's destructor can deadlock Qt.
    gc.collect()
    busy = [runner for runner in list(created) if runner.busy]
    for runner in busy:
        runner.shutdown()
    assert not busy, f"test left busy task runners: {[r.name for r in busy]}"


@pytest.fixture
def warnings_shown(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every QMessageBox.warning, collected instead of shown (it is modal)."""
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    return shown


@pytest.fixture
def editor(qtbot: QtBot, emulator: Any) -> Iterator[Editor]:
    """The demo sample opened in a window, with its bundled local copy."""
    client = ApiClient(
        emulator.base_url,
        emulator.api_key,
        on_retry=retry_reporter,
        retry=RetryPolicy(max_attempts=3, max_total_wait=10.0, base_delay=0.2),
        timeouts=Timeouts(connect=2.0, read=10.0),
    )
    check = ApiClient(emulator.base_url, emulator.api_key)
    controller = EditorController(client, poll_interval_ms=100)
    window = MainWindow(controller, player=None, confirm=lambda title, text: True)  # no modal box
    qtbot.addWidget(window)
    window.resize(1280, 820)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    demo = emulator.demo
    controller.open_sample(SampleRef(demo.voice_id, demo.sample_id), Path(demo.audio_path))
    qtbot.waitUntil(
        lambda: controller.audio is not None and controller.session is not None, timeout=15000
    )
    qtbot.waitUntil(lambda: controller.session.local_duration_ms is not None, timeout=5000)
    # Let layout settle so data coordinates map to where the handles are drawn.
    qtbot.waitUntil(lambda: not controller._api.busy, timeout=5000)
    qtbot.wait(50)
    yield Editor(window, controller, emulator, check)
    window.close()
    client.close()
    check.close()


@pytest.fixture
def no_sound_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine with no sound server (as in CI): PULSE_SERVER names a missing socket."""
    if not sys.platform.startswith("linux"):
        pytest.skip("simulates a missing device through PulseAudio's PULSE_SERVER")
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path / 'no-server' / 'native'}")
    monkeypatch.delenv("QT_AUDIO_BACKEND", raising=False)


@pytest.fixture
def deviceless_player(qtbot: QtBot, no_sound_server: None) -> Iterator[Player]:
    p = Player()
    qtbot.waitUntil(lambda: not p.probing, timeout=10000)  # the first probe runs on a thread
    yield p
    p.shutdown()
    p.deleteLater()
