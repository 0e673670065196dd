"""An overall deadline and a prompt cancel for one HTTP exchange, whatever the server does.

``requests`` only bounds each read from the socket. A server that sends one byte every
two seconds never trips a 30-second read timeout, and a blocked read does not look at a
cancel event: one call could last minutes, and closing the window waited for it.

Here every connection the transport's adapter opens is tracked per thread. While one
exchange runs, a :class:`Watchdog` thread waits for its deadline or its cancel event;
when either comes first it shuts the exchange's sockets down, which wakes the blocked
read at once with an error. The transport then reports why: out of time, or cancelled.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["TrackingAdapter", "Watchdog", "watched"]

# How often the watchdog looks at the cancel event: the longest a cancel waits.
_CANCEL_POLL_S = 0.05

_current = threading.local()


class Watchdog:
    """Ends one exchange's sockets at its deadline or on cancel, from its own thread."""

    def __init__(self, deadline_s: float, cancel: threading.Event | None) -> None:
        self._deadline = time.monotonic() + deadline_s
        self._cancel = cancel
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._connections: list[HTTPConnection] = []
        #: Why the exchange was ended: "" (it was not), "deadline" or "cancel".
        self.reason = ""
        self._thread = threading.Thread(target=self._watch, name="http-watchdog", daemon=True)

    def track(self, connection: HTTPConnection) -> None:
        """Remember a connection the exchange uses; end it now if the time is already up."""
        with self._lock:
            self._connections.append(connection)
            if self.reason:
                _shut(connection)

    def _watch(self) -> None:
        while True:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                self._end("deadline")
                return
            if self._done.wait(min(_CANCEL_POLL_S, remaining)):
                return
            if self._cancel is not None and self._cancel.is_set():
                self._end("cancel")
                return

    def _end(self, reason: str) -> None:
        with self._lock:
            self.reason = reason
            for connection in self._connections:
                _shut(connection)

    def __enter__(self) -> Watchdog:
        _current.watchdog = self
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        _current.watchdog = None
        self._done.set()
        self._thread.join()


def _shut(connection: HTTPConnection) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        # shutdown() (not close()) wakes a recv() blocked in another thread at once.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def watched(deadline_s: float, cancel: threading.Event | None) -> Iterator[Watchdog]:
    """Run the body as one exchange bounded by ``deadline_s`` and ended early on cancel."""
    with Watchdog(deadline_s, cancel) as dog:
        yield dog


def _track(connection: HTTPConnection) -> None:
    dog: Watchdog | None = getattr(_current, "watchdog", None)
    if dog is not None:
        dog.track(connection)


class _TrackedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        _track(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _track(self)  # a pooled connection is reused without connect()
        super().request(*args, **kwargs)


class _TrackedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        _track(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _track(self)
        super().request(*args, **kwargs)


class _TrackedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _TrackedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


_POOLS = {"http": _TrackedHTTPPool, "https": _TrackedHTTPSPool}


class TrackingAdapter(HTTPAdapter):
    """A ``requests`` adapter whose connections a :class:`Watchdog` can end."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = dict(_POOLS)
        return manager
