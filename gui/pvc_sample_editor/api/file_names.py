"""The one rule for a sample's file name, shared by the client, edits and uploads.

A name the edit endpoint refuses must not get in through an upload either (a NUL,
5,000 characters or ``..`` did), or a sample is stored under a name it can never be
saved under again. The client checks an edit with :func:`file_name_problem` before
sending it, and the emulator answers 422 with the same words for edits and uploads.
Pure Python: no Qt, nothing from above ``api``.
"""

from __future__ import annotations

import unicodedata

__all__ = ["FORBIDDEN_CATEGORIES", "MAX_FILE_NAME_BYTES", "RESERVED_NAMES", "file_name_problem"]

#: Longest name in UTF-8 bytes: what ext4, APFS and NTFS (in UTF-16 units) all store.
MAX_FILE_NAME_BYTES = 255
#: Unicode categories refused: controls (NUL, newline), invisible format characters
#: (a right-to-left override disguises ``exe.wav`` as ``vaw.exe``), lone surrogates
#: (not encodable as UTF-8 at all) and line/paragraph separators.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
#: Names that mean "this folder" and "the folder above" to every file system.
RESERVED_NAMES = frozenset({".", ".."})


def file_name_problem(name: object) -> str | None:
    """What is wrong with ``name`` as a sample's file name, in one sentence; None if fine."""
    if not isinstance(name, str):
        return "The file name must be text."
    if not name.strip():
        return "Enter a file name; it cannot be empty."
    if "/" in name or "\\" in name:
        return "The file name cannot contain '/' or '\\'; give a name, not a path."
    if any(unicodedata.category(ch) in FORBIDDEN_CATEGORIES for ch in name):
        return "The file name contains control or invisible characters; remove them."
    if name in RESERVED_NAMES:
        return "'.' and '..' are not file names."
    if len(name.encode("utf-8")) > MAX_FILE_NAME_BYTES:
        return f"The file name is too long (at most {MAX_FILE_NAME_BYTES} bytes)."
    return None
