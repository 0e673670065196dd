"""Typed errors raised by the API client.

Every error carries a message a user understands (``str(err)``) and keeps what the
server said (``detail``) for the log and for field-level display. None of them ever
holds the API key.
"""

from __future__ import annotations

from dataclasses import dataclass

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
