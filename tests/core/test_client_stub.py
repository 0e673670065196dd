"""The client against a tiny scripted loopback server, for what the emulator cannot do.

The emulator speaks the API; these cases need a server that misbehaves at the socket
level (slow answers to POSTs, a body cut mid-way, arbitrary bytes, TLS spoken to a plain
socket, redirects). Still the real client over real HTTP: nothing is mocked.
"""

from __future__ import annotations

import email.utils
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvc_sample_editor import __version__
from pvc_sample_editor.api.client import ApiClient, RetryNotice, RetryPolicy, Timeouts
from pvc_sample_editor.api.errors import (
    ApiError,
    AuthenticationError,
    CancelledError,
    ClientRequestError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    ValidationError,
)
from pvc_sample_editor.api.models import Voice
from pvc_sample_editor.editing.edit import EditContext, SampleEdit, build_request

KEY = "sk_STUB-distinctive-9c1e"
VOICE = {"voice_id": "v1", "name": "Narrator", "category": "professional", "samples": []}


@dataclass
class Reply:
    """One scripted answer. ``cut_after`` sends only that many body bytes, then closes."""

    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    cut_after: int | None = None
    content_length: bool = True


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class StubServer:
    """A loopback HTTP/1.0 server answering from a script (then with ``default``)."""

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.default = Reply(body=json.dumps(VOICE).encode())
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.0: one request per connection, so no keep-alive thread outlives a test.
            protocol_version = "HTTP/1.0"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with stub._lock:
                    stub.seen.append(Seen(self.command, self.path, dict(self.headers), body))
                    reply = stub.script.pop(0) if stub.script else stub.default
                if reply.delay and stub._stopping.wait(reply.delay):
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.content_length:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                data = reply.body if reply.cut_after is None else reply.body[: reply.cut_after]
                self.wfile.write(data)

            # The names http.server dispatches to.
            do_GET = do_POST = do_DELETE = _serve  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep the test output clean

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # the client hanging up on a slow or huge answer is the point

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="stub-http"
        )
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()  # joins the request threads
        self._thread.join()

    def reply(self, *replies: Reply) -> None:
        with self._lock:
            self.script.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self.script.clear()
            self.seen.clear()


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def waits() -> list[float]:
    """Retry waits the client asked for; passing ``waits.append`` as ``sleep`` skips them."""
    return []


def _client(url: str, waits: list[float], **kwargs: object) -> ApiClient:
    return ApiClient(url, KEY, sleep=waits.append, **kwargs)  # type: ignore[arg-type]


EDIT = SampleEdit(0, 1000, False, "a.wav")
CTX = EditContext(duration_ms=5000)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# ---------------------------------------------------------------- headers


def test_key_and_user_agent_are_sent(stub: StubServer, waits: list[float]) -> None:
    with _client(stub.base_url, waits) as client:
        voice = client.get_voice("v1")
    assert voice == Voice("v1", "Narrator", "professional")
    seen = stub.seen[0]
    assert seen.headers["xi-api-key"] == KEY
    assert seen.headers["User-Agent"] == f"pvc-sample-editor/{__version__}"
    assert seen.path == "/v1/voices/v1"


def test_no_key_header_without_a_key(stub: StubServer, waits: list[float]) -> None:
    with ApiClient(stub.base_url, None, sleep=waits.append) as client:
        client.get_voice("v1")
    assert "xi-api-key" not in {k.lower() for k in stub.seen[0].headers}


def test_voice_list_asks_for_professional_voices_with_a_count(
    stub: StubServer, waits: list[float]
) -> None:
    stub.reply(Reply(body=b'{"voices": [], "has_more": false, "total_count": 0}'))
    with _client(stub.base_url, waits) as client:
        page = client.list_voices(search="anna & co", page_size=50, next_page_token="t/2")
    assert page.voices == ()
    assert stub.seen[0].path == (
        "/v2/voices?category=professional&include_total_count=true&page_size=50"
        "&search=anna+%26+co&next_page_token=t%2F2"
    )


def test_ids_cannot_escape_their_path_segment(stub: StubServer, waits: list[float]) -> None:
    with _client(stub.base_url, waits) as client:
        client.get_voice("../v2/voices?x=1")
    assert stub.seen[0].path == "/v1/voices/..%2Fv2%2Fvoices%3Fx%3D1"


# ---------------------------------------------------------------- timeouts and broken connections


def test_post_read_timeout_is_not_retried(stub: StubServer, waits: list[float]) -> None:
    stub.reply(Reply(delay=2.0))
    with _client(stub.base_url, waits, timeouts=Timeouts(read=0.3)) as client:
        started = time.monotonic()
        with pytest.raises(TransportError) as info:
            client.edit_sample("v1", "s1", build_request(EDIT, CTX))
    assert time.monotonic() - started < 1.5
    assert str(info.value) == (
        f"Could not reach 127.0.0.1:{stub.port}: the server did not answer within 0.3 s. "
        "Check your network and try again."
    )
    assert info.value.attempts == 1
    assert waits == []
    assert len(stub.seen) == 1


def test_get_read_timeout_is_retried_up_to_the_bound(stub: StubServer, waits: list[float]) -> None:
    stub.reply(Reply(delay=2.0), Reply(delay=2.0), Reply(delay=2.0))
    notices: list[RetryNotice] = []
    with (
        _client(
            stub.base_url, waits, timeouts=Timeouts(read=0.2), on_retry=notices.append
        ) as client,
        pytest.raises(TransportError) as info,
    ):
        client.get_voice("v1")
    assert info.value.attempts == 3
    assert len(stub.seen) == 3
    assert len(waits) == 2
    assert [n.attempt for n in notices] == [2, 3]
    assert notices[0].reason == "The server did not answer within 0.2 s"


def test_body_cut_mid_way_on_get_is_retried(stub: StubServer, waits: list[float]) -> None:
    body = json.dumps(VOICE).encode()
    stub.reply(Reply(body=body, cut_after=10))
    with _client(stub.base_url, waits) as client:
        assert client.get_voice("v1").voice_id == "v1"
    assert len(stub.seen) == 2
    assert len(waits) == 1


def test_body_cut_mid_way_on_delete_is_not_retried(stub: StubServer, waits: list[float]) -> None:
    stub.reply(Reply(body=b'{"status": "ok"}', cut_after=5))
    with _client(stub.base_url, waits) as client, pytest.raises(TransportError) as info:
        client.delete_sample("v1", "s1")
    assert "broke before the whole answer arrived" in str(info.value)
    assert len(stub.seen) == 1
    assert waits == []


def test_refused_connection(waits: list[float]) -> None:
    port = _closed_port()
    with _client(f"http://127.0.0.1:{port}", waits) as client:
        with pytest.raises(TransportError, match="connection was refused") as info:
            client.get_voice("v1")
        assert info.value.attempts == 3
        assert len(waits) == 2
        with pytest.raises(TransportError):
            client.create_voice("Narrator", "en")
    assert len(waits) == 2  # the POST was tried once


def test_tls_failure_is_a_transport_error_and_verification_stays_on(
    stub: StubServer, waits: list[float]
) -> None:
    with requests.Session() as session:
        session.verify = False  # the client must not honour this
        client = _client(f"https://127.0.0.1:{stub.port}", waits, session=session)
        with pytest.raises(TransportError, match="secure"):
            client.get_voice("v1")
        client.close()
    assert waits == []  # TLS failures do not fix themselves


# ---------------------------------------------------------------- bodies


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    body=st.binary(max_size=600)
    | st.text(max_size=200).map(str.encode)
    | st.sampled_from([b"", b"null", b"[]", b"NaN", b'{"voice_id": 1}', b"\xff\xfe{", b"[" * 5000]),
    status=st.sampled_from([200, 400, 401, 404, 422, 429, 500, 503]),
)
def test_arbitrary_bytes_become_typed_errors(
    stub: StubServer, waits: list[float], body: bytes, status: int
) -> None:
    stub.reset()
    stub.reply(Reply(status=status, body=body))
    expected: dict[int, type[ApiError]] = {
        200: UnexpectedResponseError,
        400: ClientRequestError,
        401: AuthenticationError,
        404: NotFoundError,
        422: ValidationError,
        429: RateLimitedError,
        500: ServerError,
        503: ServerError,
    }
    with _client(stub.base_url, waits, retry=RetryPolicy(max_attempts=1)) as client:
        outcome: object
        try:
            outcome = client.get_voice("v1")
        except ApiError as err:
            outcome = err
    if isinstance(outcome, ApiError):
        assert type(outcome) is expected[status]
        assert str(outcome)
    else:
        assert status == 200


def test_a_sample_missing_its_file_facts_does_not_stop_the_voice_loading(
    stub: StubServer, waits: list[float]
) -> None:
    # The emulator only serves complete samples; CONTRACT.md says any field may be absent.
    whole = {"sample_id": "s1", "file_name": "a.wav", "mime_type": "audio/wav", "size_bytes": 9}
    odd = {"sample_id": "s2", "file_name": "b.wav", "mime_type": None, "trim_start": 500}
    voice = {**VOICE, "samples": [{**whole, "hash": "h"}, odd]}
    page = {"voices": [voice], "has_more": False, "total_count": 1}
    stub.reply(Reply(body=json.dumps(page).encode()), Reply(body=json.dumps(voice).encode()))
    with _client(stub.base_url, waits) as client:
        listed = client.list_voices()
        sample = client.get_sample("v1", "s2")
    assert listed.voices[0].samples[1] == sample
    assert (sample.file_name, sample.mime_type, sample.size_bytes, sample.hash) == (
        "b.wav",
        None,
        None,
        None,
    )
    assert sample.trim_start == 500


def test_html_instead_of_json_says_so(stub: StubServer, waits: list[float]) -> None:
    stub.reply(Reply(body=b"<html>Sign in</html>", headers={"Content-Type": "text/html"}))
    with _client(stub.base_url, waits) as client, pytest.raises(UnexpectedResponseError) as info:
        client.get_voice("v1")
    assert "web page" in str(info.value)
    assert info.value.detail == "<html>Sign in</html>"


def test_oversized_body_is_refused_while_streaming(stub: StubServer, waits: list[float]) -> None:
    big = b'{"voice_id": "' + b"x" * (8 * 1024 * 1024) + b'"}'
    stub.reply(Reply(body=big, content_length=False))
    with _client(stub.base_url, waits) as client, pytest.raises(UnexpectedResponseError) as info:
        client.get_voice("v1")
    assert "larger than 8 MB" in str(info.value)


def test_oversized_content_length_is_refused_before_reading(
    stub: StubServer, waits: list[float]
) -> None:
    stub.reply(
        Reply(body=b"{}", headers={"Content-Length": str(65 * 1024 * 1024)}, content_length=False)
    )
    with _client(stub.base_url, waits) as client, pytest.raises(UnexpectedResponseError) as info:
        client.get_sample_preview("v1", "s1")
    assert "larger than 64 MB" in str(info.value)


def test_redirects_are_not_followed(stub: StubServer, waits: list[float]) -> None:
    stub.reply(Reply(status=302, headers={"Location": "https://elsewhere.example/"}))
    with _client(stub.base_url, waits) as client, pytest.raises(UnexpectedResponseError) as info:
        client.get_voice("v1")
    assert "redirect" in str(info.value)
    assert len(stub.seen) == 1


# ---------------------------------------------------------------- retry timing


def test_retry_after_http_date_is_honoured(stub: StubServer, waits: list[float]) -> None:
    when = email.utils.formatdate(time.time() + 3, usegmt=True)
    stub.reply(Reply(status=429, headers={"Retry-After": when}))
    with _client(stub.base_url, waits) as client:
        client.get_voice("v1")
    assert len(waits) == 1
    assert 1.0 < waits[0] <= 3.0


def test_wait_beyond_the_budget_fails_at_once(stub: StubServer, waits: list[float]) -> None:
    stub.reply(Reply(status=429, headers={"Retry-After": "600"}))
    with _client(stub.base_url, waits) as client, pytest.raises(RateLimitedError) as info:
        client.get_voice("v1")
    assert info.value.retry_after == 600.0
    assert "Try again in 600 s" in str(info.value)
    assert waits == []
    assert len(stub.seen) == 1


def test_total_wait_is_bounded(stub: StubServer, waits: list[float]) -> None:
    stub.reply(*[Reply(status=503, headers={"Retry-After": "4"})] * 5)
    policy = RetryPolicy(max_attempts=10, max_total_wait=10.0)
    with _client(stub.base_url, waits, retry=policy) as client, pytest.raises(ServerError) as info:
        client.get_voice("v1")
    assert waits == [4.0, 4.0]  # a third 4 s wait would pass 10 s
    assert info.value.attempts == 3


def test_server_errors_on_creating_requests_are_not_retried(
    stub: StubServer, waits: list[float], tmp_path: Path
) -> None:
    audio = tmp_path / "take.wav"
    audio.write_bytes(b"RIFF0000WAVE")
    stub.reply(Reply(status=500), Reply(status=500))
    with _client(stub.base_url, waits) as client:
        with pytest.raises(ServerError):
            client.add_samples("v1", [audio])
        with pytest.raises(ServerError):
            client.create_voice("Narrator", "en")
    assert len(stub.seen) == 2
    assert waits == []


# ---------------------------------------------------------------- cancel


def test_cancel_before_sending(stub: StubServer, waits: list[float]) -> None:
    cancel = threading.Event()
    cancel.set()
    with _client(stub.base_url, waits) as client, pytest.raises(CancelledError):
        client.get_voice("v1", cancel=cancel)
    assert stub.seen == []


def test_cancel_interrupts_a_retry_wait(stub: StubServer) -> None:
    stub.reply(Reply(status=429, headers={"Retry-After": "20"}))
    cancel = threading.Event()
    timer = threading.Timer(0.2, cancel.set)
    with ApiClient(stub.base_url, KEY, retry=RetryPolicy(max_total_wait=30)) as client:
        started = time.monotonic()
        timer.start()
        try:
            with pytest.raises(CancelledError) as info:
                client.get_voice("v1", cancel=cancel)
        finally:
            timer.join()
    assert time.monotonic() - started < 2.0
    assert str(info.value) == "The request was cancelled."
    assert len(stub.seen) == 1


def test_cancel_is_checked_after_an_injected_sleep(stub: StubServer) -> None:
    stub.reply(Reply(status=503))
    cancel = threading.Event()
    with (
        ApiClient(stub.base_url, KEY, sleep=lambda _s: cancel.set()) as client,
        pytest.raises(CancelledError),
    ):
        client.get_voice("v1", cancel=cancel)
    assert len(stub.seen) == 1


# ---------------------------------------------------------------- the key never leaks


def test_key_never_appears_in_errors_or_logs(
    stub: StubServer, waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = json.dumps({"detail": {"status": "x", "message": f"bad key {KEY}"}}).encode()
    replies = [
        Reply(status=401, body=echo),
        Reply(status=403),
        Reply(status=404),
        Reply(status=422, body=json.dumps({"detail": [{"loc": ["body"], "msg": KEY}]}).encode()),
        Reply(status=429, body=echo),
        Reply(status=500, body=echo),
        Reply(status=400, body=echo),
        Reply(body=b"not json " + KEY.encode()),
        Reply(delay=2.0),
    ]
    errors: list[ApiError] = []
    with _client(
        stub.base_url, waits, retry=RetryPolicy(max_attempts=1), timeouts=Timeouts(read=0.2)
    ) as client:
        for reply in replies:
            stub.reply(reply)
            with pytest.raises(ApiError) as info:
                client.get_voice("v1")
            errors.append(info.value)
        for url in (f"http://127.0.0.1:{_closed_port()}", f"https://127.0.0.1:{stub.port}"):
            with _client(url, waits) as other, pytest.raises(TransportError) as info:
                other.get_voice("v1")
            errors.append(info.value)
        assert KEY not in repr(client)
    assert len({type(e) for e in errors}) == 8
    for err in errors:
        for text in (str(err), repr(err), *map(str, err.args), str(err.detail)):
            assert KEY not in text
        assert err.__cause__ is None
        assert err.__context__ is None
    assert caplog.text  # the client does log; just never the key
    assert KEY not in caplog.text


# ---------------------------------------------------------------- raw request bodies


def test_raw_edit_body_is_the_sdk_example_byte_for_byte(
    stub: StubServer, waits: list[float]
) -> None:
    stub.reply(Reply(body=b'{"voice_id": "v1"}'))
    edit = SampleEdit(1500, 42000, True, "interview-take-3.wav", ("speaker_0", "speaker_2"))
    ctx = EditContext(60_000, True, ("speaker_0", "speaker_1", "speaker_2"))
    with _client(stub.base_url, waits) as client:
        assert client.edit_sample("v1", "s1", build_request(edit, ctx)) == "v1"
    seen = stub.seen[0]
    assert (seen.method, seen.path) == ("POST", "/v1/voices/pvc/v1/samples/s1")
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.body == (
        b'{"remove_background_noise":true,"selected_speaker_ids":["speaker_0","speaker_2"],'
        b'"trim_start_time":1500,"trim_end_time":42000,"file_name":"interview-take-3.wav"}'
    )


def test_upload_sends_one_files_part_per_file(
    stub: StubServer, waits: list[float], tmp_path: Path
) -> None:
    first, second = tmp_path / "a.wav", tmp_path / "b.flac"
    first.write_bytes(b"RIFF-first")
    second.write_bytes(b"fLaC-second")
    stub.reply(Reply(body=b"[]"))
    with _client(stub.base_url, waits) as client:
        assert client.add_samples("v1", [first, second], remove_background_noise=True) == ()
    body = stub.seen[0].body
    assert body.count(b'name="files"') == 2
    assert b'filename="a.wav"' in body
    assert b"Content-Type: audio/flac" in body or b"Content-Type: audio/x-flac" in body
    assert b"RIFF-first" in body
    assert b"fLaC-second" in body
    assert b'name="remove_background_noise"\r\n\r\ntrue' in body
