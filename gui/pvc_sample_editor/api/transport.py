"""One logical HTTP request to the API, made safely: retries, bounded reads, no leaked key.

The transport knows nothing of endpoints: :mod:`pvc_sample_editor.api.client` describes
each call as a :class:`Call` and gets back decoded JSON or a typed error.

Decisions (the spec is silent on these; each is tested):
- Retries follow :mod:`pvc_sample_editor.api.retry`. A server-requested wait is honoured
  as given (not capped at ``max_delay``); only the total-wait budget limits it, so a
  "retry in 10 minutes" answer fails fast with :class:`RateLimitedError`.
- 5xx is not retried for the two requests that create things (``add_samples``,
  ``create_voice``): the server may have acted before failing, and a retry would add the
  samples twice. 408/409/429 mean "not processed" and are retried for every method.
- Connection failures (refused, reset, timed out) are retried for GETs only: a POST or
  DELETE may have reached the server even when its answer did not reach us.
- TLS failures are not retried (they do not fix themselves) and verification is never
  turned off, even when the caller's session says so.
- The API key is sent per request (not stored on the session), is never logged, and is
  scrubbed from every error message; errors are raised without the ``requests``
  exception chained, because that exception holds the prepared request and its headers.
- Bodies are streamed and capped: a server cannot fill memory.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, NoReturn, Protocol
from urllib.parse import urlsplit

import requests
import urllib3

from pvc_sample_editor import __version__
from pvc_sample_editor.api.deadline import TrackingAdapter, watched
from pvc_sample_editor.api.errors import (
    ApiError,
    CancelledError,
    TransportError,
    UnexpectedResponseError,
    body_preview,
    error_for_response,
)
from pvc_sample_editor.api.regions import normalise_base_url
from pvc_sample_editor.api.retry import (
    RETRY_STATUSES,
    RetryNotice,
    RetryPolicy,
    backoff_delay,
    format_secs,
    server_requested_wait,
)

__all__ = [
    "AUDIO_BODY_LIMIT",
    "JSON_BODY_LIMIT",
    "USER_AGENT",
    "Call",
    "StreamBody",
    "Timeouts",
    "Transport",
]

log = logging.getLogger(__name__)

USER_AGENT = f"pvc-sample-editor/{__version__}"

#: Largest response body read for audio endpoints (base64 JSON of a 30 s preview or a
#: speaker's audio is a few MB; 64 MB leaves room without letting a bad server fill memory).
AUDIO_BODY_LIMIT = 64 * 1024 * 1024
#: Largest response body read for every other endpoint.
JSON_BODY_LIMIT = 8 * 1024 * 1024
#: Of an error response only the start is read: it is for the message, not for use.
_ERROR_BODY_LIMIT = 64 * 1024
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Timeouts:
    """How long one exchange may take.

    ``connect`` bounds opening the connection and ``read`` each read from the socket;
    ``total`` bounds a whole JSON exchange (connect, headers and body together: a server
    trickling one byte at a time never trips ``read``). A call that moves audio gets
    ``total`` plus its size at ``min_rate`` bytes per second on top.
    """

    connect: float = 5.0
    read: float = 30.0
    total: float = 60.0
    min_rate: float = 64 * 1024
    #: How fast a server is assumed to take in an upload it has received (decode, hash,
    #: store) before it answers: the wait for that answer grows with the upload's size.
    upload_processing_rate: float = 1024 * 1024

    def __post_init__(self) -> None:
        if not (self.connect > 0 and self.read > 0 and self.total > 0 and self.min_rate > 0):
            raise ValueError("timeouts must be positive numbers of seconds")
        if not self.upload_processing_rate > 0:
            raise ValueError("the upload processing rate must be a positive number")

    def deadline_for(self, size_hint: int) -> float:
        """Seconds one exchange moving about ``size_hint`` bytes may take in all."""
        return self.total + max(size_hint, 0) / self.min_rate

    def read_for_upload(self, size: int) -> float:
        """Seconds to wait for each read of the answer to an upload of ``size`` bytes.

        The JSON read timeout, plus the time a server may spend on the upload after the
        last byte arrived and before its answer's first.
        """
        return self.read + max(size, 0) / self.upload_processing_rate


@dataclass(frozen=True)
class Call:
    """One logical request and how to describe it to a user."""

    method: str
    path: str
    what: str  # noun phrase for messages: "the edit", "the voice list"
    target: str  # what a 404 means is missing: "The voice", "The sample"
    params: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    files: Sequence[tuple[str, tuple[str, bytes, str]]] = ()
    form: Mapping[str, str] = field(default_factory=dict)
    limit: int = JSON_BODY_LIMIT
    creates: bool = False  # a 5xx may have been acted on: do not retry it
    size_hint: int = 0  # bytes it moves beyond a JSON exchange (uploads, audio): more time
    #: A streamed body instead of ``body``/``files``: called once per attempt for a fresh
    #: file-like object with ``read``, ``__len__``, ``close`` and ``content_type``.
    stream: Callable[[], StreamBody] | None = None
    #: Seconds to wait for each read of the answer, when the JSON default is too short
    #: (a server decoding a large upload before it answers).
    read_timeout: float | None = None


class StreamBody(Protocol):
    """What :attr:`Call.stream` makes: a body ``requests`` sends with a Content-Length."""

    content_type: str

    def read(self, size: int = -1) -> bytes: ...
    def __len__(self) -> int: ...
    def close(self) -> None: ...


class Transport:
    """Sends :class:`Call` s for one server and key; safe to share between worker threads.

    ``session`` is injectable (tests, proxies); a session passed in stays the caller's to
    close, one created here is closed by :meth:`close`. Waits between attempts end at once
    on cancel; a ``sleep`` passed in (a test's recorder) is used instead, as given.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        session: requests.Session | None = None,
        timeouts: Timeouts = Timeouts(),  # frozen, so a shared default is safe
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
    ) -> None:
        self.base_url = normalise_base_url(base_url)
        key = (api_key or "").strip()
        if key and not all(" " < ch < "\x7f" for ch in key):
            # requests would refuse the header with a message quoting the key.
            raise ValueError(
                "The API key contains spaces or characters that cannot be sent; "
                "paste it again without extra characters."
            )
        self.api_key = key or None
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        # Every connection to this server is one a deadline or a cancel can end (an
        # injected session gets the adapter too, for this server's address only).
        adapter = TrackingAdapter()
        for prefix in (self.base_url + "/", "http://", "https://")[: 1 if session else 3]:
            self._session.mount(prefix, adapter)
        self.timeouts = timeouts
        self._retry = retry
        self._sleep = sleep
        self._on_retry = on_retry
        self._host = urlsplit(self.base_url).netloc

    def close(self) -> None:
        """Close the connection pool (only if this transport created the session)."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def send(self, call: Call, cancel: threading.Event | None = None) -> object:
        """Send ``call`` with retries; the decoded JSON of the first 2xx answer."""
        try:
            return self._send_with_retries(call, cancel)
        except ApiError as err:
            raise self._scrub(err) from None

    def _send_with_retries(self, call: Call, cancel: threading.Event | None) -> object:
        policy = self._retry
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            self._check_cancel(cancel, attempt - 1)
            outcome = self._attempt(call, cancel, attempt)
            if not isinstance(outcome, _Failure):
                return outcome
            if not outcome.retryable or attempt >= policy.max_attempts:
                raise outcome.error
            wait = outcome.wait
            if wait is None:
                wait = backoff_delay(attempt, policy, random.random())
            if waited + wait > policy.max_total_wait:
                log.info(
                    "%s %s: not retrying, a %.1f s wait exceeds the budget",
                    call.method,
                    call.path,
                    wait,
                )
                raise outcome.error
            notice = RetryNotice(attempt + 1, policy.max_attempts, wait, outcome.reason)
            log.info("%s %s: %s", call.method, call.path, notice.message)
            if self._on_retry is not None:
                self._on_retry(notice)
            self._wait(wait, cancel, attempt)
            waited += wait

    def _attempt(
        self, call: Call, cancel: threading.Event | None, attempt: int
    ) -> object | _Failure:
        """One HTTP exchange: the decoded JSON, or a description of the failure."""
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        stream = call.stream() if call.stream is not None else None
        if stream is not None:
            headers["Content-Type"] = stream.content_type
        if self.api_key:
            headers["xi-api-key"] = self.api_key
        started = time.monotonic()
        deadline = self.timeouts.deadline_for(call.size_hint)
        try:
            with watched(deadline, cancel) as dog:
                outcome = self._exchange(call, cancel, attempt, headers, stream)
        finally:
            if stream is not None:
                stream.close()
        if dog.reason == "cancel":
            self._cancelled(attempt)
        if dog.reason == "deadline":
            # Also when the body "ended": a cut connection can look like a short body.
            reason = f"the server took longer than {format_secs(deadline)} to answer"
            log.info("%s %s: %s (attempt %d)", call.method, call.path, reason, attempt)
            return _Failure(
                error=TransportError(
                    f"Could not reach {self._host}: {reason}. Check your network and try "
                    "again later.",
                    attempts=attempt,
                ),
                retryable=False,  # a server that slow stays slow; another try doubles the wait
                reason=reason[0].upper() + reason[1:],
            )
        if isinstance(outcome, _Failure):
            return outcome
        status, body, resp_headers = outcome
        log.info(
            "%s %s -> %d (%d bytes, %.0f ms, attempt %d)",
            call.method,
            call.path,
            status,
            len(body),
            (time.monotonic() - started) * 1000,
            attempt,
        )
        if 200 <= status < 300:
            return self._decode(body, status, resp_headers, call, attempt)
        error = error_for_response(
            status, resp_headers, body, what=call.what, target=call.target, attempts=attempt
        )
        retryable = status in RETRY_STATUSES or (status >= 500 and not call.creates)
        return _Failure(
            error=error,
            retryable=retryable,
            reason=_status_reason(status),
            wait=server_requested_wait(resp_headers),
        )

    def _exchange(
        self,
        call: Call,
        cancel: threading.Event | None,
        attempt: int,
        headers: dict[str, str],
        stream: StreamBody | None = None,
    ) -> tuple[int, bytes, Mapping[str, str]] | _Failure:
        """Send the request and read the answer: status, body and headers, or a failure."""
        data: Any = call.body if call.body is not None else (dict(call.form) or None)
        try:
            with self._session.request(
                call.method,
                self.base_url + call.path,
                params=dict(call.params) or None,
                data=stream if stream is not None else data,
                files=list(call.files) or None,
                headers=headers,
                timeout=(self.timeouts.connect, call.read_timeout or self.timeouts.read),
                verify=True,  # overrides a session that says otherwise
                allow_redirects=False,  # a redirect could carry the key to another host
                stream=True,
            ) as response:
                status = response.status_code
                ok = 200 <= status < 300
                body = self._read(response, call, cancel, attempt, strict=ok)
                resp_headers = response.headers
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            # Only text leaves this block: the exception holds the request and its key.
            reason, advice = _transport_reason(exc, self.timeouts)
            retryable = call.method == "GET" and not _is_tls(exc)
            log.info(
                "%s %s failed on attempt %d: %s (%s)",
                call.method,
                call.path,
                attempt,
                reason,
                type(exc).__name__,
            )
            return _Failure(
                error=TransportError(
                    f"Could not reach {self._host}: {reason}. {advice}",
                    detail=self._redact(f"{type(exc).__name__}: {exc}"),
                    attempts=attempt,
                ),
                retryable=retryable,
                reason=reason[0].upper() + reason[1:],
            )
        return status, body, resp_headers

    def _read(
        self,
        response: requests.Response,
        call: Call,
        cancel: threading.Event | None,
        attempt: int,
        *,
        strict: bool,
    ) -> bytes:
        """The body, streamed and counted; refuses (strict) or cuts (error bodies) at the cap."""
        limit = call.limit if strict else _ERROR_BODY_LIMIT
        declared = response.headers.get("content-length", "")
        if strict and declared.isdigit() and int(declared) > limit:
            raise _too_big(response, call, limit, attempt)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(_CHUNK):
            if cancel is not None and cancel.is_set():
                self._cancelled(attempt)
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                if strict:
                    raise _too_big(response, call, limit, attempt)
                break
        return b"".join(chunks)[:limit]

    def _decode(
        self, body: bytes, status: int, headers: Mapping[str, str], call: Call, attempt: int
    ) -> object:
        """The JSON value of a 2xx body, or UnexpectedResponseError."""
        try:
            return json.loads(body, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            pass
        kind = headers.get("content-type", "").lower()
        if kind.startswith("text/html"):
            message = (
                f"The server sent a web page instead of {call.what}. A proxy or login page "
                "may be in the way; check the server address."
            )
        else:
            message = f"The server sent {call.what} in a form the editor cannot read (not JSON)."
        raise UnexpectedResponseError(
            message,
            status=status,
            detail=body_preview(body),
            trace_id=headers.get("x-trace-id"),
            attempts=attempt,
        )

    def _scrub(self, error: ApiError) -> ApiError:
        """Remove the key from a message the server or a library may have echoed."""
        if self.api_key and self.api_key in error.message:
            error.message = self._redact(error.message)
            error.args = (error.message,)
        error.detail = _redact_value(error.detail, self.api_key)
        if error.trace_id is not None:  # a header the server fills: it can echo anything
            error.trace_id = self._redact(error.trace_id)
        return error

    def _redact(self, text: str) -> str:
        return text.replace(self.api_key, "[API key]") if self.api_key else text

    def _check_cancel(self, cancel: threading.Event | None, attempts: int) -> None:
        if cancel is not None and cancel.is_set():
            self._cancelled(attempts)

    def _cancelled(self, attempts: int) -> NoReturn:
        raise CancelledError("The request was cancelled.", attempts=attempts)

    def _wait(self, secs: float, cancel: threading.Event | None, attempts: int) -> None:
        """Wait between attempts; a cancel ends the wait at once (unless a sleep is injected)."""
        if self._sleep is not None:
            self._sleep(secs)
        elif cancel is not None:
            if cancel.wait(secs):
                self._cancelled(attempts)
        else:
            time.sleep(secs)


def _transport_reason(exc: Exception, timeouts: Timeouts) -> tuple[str, str]:
    """Why no usable response arrived (half a sentence), and what the user can do."""
    text = str(exc).lower()
    network = "Check your network and try again."
    if _is_tls(exc):
        return (
            "the secure (TLS) connection failed",
            "Check the server address, this computer's clock and any proxy.",
        )
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"the connection timed out after {format_secs(timeouts.connect)}", network
    if isinstance(exc, requests.exceptions.ReadTimeout) or "read timed out" in text:
        # iter_content reports a read timeout mid-body as a ConnectionError, hence the text.
        return f"the server did not answer within {format_secs(timeouts.read)}", network
    if isinstance(exc, requests.exceptions.ProxyError):
        return "the proxy refused the connection", "Check your proxy settings."
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection broke before the whole answer arrived", network
    if any(
        s in text for s in ("name or service not known", "nodename nor servname", "getaddrinfo")
    ):
        return "the server name could not be found", "Check the server address and your network."
    if "refused" in text:
        return "the connection was refused", "Check the server address and try again."
    return "the connection was dropped", network


def _is_tls(exc: Exception) -> bool:
    return isinstance(exc, (requests.exceptions.SSLError, urllib3.exceptions.SSLError))


def _too_big(response: requests.Response, call: Call, limit: int, attempt: int) -> ApiError:
    return UnexpectedResponseError(
        f"The server's answer for {call.what} is larger than {limit // (1024 * 1024)} MB; "
        "the editor refused to read it.",
        status=response.status_code,
        trace_id=response.headers.get("x-trace-id"),
        attempts=attempt,
    )


@dataclass
class _Failure:
    """A failed attempt: the error to raise if we stop, and whether/when to try again."""

    error: ApiError
    retryable: bool
    reason: str
    wait: float | None = None


def _status_reason(status: int) -> str:
    if status == 429:
        return "Rate limited"
    if status == 408:
        return "The server timed out (408)"
    if status == 409:
        return "The server reported a conflict (409)"
    return f"Server error {status}"


def _refuse_constant(name: str) -> NoReturn:
    # NaN/Infinity are not JSON; Python's parser accepts them unless told otherwise.
    raise ValueError(f"not JSON: {name}")


def _redact_value(value: object, key: str | None) -> object:
    if not key:
        return value
    if isinstance(value, str):
        return value.replace(key, "[API key]")
    if isinstance(value, list):
        return [_redact_value(v, key) for v in value]
    if isinstance(value, dict):
        return {k: _redact_value(v, key) for k, v in value.items()}
    return value
