"""The emulator's lifecycle, binding rules, seeding and command line."""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from conftest import EmulatorHttp, two_voice_signal
from pvc_sample_editor.emulator.demo import (
    DEMO_API_KEY,
    DEMO_EXTRA_SAMPLES,
    DEMO_SAMPLE_ID,
    DEMO_VOICE_ID,
    EXTRA_VOICES,
    find_demo_audio,
)
from pvc_sample_editor.emulator.server import EmulatorServer

SAMPLE = f"/v1/voices/pvc/{DEMO_VOICE_ID}/samples/{DEMO_SAMPLE_ID}"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "", "example.org"])
def test_a_non_loopback_host_is_refused(tmp_path: Path, host: str) -> None:
    with pytest.raises(ValueError, match="allow_remote"):
        EmulatorServer(tmp_path, host=host)


def test_allow_remote_logs_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pvc_sample_editor.emulator"):
        EmulatorServer(tmp_path, host="0.0.0.0", allow_remote=True)
    assert "reachable from other machines" in caplog.text
    assert not (tmp_path / "emulator.sqlite3").exists(), "nothing opened before start()"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.0.0.2", "::1"])
def test_loopback_hosts_are_accepted(tmp_path: Path, host: str) -> None:
    server = EmulatorServer(tmp_path, host=host)
    assert server.host == host


def test_defaults_use_the_demo_key_and_loopback(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "emu") as server:
        assert server.api_key == DEMO_API_KEY
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        assert server.port > 0
        assert (tmp_path / "emu" / "emulator.sqlite3").is_file()


def test_stop_is_idempotent_and_releases_the_port(tmp_path: Path) -> None:
    server = EmulatorServer(tmp_path / "emu").start()
    url = server.base_url
    server.stop()
    server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=2)
    with pytest.raises(RuntimeError, match="starts once"):
        server.start()


def test_stopping_a_server_never_started_is_fine(tmp_path: Path) -> None:
    server = EmulatorServer(tmp_path / "emu")
    server.stop()
    with pytest.raises(RuntimeError):
        _ = server.base_url


def test_stop_cuts_injected_latency_short(tmp_path: Path) -> None:
    server = EmulatorServer(tmp_path / "emu").start()
    server.seed_demo()
    server.faults.inject("get_voices", latency=30)
    outcome: list[object] = []

    def slow_call() -> None:
        try:
            outcome.append(
                requests.get(
                    server.base_url + "/v1/voices",
                    headers={"xi-api-key": server.api_key},
                    timeout=10,
                ).status_code
            )
        except requests.RequestException as exc:
            outcome.append(exc)

    caller = threading.Thread(target=slow_call)
    caller.start()
    deadline = time.monotonic() + 5
    while server.faults.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    caller.join()
    assert time.monotonic() - started < 2
    assert outcome == [200], "the request in flight is still answered"


def test_stop_closes_idle_keep_alive_connections(tmp_path: Path) -> None:
    server = EmulatorServer(tmp_path / "emu").start()
    session = requests.Session()
    try:
        session.get(server.base_url + "/v1/voices", headers={"xi-api-key": server.api_key})
        started = time.monotonic()
        server.stop()  # the idle connection's thread must not hold this up
        assert time.monotonic() - started < 2
    finally:
        session.close()


def test_demo_needs_seeding_and_seeding_is_idempotent(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "emu") as server:
        with pytest.raises(RuntimeError, match="seed_demo"):
            _ = server.demo
        ids = server.seed_demo()
        assert server.demo == ids
        assert (ids.voice_id, ids.sample_id) == (DEMO_VOICE_ID, DEMO_SAMPLE_ID)
        assert ids.audio_path == find_demo_audio()
        http = EmulatorHttp(server.base_url, server.api_key)
        try:
            http.post(SAMPLE, json={"trim_start_time": 1234})
            assert server.seed_demo() == ids
            voices = http.get("/v1/voices", params={"show_legacy": "true"}).json()["voices"]
            assert len(voices) == 1 + len(EXTRA_VOICES)
            samples = next(v for v in voices if v["voice_id"] == DEMO_VOICE_ID)["samples"]
            assert len(samples) == 1 + len(DEMO_EXTRA_SAMPLES), "re-seeding adds nothing"
            sample = samples[0]
            assert sample["trim_start"] == 1234, "re-seeding keeps the user's edits"
        finally:
            http.close()


def test_seed_demo_accepts_another_recording(tmp_path: Path) -> None:
    import soundfile as sf

    audio = tmp_path / "mine.wav"
    sf.write(str(audio), two_voice_signal(), 16000)
    audio.with_name("mine.wav.speakers.json").write_text(
        '{"speakers": [{"speaker_id": "host", "utterances": [{"start": 0.5, "end": 1.7}]}]}'
    )
    with EmulatorServer(tmp_path / "emu", separation_delay=0) as server:
        ids = server.seed_demo(audio)
        assert ids.audio_path == audio
        http = EmulatorHttp(server.base_url, server.api_key)
        try:
            assert http.sample(DEMO_VOICE_ID, DEMO_SAMPLE_ID)["file_name"] == "mine.wav"
            http.post(f"{SAMPLE}/separate-speakers")
            assert list(http.get(f"{SAMPLE}/speakers").json()["speakers"]) == ["host"]
        finally:
            http.close()


def test_two_servers_run_side_by_side(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "a") as first, EmulatorServer(tmp_path / "b") as second:
        assert first.port != second.port


# ---------------------------------------------------------------------- CLI


def _cli(*args: str) -> subprocess.Popen[bytes]:
    code = (
        "from pvc_sample_editor.emulator.cli import run_cli; "
        f"raise SystemExit(run_cli({list(args)!r}))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _read_lines(proc: subprocess.Popen[bytes], count: int, within: float = 20.0) -> list[str]:
    """The first ``count`` stdout lines, read unbuffered so select() sees every byte."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    data = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        deadline = time.monotonic() + within
        while data.count(b"\n") < count and time.monotonic() < deadline:
            if selector.select(timeout=max(0.0, deadline - time.monotonic())):
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                data += chunk
    return data.decode().splitlines()[:count]


def _finish(proc: subprocess.Popen[bytes]) -> tuple[str, str]:
    """Wait for the process (killing it if it hangs); its remaining stdout and stderr."""
    try:
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return out.decode(), err.decode()


def test_cli_serves_until_sigint_and_exits_cleanly(tmp_path: Path) -> None:
    proc = _cli("--port", "0", "--data", str(tmp_path / "emu"), "--api-key", "cli-key")
    try:
        lines = _read_lines(proc, 2)
        assert len(lines) == 2, lines
        assert lines[0].startswith("URL: http://127.0.0.1:")
        assert lines[1] == "API key: cli-key"
        url = lines[0].removeprefix("URL: ")
        response = requests.get(
            f"{url}/v1/voices/{DEMO_VOICE_ID}", headers={"xi-api-key": "cli-key"}, timeout=10
        )
        assert response.status_code == 200
        assert response.json()["samples"][0]["sample_id"] == DEMO_SAMPLE_ID
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = _finish(proc)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert out == ""


def test_cli_stops_on_sigterm_and_can_skip_the_demo(tmp_path: Path) -> None:
    proc = _cli("--port", "0", "--data", str(tmp_path / "emu"), "--no-demo")
    try:
        url = _read_lines(proc, 1)[0].removeprefix("URL: ")
        response = requests.get(
            f"{url}/v1/voices", headers={"xi-api-key": DEMO_API_KEY}, timeout=10
        )
        assert response.json() == {"voices": []}
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = _finish(proc)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_cli_refuses_a_remote_host_without_allow_remote(tmp_path: Path) -> None:
    proc = _cli("--host", "0.0.0.0", "--data", str(tmp_path / "emu"))
    out, err = _finish(proc)
    assert proc.returncode == 2
    assert "--allow-remote" in err
    assert out == ""


def test_cli_says_what_is_wrong_with_its_port_or_folder(tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    with EmulatorServer(tmp_path / "first") as first:  # holds a port
        cases = [
            (("--port", "99999", "--data", str(tmp_path / "d")), "99999 is not a port"),
            (("--port", "0", "--data", str(a_file)), "--data must be a folder"),
            (
                ("--port", str(first.port), "--data", str(tmp_path / "d")),
                f"port {first.port} on 127.0.0.1 is in use",
            ),
        ]
        for args, said in cases:
            proc = _cli(*args)
            out, err = _finish(proc)
            assert proc.returncode == 2, err
            assert said in err
            assert "Traceback" not in err
            assert "Errno" not in err
            assert out == ""


@contextlib.contextmanager
def _separation_in_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[EmulatorHttp, Callable[[], requests.Response]]]:
    """A demo emulator whose separation, POSTed on a thread, waits until released.

    Yields another client and ``finish``, which lets the separation go on and returns
    the POST's reply.
    """
    from pvc_sample_editor.emulator import handlers

    started, release = threading.Event(), threading.Event()
    real = handlers._separate

    def held(path: Path) -> dict[str, object]:
        started.set()
        assert release.wait(30)
        return real(path)

    monkeypatch.setattr(handlers, "_separate", held)
    replies: list[requests.Response] = []
    with EmulatorServer(tmp_path / "emu", separation_delay=0) as server:
        server.seed_demo()
        http = EmulatorHttp(server.base_url, server.api_key)
        other = EmulatorHttp(server.base_url, server.api_key)
        poster = threading.Thread(
            target=lambda: replies.append(http.post(f"{SAMPLE}/separate-speakers"))
        )

        def finish() -> requests.Response:
            release.set()
            poster.join(30)
            [reply] = replies
            return reply

        try:
            poster.start()
            assert started.wait(10)
            yield other, finish
        finally:
            release.set()
            poster.join(30)
            http.close()
            other.close()


def test_other_requests_are_answered_while_a_separation_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Separating a long sample takes seconds; the rest of the API must not wait for it.
    with _separation_in_progress(tmp_path, monkeypatch) as (other, finish):
        voice = other.get(f"/v1/voices/{DEMO_VOICE_ID}", timeout=5).json()
        assert voice["samples"][0]["speaker_separation"]["status"] == "not_started"
        edited = other.post(SAMPLE, json={"file_name": "renamed.wav"}, timeout=5)
        assert edited.status_code == 200, edited.text
        assert finish().json() == {"status": "ok"}
        after = other.sample(DEMO_VOICE_ID, DEMO_SAMPLE_ID)
        assert after["speaker_separation"]["status"] == "completed"
        assert after["file_name"] == "renamed.wav"


def test_a_sample_deleted_while_separating_is_not_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _separation_in_progress(tmp_path, monkeypatch) as (other, finish):
        assert other.delete(SAMPLE, timeout=5).json() == {"status": "ok"}
        reply = finish()
        assert reply.status_code == 404, reply.text
