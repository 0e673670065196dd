"""What the window says before an upload: each file read once, and its issues (no Qt).

:func:`check_files` runs off the GUI thread; :func:`issues_text` is the question the
window asks when anything would be refused or is advised against.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pvc_sample_editor.api.models import Voice
from pvc_sample_editor.editing.upload_checks import (
    IssueKind,
    LocalFile,
    UploadIssue,
    inspect_file,
    upload_issues,
)

__all__ = ["Checked", "check_files", "issues_text"]

_REPEATS = (IssueKind.DUPLICATE_ON_SERVER, IssueKind.DUPLICATE_IN_SELECTION)


@dataclass(frozen=True)
class Checked:
    """The files as read, what cannot be read at all, and what to say about the rest."""

    files: tuple[LocalFile, ...]
    unreadable: tuple[str, ...]
    issues: tuple[UploadIssue, ...]

    @property
    def sendable(self) -> tuple[LocalFile, ...]:
        """The files the server would take."""
        blocked = {i.path for i in self.issues if i.blocking}
        return tuple(f for f in self.files if f.path not in blocked)

    @property
    def other_issues(self) -> tuple[UploadIssue, ...]:
        """The issues but the repeats (which :attr:`duplicates` lists)."""
        return tuple(i for i in self.issues if i.kind not in _REPEATS)

    @property
    def duplicates(self) -> tuple[Path, ...]:
        """Files the server would take that repeat a sample of the voice or another file
        chosen (the first of the same recordings is not one of them)."""
        sendable = {f.path for f in self.sendable}
        found = {i.path for i in self.issues if i.kind in _REPEATS and i.path in sendable}
        return tuple(f.path for f in self.files if f.path in found)

    def without(self, paths: tuple[Path, ...]) -> tuple[LocalFile, ...]:
        """The sendable files but ``paths``."""
        return tuple(f for f in self.sendable if f.path not in paths)


def check_files(paths: Sequence[Path], voice: Voice, cancel: threading.Event) -> Checked:
    """Read every file once and list its issues against the voice's samples."""
    files, unreadable = [], []
    for path in paths:
        try:
            files.append(inspect_file(path, should_stop=cancel.is_set))
        except IsADirectoryError:
            unreadable.append(f"“{path.name}” is a folder: choose the recordings inside it.")
        except OSError as exc:
            unreadable.append(f"“{path.name}” cannot be read ({exc.strerror or exc}).")
    return Checked(tuple(files), tuple(unreadable), upload_issues(files, voice.samples))


def issues_text(checked: Checked, *, repeats: bool = True) -> str:
    """The question before an upload with issues: each issue (the repeats too, unless
    asked about apart), then what would be sent."""
    issues = checked.issues if repeats else checked.other_issues
    lines = [f"• {text}" for text in checked.unreadable]
    lines += [f"• {issue.message}" for issue in issues]
    total = len(checked.files) + len(checked.unreadable)
    sendable = len(checked.sendable)
    lines.append(
        f"\n{sendable} of {total} file{'s' * (total != 1)} can be sent; "
        "the server would refuse the others, so they are left out."
        if sendable < total
        else ""
    )
    return "\n".join(lines).rstrip()
