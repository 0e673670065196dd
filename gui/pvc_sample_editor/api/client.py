"""The typed HTTP client for the ElevenLabs PVC sample API (Qt-free, blocking, ``requests``).

Every method sends one logical request and returns a frozen dataclass from
:mod:`pvc_sample_editor.api.models`, or raises one of the typed errors in
:mod:`pvc_sample_editor.api.errors`. The UI runs these calls on worker threads.

Decisions (the spec is silent on these; each is tested):
- Retries follow the official SDK: 408, 409, 429 and 5xx, honouring ``Retry-After``
  (seconds or HTTP date), else ``X-RateLimit-Reset`` (a Unix time, as the SDK reads it),
  else ~1 s, 2 s, 4 s ... with jitter. Unlike the SDK, both the number of attempts *and*
  the total time spent waiting are bounded, so a "retry in 10 minutes" answer fails fast
  with :class:`RateLimitedError` (carrying ``retry_after``) instead of freezing a worker.
- A server-requested wait is honoured as given (not capped at ``max_delay``); only the
  total-wait budget limits it.
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
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import mimetypes
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn
from urllib.parse import quote, urlsplit

import requests
import urllib3

from pvc_sample_editor import __version__
from pvc_sample_editor.api.errors import (
    ApiError,
    AuthenticationError,
    CancelledError,
    ClientRequestError,
    FieldError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    ValidationError,
)
from pvc_sample_editor.api.models import (
    AudioClip,
    Sample,
    SampleEditRequest,
    SpeakerSeparation,
    Voice,
    VoicePage,
    Waveform,
    encode_body,
    samples_from_json,
    status_from_json,
    voice_id_from_json,
)
from pvc_sample_editor.api.regions import normalise_base_url

__all__ = [
    "AUDIO_BODY_LIMIT",
    "JSON_BODY_LIMIT",
    "USER_AGENT",
    "ApiClient",
    "RetryNotice",
    "RetryPolicy",
    "Timeouts",
    "backoff_delay",
    "error_for_response",
    "parse_retry_after",
    "server_requested_wait",
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

_RETRY_STATUSES = frozenset({408, 409, 429})
_SECONDS = re.compile(r"[0-9]+(\.[0-9]+)?")


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for the connection to open, and for each read from the socket."""

    connect: float = 5.0
    read: float = 30.0

    def __post_init__(self) -> None:
        if not (self.connect > 0 and self.read > 0):
            raise ValueError("timeouts must be positive numbers of seconds")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts per call, total seconds of waiting, backoff base and cap."""

    max_attempts: int = 3
    max_total_wait: float = 60.0
    base_delay: float = 1.0
    max_delay: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.max_total_wait, self.base_delay, self.max_delay) < 0:
            raise ValueError("retry waits cannot be negative")


@dataclass(frozen=True)
class RetryNotice:
    """Given to ``on_retry`` before each wait: ``attempt`` is the attempt about to be made."""

    attempt: int
    max_attempts: int
    wait_secs: float
    reason: str

    @property
    def message(self) -> str:
        """E.g. ``"Rate limited, retrying in 2 s (attempt 2 of 3)"``."""
        return (
            f"{self.reason}, retrying in {_format_secs(self.wait_secs)} "
            f"(attempt {self.attempt} of {self.max_attempts})"
        )

    def __str__(self) -> str:
        return self.message


def _format_secs(secs: float) -> str:
    text = f"{secs:.0f}" if secs >= 10 else f"{secs:.1f}".rstrip("0").rstrip(".")
    return f"{text} s"


# ---------------------------------------------------------------- pure retry rules


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP date.

    A date in the past means 0; an unreadable value means None (fall back to backoff).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _SECONDS.fullmatch(text):
        # RFC 9110 says whole seconds; a decimal (which some servers send) is read too.
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a date without a zone is taken as such
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def server_requested_wait(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """The wait the server asked for: ``Retry-After``, else ``X-RateLimit-Reset`` (Unix time)."""
    wait = parse_retry_after(headers.get("retry-after"), now=now)
    if wait is not None:
        return wait
    reset = headers.get("x-ratelimit-reset")
    if reset is None:
        return None
    try:
        at = float(reset)
    except ValueError:
        return None
    if not math.isfinite(at):
        return None
    current = time.time() if now is None else now
    return max(0.0, at - current)


def backoff_delay(retry_number: int, policy: RetryPolicy, rnd: float) -> float:
    """Exponential backoff with jitter for the ``retry_number``-th retry (1-based).

    ``base * 2**(n-1)``, capped at ``max_delay``, then shortened by up to 25 % (``rnd`` in
    [0, 1)) so that clients that failed together do not retry in lockstep.
    """
    exponent = min(max(retry_number - 1, 0), 62)  # 2**62 s is already "forever"
    delay = min(policy.base_delay * 2.0**exponent, policy.max_delay)
    return max(0.0, delay * (1.0 - 0.25 * rnd))


# ---------------------------------------------------------------- error building


@dataclass(frozen=True)
class _Call:
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


def _body_preview(body: bytes) -> str:
    text = body[:500].decode("utf-8", errors="replace")
    return text + ("…" if len(body) > 500 else "")


def _server_detail(body: bytes) -> tuple[object, str | None, tuple[FieldError, ...]]:
    """What an error body says: the raw ``detail``, its message, and any 422 field errors."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return (_body_preview(body) if body else None), None, ()
    if not isinstance(data, dict) or "detail" not in data:
        return data, None, ()
    detail = data["detail"]
    if isinstance(detail, str):
        return detail, detail, ()
    if isinstance(detail, dict):
        message = detail.get("message")
        return detail, (message if isinstance(message, str) else None), ()
    if isinstance(detail, list):
        fields = tuple(_field_error(item) for item in detail if isinstance(item, dict))
        text = "; ".join(_describe_field(f) for f in fields) or None
        return detail, text, fields
    return detail, None, ()


def _field_error(item: Mapping[str, Any]) -> FieldError:
    raw_loc = item.get("loc")
    parts = raw_loc if isinstance(raw_loc, list) else []
    loc = tuple(
        p if isinstance(p, (str, int)) and not isinstance(p, bool) else str(p) for p in parts
    )
    msg, kind = item.get("msg"), item.get("type")
    return FieldError(
        loc=loc,
        message=msg if isinstance(msg, str) else "invalid value",
        type=kind if isinstance(kind, str) else "",
    )


def _describe_field(error: FieldError) -> str:
    name = error.field or ".".join(str(p) for p in error.loc)
    return f"{name}: {error.message}" if name else error.message


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def error_for_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    what: str = "the request",
    target: str = "The item",
    attempts: int = 1,
) -> ApiError:
    """The typed error, with a sentence a user understands, for a non-2xx response.

    ``headers`` must be case-insensitive (``requests`` gives such a mapping).
    """
    detail, server_msg, fields = _server_detail(body)
    trace_id = headers.get("x-trace-id")
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    extra = f" The server said: {_sentence(server_msg)}" if server_msg else ""
    kw: dict[str, Any] = {
        "status": status,
        "detail": detail,
        "trace_id": trace_id,
        "attempts": attempts,
    }
    if 300 <= status < 400:
        return UnexpectedResponseError(
            f"The server sent {what} elsewhere ({status} redirect). Check the server address; "
            "the editor does not follow redirects, so your key stays with this server.",
            **kw,
        )
    if status == 422:
        reason = server_msg or "no reason given"
        return ValidationError(f"The server refused {what}: {_sentence(reason)}", **kw).with_fields(
            fields
        )
    if status == 401:
        return AuthenticationError(
            f"Your API key was rejected ({status}). Check the key and its region.{extra}", **kw
        )
    if status == 403:
        return AuthenticationError(
            f"Your API key is not allowed to do this ({status}). Check the key's permissions "
            f"and its region.{extra}",
            **kw,
        )
    if status == 404:
        return NotFoundError(
            f"{target} was not found (404). It may have been deleted; refresh and try again.",
            **kw,
        )
    if status == 429:
        wait = server_requested_wait(headers)
        when = f"in {_format_secs(math.ceil(wait))}" if wait is not None else "in a moment"
        return RateLimitedError(
            f"The server is busy: too many requests at once (429){tries}. Try again {when}.",
            **kw,
        ).with_retry_after(wait)
    if status >= 500:
        return ServerError(
            f"The server failed while handling {what} ({status}){tries}. "
            f"Try again in a few minutes.{extra}",
            **kw,
        )
    return ClientRequestError(
        f"The server refused {what} ({status}){tries}.{extra or ' Check the input and try again.'}",
        **kw,
    )


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
        return f"the connection timed out after {_format_secs(timeouts.connect)}", network
    if isinstance(exc, requests.exceptions.ReadTimeout) or "read timed out" in text:
        # iter_content reports a read timeout mid-body as a ConnectionError, hence the text.
        return f"the server did not answer within {_format_secs(timeouts.read)}", network
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


# ---------------------------------------------------------------- the client


class ApiClient:
    """Blocking client for the PVC sample endpoints; safe to share between worker threads.

    ``session`` is injectable (tests, proxies); a session passed in stays the caller's to
    close, one created here is closed by :meth:`close`. ``sleep`` is how retry waits pass
    when no ``cancel`` event is given, or always when a test injects its own.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        session: requests.Session | None = None,
        timeouts: Timeouts = Timeouts(),  # frozen, so a shared default is safe
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[RetryNotice], None] | None = None,
    ) -> None:
        self._base_url = normalise_base_url(base_url)
        key = (api_key or "").strip()
        if key and not all(" " < ch < "\x7f" for ch in key):
            # requests would refuse the header with a message quoting the key.
            raise ValueError(
                "The API key contains spaces or characters that cannot be sent; "
                "paste it again without extra characters."
            )
        self._api_key = key or None
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        self._timeouts = timeouts
        self._retry = retry
        self._sleep = sleep
        # A test's sleep recorder must see every wait, so only the real sleep is swapped
        # for the interruptible cancel.wait().
        self._sleep_is_real = sleep is time.sleep
        self._on_retry = on_retry
        self._host = urlsplit(self._base_url).netloc

    # ------------------------------------------------------------ housekeeping

    @property
    def base_url(self) -> str:
        """The normalised server address, without a trailing slash."""
        return self._base_url

    def __repr__(self) -> str:
        state = "set" if self._api_key else "missing"
        return f"ApiClient(base_url={self._base_url!r}, key={state})"

    def close(self) -> None:
        """Close the connection pool (only if this client created the session)."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------ endpoints

    def list_voices(
        self,
        *,
        search: str | None = None,
        page_size: int = 30,
        next_page_token: str | None = None,
        cancel: threading.Event | None = None,
    ) -> VoicePage:
        """One page of the account's professional voices (``GET /v2/voices``)."""
        if not 1 <= page_size <= 100:
            raise ValueError("page_size must be between 1 and 100")
        params = {
            "category": "professional",
            "include_total_count": "true",
            "page_size": str(page_size),
        }
        if search:
            params["search"] = search
        if next_page_token:
            params["next_page_token"] = next_page_token
        call = _Call("GET", "/v2/voices", "the voice list", "The voice list", params=params)
        return VoicePage.from_json(self._send(call, cancel))

    def get_voice(self, voice_id: str, *, cancel: threading.Event | None = None) -> Voice:
        """A voice with its samples (``GET /v1/voices/{voice_id}``)."""
        call = _Call("GET", _path("v1", "voices", voice_id), "the voice", "The voice")
        return Voice.from_json(self._send(call, cancel))

    def get_sample(
        self, voice_id: str, sample_id: str, *, cancel: threading.Event | None = None
    ) -> Sample:
        """One sample's current state, read from its voice (there is no sample endpoint)."""
        voice = self.get_voice(voice_id, cancel=cancel)
        sample = voice.sample(sample_id)
        if sample is None:
            raise NotFoundError(
                "The sample is no longer part of this voice. It may have been deleted; "
                "refresh the voice.",
                detail={"voice_id": voice_id, "sample_id": sample_id},
            )
        return sample

    def edit_sample(
        self,
        voice_id: str,
        sample_id: str,
        request: SampleEditRequest,
        *,
        cancel: threading.Event | None = None,
    ) -> str:
        """Apply the edit ``request``; returns the voice id the server answers with.

        The body is byte-for-byte what the official SDK sends. The editing core builds
        ``request`` only from a valid edit (:func:`~pvc_sample_editor.editing.edit.build_request`).
        """
        body = encode_body(request.to_json())
        call = _Call("POST", _sample_path(voice_id, sample_id), "the edit", "The sample", body=body)
        return voice_id_from_json(self._send(call, cancel))

    def get_speakers(
        self, voice_id: str, sample_id: str, *, cancel: threading.Event | None = None
    ) -> SpeakerSeparation:
        """The sample's speaker-separation state and speakers."""
        path = _sample_path(voice_id, sample_id, "speakers")
        call = _Call("GET", path, "the speakers", "The sample")
        return SpeakerSeparation.from_json(self._send(call, cancel))

    def start_speaker_separation(
        self, voice_id: str, sample_id: str, *, cancel: threading.Event | None = None
    ) -> str:
        """Start separating the sample's speakers; returns the server's status (``"ok"``)."""
        path = _sample_path(voice_id, sample_id, "separate-speakers")
        call = _Call("POST", path, "speaker separation", "The sample")
        return status_from_json(self._send(call, cancel))

    def get_speaker_audio(
        self,
        voice_id: str,
        sample_id: str,
        speaker_id: str,
        *,
        cancel: threading.Event | None = None,
    ) -> AudioClip:
        """One separated speaker's audio."""
        path = _sample_path(voice_id, sample_id, "speakers", speaker_id, "audio")
        call = _Call("GET", path, "the speaker's audio", "The speaker", limit=AUDIO_BODY_LIMIT)
        return AudioClip.from_json(self._send(call, cancel))

    def get_sample_preview(
        self,
        voice_id: str,
        sample_id: str,
        *,
        remove_background_noise: bool = False,
        cancel: threading.Event | None = None,
    ) -> AudioClip:
        """The server's preview of the sample: only its first 30 s."""
        params = {"remove_background_noise": _flag(remove_background_noise)}
        call = _Call(
            "GET",
            _sample_path(voice_id, sample_id, "audio"),
            "the sample preview",
            "The sample",
            params=params,
            limit=AUDIO_BODY_LIMIT,
        )
        return AudioClip.from_json(self._send(call, cancel))

    def get_sample_waveform(
        self, voice_id: str, sample_id: str, *, cancel: threading.Event | None = None
    ) -> Waveform:
        """The server's coarse waveform of the sample."""
        path = _sample_path(voice_id, sample_id, "waveform")
        call = _Call("GET", path, "the waveform", "The sample")
        return Waveform.from_json(self._send(call, cancel))

    def add_samples(
        self,
        voice_id: str,
        files: Sequence[Path],
        *,
        remove_background_noise: bool = False,
        cancel: threading.Event | None = None,
    ) -> tuple[Sample, ...]:
        """Upload audio files as new samples (one ``files`` part each).

        The files are read before sending, so a retry sends the same bytes; OSError if
        one cannot be read.
        """
        if not files:
            raise ValueError("add_samples needs at least one file")
        parts = []
        for file in files:
            path = Path(file)
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            parts.append(("files", (path.name, path.read_bytes(), mime)))
        call = _Call(
            "POST",
            _path("v1", "voices", "pvc", voice_id, "samples"),
            "the new samples",
            "The voice",
            files=parts,
            form={"remove_background_noise": _flag(remove_background_noise)},
            creates=True,
        )
        return samples_from_json(self._send(call, cancel))

    def delete_sample(
        self, voice_id: str, sample_id: str, *, cancel: threading.Event | None = None
    ) -> str:
        """Delete a sample; returns the server's status (``"ok"``)."""
        call = _Call("DELETE", _sample_path(voice_id, sample_id), "the deletion", "The sample")
        return status_from_json(self._send(call, cancel))

    def create_voice(
        self,
        name: str,
        language: str,
        *,
        description: str | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        """Create an empty professional voice; returns its id."""
        payload: dict[str, Any] = {"name": name, "language": language}
        if description is not None:
            payload["description"] = description
        call = _Call(
            "POST",
            "/v1/voices/pvc",
            "the new voice",
            "The voice",
            body=encode_body(payload),
            creates=True,
        )
        return voice_id_from_json(self._send(call, cancel))

    # ------------------------------------------------------------ the retry loop

    def _send(self, call: _Call, cancel: threading.Event | None) -> object:
        """Send ``call`` with retries; the decoded JSON of the first 2xx answer."""
        try:
            return self._send_with_retries(call, cancel)
        except ApiError as err:
            raise self._scrub(err) from None

    def _send_with_retries(self, call: _Call, cancel: threading.Event | None) -> object:
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
        self, call: _Call, cancel: threading.Event | None, attempt: int
    ) -> object | _Failure:
        """One HTTP exchange: the decoded JSON, or a description of the failure."""
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        if self._api_key:
            headers["xi-api-key"] = self._api_key
        started = time.monotonic()
        try:
            with self._session.request(
                call.method,
                self._base_url + call.path,
                params=dict(call.params) or None,
                data=call.body if call.body is not None else (dict(call.form) or None),
                files=list(call.files) or None,
                headers=headers,
                timeout=(self._timeouts.connect, self._timeouts.read),
                verify=True,  # overrides a session that says otherwise
                allow_redirects=False,  # a redirect could carry the key to another host
                stream=True,
            ) as response:
                status = response.status_code
                ok = 200 <= status < 300
                body = self._read(response, call, cancel, attempt, strict=ok)
                resp_headers = response.headers
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            # Only text leaves this block: the exception holds the request and its key.
            reason, advice = _transport_reason(exc, self._timeouts)
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
        log.info(
            "%s %s -> %d (%d bytes, %.0f ms, attempt %d)",
            call.method,
            call.path,
            status,
            len(body),
            (time.monotonic() - started) * 1000,
            attempt,
        )
        if ok:
            return self._decode(body, status, resp_headers, call, attempt)
        error = error_for_response(
            status, resp_headers, body, what=call.what, target=call.target, attempts=attempt
        )
        retryable = status in _RETRY_STATUSES or (status >= 500 and not call.creates)
        return _Failure(
            error=error,
            retryable=retryable,
            reason=_status_reason(status),
            wait=server_requested_wait(resp_headers),
        )

    def _read(
        self,
        response: requests.Response,
        call: _Call,
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
        self, body: bytes, status: int, headers: Mapping[str, str], call: _Call, attempt: int
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
            detail=_body_preview(body),
            trace_id=headers.get("x-trace-id"),
            attempts=attempt,
        )

    def _scrub(self, error: ApiError) -> ApiError:
        """Remove the key from a message the server or a library may have echoed."""
        if self._api_key and self._api_key in error.message:
            error.message = self._redact(error.message)
            error.args = (error.message,)
        error.detail = _redact_value(error.detail, self._api_key)
        return error

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "[API key]") if self._api_key else text

    def _check_cancel(self, cancel: threading.Event | None, attempts: int) -> None:
        if cancel is not None and cancel.is_set():
            self._cancelled(attempts)

    def _cancelled(self, attempts: int) -> NoReturn:
        raise CancelledError("The request was cancelled.", attempts=attempts)

    def _wait(self, secs: float, cancel: threading.Event | None, attempts: int) -> None:
        """Wait between attempts; a cancel ends the wait at once when the real sleep is used."""
        if cancel is not None and self._sleep_is_real:
            if cancel.wait(secs):
                self._cancelled(attempts)
        else:
            self._sleep(secs)


def _too_big(response: requests.Response, call: _Call, limit: int, attempt: int) -> ApiError:
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


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _path(*segments: str) -> str:
    # Ids are quoted whole so that an id with '/' or '?' cannot reach another endpoint.
    return "/" + "/".join(quote(s, safe="") for s in segments)


def _sample_path(voice_id: str, sample_id: str, *rest: str) -> str:
    return _path("v1", "voices", "pvc", voice_id, "samples", sample_id, *rest)
