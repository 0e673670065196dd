"""The upload journal: no upload is lost, none is made twice (no Qt).

Before anything is sent, a batch of files is written to the journal (one JSON file per
batch under the user's data folder, replaced atomically). Each file then goes in its
own request, so what reached the server is known file by file:

- ``pending``: not sent yet;
- ``sending``: a request began and its answer was not recorded. The server may or may
  not hold the file (a crash, a lost connection, a cancel after the last byte);
- ``done``: the server answered with the sample id;
- ``failed``: the server refused it (a 4xx such as 422 or 413) or the file could not
  be read; said why. A 401, 404 or 429 (after the retries) stops the run and leaves the
  file ``pending``: the server took nothing, and the next file would fare the same.

On the next start :meth:`UploadJournal.unfinished` lists the batches still open. Before
anything is sent again, :func:`reconcile` matches every ``pending`` and ``sending``
file against the voice's samples by name, size and content hash
(:func:`~pvc_sample_editor.editing.upload_checks.matches_sample`): a file the server
already holds is marked ``done`` with that sample's id, and only the rest are sent.
:func:`run_batch` does that first whenever a batch has a ``sending`` file.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any

from pvc_sample_editor.api.client import ApiClient, UploadFileError
from pvc_sample_editor.api.errors import (
    ApiError,
    AuthenticationError,
    CancelledError,
    ClientRequestError,
    NotFoundError,
    RateLimitedError,
    ValidationError,
)
from pvc_sample_editor.api.models import Voice
from pvc_sample_editor.editing.upload_checks import LocalFile, matches_sample
from pvc_sample_editor.system.atomic import fsync_dir, write_atomically
from pvc_sample_editor.system.paths import user_data_dir

__all__ = [
    "EntryState",
    "JournalEntry",
    "UploadBatch",
    "UploadJournal",
    "UploadOutcome",
    "UploadProgress",
    "describe_batch",
    "reconcile",
    "run_batch",
]

log = logging.getLogger(__name__)
_SCHEMA = 1
_TEMP_PREFIX = ".upload-"


class EntryState(str, Enum):
    """Where one file of a batch stands (see the module doc)."""

    PENDING = "pending"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class JournalEntry:
    """One file of a batch: what it was when added, and where it stands."""

    path: str
    name: str
    size: int
    mtime_ns: int
    sha256: str
    md5: str
    state: EntryState = EntryState.PENDING
    sample_id: str | None = None
    error: str | None = None

    def local(self) -> LocalFile:
        """The facts :func:`~.upload_checks.matches_sample` compares."""
        return LocalFile(Path(self.path), self.size, self.mtime_ns, self.sha256, self.md5)


@dataclass(frozen=True)
class UploadBatch:
    """Files going to one voice on one server, in the order chosen."""

    batch_id: str
    base_url: str
    voice_id: str
    remove_background_noise: bool
    created_at: float
    entries: tuple[JournalEntry, ...]

    @property
    def finished(self) -> bool:
        """True when every file is on the server."""
        return all(e.state is EntryState.DONE for e in self.entries)

    def in_state(self, *states: EntryState) -> tuple[JournalEntry, ...]:
        """The entries in any of ``states``, in order."""
        return tuple(e for e in self.entries if e.state in states)

    def with_entry(self, index: int, **changes: Any) -> UploadBatch:
        """A copy with entry ``index`` changed."""
        entries = list(self.entries)
        entries[index] = replace(entries[index], **changes)
        return replace(self, entries=tuple(entries))

    def to_json(self) -> dict[str, Any]:
        """The journal file's content."""
        return {
            "schema": _SCHEMA,
            "batch_id": self.batch_id,
            "base_url": self.base_url,
            "voice_id": self.voice_id,
            "remove_background_noise": self.remove_background_noise,
            "created_at": self.created_at,
            "entries": [{**e.__dict__, "state": e.state.value} for e in self.entries],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UploadBatch:
        """Read a journal file's content; KeyError/TypeError/ValueError when it is not one."""
        if data["schema"] != _SCHEMA:
            raise ValueError(f"unknown journal schema {data['schema']!r}")
        entries = tuple(
            JournalEntry(**{**e, "state": EntryState(e["state"])}) for e in data["entries"]
        )
        return cls(
            batch_id=str(data["batch_id"]),
            base_url=str(data["base_url"]),
            voice_id=str(data["voice_id"]),
            remove_background_noise=bool(data["remove_background_noise"]),
            created_at=float(data["created_at"]),
            entries=entries,
        )


class UploadJournal:
    """The folder of open batches: atomic saves, tolerant loads."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else user_data_dir(create=False) / "uploads"

    def _path(self, batch_id: str) -> Path:
        return self.root / f"{batch_id}.json"

    def begin(
        self,
        base_url: str,
        voice_id: str,
        files: Sequence[LocalFile],
        *,
        remove_background_noise: bool = False,
    ) -> UploadBatch:
        """Record a new batch (OSError if the journal cannot be written: do not upload)."""
        batch = UploadBatch(
            batch_id=f"{int(time.time())}-{secrets.token_hex(4)}",
            base_url=base_url,
            voice_id=voice_id,
            remove_background_noise=remove_background_noise,
            created_at=time.time(),
            entries=tuple(
                JournalEntry(str(f.path), f.path.name, f.size, f.mtime_ns, f.sha256, f.md5)
                for f in files
            ),
        )
        self.save(batch)
        return batch

    def save(self, batch: UploadBatch) -> None:
        """Write ``batch`` durably; a finished batch is removed instead."""
        if batch.finished:
            self.remove(batch.batch_id)
            return
        self.root.mkdir(parents=True, exist_ok=True)
        data = json.dumps(batch.to_json(), indent=1).encode()
        write_atomically(self._path(batch.batch_id), data, prefix=_TEMP_PREFIX)

    def remove(self, batch_id: str) -> None:
        """Forget a batch (finished, or dismissed by the user)."""
        try:
            self._path(batch_id).unlink()
        except FileNotFoundError:
            return
        fsync_dir(self.root)

    def unfinished(self, base_url: str | None = None) -> list[UploadBatch]:
        """The open batches, oldest first (for ``base_url`` only, if given).

        A file that cannot be read as a batch is moved aside to ``*.corrupt`` and
        logged, never deleted.
        """
        batches = []
        if self.root.is_dir():
            for temp in self.root.glob(f"{_TEMP_PREFIX}*"):  # a write a crash cut short
                temp.unlink(missing_ok=True)
        for path in sorted(self.root.glob("*.json")) if self.root.is_dir() else []:
            try:
                batch = UploadBatch.from_json(json.loads(path.read_bytes()))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("upload journal %s is unreadable (%s); moved aside", path, exc)
                os.replace(path, path.with_suffix(".corrupt"))
                continue
            if base_url is None or batch.base_url == base_url:
                batches.append(batch)
        return sorted(batches, key=lambda b: b.created_at)


def describe_batch(batch: UploadBatch, voice_name: str | None = None) -> str:
    """What became of an interrupted upload, in a sentence for the next start."""
    voice = f"“{voice_name}”" if voice_name else f"voice {batch.voice_id}"
    total = len(batch.entries)
    counts = [
        (len(batch.in_state(EntryState.DONE)), "reached the server"),
        (
            len(batch.in_state(EntryState.SENDING)),
            "may have reached it (the voice is checked before anything is sent again)",
        ),
        (len(batch.in_state(EntryState.PENDING)), "not sent yet"),
        (len(batch.in_state(EntryState.FAILED)), "refused or unreadable"),
    ]
    said = "; ".join(f"{n} {words}" for n, words in counts if n)
    return f"An upload of {total} file{'s' * (total != 1)} to {voice} was interrupted: {said}."


def reconcile(batch: UploadBatch, voice: Voice) -> UploadBatch:
    """Mark ``done`` every unsent or uncertain file the voice already holds.

    Matched by name, size and hash; each sample accounts for one file at most, and a
    sample an earlier entry of the batch already claimed is not matched again.
    """
    claimed = {e.sample_id for e in batch.entries if e.sample_id is not None}
    for index, entry in enumerate(batch.entries):
        if entry.state not in (EntryState.PENDING, EntryState.SENDING):
            continue
        for sample in voice.samples:
            if (
                sample.sample_id not in claimed
                and sample.file_name == entry.name
                and matches_sample(entry.local(), sample)
            ):
                claimed.add(sample.sample_id)
                batch = batch.with_entry(
                    index, state=EntryState.DONE, sample_id=sample.sample_id, error=None
                )
                break
        else:
            if entry.state is EntryState.SENDING:  # it never arrived: send it again
                batch = batch.with_entry(index, state=EntryState.PENDING)
    return batch


@dataclass(frozen=True)
class UploadProgress:
    """Where a running batch is: the file being sent and the batch's bytes in all."""

    index: int
    name: str
    file_sent: int
    file_total: int
    batch_sent: int
    batch_total: int


@dataclass(frozen=True)
class UploadOutcome:
    """How a run ended: the batch as now journaled, and why it stopped early, if it did."""

    batch: UploadBatch
    cancelled: bool = False
    #: The error that stopped the run (lost connection, key refused, voice gone).
    error: ApiError | None = None


def run_batch(
    client: ApiClient,
    journal: UploadJournal,
    batch: UploadBatch,
    *,
    on_progress: Callable[[UploadProgress], None] | None = None,
    on_sample: Callable[[int, JournalEntry], None] | None = None,
    cancel: threading.Event | None = None,
) -> UploadOutcome:
    """Send the batch's ``pending`` files one request each, journaling every step.

    Reconciles with the server first when a file's fate is unknown, so nothing is sent
    twice. ``on_sample(index, entry)`` after each file the server took. Stops at the
    first error that would stop the next file too (connection, key, voice), or on
    cancel; the batch stays in the journal to be resumed.
    """
    try:
        if batch.in_state(EntryState.SENDING):
            batch = reconcile(batch, client.get_voice(batch.voice_id, cancel=cancel))
            journal.save(batch)
    except CancelledError:
        return UploadOutcome(batch, cancelled=True)
    except ApiError as exc:
        return UploadOutcome(batch, error=exc)
    batch_total = sum(e.size for e in batch.entries)
    done_bytes = sum(e.size for e in batch.in_state(EntryState.DONE, EntryState.FAILED))
    for index, entry in enumerate(batch.entries):
        if entry.state is not EntryState.PENDING:
            continue
        problem = _changed_since_added(entry)
        if problem is not None:
            batch = batch.with_entry(index, state=EntryState.FAILED, error=problem)
            journal.save(batch)
            continue
        batch = batch.with_entry(index, state=EntryState.SENDING, error=None)
        journal.save(batch)  # before the first byte: a crash from here on is "uncertain"

        def progress(
            sent: int, total: int, i: int = index, e: JournalEntry = entry, base: int = done_bytes
        ) -> None:
            if on_progress is not None:
                share = min(e.size, round(sent * e.size / total)) if total else e.size
                on_progress(UploadProgress(i, e.name, share, e.size, base + share, batch_total))

        try:
            (sample,) = client.add_samples(
                batch.voice_id,
                [Path(entry.path)],
                remove_background_noise=batch.remove_background_noise,
                on_progress=progress,
                cancel=cancel,
            )
        except (ValidationError, ClientRequestError) as exc:  # refused: nothing was stored
            batch = batch.with_entry(index, state=EntryState.FAILED, error=str(exc))
        except (AuthenticationError, NotFoundError, RateLimitedError) as exc:  # not taken
            batch = batch.with_entry(index, state=EntryState.PENDING, error=str(exc))
            journal.save(batch)
            return UploadOutcome(batch, error=exc)
        except (UploadFileError, OSError) as exc:
            batch = batch.with_entry(index, state=EntryState.FAILED, error=str(exc))
        except CancelledError:
            journal.save(batch)  # stays "sending": the last bytes may have arrived
            return UploadOutcome(batch, cancelled=True)
        except ApiError as exc:  # lost connection or a 5xx: the server may hold it
            batch = batch.with_entry(index, error=str(exc))
            journal.save(batch)
            return UploadOutcome(batch, error=exc)
        else:
            batch = batch.with_entry(index, state=EntryState.DONE, sample_id=sample.sample_id)
            if on_sample is not None:
                on_sample(index, batch.entries[index])
        done_bytes += entry.size
        journal.save(batch)
    return UploadOutcome(batch)


def _changed_since_added(entry: JournalEntry) -> str | None:
    try:
        st = os.stat(entry.path)
    except OSError as exc:
        return f"“{entry.name}” can no longer be read ({exc.strerror or exc}); add it again."
    if (st.st_size, st.st_mtime_ns) != (entry.size, entry.mtime_ns):
        return f"“{entry.name}” changed since it was added to the upload; add it again."
    return None
