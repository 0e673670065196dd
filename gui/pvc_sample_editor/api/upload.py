"""A ``multipart/form-data`` body streamed from disk, with its length known up front.

``requests`` builds a multipart body in memory (``files=``), and a generator body is
sent chunked, which servers may refuse (the emulator answers 411). :class:`MultipartBody`
is a file-like object with ``read`` and ``__len__``: ``requests`` sends it with a
``Content-Length`` and urllib3 reads it in blocks, so a 2 GB recording never sits in
memory. The parts are framed as urllib3 frames them (the same header quoting), so a
server sees what ``requests``' own ``files=`` would have sent.

Each attempt of a request opens a fresh body (:meth:`UploadFile.body`), so a retry
sends the same bytes from the start; a file that changed size since it was measured
stops the upload with :class:`UploadFileError` rather than sending a body whose
length is a lie.
"""

from __future__ import annotations

import mimetypes
import os
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from urllib3.fields import format_multipart_header_param

from pvc_sample_editor.api.errors import CancelledError

__all__ = ["MultipartBody", "UploadFile", "UploadFileError", "multipart_body"]

_READ = 1 << 20  # bytes read from a file at a time (urllib3 asks for 16 KB at most)


class UploadFileError(Exception):
    """A file being uploaded could not be read to its end, or changed meanwhile.

    Not an OSError on purpose: raised inside the HTTP library's send, an OSError would
    be taken for a broken connection; this one reaches the caller as itself.
    """


@dataclass(frozen=True)
class UploadFile:
    """One file to send: its path, the name the server is told, and its size now."""

    path: Path
    name: str
    size: int
    mime_type: str
    mtime_ns: int = 0

    @classmethod
    def of(cls, path: Path, name: str | None = None) -> UploadFile:
        """Measure ``path`` (OSError if it cannot be read)."""
        st = os.stat(path)
        name = path.name if name is None else name
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return cls(Path(path), name, st.st_size, mime, st.st_mtime_ns)

    def changed(self, st: os.stat_result) -> bool:
        """True when ``st`` (a stat of the file now) says it is not the file measured."""
        return st.st_size != self.size or (self.mtime_ns != 0 and st.st_mtime_ns != self.mtime_ns)


def _header(field: str, file: UploadFile | None) -> bytes:
    disposition = f"form-data; {format_multipart_header_param('name', field)}"
    lines = []
    if file is not None:
        disposition += f"; {format_multipart_header_param('filename', file.name)}"
        lines.append(f"Content-Disposition: {disposition}")
        lines.append(f"Content-Type: {file.mime_type}")
    else:
        lines.append(f"Content-Disposition: {disposition}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


class MultipartBody:
    """The body of one attempt: fixed bytes and file contents, read front to back.

    ``on_progress(sent, total)`` is called as bytes are handed to the connection
    (``sent`` counts this attempt's bytes, the framing included).
    """

    def __init__(
        self,
        segments: Sequence[bytes | UploadFile],
        boundary: str,
        on_progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.content_type = f"multipart/form-data; boundary={boundary}"
        self._segments = list(segments)
        self._total = sum(s.size if isinstance(s, UploadFile) else len(s) for s in segments)
        self._index = 0
        self._offset = 0  # within a bytes segment
        self._file: BinaryIO | None = None
        self._left = 0  # bytes of the open file still to send
        self._sent = 0
        self._on_progress = on_progress
        self._cancel = cancel

    def __len__(self) -> int:
        return self._total

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left for -1); ``b""`` at the end."""
        if self._cancel is not None and self._cancel.is_set():
            # Not an OSError, so the HTTP library passes it on rather than taking it for a
            # broken connection; it closes the connection, and the server sees a short body.
            self.close()
            raise CancelledError("The upload was cancelled.")
        want = self._total - self._sent if size is None or size < 0 else size
        chunks: list[bytes] = []
        while want > 0 and self._index < len(self._segments):
            chunk = self._next(want)
            chunks.append(chunk)
            want -= len(chunk)
        data = b"".join(chunks)
        self._sent += len(data)
        if data and self._on_progress is not None:
            self._on_progress(self._sent, self._total)
        return data

    def _next(self, want: int) -> bytes:
        segment = self._segments[self._index]
        if isinstance(segment, bytes):
            return self._next_bytes(segment, want)
        try:
            return self._next_file(segment, want)
        except OSError as exc:
            self.close()
            raise UploadFileError(
                f"“{segment.path.name}” could not be read while it was being uploaded "
                f"({exc.strerror or exc}). Check the file and add it again."
            ) from None

    def _next_bytes(self, segment: bytes, want: int) -> bytes:
        chunk = segment[self._offset : self._offset + want]
        self._offset += len(chunk)
        if self._offset >= len(segment):
            self._index, self._offset = self._index + 1, 0
        return chunk

    def _next_file(self, segment: UploadFile, want: int) -> bytes:
        if self._file is None:
            self._file = open(segment.path, "rb")  # noqa: SIM115 - closed at its end
            self._left = segment.size
            if segment.changed(os.fstat(self._file.fileno())):
                self.close()
                raise UploadFileError(_changed(segment))
        chunk = self._file.read(min(want, self._left, _READ))
        if not chunk and self._left:
            self.close()
            raise UploadFileError(_changed(segment))
        self._left -= len(chunk)
        if self._left == 0:
            # Checked again at the end: a file rewritten while it was read must not
            # reach the server as a mix of its two versions.
            changed = segment.changed(os.fstat(self._file.fileno()))
            self.close()
            if changed:
                raise UploadFileError(_changed(segment))
            self._index += 1
        return chunk

    def close(self) -> None:
        """Close the file being read, if any (also called at each file's end)."""
        if self._file is not None:
            self._file.close()
            self._file = None


def _changed(file: UploadFile) -> str:
    return (
        f"“{file.path.name}” changed while it was being uploaded (it was {file.size} bytes). "
        "Wait until it is no longer being written, then add it again."
    )


def multipart_body(
    files: Sequence[UploadFile],
    fields: Sequence[tuple[str, str]] = (),
    *,
    file_field: str = "files",
) -> Callable[..., MultipartBody]:
    """A factory of fresh bodies (one per attempt) for ``fields`` then ``files``."""
    boundary = secrets.token_hex(16)
    delimiter = f"--{boundary}\r\n".encode()
    segments: list[bytes | UploadFile] = []
    for name, value in fields:
        segments.append(delimiter + _header(name, None) + value.encode("utf-8") + b"\r\n")
    for file in files:
        segments.append(delimiter + _header(file_field, file))
        segments.append(file)
        segments.append(b"\r\n")
    segments.append(f"--{boundary}--\r\n".encode())

    def make(
        on_progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> MultipartBody:
        return MultipartBody(segments, boundary, on_progress, cancel)

    return make
