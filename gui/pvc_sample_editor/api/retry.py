"""When and how long to retry a request: the policy and its pure rules (no I/O).

Retries follow the official SDK: 408, 409, 429 and 5xx, honouring ``Retry-After``
(seconds or HTTP date), else ``X-RateLimit-Reset`` (a Unix time, as the SDK reads it),
else ~1 s, 2 s, 4 s ... with jitter. Unlike the SDK, both the number of attempts *and*
the total time spent waiting are bounded (see :class:`RetryPolicy`).
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "RETRY_STATUSES",
    "RetryNotice",
    "RetryPolicy",
    "backoff_delay",
    "format_secs",
    "parse_retry_after",
    "server_requested_wait",
]

#: Statuses that mean "not processed": retried for every method.
RETRY_STATUSES = frozenset({408, 409, 429})
_SECONDS = re.compile(r"[0-9]+(\.[0-9]+)?")


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
            f"{self.reason}, retrying in {format_secs(self.wait_secs)} "
            f"(attempt {self.attempt} of {self.max_attempts})"
        )

    def __str__(self) -> str:
        return self.message


def format_secs(secs: float) -> str:
    """A wait as a user reads it: ``"1.5 s"``, ``"600 s"``, ``"90 min"``, ``"5 h"``.

    Past two days it says only that (a server asking for 10^9 s means "much later").
    """
    if secs < 10:
        return f"{secs:.1f}".rstrip("0").rstrip(".") + " s"
    if secs < 3600:
        return f"{secs:.0f} s"
    if secs < 2 * 3600:
        return f"{secs / 60:.0f} min"
    if secs < 2 * 86400:
        return f"{secs / 3600:.0f} h"
    return "more than 2 days"


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
