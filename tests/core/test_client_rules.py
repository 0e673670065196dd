"""Pure rules of the API client: retry timing, server addresses, error wording."""

from __future__ import annotations

import email.utils
import json
import re

import pytest
from requests.structures import CaseInsensitiveDict

from pvc_sample_editor.api.client import ApiClient, RetryNotice, RetryPolicy, Timeouts
from pvc_sample_editor.api.errors import (
    AuthenticationError,
    ClientRequestError,
    FieldError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
    ValidationError,
    error_for_response,
)
from pvc_sample_editor.api.regions import DEFAULT_BASE_URL, REGIONS, normalise_base_url
from pvc_sample_editor.api.retry import backoff_delay, parse_retry_after, server_requested_wait
from pvc_sample_editor.api.transport import USER_AGENT

NOW = 1_700_000_000.0


def _headers(**items: str) -> CaseInsensitiveDict[str]:
    return CaseInsensitiveDict({k.replace("_", "-"): v for k, v in items.items()})


# ---------------------------------------------------------------- Retry-After


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", 2.0),
        (" 10 ", 10.0),
        ("0", 0.0),
        ("0.5", 0.5),
        ("", None),
        ("soon", None),
        ("-1", None),
        ("1e3", None),
        ("٣", None),
    ],
)
def test_retry_after_seconds(value: str, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_retry_after_http_date_is_the_time_until_that_date() -> None:
    value = email.utils.formatdate(NOW + 7, usegmt=True)
    assert parse_retry_after(value, now=NOW) == pytest.approx(7.0)


def test_retry_after_date_in_the_past_means_now() -> None:
    value = email.utils.formatdate(NOW - 60, usegmt=True)
    assert parse_retry_after(value, now=NOW) == 0.0


def test_retry_after_wins_over_rate_limit_reset() -> None:
    headers = _headers(retry_after="3", x_ratelimit_reset=str(NOW + 30))
    assert server_requested_wait(headers, now=NOW) == 3.0


def test_rate_limit_reset_is_a_unix_time() -> None:
    assert server_requested_wait(_headers(x_ratelimit_reset=str(NOW + 12)), now=NOW) == 12.0
    assert server_requested_wait(_headers(x_ratelimit_reset="nan"), now=NOW) is None
    assert server_requested_wait(_headers(), now=NOW) is None


# ---------------------------------------------------------------- backoff


def test_backoff_doubles_from_one_second() -> None:
    policy = RetryPolicy()
    assert [backoff_delay(n, policy, 0.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]


def test_backoff_jitter_only_shortens_by_up_to_a_quarter() -> None:
    policy = RetryPolicy()
    assert backoff_delay(2, policy, 0.999) == pytest.approx(1.5, abs=0.01)
    assert 1.5 <= backoff_delay(2, policy, 0.5) <= 2.0


def test_backoff_is_capped_and_never_overflows() -> None:
    policy = RetryPolicy(max_delay=60.0)
    assert backoff_delay(10, policy, 0.0) == 60.0
    assert backoff_delay(10_000, policy, 0.0) == 60.0


def test_retry_notice_reads_as_a_status_line() -> None:
    notice = RetryNotice(attempt=2, max_attempts=3, wait_secs=2.0, reason="Rate limited")
    assert str(notice) == "Rate limited, retrying in 2 s (attempt 2 of 3)"
    assert RetryNotice(3, 3, 0.75, "Server error 503").message.endswith("in 0.8 s (attempt 3 of 3)")


def test_policies_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(max_total_wait=-1)
    with pytest.raises(ValueError, match="positive"):
        Timeouts(read=0)


# ---------------------------------------------------------------- regions and addresses


def test_regions_are_the_five_production_hosts_default_first() -> None:
    assert list(REGIONS.items()) == [
        ("Global (default)", "https://api.elevenlabs.io"),
        ("United States", "https://api.us.elevenlabs.io"),
        ("EU residency", "https://api.eu.residency.elevenlabs.io"),
        ("India residency", "https://api.in.residency.elevenlabs.io"),
        ("Singapore residency", "https://api.sg.residency.elevenlabs.io"),
    ]
    assert DEFAULT_BASE_URL == "https://api.elevenlabs.io"
    assert all(normalise_base_url(url) == url for url in REGIONS.values())


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://api.elevenlabs.io/", "https://api.elevenlabs.io"),
        ("  HTTPS://api.elevenlabs.io//  ", "https://api.elevenlabs.io"),
        ("https://proxy.example.com/eleven/", "https://proxy.example.com/eleven"),
        ("http://127.0.0.1:8123/", "http://127.0.0.1:8123"),
        ("http://127.4.5.6:1", "http://127.4.5.6:1"),
        ("http://localhost:9000", "http://localhost:9000"),
        ("http://[::1]:9000/", "http://[::1]:9000"),
    ],
)
def test_base_url_is_normalised(given: str, expected: str) -> None:
    assert normalise_base_url(given) == expected


@pytest.mark.parametrize(
    ("given", "complaint"),
    [
        ("", "empty"),
        ("api.elevenlabs.io", "https://"),
        ("ftp://api.elevenlabs.io", "https://"),
        ("https://", "no host"),
        ("https://host:notaport", "not a valid URL"),
        ("https://user:pw@api.elevenlabs.io", "user name or password"),
        ("https://api.elevenlabs.io/?x=1", "'?' or '#'"),
        ("http://api.elevenlabs.io", "unencrypted"),
        ("http://192.168.1.10:8000", "unencrypted"),
        ("http://localhost.evil.com", "unencrypted"),
    ],
)
def test_bad_base_urls_are_refused_with_a_reason(given: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=re.escape(complaint)):
        normalise_base_url(given)


def test_plain_http_refusal_says_what_to_do() -> None:
    with pytest.raises(ValueError, match=r"Use https://") as info:
        normalise_base_url("http://api.elevenlabs.io")
    assert "localhost" in str(info.value)


def test_client_checks_its_address() -> None:
    with pytest.raises(ValueError, match="unencrypted"):
        ApiClient("http://api.elevenlabs.io", "k")


# ---------------------------------------------------------------- the client object


def test_repr_shows_address_and_whether_a_key_is_set() -> None:
    with ApiClient("https://api.elevenlabs.io/", "sk_secret_123") as client:
        assert repr(client) == "ApiClient(base_url='https://api.elevenlabs.io', key=set)"
        assert client.base_url == "https://api.elevenlabs.io"
    with ApiClient(DEFAULT_BASE_URL, None) as client:
        assert "key=missing" in repr(client)
    with ApiClient(DEFAULT_BASE_URL, "   ") as client:
        assert "key=missing" in repr(client)


def test_unsendable_key_is_refused_without_quoting_it() -> None:
    with pytest.raises(ValueError, match="paste it again") as info:
        ApiClient(DEFAULT_BASE_URL, "sk_half\nsk_other")
    assert "sk_half" not in str(info.value)


def test_user_agent_names_the_app_and_version() -> None:
    from pvc_sample_editor import __version__

    assert f"pvc-sample-editor/{__version__}" == USER_AGENT


# ---------------------------------------------------------------- error wording


def _body(obj: object) -> bytes:
    return json.dumps(obj).encode()


def test_422_lists_field_errors_and_accepts_extra_keys() -> None:
    body = _body(
        {
            "detail": [
                {
                    "loc": ["body", "trim_end_time"],
                    "msg": "Input should be a valid integer",
                    "type": "int_parsing",
                    "input": "abc",
                    "ctx": {"x": 1},
                },
                {"loc": ["body", "selected_speaker_ids", 0], "msg": "unknown", "type": "x"},
                {"loc": "garbage", "msg": 5},
                "not an object",
            ]
        }
    )
    err = error_for_response(422, _headers(x_trace_id="tr-1"), body, what="the edit")
    assert isinstance(err, ValidationError)
    assert str(err).startswith(
        "The server refused the edit: trim_end_time: Input should be a valid integer; "
        "selected_speaker_ids: unknown"
    )
    assert err.field_errors[0] == FieldError(
        ("body", "trim_end_time"), "Input should be a valid integer", "int_parsing"
    )
    assert err.field_errors[0].field == "trim_end_time"
    assert err.field_errors[2] == FieldError((), "invalid value", "")
    assert err.trace_id == "tr-1"
    assert err.status == 422
    assert isinstance(err.detail, list)


def test_401_says_the_key_was_rejected() -> None:
    body = _body({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}})
    err = error_for_response(401, _headers(), body)
    assert isinstance(err, AuthenticationError)
    assert str(err).startswith("Your API key was rejected (401). Check the key and its region.")
    assert err.detail == {"status": "invalid_api_key", "message": "Invalid API key"}


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (403, AuthenticationError, "not allowed"),
        (404, NotFoundError, "The sample was not found (404)"),
        (429, RateLimitedError, "too many requests at once"),
        (500, ServerError, "failed while handling the edit (500)"),
        (503, ServerError, "Try again in a few minutes"),
        (400, ClientRequestError, "refused the edit (400)"),
        (409, ClientRequestError, "(409)"),
        (302, UnexpectedResponseError, "redirect"),
    ],
)
def test_status_maps_to_a_typed_error(status: int, kind: type, words: str) -> None:
    err = error_for_response(status, _headers(), b"", what="the edit", target="The sample")
    assert type(err) is kind
    assert words in str(err)
    assert err.status == status


def test_429_carries_retry_after_and_says_when() -> None:
    err = error_for_response(429, _headers(retry_after="12"), b"{}", attempts=3)
    assert isinstance(err, RateLimitedError)
    assert err.retry_after == 12.0
    assert "after 3 attempts" in str(err)
    assert "Try again in 12 s" in str(err)
    assert err.attempts == 3


def test_non_json_error_body_is_kept_as_text() -> None:
    err = error_for_response(502, _headers(), b"<html>Bad gateway</html>")
    assert isinstance(err, ServerError)
    assert err.detail == "<html>Bad gateway</html>"


def test_server_message_is_quoted_in_the_sentence() -> None:
    body = _body({"detail": {"status": "voice_limit", "message": "Voice limit reached"}})
    err = error_for_response(400, _headers(), body, what="the new voice")
    assert (
        str(err) == "The server refused the new voice (400). The server said: Voice limit reached."
    )
