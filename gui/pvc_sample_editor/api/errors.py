"""Typed errors raised by the API client.

Every error carries a message a user understands (``str(err)``) and keeps what the
server said (``detail``) for the log and for field-level display. None of them ever
holds the API key.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pvc_sample_editor.api.retry import format_secs, server_requested_wait

__all__ = [
    "ApiError",
    "AuthenticationError",
    "CancelledError",
    "ClientRequestError",
    "FieldError",
    "NotFoundError",
    "RateLimitedError",
    "ServerError",
    "TransportError",
    "UnexpectedResponseError",
    "ValidationError",
    "body_preview",
    "error_for_response",
]


@dataclass(frozen=True)
class FieldError:
    """One entry of a 422 ``detail`` list: which field (``loc``) and what is wrong."""

    loc: tuple[str | int, ...]
    message: str
    type: str = ""

    @property
    def field(self) -> str:
        """The body field the error concerns (last string in ``loc``), or ``""``."""
        for part in reversed(self.loc):
            if isinstance(part, str) and part not in ("body", "query", "path", "header"):
                return part
        return ""


class ApiError(Exception):
    """Base of every error the client raises. ``str()`` is a user-facing sentence."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        detail: object = None,
        trace_id: str | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.detail = detail
        self.trace_id = trace_id
        self.attempts = attempts

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"


class ValidationError(ApiError):
    """422: the server refused the request body; ``field_errors`` says why, per field."""

    field_errors: tuple[FieldError, ...] = ()

    def with_fields(self, field_errors: tuple[FieldError, ...]) -> ValidationError:
        """Attach the per-field errors and return self (keeps the base constructor simple)."""
        self.field_errors = field_errors
        return self


class AuthenticationError(ApiError):
    """401/403: the API key is missing, wrong, or lacks permission."""


class NotFoundError(ApiError):
    """404: the voice, sample or speaker does not exist (any more)."""


class RateLimitedError(ApiError):
    """429: too many requests or concurrent requests; ``retry_after`` in seconds if known."""

    retry_after: float | None = None

    def with_retry_after(self, seconds: float | None) -> RateLimitedError:
        """Attach the server's requested wait in seconds and return self."""
        self.retry_after = seconds
        return self


class ServerError(ApiError):
    """5xx: the service failed; trying again later may work."""


class ClientRequestError(ApiError):
    """Any other 4xx (400, 408, 409, ...): the request was refused as sent."""


class TransportError(ApiError):
    """No usable HTTP response: connect/read timeout, refused or reset connection, TLS."""


class UnexpectedResponseError(ApiError):
    """A response that is not JSON, or JSON of the wrong shape for the endpoint."""


class CancelledError(ApiError):
    """The caller cancelled the request (e.g. the user pressed Cancel while it retried)."""


# ---------------------------------------------------------------- from a response


def body_preview(body: bytes) -> str:
    """The start of a body as text, for a message or the log."""
    text = body[:500].decode("utf-8", errors="replace")
    return text + ("…" if len(body) > 500 else "")


def _server_detail(body: bytes) -> tuple[object, str | None, tuple[FieldError, ...]]:
    """What an error body says: the raw ``detail``, its message, and any 422 field errors."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return (body_preview(body) if body else None), None, ()
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
            f"{target} was not found (404). It may have been deleted, or the id is not right.",
            **kw,
        )
    if status == 429:
        wait = server_requested_wait(headers)
        when = f"in {format_secs(math.ceil(wait))}" if wait is not None else "in a moment"
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
