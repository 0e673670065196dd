"""``pvc-sample-editor --self-test``: prove an installed build works, end to end.

Starts the in-process emulator with the demo voice, opens the demo sample with its
bundled local copy, separates speakers and renders them, submits one edit through the
real client, reads it back and checks it. Prints one line and exits 0, or prints the
failed step and its reason and exits 1. Runs offscreen when there is no display.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["SelfTestFailedError", "run_self_test"]


class SelfTestFailedError(Exception):
    """A self-test step failed; the message says which and why."""


def _wait_until(app: object, predicate: Callable[[], bool], timeout: float, what: str) -> None:
    from PySide6.QtCore import QCoreApplication, QEventLoop

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SelfTestFailedError(f"timed out after {timeout:.0f} s waiting for {what}")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.005)


def run_self_test(timeout: float = 60.0) -> int:
    """Run the self-test; returns the process exit code."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.monotonic()
    step = "start"
    try:
        from pvc_sample_editor.api.client import ApiClient
        from pvc_sample_editor.audio.output import load_audio_library
        from pvc_sample_editor.editing.session import SampleRef
        from pvc_sample_editor.emulator.demo import DEMO_API_KEY
        from pvc_sample_editor.emulator.server import EmulatorServer
        from pvc_sample_editor.ui.app import create_application
        from pvc_sample_editor.ui.controller import EditorController
        from pvc_sample_editor.ui.main_window import MainWindow

        step = "load the audio-output library"  # a bundle without it would only say so
        load_audio_library()  # in a tooltip; playing itself needs a sound server
        step = "load the speech detector"  # a bundle without it could not check audio
        import webrtcvad  # noqa: F401

        app = create_application()
        with tempfile.TemporaryDirectory(prefix="pvc-self-test-") as tmp:
            step = "1/5 start the emulator with the demo voice"
            server = EmulatorServer(Path(tmp), api_key=DEMO_API_KEY, separation_delay=0.3)
            server.start()
            client = ApiClient(server.base_url, DEMO_API_KEY)
            controller = EditorController(client, poll_interval_ms=200)
            window = MainWindow(controller, player=None)
            try:
                demo = server.seed_demo()
                window.resize(1280, 800)
                window.show()

                step = "2/5 open the demo sample with its bundled local copy"
                controller.open_sample(
                    SampleRef(demo.voice_id, demo.sample_id), Path(demo.audio_path)
                )
                _wait_until(
                    app,
                    lambda: (
                        controller.audio is not None
                        and controller.session is not None
                        and controller.session.local_duration_ms is not None
                    ),
                    timeout,
                    "the audio",
                )
                session = controller.session
                assert session is not None
                assert controller.audio is not None

                step = "3/5 render the waveform with speakers"
                controller.start_separation()
                _wait_until(
                    app,
                    lambda: bool(session.separation and session.separation.completed),
                    timeout,
                    "speaker separation",
                )
                speakers = session.separation.speaker_ids if session.separation else ()
                if len(speakers) < 2:
                    raise SelfTestFailedError(f"expected two speakers, got {list(speakers)}")
                pixmap = window.grab()
                if pixmap.isNull() or pixmap.width() < 100:
                    raise SelfTestFailedError("the window did not render")
                if window.waveform.getPlotItem().listDataItems()[0].getData()[0] is None:
                    raise SelfTestFailedError("the waveform drew nothing")

                step = "4/5 submit one edit"
                duration = session.duration_ms
                controller.set_trims(1000, duration - 1000)
                controller.set_speakers([speakers[0]])
                controller.set_noise(True)
                controller.set_file_name("self-test.flac")
                if not controller.submit():
                    raise SelfTestFailedError(f"submit refused: {session.submit_block_reason()}")
                results: list[object] = []
                controller.submission_finished.connect(results.append)
                controller.submission_failed.connect(results.append)
                _wait_until(app, lambda: not controller.submitting, timeout, "the submission")
                if not results or isinstance(results[0], BaseException):
                    raise SelfTestFailedError(
                        f"the submission failed: {results[0] if results else '?'}"
                    )

                step = "5/5 read the edit back"
                sample = client.get_sample(demo.voice_id, demo.sample_id)
                chosen = client.get_speakers(demo.voice_id, demo.sample_id).selected_speaker_ids
                expected = (1000, duration - 1000, True, "self-test.flac", (speakers[0],))
                got = (
                    sample.trim_start,
                    sample.trim_end,
                    sample.remove_background_noise,
                    sample.file_name,
                    chosen,
                )
                if got != expected:
                    raise SelfTestFailedError(f"read back {got}, expected {expected}")
            finally:
                window.confirm = lambda _title, _text: True
                window.close()
                client.close()
                server.stop()
        elapsed = time.monotonic() - started
        print(
            f"self-test ok: opened the demo sample ({duration / 1000:.3f} s, "
            f"{len(speakers)} speakers), "
            f"submitted trims {expected[0]}-{expected[1]} ms, speakers [{speakers[0]}], noise on, "
            f"file name 'self-test.flac'; read back matches ({elapsed:.1f} s)",
            flush=True,
        )
        return 0
    except Exception as exc:  # the point is to report any failure as one line
        print(f"self-test FAILED at step {step}: {exc}", file=sys.stderr, flush=True)
        return 1
