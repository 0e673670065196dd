"""Fault injection and the request log, for tests of how a client copes with a bad day.

A fault is armed per route (the spec's ``operationId``, or ``"*"`` for every API route)
for the next ``count`` requests. A route's own faults are used before ``"*"`` faults;
faults on one route are used in the order they were armed. The ``/_emulator/...``
control routes are never faulted and never logged.

What each fault does to a request (``latency`` combines with any of them, or stands
alone for a slow but otherwise normal answer):

============== ===================================================== ==============
fault          response                                              request applied?
============== ===================================================== ==============
``status``     that status with ``{"detail": {"status", "message"}}``   no
               (422: an ``HTTPValidationError`` body instead); 429
               also carries the concurrency headers
``retry_after`` adds ``Retry-After: <value>`` (needs ``status``)       --
``drop``       connection closed, no response at all                  no
``truncate``   headers and half the body sent, then a TCP reset        yes
``malformed``  the real status (or ``status``) with cut-off JSON       yes
``html``       an nginx-style HTML error page, ``status`` or 502       no
``oversize_mb`` the real response padded to that many MB, still JSON   yes
============== ===================================================== ==============

``latency`` is served before the request is handled, so a client that gives up
waiting may still find its edit applied afterwards, as with a real slow server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple, overload

__all__ = ["Fault", "FaultInjector", "RequestLog", "RequestRecord"]


@dataclass(frozen=True)
class Fault:
    """One armed misbehaviour (see the module docstring for what each field does)."""

    status: int | None = None
    retry_after: float | str | None = None
    latency: float = 0.0
    drop: bool = False
    truncate: bool = False
    malformed: bool = False
    html: bool = False
    oversize_mb: float = 0

    def __post_init__(self) -> None:
        kinds = [
            name
            for name, on in (
                ("drop", self.drop),
                ("truncate", self.truncate),
                ("malformed", self.malformed),
                ("html", self.html),
                ("oversize_mb", self.oversize_mb > 0),
            )
            if on
        ]
        if len(kinds) > 1:
            raise ValueError(f"choose one of {', '.join(kinds)} per fault")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status code, not {self.status!r}")
        if self.status is not None and kinds and kinds[0] not in ("malformed", "html"):
            raise ValueError(f"status cannot be combined with {kinds[0]}")
        if self.retry_after is not None and self.status is None:
            raise ValueError("retry_after needs a status (e.g. status=429)")
        if self.latency < 0 or self.oversize_mb < 0:
            raise ValueError("latency and oversize_mb cannot be negative")
        if not (kinds or self.status is not None or self.latency > 0):
            raise ValueError("a fault needs at least one of status, latency or a kind")

    @property
    def short_circuits(self) -> bool:
        """True when the request is answered (or dropped) without being applied."""
        return self.drop or self.html or (self.status is not None and not self.malformed)


@dataclass
class _Armed:
    fault: Fault
    left: int


class FaultInjector:
    """The armed faults, shared between the test thread and the request threads."""

    def __init__(self, routes: Iterable[str]) -> None:
        self._routes = frozenset(routes) | {"*"}
        self._lock = threading.Lock()
        self._armed: dict[str, list[_Armed]] = {}

    def inject(
        self,
        route: str,
        *,
        count: int = 1,
        status: int | None = None,
        retry_after: float | str | None = None,
        latency: float = 0.0,
        drop: bool = False,
        truncate: bool = False,
        malformed: bool = False,
        html: bool = False,
        oversize_mb: float = 0,
    ) -> None:
        """Arm a fault on ``route`` (an operationId or ``"*"``) for its next ``count`` requests.

        Raises ValueError for an unknown route or a combination that makes no sense.
        """
        if route not in self._routes:
            known = ", ".join(sorted(self._routes))
            raise ValueError(f"unknown route {route!r}; use an operationId or '*': {known}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be a positive integer, not {count!r}")
        fault = Fault(
            status, retry_after, float(latency), drop, truncate, malformed, html, oversize_mb
        )
        with self._lock:
            self._armed.setdefault(route, []).append(_Armed(fault, count))

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._armed.clear()

    def take(self, operation_id: str) -> Fault | None:
        """Use up one request's worth of the fault armed for this operation, if any."""
        with self._lock:
            for route in (operation_id, "*"):
                queue = self._armed.get(route)
                if queue:
                    armed = queue[0]
                    armed.left -= 1
                    if armed.left == 0:
                        queue.pop(0)
                    return armed.fault
        return None

    def pending(self) -> dict[str, int]:
        """How many faulted requests are still armed, per route."""
        with self._lock:
            return {
                route: sum(armed.left for armed in queue)
                for route, queue in self._armed.items()
                if queue
            }


class RequestRecord(NamedTuple):
    """One handled request. ``status`` is 0 when the connection was dropped unanswered.

    ``path`` excludes the query string; ``body`` is the decoded JSON request body, or
    None when the body was empty, not JSON (e.g. multipart) or invalid.
    """

    method: str
    path: str
    operation_id: str | None
    status: int
    body: object


class RequestLog(Sequence[RequestRecord]):
    """A thread-safe, append-only list of :class:`RequestRecord` (``clear()`` resets it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        """Add a record (called by the request threads)."""
        with self._lock:
            self._items.append(record)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[RequestRecord]:
        """A copy of the records so far."""
        with self._lock:
            return list(self._items)

    def for_operation(self, operation_id: str) -> list[RequestRecord]:
        """The records of one operation, oldest first."""
        return [r for r in self.snapshot() if r.operation_id == operation_id]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    @overload
    def __getitem__(self, index: int) -> RequestRecord: ...
    @overload
    def __getitem__(self, index: slice) -> list[RequestRecord]: ...
    def __getitem__(self, index: int | slice) -> RequestRecord | list[RequestRecord]:
        with self._lock:
            return self._items[index]

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self.snapshot())

    def __eq__(self, other: object) -> bool:
        # Compares like the list it stands for: ``log == [("GET", ...), ...]``.
        if isinstance(other, (list, RequestLog)):
            return self.snapshot() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like list

    def __repr__(self) -> str:
        return f"RequestLog({self.snapshot()!r})"
