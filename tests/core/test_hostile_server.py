"""The real client against a server that misbehaves: every case ends, in time, in words.

Each behaviour of ``tests/hostile_server.py`` is met with a bounded time and an asserted
outcome: a typed error with a sentence, never a hang, a crash or a filled memory.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from hostile_server import (
    Behaviour,
    answer,
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
from pvc_sample_editor.api.errors import (
    ApiError,
    CancelledError,
    RateLimitedError,
    TransportError,
    UnexpectedResponseError,
    ValidationError,
)

FAST = Timeouts(connect=1.0, read=2.0, total=1.5)
ONCE = RetryPolicy(max_attempts=1)


def _client(base_url: str, timeouts: Timeouts = FAST) -> ApiClient:
    return ApiClient(base_url, "hostile-test-key", timeouts=timeouts, retry=ONCE)


def _outcome(
    behaviour: Behaviour,
    call: Callable[[ApiClient], Any],
    *,
    cancel_after: float | None = None,
    timeouts: Timeouts = FAST,
) -> tuple[BaseException | None, float]:
    """Run ``call`` against a server doing ``behaviour``: what it raised, and how long it took."""
    cancel = threading.Event()
    timer = threading.Timer(cancel_after, cancel.set) if cancel_after is not None else None
    with hostile_server(behaviour) as server, _client(server.base_url, timeouts) as client:
        started = time.monotonic()
        if timer is not None:
            timer.start()
        try:
            call_with_cancel = call(client)
            call_with_cancel(cancel)
        except ApiError as exc:
            return exc, time.monotonic() - started
        finally:
            if timer is not None:
                timer.cancel()
                timer.join()
    return None, time.monotonic() - started


def get_voice(client: ApiClient) -> Callable[[threading.Event], Any]:
    return lambda cancel: client.get_voice("v1", cancel=cancel)


@pytest.mark.parametrize("behaviour", [trickle_headers(0.2), trickle_body(0.2), stall()])
def test_a_slow_server_is_cut_off_at_the_overall_deadline(behaviour: Behaviour) -> None:
    """A byte every 0.2 s never trips the 2 s read timeout; the 1.5 s deadline holds."""
    error, took = _outcome(behaviour, get_voice)
    assert isinstance(error, TransportError)
    assert "took longer than 1.5 s" in str(error)
    assert took < 3.0


@pytest.mark.parametrize("behaviour", [trickle_headers(0.2), trickle_body(0.2), stall()])
def test_cancel_takes_effect_within_a_second_whatever_the_server_does(
    behaviour: Behaviour,
) -> None:
    slow = Timeouts(connect=1.0, read=30.0, total=60.0)
    error, took = _outcome(behaviour, get_voice, cancel_after=0.3, timeouts=slow)
    assert isinstance(error, CancelledError)
    assert took < 1.3


def test_a_reset_mid_body_is_a_broken_connection() -> None:
    error, took = _outcome(reset_mid_body(), get_voice)
    assert isinstance(error, TransportError)
    assert "connection" in str(error)
    assert took < 3.0


@pytest.mark.parametrize("behaviour", [huge_body(True), huge_body(False), gzip_bomb()])
def test_a_huge_body_is_refused_without_filling_memory(behaviour: Behaviour) -> None:
    roomy = Timeouts(connect=1.0, read=5.0, total=20.0)
    error, took = _outcome(behaviour, get_voice, timeouts=roomy)
    assert isinstance(error, UnexpectedResponseError)
    assert "larger than 8 MB" in str(error)
    assert took < 10.0


def test_a_redirect_to_another_host_is_not_followed() -> None:
    error, _ = _outcome(redirect_elsewhere(), get_voice)
    assert isinstance(error, UnexpectedResponseError)
    assert "does not follow redirects" in str(error)


def test_a_web_page_instead_of_json_is_named() -> None:
    error, _ = _outcome(html_page(), get_voice)
    assert isinstance(error, UnexpectedResponseError)
    assert "web page" in str(error)


@pytest.mark.parametrize(
    "value",
    [
        [],
        "a string",
        {"voice_id": 7, "name": ["x"]},
        {"voice_id": "v1", "name": "n", "samples": "not a list"},
        {"voice_id": "v1", "name": "n", "samples": [{"sample_id": None}]},
    ],
)
def test_json_of_the_wrong_types_is_an_unexpected_response(value: object) -> None:
    error, _ = _outcome(json_answer(value), get_voice)
    assert isinstance(error, UnexpectedResponseError), error


@pytest.mark.parametrize(
    "detail",
    [
        [{"loc": "not a list", "msg": 5}],
        [{"loc": [["nested"], {"x": 1}], "msg": "bad", "type": 3}],
        {"message": {"nested": "object"}},
        [None, 1, "text"],
        "",
    ],
)
def test_odd_422_shapes_still_read_as_a_refusal(detail: object) -> None:
    behaviour = json_answer({"detail": detail}, status="422 Unprocessable Entity")
    error, _ = _outcome(behaviour, get_voice)
    assert isinstance(error, ValidationError)
    assert str(error).startswith("The server refused")


def test_an_absurd_retry_after_is_said_as_much_later() -> None:
    """Retry-After: 10^9 once read "try again in 1000000000 s"."""
    busy = answer(
        b'{"detail": "slow down"}',
        status="429 Too Many Requests",
        extra={"Retry-After": str(10**9)},
    )
    error, took = _outcome(busy, get_voice)
    assert isinstance(error, RateLimitedError)
    assert "Try again in more than 2 days." in str(error)
    assert took < 2.0  # not waited for: over the retry budget


def test_a_trace_id_echoing_the_key_is_redacted() -> None:
    echo = answer(
        b'{"detail": "no"}',
        status="400 Bad Request",
        extra={"X-Trace-Id": "trace-hostile-test-key-42"},
    )
    error, _ = _outcome(echo, get_voice)
    assert isinstance(error, ApiError)
    assert error.trace_id == "trace-[API key]-42"
    assert "hostile-test-key" not in repr(error.__dict__)
