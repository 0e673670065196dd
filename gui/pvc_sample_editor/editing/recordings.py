"""A voice's recordings folder: which local file is each sample's own copy (no Qt).

A studio keeps the original recordings of a voice in one folder. Each sample looks for its
copy there by **file name**, then by **size** (a sample renamed on the server still has
its upload's size), then by **duration** (a copy converted to another format), and a
candidate is used only when its duration agrees with the sample's. A file that matches by
name or size but lasts a different time is a **wrong match**: it is reported, never used,
because trims set on the wrong audio would be sent for the right sample.

Scanning lists the folder and its subfolders (stat only); durations are read from file
headers, and only for the files a match needs.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pvc_sample_editor.api.models import Sample
from pvc_sample_editor.audio import AudioLoadError, probe
from pvc_sample_editor.audio.source import AUDIO_SUFFIXES
from pvc_sample_editor.timecode import format_ms

__all__ = [
    "FolderGoneError",
    "LocalCopy",
    "MatchKind",
    "RecordingsFolder",
    "duration_agrees",
    "match_samples",
    "scan_folder",
]

#: How far a local copy's duration may stray from the server's and still be the same
#: recording: decoders disagree by a frame or two on compressed formats, and the server
#: may have transcoded. A different take differs by far more.
TOLERANCE_MS = 100
TOLERANCE_SHARE = 0.005

#: Subfolders deeper than this are not searched (a folder is one voice's recordings).
MAX_DEPTH = 3


class FolderGoneError(Exception):
    """The recordings folder is not there (moved, renamed, an unplugged drive).

    ``str()`` says so and what to do.
    """


class MatchKind(str, enum.Enum):
    """How a sample found its local copy."""

    NAME = "name"
    SIZE = "size"
    DURATION = "duration"


@dataclass(frozen=True)
class LocalFile:
    """An audio file in the folder; its duration is read when a match needs it."""

    path: Path
    size: int


@dataclass(frozen=True)
class LocalCopy:
    """What the folder holds for one sample.

    ``usable`` means ``path`` is the sample's audio. A wrong match has a ``path`` and a
    ``problem``; no match at all has neither.
    """

    sample_id: str
    path: Path | None = None
    how: MatchKind | None = None
    problem: str = ""

    @property
    def usable(self) -> bool:
        """True when the editor should open ``path`` for the sample."""
        return self.path is not None and not self.problem


@dataclass(frozen=True)
class RecordingsFolder:
    """A scanned folder: its audio files, largest listing first by path."""

    root: Path
    files: tuple[LocalFile, ...] = field(default=())


def scan_folder(root: Path, *, should_stop: Callable[[], bool] | None = None) -> RecordingsFolder:
    """List the audio files under ``root`` (subfolders to :data:`MAX_DEPTH`).

    Raises :class:`FolderGoneError` when ``root`` is not a folder that can be listed. Files
    that vanish or cannot be read while listing are left out.
    """
    if not root.is_dir():
        raise FolderGoneError(
            f"The recordings folder {root} is not there (moved, renamed, or on a drive that "
            "is not connected). Samples open the server's 30-second preview until you "
            "choose the folder again or connect the drive."
        )
    found: list[LocalFile] = []
    pending: list[tuple[Path, int]] = [(root, 0)]
    while pending:
        if should_stop is not None and should_stop():
            break
        folder, depth = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            if folder == root:
                raise FolderGoneError(
                    f"The recordings folder {root} cannot be read ({exc.strerror or exc}). "
                    "Check its permissions, or choose another folder."
                ) from None
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth < MAX_DEPTH and not entry.name.startswith("."):
                        pending.append((Path(entry.path), depth + 1))
                elif Path(entry.name).suffix.lower() in AUDIO_SUFFIXES and entry.is_file():
                    found.append(LocalFile(Path(entry.path), entry.stat().st_size))
            except OSError:
                continue  # vanished or unreadable while listing
    found.sort(key=lambda f: str(f.path))
    return RecordingsFolder(root, tuple(found))


def duration_agrees(local_ms: int, sample_ms: int) -> bool:
    """True when a local file of ``local_ms`` can be the sample of ``sample_ms``."""
    return abs(local_ms - sample_ms) <= max(TOLERANCE_MS, TOLERANCE_SHARE * sample_ms)


class _Durations:
    """Reads each file's duration once, from its header; None when it cannot be read."""

    def __init__(self) -> None:
        self._known: dict[Path, int | None] = {}

    def __call__(self, path: Path) -> int | None:
        if path not in self._known:
            try:
                self._known[path] = probe(path).duration_ms
            except AudioLoadError:
                self._known[path] = None
        return self._known[path]


def _verdict(sample: Sample, file: LocalFile, how: MatchKind, durations: _Durations) -> LocalCopy:
    """``file`` as ``sample``'s copy, found by ``how``: usable, or a wrong match said."""
    expected = sample.duration_ms
    if expected is None:  # the server does not say: the name or size is all there is
        return LocalCopy(sample.sample_id, file.path, how)
    actual = durations(file.path)
    if actual is None:
        problem = f"“{file.path.name}” cannot be read as audio, so it is not used."
    elif not duration_agrees(actual, expected):
        problem = (
            f"“{file.path.name}” lasts {format_ms(actual)} but the sample lasts "
            f"{format_ms(expected)}: it is another recording, so it is not used. Open the "
            "right file with File → Open Audio, or put it in the folder."
        )
    else:
        return LocalCopy(sample.sample_id, file.path, how)
    return LocalCopy(sample.sample_id, file.path, how, problem)


def match_samples(
    samples: Iterable[Sample],
    folder: RecordingsFolder,
    *,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, LocalCopy]:
    """Each sample's local copy in ``folder``, by name, then size, then duration.

    A file is given to one sample at most. Samples with nothing found get a
    :class:`LocalCopy` without a path.
    """
    samples = list(samples)
    durations = _Durations()
    by_name: dict[str, list[LocalFile]] = {}
    by_size: dict[int, list[LocalFile]] = {}
    for file in folder.files:
        by_name.setdefault(file.path.name.casefold(), []).append(file)
        by_size.setdefault(file.size, []).append(file)
    taken: set[Path] = set()
    result: dict[str, LocalCopy] = {}

    def claim(sample: Sample, candidates: Iterable[LocalFile], how: MatchKind) -> bool:
        free = [f for f in candidates if f.path not in taken]
        if not free:
            return False
        # Of several same-named files, the one of the sample's size, else the first.
        free.sort(key=lambda f: f.size != sample.size_bytes)
        copy = _verdict(sample, free[0], how, durations)
        if copy.usable:
            taken.add(free[0].path)
        result[sample.sample_id] = copy
        return True

    for sample in samples:  # by name first, for every sample, so a name is never stolen
        claim(sample, by_name.get(sample.file_name.casefold(), ()), MatchKind.NAME)
    for sample in samples:
        if not _found(result, sample) and sample.size_bytes:
            claim(sample, by_size.get(sample.size_bytes, ()), MatchKind.SIZE)
    for sample in samples:
        if _found(result, sample) or sample.duration_ms is None:
            continue
        if should_stop is not None and should_stop():
            break
        same = [
            f
            for f in folder.files
            if f.path not in taken
            and (ms := durations(f.path)) is not None
            and duration_agrees(ms, sample.duration_ms)
        ]
        if len(same) == 1:  # two files of that length: a guess, so none
            claim(sample, same, MatchKind.DURATION)
    for sample in samples:
        result.setdefault(sample.sample_id, LocalCopy(sample.sample_id))
    return result


def _found(result: Mapping[str, LocalCopy], sample: Sample) -> bool:
    copy = result.get(sample.sample_id)
    return copy is not None and copy.usable
