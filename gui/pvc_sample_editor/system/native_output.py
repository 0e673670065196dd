"""What a C library prints on standard error during one call, sent to the log instead.

Some libraries the app calls print diagnostics straight to file descriptor 2 and offer
no hook to stop them. libmpg123, which libsndfile decodes MP3 with, prints "Warning: Xing
stream size off by more than 1%, fuzzy seeking may be even more fuzzy than by design!"
when it opens an MP3 that was cut short, a case the app finds and words itself. On a
terminal such lines read like failures.

:func:`library_output_to_log` runs a call with descriptor 2 pointed at a temporary file.
Afterwards the lines the library is known to print go to the log; any other line (what
another thread wrote in the meantime) is written to the real standard error, late but
not lost. One call at a time holds descriptor 2 (a lock), so keep the calls short:
opening a file, not decoding it. Only on POSIX; elsewhere the call runs as it is.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator

__all__ = ["library_output_to_log"]

log = logging.getLogger(__name__)

_STDERR = 2
_lock = threading.Lock()


@contextlib.contextmanager
def library_output_to_log(library: str, known: re.Pattern[str]) -> Iterator[None]:
    """Log the lines matching ``known`` that the block prints on stderr, as ``library``'s."""
    if os.name != "posix":
        yield
        return
    with _lock:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            sys.stderr.flush()  # Python's own pending text belongs before the swap
        try:
            saved = os.dup(_STDERR)
        except OSError:  # no standard error at all: nothing to keep clean
            saved = -1
        if saved < 0:
            yield
            return
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), _STDERR)
            try:
                yield
            finally:
                os.dup2(saved, _STDERR)
                os.close(saved)
                sink.seek(0)
                _sort(sink.read().decode(errors="replace"), library, known)


def _sort(text: str, library: str, known: re.Pattern[str]) -> None:
    """Log ``known`` lines; write back the rest as they were."""
    others = []
    for line in text.splitlines(keepends=True):
        if known.match(line):
            log.debug("%s: %s", library, line.rstrip())
        else:
            others.append(line)
    if others:
        with contextlib.suppress(OSError):
            os.write(_STDERR, "".join(others).encode())
