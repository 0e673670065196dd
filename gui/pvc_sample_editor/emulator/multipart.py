"""A small streaming ``multipart/form-data`` parser (the stdlib ``cgi`` is deprecated).

Parts are split on the boundary as raw bytes, so binary audio passes through
untouched; only each part's header block goes through the ``email`` package. The body
is read in 1 MiB blocks and file parts can be spooled to disk as they arrive
(:func:`read_multipart`), so an upload of any size takes bounded memory.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path
from typing import Protocol

__all__ = ["MultipartError", "Part", "parse_multipart", "read_multipart"]

_CHUNK = 1 << 20  # bytes read from the stream at a time


class Readable(Protocol):
    """What the parser reads from: a binary file, or the server's body reader."""

    def read(self, size: int = -1, /) -> bytes: ...


_HEAD_LIMIT = 64 * 1024
_FIELD_LIMIT = 1 << 20


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data."""


@dataclass(frozen=True)
class Part:
    """One form field: its name, the file name for file parts, and its content.

    The content is in memory (``content``) or, for a part spooled to disk, in ``file``
    (``content`` then empty); ``size`` is its length either way.
    """

    name: str
    filename: str | None
    content: bytes
    file: Path | None = None
    size: int = 0

    def text(self) -> str:
        """The content as UTF-8 text (for plain form fields)."""
        return self.content.decode("utf-8", errors="replace")


def boundary_of(content_type: str) -> str | None:
    """The boundary parameter of a multipart Content-Type header, or None."""
    message = Message()
    message["content-type"] = content_type
    if message.get_content_type() != "multipart/form-data":
        return None
    boundary = message.get_param("boundary")
    return boundary if isinstance(boundary, str) and boundary else None


def _param(disposition: str, key: str) -> str | None:
    """A Content-Disposition parameter, read literally.

    Browsers and urllib3 quote HTML5-style: ``"`` becomes ``%22`` and a backslash is an
    ordinary character (``C:\\rec\\take.wav``), so RFC 822 unescaping would be wrong.
    """
    found = re.search(rf';\s*{key}="([^"]*)"', disposition) or re.search(
        rf';\s*{key}=([^";\s]+)', disposition
    )
    if not found:
        return None
    return found.group(1).encode("latin-1").decode("utf-8", errors="surrogateescape")


def parse_multipart(body: bytes, content_type: str) -> list[Part]:
    """Split a ``multipart/form-data`` body held in memory into its parts, in order."""
    return read_multipart(io.BytesIO(body), content_type)


def read_multipart(
    stream: Readable, content_type: str, spool_dir: Path | None = None
) -> list[Part]:
    """Split a body read from ``stream`` into its parts, in order, in bounded memory.

    With ``spool_dir`` every file part's content is written to a new file there
    (``Part.file``) as it arrives; the caller removes those files. Other fields stay in
    memory and may hold at most 1 MiB each. A :class:`MultipartError` removes what was
    spooled. ``stream.read`` may raise: the error passes through, spooled files removed.
    """
    boundary = boundary_of(content_type)
    if boundary is None:
        raise MultipartError("expected Content-Type multipart/form-data with a boundary")
    reader = _Scanner(stream, b"\r\n--" + boundary.encode("latin-1"))
    parts: list[Part] = []
    try:
        if not reader.skip_to_delimiter():
            raise MultipartError("no multipart boundary found in the body")
        while True:
            if reader.at(b"--"):  # the closing delimiter
                return parts
            head = reader.head()
            parts.append(_read_part(reader, head, spool_dir))
    except BaseException:
        for part in parts:
            if part.file is not None:
                part.file.unlink(missing_ok=True)
        raise


def _read_part(reader: _Scanner, head: bytes, spool_dir: Path | None) -> Part:
    # Browsers and urllib3 send non-ASCII file names as raw UTF-8 in the header. The
    # email package would turn bytes that are not UTF-8 into U+FFFD, a name the sender
    # never chose; as Latin-1 every byte survives, and _param decodes the values as
    # UTF-8 with bad bytes kept as lone surrogates (the file-name rule refuses those).
    text = head.lstrip(b" \t").lstrip(b"\r\n").decode("latin-1")
    # compat32 (the default policy) keeps header values as sent, unparsed.
    headers = HeaderParser().parsestr(text)
    disposition = str(headers.get("content-disposition", ""))
    if not disposition.lower().startswith("form-data"):
        raise MultipartError("a part has no Content-Disposition: form-data header")
    name = _param(disposition, "name")
    if name is None:
        raise MultipartError("a part has no field name")
    # RFC 5987 ``filename*=`` (rare) is decoded by the email package.
    filename = headers.get_filename() if "filename*" in disposition else None
    filename = filename or _param(disposition, "filename")
    if filename is not None and spool_dir is not None:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - handed to the caller
            dir=spool_dir, prefix="upload-", suffix=".part", delete=False
        )
        path = Path(handle.name)
        try:
            with handle:
                size = reader.copy_content(handle.write)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Part(name, filename, b"", path, size)
    chunks: list[bytes] = []
    limit = _FIELD_LIMIT if spool_dir is not None else None

    def keep(chunk: bytes) -> None:
        chunks.append(chunk)
        if limit is not None and sum(map(len, chunks)) > limit:
            raise MultipartError(f"the form field {name!r} is larger than 1 MiB")

    size = reader.copy_content(keep)
    return Part(name, filename, b"".join(chunks), None, size)


class _Scanner:
    """Reads a body front to back, finding delimiters across the reads' edges."""

    def __init__(self, stream: Readable, delimiter: bytes) -> None:
        self._stream = stream
        self._delimiter = delimiter
        # Prefixing CRLF lets the first delimiter be found like the others.
        self._buffer = b"\r\n"
        self._eof = False

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = self._stream.read(_CHUNK)
        if not chunk:
            self._eof = True
            return False
        self._buffer += chunk
        return True

    def skip_to_delimiter(self) -> bool:
        """Drop everything up to and including the next delimiter; False if none comes."""
        keep = len(self._delimiter) - 1
        while True:
            found = self._buffer.find(self._delimiter)
            if found >= 0:
                self._buffer = self._buffer[found + len(self._delimiter) :]
                return True
            self._buffer = self._buffer[-keep:] if keep else b""
            if not self._fill():
                return False

    def at(self, prefix: bytes) -> bool:
        """True if the body continues with ``prefix`` (nothing is consumed)."""
        while len(self._buffer) < len(prefix) and self._fill():
            pass
        return self._buffer.startswith(prefix)

    def head(self) -> bytes:
        """A part's header block, up to the blank line (consumed with it)."""
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            delimiter = self._buffer.find(self._delimiter)
            if delimiter >= 0 and (end < 0 or delimiter < end):
                raise MultipartError("a part has no header/body separator")
            if end >= 0:
                head, self._buffer = self._buffer[:end], self._buffer[end + 4 :]
                return head
            if len(self._buffer) > _HEAD_LIMIT:
                raise MultipartError("a part's headers are longer than 64 KiB")
            if not self._fill():
                if self._buffer.startswith(b"--"):
                    break
                raise MultipartError("the body ends without the closing boundary")
        raise MultipartError("a part has no header/body separator")

    def copy_content(self, sink: Callable[[bytes], object]) -> int:
        """Hand a part's content to ``sink`` up to the next delimiter; its length."""
        keep = len(self._delimiter) - 1
        size = 0
        while True:
            found = self._buffer.find(self._delimiter)
            if found >= 0:
                if found:
                    sink(self._buffer[:found])
                size += found
                self._buffer = self._buffer[found + len(self._delimiter) :]
                return size
            if len(self._buffer) > keep:
                cut = len(self._buffer) - keep
                sink(self._buffer[:cut])
                size += cut
                self._buffer = self._buffer[cut:]
            if not self._fill():
                raise MultipartError("the body ends without the closing boundary")
