"""Reading a request's body off the socket: whole for JSON, streamed to disk for uploads.

Each wait for more of the body is bounded by the server's ``body_timeout``: a client
that stops sending gets a 408, one that closes early a 400; a short body is never
handed on as if whole. A JSON body is read into memory (at most 16 MiB). A multipart
body is parsed as it arrives (:func:`~.multipart.read_multipart`) and its files are
written into the store's spool folder, so an upload of any size takes the memory of
one 1 MiB block; its only bound is the free disk space.
"""

from __future__ import annotations

import io
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

from pvc_sample_editor.emulator.multipart import MultipartError, Part, read_multipart
from pvc_sample_editor.emulator.validation import HttpError, error_body

__all__ = ["MAX_JSON_BODY_BYTES", "BodyReader", "Upload", "read_body"]

# A JSON body of the API is a few hundred bytes; this bounds what one can make the
# emulator decode and echo back in a 422.
MAX_JSON_BODY_BYTES = 16 * 1024 * 1024
#: Room left free on the emulator's disk beyond an upload.
_DISK_MARGIN = 64 * 1024 * 1024
_BLOCK = 1 << 20


@dataclass
class Upload:
    """A multipart body read to its end: its parts (files spooled), or why it is malformed."""

    parts: list[Part] = field(default_factory=list)
    error: str | None = None

    def discard(self) -> None:
        """Remove the spooled files an operation did not take."""
        for part in self.parts:
            if part.file is not None:
                part.file.unlink(missing_ok=True)


class BodyReader:
    """The body as a file-like object: exactly ``length`` bytes, each wait bounded."""

    def __init__(self, rfile: io.BufferedIOBase, length: int, timeout: float) -> None:
        self._rfile = rfile
        self.length = length
        self.got = 0
        self._timeout = timeout

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of the body; ``b""`` once all of it was read."""
        left = self.length - self.got
        want = left if size < 0 else min(size, left)
        if want <= 0:
            return b""
        try:
            chunk = self._rfile.read1(min(want, _BLOCK))
        except TimeoutError:
            message = f"{self._short()} No more came for {self._timeout:g} s."
            raise HttpError(408, error_body("request_timeout", message)) from None
        if not chunk:
            raise HttpError(400, error_body("bad_request", self._short()))
        self.got += len(chunk)
        return bytes(chunk)

    def drain(self) -> None:
        """Read and drop the rest of the body (after a malformed part)."""
        while self.read(_BLOCK):
            pass

    def _short(self) -> str:
        return (
            f"The request body ended after {self.got} of the {self.length} bytes its "
            "Content-Length announced; nothing was applied. Send the whole body."
        )


def read_body(
    headers: object,
    rfile: io.BufferedIOBase,
    connection: socket.socket,
    *,
    body_timeout: float,
    idle_timeout: float | None,
    spool_dir: Path,
    keep_files: bool = True,
) -> bytes | Upload:
    """The request's body (see the module doc), or an HttpError to answer.

    With ``keep_files`` False (a request without a valid key) a multipart body is read
    and dropped: a stranger's upload never reaches the disk.
    """
    get = headers.get  # type: ignore[attr-defined]
    if "chunked" in get("Transfer-Encoding", "").lower():
        raise HttpError(411, error_body("length_required", "Send a Content-Length."))
    try:
        length = int(get("Content-Length") or 0)
    except ValueError:
        raise HttpError(400, error_body("bad_request", "Invalid Content-Length.")) from None
    content_type = get("Content-Type", "")
    multipart = "multipart/" in content_type
    if length < 0 or (not multipart and length > MAX_JSON_BODY_BYTES):
        raise HttpError(413, error_body("payload_too_large", "The request body is too large."))
    if multipart and length and not keep_files:
        reader = BodyReader(rfile, length, body_timeout)
        connection.settimeout(body_timeout)
        try:
            reader.drain()
        finally:
            connection.settimeout(idle_timeout)
        return Upload(error="the body was not kept")
    if multipart and length:
        spool_dir.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(spool_dir).free - _DISK_MARGIN
        if length > free:
            message = (
                f"The request body ({length} bytes) is larger than the emulator's free disk "
                f"space ({max(free, 0)} bytes)."
            )
            raise HttpError(413, error_body("payload_too_large", message))
    if not length:
        return Upload(error="the body is empty") if multipart else b""
    reader = BodyReader(rfile, length, body_timeout)
    connection.settimeout(body_timeout)
    try:
        if not multipart:
            return b"".join(iter(lambda: reader.read(_BLOCK), b""))
        try:
            upload = Upload(read_multipart(reader, content_type, spool_dir))
        except MultipartError as exc:
            reader.drain()
            return Upload(error=str(exc))
        reader.drain()  # an epilogue after the closing boundary
        return upload
    finally:
        connection.settimeout(idle_timeout)
