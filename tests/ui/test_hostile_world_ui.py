"""The window against a hostile server and impossible numbers: words, in time, no crash."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from pytestqt.qtbot import QtBot

from hostile_server import (
    Behaviour,
    gzip_bomb,
    hostile_server,
    html_page,
    huge_body,
    json_answer,
    redirect_elsewhere,
    reset_mid_body,
    stall,
    trickle_body,
    trickle_headers,
)
from pvc_sample_editor.api.client import ApiClient, RetryPolicy, Timeouts
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.ui.controller import EditorController
from pvc_sample_editor.ui.main_window import MainWindow


def _window(qtbot: QtBot, client: ApiClient | None) -> MainWindow:
    window = MainWindow(
        EditorController(client, poll_interval_ms=100), player=None, confirm=lambda t, x: True
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_a_sample_read_with_an_absurd_trim_opens_and_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    """The server says trim_end is 10^12 ms: the window opens the sample with the end at
    the audio's end and says the server's value cannot be right (it once crashed)."""
    local = tmp_path / "take.wav"
    sf.write(local, np.zeros(16_000 * 3, dtype=np.float32), 16_000)
    sample = {
        "sample_id": "s1",
        "file_name": "take.wav",
        "duration_secs": 3.0,
        "trim_start": 0,
        "trim_end": 10**12,
        "speaker_separation": {"voice_id": "v1", "sample_id": "s1", "status": "not_started"},
    }
    voice = {"voice_id": "v1", "name": "Narrator", "samples": [sample]}
    with (
        hostile_server(json_answer(voice)) as server,
        ApiClient(server.base_url, "k", retry=RetryPolicy(max_attempts=1)) as client,
    ):
        window = _window(qtbot, client)
        window.controller.open_sample(SampleRef("v1", "s1"), local)
        qtbot.waitUntil(lambda: window.controller.audio is not None, timeout=10000)
        session = window.controller.session
        assert session is not None
        assert (session.edit.trim_start_ms, session.edit.trim_end_ms) == (0, 3000)
        assert "(1000000000000 ms) cannot be right" in window.submit_error.text()
        assert window.edit_panel.end_field.spin.value() == 3000
        window.close()


def test_a_file_claiming_weeks_is_refused_in_words_not_a_crash(
    qtbot: QtBot, tmp_path: Path, warnings_shown: list[str]
) -> None:
    path = tmp_path / "one hertz.wav"
    sf.write(path, np.zeros(3_000_000, dtype=np.float32), 1, subtype="PCM_U8")
    window = _window(qtbot, None)
    window.open_path(path)
    qtbot.waitUntil(lambda: bool(warnings_shown), timeout=10000)
    assert "says it lasts 35 days" in warnings_shown[0]
    assert window.controller.audio is None
    window.close()


@pytest.mark.parametrize(
    "behaviour",
    [
        trickle_headers(0.2),
        trickle_body(0.2),
        stall(),
        reset_mid_body(),
        huge_body(False),
        gzip_bomb(),
        redirect_elsewhere(),
        html_page(),
        json_answer({"voice_id": 5}),
        json_answer({"detail": [{"loc": None}]}, status="422 Unprocessable Entity"),
    ],
    ids=lambda b: b.name,
)
def test_opening_a_sample_from_a_hostile_server_ends_in_words_and_in_time(
    qtbot: QtBot, behaviour: Behaviour
) -> None:
    """Whatever the server does, opening a sample ends within its deadline with a sentence
    in the window, and the window stays usable (closing is quick)."""
    timeouts = Timeouts(connect=1.0, read=2.0, total=1.5)
    with (
        hostile_server(behaviour) as server,
        ApiClient(
            server.base_url, "k", retry=RetryPolicy(max_attempts=1), timeouts=timeouts
        ) as client,
    ):
        window = _window(qtbot, client)
        started = time.monotonic()
        window.controller.open_sample(SampleRef("v1", "s1"), None)
        qtbot.waitUntil(
            lambda: "Could not open the sample" in window.submit_error.text(), timeout=8000
        )
        assert time.monotonic() - started < 6.0
        assert window.controller.session is None
        started = time.monotonic()
        window.close()
        assert time.monotonic() - started < 1.5
