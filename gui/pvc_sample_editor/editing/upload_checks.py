"""What to say before recordings are uploaded (no Qt).

:func:`inspect_file` gathers the facts of one local file (size, content hashes, what
libsndfile makes of it) in one streamed read; :func:`upload_issues` is a pure function
of those facts and the voice's samples that lists what the server would refuse
(``blocking``) or ElevenLabs advises against, each in a sentence that says what to do.
The window shows them with the choice to go on.

Duplicates are matched on size and content hash. The spec gives a sample a ``hash``
without naming the algorithm: the emulator's is SHA-256, so both SHA-256 and MD5 of
the local file are taken, and either matching counts.

More than one speaker cannot be told here yet (the audio checks have no speaker
counter); a caller that knows a file's speaker count passes it in ``speakers``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from pvc_sample_editor.api.models import Sample
from pvc_sample_editor.audio.errors import AudioLoadError
from pvc_sample_editor.audio.source import probe
from pvc_sample_editor.editing.split import SPLIT_OFFER_SECONDS
from pvc_sample_editor.timecode import format_ms

__all__ = [
    "ACCEPTED_EXTENSIONS",
    "IssueKind",
    "LocalFile",
    "UploadIssue",
    "inspect_file",
    "matches_sample",
    "upload_issues",
]

#: Audio the upload takes (ElevenLabs' voice-lab formats).
ACCEPTED_EXTENSIONS = frozenset(
    {".mp3", ".wav", ".flac", ".ogg", ".opus", ".m4a", ".aac", ".webm", ".aif", ".aiff"}
)
#: Of those, the ones libsndfile cannot open: accepted, but not checked here.
_NOT_CHECKABLE = frozenset({".m4a", ".aac", ".webm"})
_READ = 1 << 20


class IssueKind(str, Enum):
    """What is wrong with a file about to be uploaded."""

    UNSUPPORTED_FORMAT = "unsupported_format"
    EMPTY = "empty"
    UNREADABLE = "unreadable"
    DUPLICATE_ON_SERVER = "duplicate_on_server"
    DUPLICATE_IN_SELECTION = "duplicate_in_selection"
    TOO_LONG = "too_long"
    SEVERAL_SPEAKERS = "several_speakers"


@dataclass(frozen=True)
class LocalFile:
    """The facts of one file about to be uploaded."""

    path: Path
    size: int
    mtime_ns: int
    sha256: str
    md5: str
    #: Length in ms, when libsndfile could read it (None: not audio it reads, or empty).
    duration_ms: int | None = None
    #: Why it cannot be read as audio, in a sentence (None: read, or not checkable here).
    problem: str | None = None


@dataclass(frozen=True)
class UploadIssue:
    """One thing to say about one file; ``blocking`` when the server would refuse it."""

    path: Path
    kind: IssueKind
    message: str
    blocking: bool
    #: For a duplicate on the server: the sample it repeats.
    sample_id: str | None = None


def inspect_file(
    path: str | os.PathLike[str], *, should_stop: Callable[[], bool] | None = None
) -> LocalFile:
    """Read ``path`` once for its hashes and probe it; OSError if it cannot be read."""
    p = Path(os.path.abspath(path))
    st = os.stat(p)
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    with open(p, "rb") as f:
        while block := f.read(_READ):
            if should_stop is not None and should_stop():
                raise InterruptedError(f"the check of {p.name} was cancelled")
            sha.update(block)
            md5.update(block)
    duration: int | None = None
    problem: str | None = None
    if st.st_size and p.suffix.lower() in ACCEPTED_EXTENSIONS - _NOT_CHECKABLE:
        try:
            duration = probe(p).duration_ms
        except AudioLoadError as exc:
            problem = str(exc)
    return LocalFile(
        p, st.st_size, st.st_mtime_ns, sha.hexdigest(), md5.hexdigest(), duration, problem
    )


def matches_sample(local: LocalFile, sample: Sample) -> bool:
    """True when ``sample`` on the server holds this file's bytes (size and hash).

    A server that sends no hash is matched on size alone: a wrong "already there" only
    skips a re-send the user can still make, a wrong "not there" uploads twice.
    """
    if sample.size_bytes is not None and sample.size_bytes != local.size:
        return False
    if sample.hash is None:
        return sample.size_bytes is not None
    return sample.hash.lower() in (local.sha256, local.md5)


def upload_issues(
    files: Sequence[LocalFile],
    samples: Sequence[Sample],
    *,
    speakers: Mapping[Path, int] | None = None,
) -> tuple[UploadIssue, ...]:
    """Everything to say before uploading ``files`` to a voice that holds ``samples``."""
    issues: list[UploadIssue] = []
    seen: dict[tuple[int, str], Path] = {}
    for file in files:
        name = file.path.name
        suffix = file.path.suffix.lower()
        if suffix not in ACCEPTED_EXTENSIONS:
            accepted = ", ".join(sorted(e[1:] for e in ACCEPTED_EXTENSIONS))
            issues.append(
                UploadIssue(
                    file.path,
                    IssueKind.UNSUPPORTED_FORMAT,
                    f"“{name}” is not a format the upload takes ({suffix or 'no extension'}). "
                    f"Export it as one of: {accepted}.",
                    blocking=True,
                )
            )
            continue
        if file.size == 0:
            issues.append(
                UploadIssue(
                    file.path,
                    IssueKind.EMPTY,
                    f"“{name}” is empty (0 bytes). Choose the file with the recording in it.",
                    blocking=True,
                )
            )
            continue
        if file.problem is not None:
            issues.append(UploadIssue(file.path, IssueKind.UNREADABLE, file.problem, True))
            continue
        key = (file.size, file.sha256)
        if key in seen:
            issues.append(
                UploadIssue(
                    file.path,
                    IssueKind.DUPLICATE_IN_SELECTION,
                    f"“{name}” is the same recording as “{seen[key].name}”, also chosen; "
                    "it would count twice. Leave one of them out.",
                    blocking=False,
                )
            )
        seen.setdefault(key, file.path)
        twin = next((s for s in samples if matches_sample(file, s)), None)
        if twin is not None:
            issues.append(
                UploadIssue(
                    file.path,
                    IssueKind.DUPLICATE_ON_SERVER,
                    f"“{name}” is already in this voice as “{twin.file_name}” (same size and "
                    "content). Uploading it again would count it twice; skip it.",
                    blocking=False,
                    sample_id=twin.sample_id,
                )
            )
        if file.duration_ms is not None and file.duration_ms > SPLIT_OFFER_SECONDS * 1000:
            issues.append(
                UploadIssue(
                    file.path,
                    IssueKind.TOO_LONG,
                    f"“{name}” is {format_ms(file.duration_ms)} long; a sample may be at most 30 "
                    "minutes. Going on offers to split it at its pauses into parts that fit.",
                    blocking=False,
                )
            )
        count = (speakers or {}).get(file.path)
        if count is not None and count > 1:
            issues.append(
                UploadIssue(
                    file.path,
                    IssueKind.SEVERAL_SPEAKERS,
                    f"“{name}” has {count} speakers. A clone learns every voice it hears: cut it "
                    "to the one speaker, or choose that speaker after the upload.",
                    blocking=False,
                )
            )
    return tuple(issues)
