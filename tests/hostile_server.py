"""A loopback HTTP server that misbehaves on purpose, byte by byte.

Each connection gets the next scripted :class:`Behaviour`: it can trickle its headers or
body a byte at a time, stall, reset mid-body, send a huge or gzip-bomb body, redirect to
another host, answer with HTML, or send JSON of the wrong types, absurd numbers or odd
422 shapes. Written on raw sockets so the misbehaviour is exact. Everything is bounded:
a stalled connection ends when the server stops, and ``stop()`` joins every thread.
"""

from __future__ import annotations

import contextlib
import functools
import json
import socket
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Send = Callable[[socket.socket, threading.Event], None]


@dataclass(frozen=True)
class Behaviour:
    """One misbehaviour: a name for the test report and what it does to the socket."""

    name: str
    send: Send


def _head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def answer(
    body: bytes,
    *,
    status: str = "200 OK",
    content_type: str = "application/json",
    extra: dict[str, str] | None = None,
) -> Behaviour:
    """A well-formed answer with ``body`` (the content may still be hostile)."""
    headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
    headers.update(extra or {})
    headers["Connection"] = "close"

    def send(sock: socket.socket, _stop: threading.Event) -> None:
        sock.sendall(_head(status, headers) + body)

    return Behaviour(f"answer {status}", send)


def json_answer(value: Any, *, status: str = "200 OK") -> Behaviour:
    """A JSON answer (``value`` may be any JSON, of any type)."""
    return answer(json.dumps(value).encode(), status=status)


def trickle_headers(every_s: float) -> Behaviour:
    """Send the status line and headers one byte every ``every_s`` seconds, for ever."""

    def send(sock: socket.socket, stop: threading.Event) -> None:
        data = _head("200 OK", {"Content-Type": "application/json", "X-Pad": "x" * 10_000})
        for i in range(len(data)):
            if stop.wait(every_s):
                return
            sock.sendall(data[i : i + 1])

    return Behaviour("trickle headers", send)


def trickle_body(every_s: float, size: int = 100_000) -> Behaviour:
    """Send the headers at once, then a ``size``-byte body one byte every ``every_s`` s."""

    def send(sock: socket.socket, stop: threading.Event) -> None:
        sock.sendall(_head("200 OK", {"Content-Type": "application/json",
                                      "Content-Length": str(size)}))  # fmt: skip
        sock.sendall(b"{")
        for _ in range(size - 1):
            if stop.wait(every_s):
                return
            sock.sendall(b" ")

    return Behaviour("trickle body", send)


def stall() -> Behaviour:
    """Read the request and never answer."""

    def send(_sock: socket.socket, stop: threading.Event) -> None:
        stop.wait()

    return Behaviour("stall", send)


def reset_mid_body() -> Behaviour:
    """Promise 1 MB, send half, then reset the connection (RST, not a clean close)."""

    def send(sock: socket.socket, _stop: threading.Event) -> None:
        size = 1_000_000
        sock.sendall(_head("200 OK", {"Content-Type": "application/json",
                                      "Content-Length": str(size)}))  # fmt: skip
        sock.sendall(b"[" + b"0," * (size // 4))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return Behaviour("reset mid-body", send)


def huge_body(declared: bool) -> Behaviour:
    """An endless stream of JSON whitespace, with or without a (huge) Content-Length."""

    def send(sock: socket.socket, stop: threading.Event) -> None:
        headers = {"Content-Type": "application/json"}
        if declared:
            headers["Content-Length"] = str(10**12)
        else:
            headers["Connection"] = "close"
        sock.sendall(_head("200 OK", headers) + b"[")
        chunk = b" " * 65536
        with contextlib.suppress(OSError):  # the client hangs up: the point
            for _ in range(100_000):  # at most ~6.5 GB: bounded even if never refused
                if stop.is_set():
                    return
                sock.sendall(chunk)

    return Behaviour(f"huge body (declared {declared})", send)


@functools.cache
def _bomb(inflated_mb: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip framing
    block = b" " * (1 << 20)
    return b"".join(packer.compress(block) for _ in range(inflated_mb)) + packer.flush()


def gzip_bomb(inflated_mb: int = 256) -> Behaviour:
    """A gzip body of a few hundred kB that inflates to ``inflated_mb`` MB of spaces."""
    compressed = _bomb(inflated_mb)

    def send(sock: socket.socket, _stop: threading.Event) -> None:
        headers = {
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "Content-Length": str(len(compressed)),
        }
        with contextlib.suppress(OSError):
            sock.sendall(_head("200 OK", headers) + compressed)

    return Behaviour("gzip bomb", send)


def redirect_elsewhere() -> Behaviour:
    """A redirect to another host (which would carry the key away if followed)."""
    return answer(b"", status="302 Found", extra={"Location": "http://attacker.invalid/v1/voices"})


def html_page() -> Behaviour:
    """A login page where JSON was expected."""
    return answer(b"<html><body>Please log in</body></html>", content_type="text/html")


class HostileServer:
    """Serves the scripted behaviours in order, one per connection, on 127.0.0.1."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._script: list[Behaviour] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self.requests: list[bytes] = []
        self._acceptor = threading.Thread(target=self._accept, name="hostile-accept")

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours; each new connection takes the next (the last one repeats)."""
        with self._lock:
            self._script.extend(behaviours)

    def _next(self) -> Behaviour:
        with self._lock:
            if len(self._script) > 1:
                return self._script.pop(0)
            return self._script[0] if self._script else json_answer({})

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            behaviour = self._next()
            thread = threading.Thread(
                target=self._serve, args=(conn, behaviour), name=f"hostile-{behaviour.name}"
            )
            with self._lock:
                self._conns.append(conn)
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket, behaviour: Behaviour) -> None:
        with contextlib.suppress(OSError), conn:
            conn.settimeout(5.0)
            request = b""
            while b"\r\n\r\n" not in request and len(request) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            with self._lock:
                self.requests.append(request)
            conn.settimeout(None)
            behaviour.send(conn, self._stop)

    def start(self) -> None:
        self._acceptor.start()

    def stop(self) -> None:
        self._stop.set()
        self._acceptor.join()
        self._listener.close()
        with self._lock:
            conns, threads = list(self._conns), list(self._threads)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join()


@contextlib.contextmanager
def hostile_server(*behaviours: Behaviour) -> Iterator[HostileServer]:
    """A started :class:`HostileServer` scripted with ``behaviours``; stopped after."""
    server = HostileServer()
    server.script(*behaviours)
    server.start()
    try:
        yield server
    finally:
        server.stop()
