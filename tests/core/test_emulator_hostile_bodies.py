"""Hostile request bodies get a 4xx in the spec's error shape, never a 500 or silence.

Each case here was answered with a 500 (a 5,000-digit integer), a dropped connection
(JSON nested 100,000 deep), invalid JSON (a NaN echoed back) or a wrong 200 (a body
shorter than its Content-Length, applied as if whole).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import validate
from openapi_check import OBSERVED_ERROR_SCHEMA, strict_json

from conftest import EmulatorHttp
from pvc_sample_editor.emulator.server import EmulatorServer

KEY = "hostile-key"
BODY_TIMEOUT = 0.3


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmulatorServer]:
    """An emulator that gives up on a stalled body after BODY_TIMEOUT seconds."""
    emulator = EmulatorServer(tmp_path / "emulator", api_key=KEY, body_timeout=BODY_TIMEOUT)
    with emulator:
        emulator.seed_demo()
        yield emulator


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[EmulatorHttp]:
    http = EmulatorHttp(server.base_url, KEY)
    yield http
    http.close()


def _sample_path(server: EmulatorServer) -> str:
    return f"/v1/voices/pvc/{server.demo.voice_id}/samples/{server.demo.sample_id}"


def _post_raw(client: EmulatorHttp, path: str, body: bytes, content_type: str) -> Any:
    """POST ``body`` as is; the http fixture checks the answer against the spec."""
    return client.post(path, data=body, headers={"Content-Type": content_type})


def _file_name(client: EmulatorHttp, server: EmulatorServer) -> str:
    sample = client.sample(server.demo.voice_id, server.demo.sample_id)
    return str(sample["file_name"])


DEEP = 100_000
BAD_JSON = {
    "5000-digit integer": b'{"trim_start_time": ' + b"9" * 5000 + b"}",
    "nested 100,000 deep": b'{"file_name": ' + b"[" * DEEP + b"]" * DEEP + b"}",
    "nested objects": b'{"a": ' + b'{"a": ' * DEEP + b"1" + b"}" * DEEP + b"}",
    "NaN": b'{"trim_start_time": NaN}',
    "Infinity": b'{"trim_end_time": Infinity}',
    "-Infinity": b'{"trim_end_time": -Infinity}',
    "1e400": b'{"trim_end_time": 1e400}',
    "not UTF-8": b'{"file_name": "\xff\xfe"}',
    "truncated": b'{"file_name": "a',
}


@pytest.mark.parametrize("body", BAD_JSON.values(), ids=BAD_JSON.keys())
def test_bodies_json_cannot_hold_are_422_json_invalid(
    client: EmulatorHttp, server: EmulatorServer, body: bytes
) -> None:
    before = _file_name(client, server)
    response = _post_raw(client, _sample_path(server), body, "application/json")
    assert response.status_code == 422
    [entry] = strict_json(response.content)["detail"]
    assert entry["type"] == "json_invalid"
    assert entry["loc"][0] == "body"
    assert _file_name(client, server) == before


def test_a_lone_surrogate_in_the_file_name_is_a_422(
    client: EmulatorHttp, server: EmulatorServer
) -> None:
    body = b'{"file_name": "take\\ud800.wav"}'
    response = _post_raw(client, _sample_path(server), body, "application/json")
    assert response.status_code == 422
    [entry] = response.json()["detail"]
    assert entry["loc"] == ["body", "file_name"]
    assert entry["input"] == "take\ud800.wav"


def test_a_huge_string_is_refused_without_storing_it(
    client: EmulatorHttp, server: EmulatorServer
) -> None:
    body = json.dumps({"file_name": "x" * 3_000_000}).encode()
    response = _post_raw(client, _sample_path(server), body, "application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file_name"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_json_body_under_another_content_type_is_not_applied(
    client: EmulatorHttp, server: EmulatorServer, content_type: str
) -> None:
    """FastAPI reads JSON only from application/json (or +json, or no type at all)."""
    before = _file_name(client, server)
    body = json.dumps({"file_name": "renamed.wav"}).encode()
    response = _post_raw(client, _sample_path(server), body, content_type)
    assert response.status_code == 422
    [entry] = response.json()["detail"]
    assert entry["type"] == "model_attributes_type"
    assert _file_name(client, server) == before


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/x+json"])
def test_json_content_types_are_read(
    client: EmulatorHttp, server: EmulatorServer, content_type: str
) -> None:
    body = json.dumps({"file_name": "renamed.wav"}).encode()
    assert _post_raw(client, _sample_path(server), body, content_type).status_code == 200
    assert _file_name(client, server) == "renamed.wav"


def test_a_duplicate_key_counts_once_the_last_time_as_in_fastapi(
    client: EmulatorHttp, server: EmulatorServer
) -> None:
    body = b'{"file_name": "first.wav", "file_name": "last.wav"}'
    assert _post_raw(client, _sample_path(server), body, "application/json").status_code == 200
    assert _file_name(client, server) == "last.wav"
    body = b'{"trim_start_time": 10, "trim_start_time": "ten"}'
    response = _post_raw(client, _sample_path(server), body, "application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["input"] == "ten"


# ------------------------------------------------------------- raw connections


def _raw(server: EmulatorServer, body: bytes, length: int, *, close_early: bool) -> Any:
    """Send a POST of the edit with ``Content-Length: length`` but only ``body``.

    ``close_early`` shuts our sending side down after the body (a premature close);
    otherwise the connection stays open and silent. Returns (status, parsed body).
    """
    head = (
        f"POST {_sample_path(server)} HTTP/1.1\r\nHost: 127.0.0.1\r\nxi-api-key: {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head + body)
        if close_early:
            sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    _headers, _, payload = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), strict_json(payload)


@pytest.mark.parametrize("close_early", [True, False], ids=["closed", "stalled"])
def test_a_body_shorter_than_its_length_is_never_applied(
    client: EmulatorHttp, server: EmulatorServer, close_early: bool
) -> None:
    before = _file_name(client, server)
    body = json.dumps({"file_name": "short.wav"}).encode()
    status, answer = _raw(server, body, len(body) + 10, close_early=close_early)
    assert status == (400 if close_early else 408)
    validate(answer, OBSERVED_ERROR_SCHEMA)
    assert "Content-Length" in answer["detail"]["message"]
    assert _file_name(client, server) == before
    # The server is still fine afterwards.
    whole = _post_raw(client, _sample_path(server), body, "application/json")
    assert whole.status_code == 200


def test_a_json_body_too_large_is_413_before_it_is_read(server: EmulatorServer) -> None:
    status, answer = _raw(server, b"", 64 * 1024 * 1024, close_early=False)
    assert status == 413
    validate(answer, OBSERVED_ERROR_SCHEMA)
