"""A small ``multipart/form-data`` parser (the stdlib ``cgi`` module is deprecated).

Parts are split on the boundary as raw bytes, so binary audio passes through
untouched; only each part's header block goes through the ``email`` package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser

__all__ = ["MultipartError", "Part", "parse_multipart"]


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data."""


@dataclass(frozen=True)
class Part:
    """One form field: its name, the file name for file parts, and the raw content."""

    name: str
    filename: str | None
    content: bytes

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
    """Split a ``multipart/form-data`` body into its parts, in order."""
    boundary = boundary_of(content_type)
    if boundary is None:
        raise MultipartError("expected Content-Type multipart/form-data with a boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    # Prefixing CRLF lets the first delimiter be found like the others.
    chunks = (b"\r\n" + body).split(b"\r\n" + delimiter)
    if len(chunks) < 2:
        raise MultipartError("no multipart boundary found in the body")
    parts: list[Part] = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):  # the closing delimiter
            return parts
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise MultipartError("a part has no header/body separator")
        # Browsers and urllib3 send non-ASCII file names as raw UTF-8 in the header. The
        # email package would turn bytes that are not UTF-8 into U+FFFD, a name the
        # sender never chose; as Latin-1 every byte survives, and _param decodes the
        # values as UTF-8 with bad bytes kept as lone surrogates (the file-name rule
        # refuses those).
        text = head.lstrip(b" \t").lstrip(b"\r\n").decode("latin-1")
        # compat32 (the default policy) keeps header values as sent, unparsed.
        headers = HeaderParser().parsestr(text)
        disposition = headers.get("content-disposition", "")
        if not str(disposition).lower().startswith("form-data"):
            raise MultipartError("a part has no Content-Disposition: form-data header")
        name = _param(str(disposition), "name")
        if name is None:
            raise MultipartError("a part has no field name")
        # RFC 5987 ``filename*=`` (rare) is decoded by the email package.
        filename = headers.get_filename() if "filename*" in str(disposition) else None
        parts.append(Part(name, filename or _param(str(disposition), "filename"), content))
    raise MultipartError("the body ends without the closing boundary")
