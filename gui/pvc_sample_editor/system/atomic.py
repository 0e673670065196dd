"""Writing a small file so that a crash leaves either the old version or the new one.

Used for drafts and the upload journal: the new content goes to a temporary file in
the same folder (``os.replace`` is atomic only within one file system), is flushed to
disk, and then replaces the target; the folder is synced so the rename survives a
power cut too.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["fsync_dir", "write_atomically"]


def fsync_dir(directory: Path) -> None:
    """Make a rename or unlink in ``directory`` durable (POSIX; Windows cannot open dirs)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the rename has still happened
    finally:
        os.close(fd)


def write_atomically(target: Path, data: bytes, *, prefix: str, suffix: str = ".tmp") -> None:
    """Replace ``target`` with ``data``, atomically and durably.

    Raises OSError when it cannot be written; ``target`` is then unchanged and the
    temporary file (``prefix…suffix`` in the same folder) removed.
    """
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            # Without fsync a power cut after the rename can leave an empty file.
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(target.parent)
