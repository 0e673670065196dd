"""Every API fault during a submission: a clear message, the edit intact, bounded retries.

Faults come from the emulator's injection; a connect timeout comes from a loopback
socket whose accept queue is full, which the emulator cannot imitate.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from ui_driver import Editor, drag_handle_to, submit_and_wait

from pvc_sample_editor.api.client import ApiClient, RetryPolicy, Timeouts
from pvc_sample_editor.ui.app import retry_reporter

EDIT = "edit_pvc_voice_sample"
MAX_ATTEMPTS = 3


class _JsonHandler(BaseHTTPRequestHandler):
    """A loopback server's handler that answers JSON; tests subclass it per scenario."""

    def send_json(self, body: object) -> None:
        raw = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def _serving(handler: type[BaseHTTPRequestHandler], name: str) -> Iterator[str]:
    """Run ``handler`` on a loopback port for the block; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name=name)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# (fault keyword arguments, words the message must contain, attempts expected)
FAULTS: dict[str, tuple[dict[str, Any], tuple[str, ...], int]] = {
    "400": ({"status": 400}, ("400",), 1),
    "401": ({"status": 401}, ("key",), 1),
    "403": ({"status": 403}, ("key",), 1),
    "404": ({"status": 404}, ("not",), 1),
    "409": ({"status": 409}, ("409",), MAX_ATTEMPTS),
    "422": ({"status": 422}, ("refused",), 1),
    "429 with Retry-After": ({"status": 429, "retry_after": 0.2}, ("too many",), MAX_ATTEMPTS),
    "429 without Retry-After": ({"status": 429}, ("too many",), MAX_ATTEMPTS),
    "500": ({"status": 500}, ("server",), MAX_ATTEMPTS),
    "502": ({"status": 502}, ("server",), MAX_ATTEMPTS),
    "503": ({"status": 503}, ("server",), MAX_ATTEMPTS),
    "reset mid-body": ({"truncate": True}, ("connection",), 1),
    "dropped connection": ({"drop": True}, ("connection",), 1),
    "malformed JSON": ({"malformed": True}, ("cannot read",), 1),
    "HTML error page": ({"html": True, "status": 502}, ("server",), MAX_ATTEMPTS),
    "50 MB response": ({"oversize_mb": 50}, ("large",), 1),
}


@pytest.fixture
def fast_client(editor: Editor) -> Iterator[ApiClient]:
    """Swap in a client with short timeouts and quick back-off, so faults resolve fast."""
    client = ApiClient(
        editor.server.base_url,
        editor.server.api_key,
        on_retry=retry_reporter,
        retry=RetryPolicy(max_attempts=MAX_ATTEMPTS, max_total_wait=5.0, base_delay=0.05),
        timeouts=Timeouts(connect=0.5, read=0.5),
    )
    old = editor.controller.client
    editor.controller.client = client
    yield client
    editor.controller.client = old
    client.close()


def _posts(editor: Editor) -> list[Any]:
    return [r for r in editor.server.requests_log if r.operation_id == EDIT]


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_during_submit_keeps_the_edit(
    qtbot: QtBot, editor: Editor, fast_client: ApiClient, name: str
) -> None:
    """The window says what went wrong, the edit is untouched, attempts stay bounded."""
    kwargs, words, attempts = FAULTS[name]
    drag_handle_to(editor.window.waveform, 0, 3.0)
    before = editor.controller.session.edit
    editor.server.faults.inject(EDIT, count=10, **kwargs)
    progress: list[str] = []
    editor.controller.submission_progress.connect(progress.append)
    submit_and_wait(qtbot, editor)
    message = editor.window.submit_error.text()
    assert message.startswith("Not saved:"), message
    assert any(w in message.lower() for w in words), message
    assert editor.controller.session.edit == before
    assert editor.window.isWindowModified()
    assert editor.window.submit_button.isEnabled()
    sent = _posts(editor)
    assert 1 <= len(sent) <= attempts, [r.status for r in sent]
    if attempts > 1:
        assert any("retrying" in p for p in progress), progress
    # Once the server recovers, the same edit goes through unchanged.
    editor.server.faults.clear()
    submit_and_wait(qtbot, editor)
    assert "Saved" in editor.window.saved_label.text()
    assert editor.server_sample().trim_start == before.trim_start_ms


def test_read_timeout_is_reported_and_not_retried_for_post(
    qtbot: QtBot, editor: Editor, fast_client: ApiClient
) -> None:
    """A server slower than the read timeout: a transport message, one POST only."""
    drag_handle_to(editor.window.waveform, 1, 30.0)
    editor.server.faults.inject(EDIT, latency=1.5)
    submit_and_wait(qtbot, editor)
    assert "did not answer" in editor.window.submit_error.text()
    qtbot.waitUntil(lambda: len(_posts(editor)) == 1, timeout=5000)


def test_connect_timeout_is_reported(qtbot: QtBot, editor: Editor) -> None:
    """A host that never accepts the connection: a clear message, the edit kept."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        # Fill the accept queue so the next connection attempt waits for SYN-ACK forever.
        fillers = []
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        client = ApiClient(
            f"http://127.0.0.1:{port}",
            "k",
            retry=RetryPolicy(max_attempts=1),
            timeouts=Timeouts(connect=0.3, read=0.3),
        )
        editor.controller.client = client
        try:
            drag_handle_to(editor.window.waveform, 0, 2.0)
            before = editor.controller.session.edit
            submit_and_wait(qtbot, editor)
            text = editor.window.submit_error.text()
            assert "Not saved" in text
            assert "could not reach" in text.lower()
            assert editor.controller.session.edit == before
        finally:
            client.close()
            for s in fillers:
                s.close()


def test_read_back_with_missing_fields_says_sent_but_unconfirmed(
    qtbot: QtBot, editor: Editor
) -> None:
    """A server that accepts the edit but reads back a sample missing required fields:
    the window says it was sent but not confirmed, and keeps the edit and its draft."""
    demo = editor.server.demo

    class Handler(_JsonHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_json({"voice_id": demo.voice_id})

        def do_GET(self) -> None:  # the voice without its name, the sample without fields
            self.send_json({"voice_id": demo.voice_id, "samples": [{"sample_id": demo.sample_id}]})

    with _serving(Handler, "missing-fields-server") as base_url:
        client = ApiClient(base_url, "k", retry=RetryPolicy(max_attempts=1))
        old = editor.controller.client
        editor.controller.client = client
        try:
            drag_handle_to(editor.window.waveform, 0, 4.0)
            before = editor.controller.session.edit
            submit_and_wait(qtbot, editor)
            text = editor.window.submit_error.text()
            assert text.startswith("Sent, but it could not be confirmed"), text
            assert "missing" in text
            assert editor.controller.session.edit == before
            assert editor.window.isWindowModified()
        finally:
            editor.controller.client = old
            client.close()


def test_a_completed_separation_listed_without_its_speakers_is_read_in_full(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """The spec lets the voice's copy of a separation leave ``speakers`` null. Opening
    such a sample asks for the speakers, so there are boxes to tick (none were shown,
    and Submit stayed blocked on "tick at least one speaker")."""
    import numpy as np
    import soundfile as sf

    from pvc_sample_editor.editing.session import SampleRef
    from pvc_sample_editor.ui.controller import EditorController
    from pvc_sample_editor.ui.main_window import MainWindow

    local = tmp_path / "take.wav"
    sf.write(local, np.zeros(8000 * 4, dtype=np.float32), 8000)
    listed = {"voice_id": "v", "sample_id": "s", "status": "completed", "speakers": None}
    full = {
        **listed,
        "speakers": {
            "speaker_0": {
                "speaker_id": "speaker_0",
                "duration_secs": 3.0,
                "utterances": [{"start": 0.5, "end": 3.5}],
            }
        },
    }
    voice = {
        "voice_id": "v",
        "name": "Voice",
        "samples": [
            {
                "sample_id": "s",
                "file_name": "take.wav",
                "duration_secs": 4.0,
                "speaker_separation": listed,
            }
        ],
    }

    class Handler(_JsonHandler):
        def do_GET(self) -> None:
            self.send_json(full if self.path.split("?")[0].endswith("/speakers") else voice)

    with _serving(Handler, "speakerless-server") as base_url:
        client = ApiClient(base_url, "k")
        window = MainWindow(
            EditorController(client, poll_interval_ms=100), player=None, confirm=lambda t, x: True
        )
        qtbot.addWidget(window)
        try:
            window.show()
            window.controller.open_sample(SampleRef("v", "s"), local)
            qtbot.waitUntil(lambda: "speaker_0" in window.speakers_panel._boxes, timeout=10000)
            assert window.controller.session.edit.selected_speaker_ids == ("speaker_0",)
            assert window.speakers_panel._boxes["speaker_0"].isChecked()
        finally:
            window.close()
            client.close()
