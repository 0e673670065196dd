"""Autosaved drafts of an edit, so that a crash, a kill -9 or a power cut loses no work.

Qt-free. One draft per sample (or per local file when no sample is attached), stored as
one small JSON file in ``user_data_dir()/drafts``.

Policy (the UI follows it; the helpers on :class:`Draft` make it one call each):

- Save a draft whenever the edit changes: the UI saves at once on every undoable step
  (a finished handle drag, not each mouse move), so no step is ever only in memory.
  :meth:`DraftStore.save` is atomic and durable: after it returns, the draft survives a
  kill or a crash, and an interrupted save leaves the previous draft intact.
- Remove a draft only after the server has *confirmed* the submitted values on
  read-back (:meth:`Draft.confirmed_by`); the UI then calls :meth:`DraftStore.discard`.
  "The request returned 200" is not enough: the read-back is the proof.
- Before submitting, save the draft with ``submission_pending=True``
  (:meth:`Draft.with_submission_pending`). A failed or interrupted submission keeps it
  that way, so on the next start the UI offers to retry instead of silently restoring.
- On restore, compare the draft's ``baseline`` with the server's current state
  (:meth:`Draft.server_changes`): if someone changed the sample meanwhile, the UI says
  what changed; Submit would send the draft over it, Discard Draft shows the server's.
- Every draft is restored, even one that no longer fits the sample (shorter audio, a
  speaker gone) or that the user left invalid: its fields show what to fix. Refusing
  it would let the next autosave, which writes under the same key, overwrite it.
- A draft file that cannot be read back (truncated, foreign, written by a newer schema)
  is never deleted: it is renamed to ``*.corrupt`` beside the others and ignored.

Safety: file names are ``draft-<sha256>.json`` of a canonical string of the key, never
server text, so hostile ids cannot escape the folder. Non-ASCII text is written as
``\\u`` escapes (the file is ASCII, hence UTF-8) so that even lone surrogates, which
JSON from a server can carry, round-trip exactly.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import json
import logging
import math
import os
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pvc_sample_editor import __version__
from pvc_sample_editor.editing.edit import SampleEdit
from pvc_sample_editor.editing.session import SampleRef
from pvc_sample_editor.system.atomic import fsync_dir, write_atomically
from pvc_sample_editor.system.paths import user_data_dir

__all__ = [
    "SCHEMA_VERSION",
    "Draft",
    "DraftKey",
    "DraftStore",
    "decode_draft",
    "encode_draft",
    "write_durably",
]

SCHEMA_VERSION = 1

# A real draft is well under a kilobyte even with hundreds of speakers; anything far
# bigger is not ours, and reading it whole would only waste memory.
MAX_DRAFT_BYTES = 1 << 20
# A temp file this old belongs to a save that died; a live save takes milliseconds.
STALE_TEMP_SECONDS = 3600.0

_NAME_RE = re.compile(r"draft-[0-9a-f]{64}\.json")
_TEMP_PREFIX = ".draft-"
_TEMP_SUFFIX = ".tmp"

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DraftKey:
    """What a draft belongs to: a server sample, or else a local file.

    Build one with :meth:`for_sample` or :meth:`for_local_file`. Exactly one form is set:
    both ids, or an absolute ``local_file``.
    """

    voice_id: str | None = None
    sample_id: str | None = None
    local_file: str | None = None

    def __post_init__(self) -> None:
        ids = (self.voice_id, self.sample_id)
        if all(isinstance(i, str) for i in ids) and self.local_file is None:
            return
        if ids == (None, None) and isinstance(self.local_file, str):
            if not os.path.isabs(self.local_file):
                raise ValueError(f"a draft's local file must be absolute: {self.local_file!r}")
            return
        raise ValueError("a draft key is either (voice_id, sample_id) or a local file")

    @classmethod
    def for_sample(cls, ref: SampleRef) -> DraftKey:
        """The key of the draft for a sample on the server."""
        return cls(voice_id=ref.voice_id, sample_id=ref.sample_id)

    @classmethod
    def for_local_file(cls, path: str | os.PathLike[str]) -> DraftKey:
        """The key of the draft for a local file not attached to a sample.

        The path is resolved, so a file opened by two different relative paths or via a
        symlink has one draft.
        """
        return cls(local_file=str(Path(path).resolve()))

    @property
    def ref(self) -> SampleRef | None:
        """The sample this key names, or None for a local file."""
        if self.voice_id is None or self.sample_id is None:
            return None
        return SampleRef(self.voice_id, self.sample_id)

    def canonical(self) -> str:
        """An unambiguous string for the key (what the file name is a hash of)."""
        if self.local_file is not None:
            # normcase: on Windows C:\A.wav and c:\a.wav are one file, hence one draft.
            parts: list[str] = ["file", os.path.normcase(self.local_file)]
        else:
            parts = ["sample", str(self.voice_id), str(self.sample_id)]
        # JSON quoting keeps ("a", "b/c") apart from ("a/b", "c"); ASCII keeps it encodable.
        return json.dumps(parts, ensure_ascii=True)

    @property
    def file_name(self) -> str:
        """The draft's file name: fixed-length hex, so no id can escape the folder."""
        digest = hashlib.sha256(self.canonical().encode("ascii")).hexdigest()
        return f"draft-{digest}.json"


@dataclass(frozen=True)
class Draft:
    """An autosaved edit and what is needed to restore it safely."""

    key: DraftKey
    edit: SampleEdit
    # The server's state when the edit began: differs from the server's state on
    # restore when someone else changed the sample meanwhile.
    baseline: SampleEdit | None = None
    saved_at: float = field(default_factory=time.time)
    local_path: str | None = None
    submission_pending: bool = False
    app_version: str = __version__
    schema_version: int = SCHEMA_VERSION

    def with_submission_pending(self, pending: bool = True) -> Draft:
        """A copy marked (or unmarked) as having a submission started and not confirmed."""
        return replace(self, submission_pending=pending, saved_at=time.time())

    def server_changed(self, current: SampleEdit) -> bool:
        """True when the server's ``current`` state is not the one this edit started from."""
        return bool(self.server_changes(current))

    def server_changes(self, current: SampleEdit) -> tuple[str, ...]:
        """What the server changed since this edit began, for the user: one phrase a field.

        Speakers are compared as a set (a selection has no order).
        """
        old = self.baseline
        if old is None or old == current:
            return ()
        changes: list[str] = []
        if (old.trim_start_ms, old.trim_end_ms) != (current.trim_start_ms, current.trim_end_ms):
            changes.append("the trims")
        if old.remove_background_noise != current.remove_background_noise:
            changes.append("noise removal")
        if old.file_name != current.file_name:
            changes.append(f"the file name (now {current.file_name!r})")
        if set(old.selected_speaker_ids) != set(current.selected_speaker_ids):
            changes.append("the speakers kept")
        return tuple(changes)

    def confirmed_by(self, read_back: SampleEdit) -> bool:
        """True when the server's read-back holds exactly the edit's values.

        Speakers are compared as a set: a selection has no order, and the server may
        return it in another one.
        """
        mine, theirs = self.edit, read_back
        return (
            mine.trim_start_ms == theirs.trim_start_ms
            and mine.trim_end_ms == theirs.trim_end_ms
            and mine.remove_background_noise == theirs.remove_background_noise
            and mine.file_name == theirs.file_name
            and set(mine.selected_speaker_ids) == set(theirs.selected_speaker_ids)
        )


class _InvalidDraftError(ValueError):
    """The bytes on disk are not a draft this version can read."""


# ---------------------------------------------------------------- encoding


def _edit_to_json(edit: SampleEdit) -> dict[str, Any]:
    return {
        "trim_start_ms": edit.trim_start_ms,
        "trim_end_ms": edit.trim_end_ms,
        "remove_background_noise": edit.remove_background_noise,
        "file_name": edit.file_name,
        "selected_speaker_ids": list(edit.selected_speaker_ids),
    }


def _key_to_json(key: DraftKey) -> dict[str, Any]:
    if key.local_file is not None:
        return {"kind": "file", "path": key.local_file}
    return {"kind": "sample", "voice_id": key.voice_id, "sample_id": key.sample_id}


def encode_draft(draft: Draft) -> bytes:
    """The bytes of ``draft``'s file."""
    obj = {
        "schema": SCHEMA_VERSION,
        "app_version": draft.app_version,
        "saved_at": draft.saved_at,
        "key": _key_to_json(draft.key),
        "local_path": draft.local_path,
        "submission_pending": draft.submission_pending,
        "edit": _edit_to_json(draft.edit),
        "baseline": None if draft.baseline is None else _edit_to_json(draft.baseline),
    }
    return json.dumps(obj, ensure_ascii=True, allow_nan=False, indent=1).encode("ascii")


# ---------------------------------------------------------------- decoding (untrusted)


def _field(obj: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    if name not in obj:
        raise _InvalidDraftError(f"missing {name!r}")
    value = obj[name]
    # bool is an int in Python; JSON true must not pass for a millisecond count.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _InvalidDraftError(f"{name!r} has the wrong type")
    return value


def _optional_str(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is not None and not isinstance(value, str):
        raise _InvalidDraftError(f"{name!r} has the wrong type")
    return value


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _InvalidDraftError(f"{what} is not an object")
    return value


def _edit_from_json(value: Any) -> SampleEdit:
    obj = _object(value, "edit")
    speakers = _field(obj, "selected_speaker_ids", list)
    if not all(isinstance(s, str) for s in speakers):
        raise _InvalidDraftError("'selected_speaker_ids' must be strings")
    return SampleEdit(
        trim_start_ms=_field(obj, "trim_start_ms", int),
        trim_end_ms=_field(obj, "trim_end_ms", int),
        remove_background_noise=_field(obj, "remove_background_noise", bool),
        file_name=_field(obj, "file_name", str),
        selected_speaker_ids=tuple(speakers),
    )


def _key_from_json(value: Any) -> DraftKey:
    obj = _object(value, "key")
    kind = _field(obj, "kind", str)
    if kind == "sample":
        return DraftKey(
            voice_id=_field(obj, "voice_id", str), sample_id=_field(obj, "sample_id", str)
        )
    if kind == "file":
        # DraftKey's own check (absolute path) raises ValueError, which counts as invalid.
        return DraftKey(local_file=_field(obj, "path", str))
    raise _InvalidDraftError(f"unknown key kind {kind!r}")


def _reject_constant(name: str) -> Any:
    raise _InvalidDraftError(f"{name} is not a valid value")


def decode_draft(raw: bytes) -> Draft:
    """Parse and validate a draft file's bytes; raises ValueError for anything else."""
    if len(raw) > MAX_DRAFT_BYTES:
        raise _InvalidDraftError("too large to be a draft")
    obj = _object(json.loads(raw.decode("utf-8"), parse_constant=_reject_constant), "draft")
    schema = _field(obj, "schema", int)
    if schema != SCHEMA_VERSION:
        raise _InvalidDraftError(f"schema {schema} is not {SCHEMA_VERSION}")
    saved_at = float(_field(obj, "saved_at", (int, float)))
    if not math.isfinite(saved_at):
        raise _InvalidDraftError("'saved_at' is not a time")
    baseline = obj.get("baseline")
    return Draft(
        key=_key_from_json(obj.get("key")),
        edit=_edit_from_json(obj.get("edit")),
        baseline=None if baseline is None else _edit_from_json(baseline),
        saved_at=saved_at,
        local_path=_optional_str(obj, "local_path"),
        submission_pending=_field(obj, "submission_pending", bool),
        app_version=_field(obj, "app_version", str),
        schema_version=schema,
    )


# ---------------------------------------------------------------- the store


def write_durably(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` atomically and durably (its folder is made).

    After it returns the file survives a kill or a power cut; an interrupted write
    leaves the previous file intact. Raises OSError when it cannot be written.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, data, prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX)


class DraftStore:
    """The folder of drafts: atomic saves, tolerant loads, newest-first listing."""

    def __init__(self, root: Path | None = None) -> None:
        # Not created here: a folder that cannot be made must not stop the app starting.
        self._root = root if root is not None else user_data_dir(create=False) / "drafts"

    def problem(self) -> str:
        """Why drafts cannot be saved here, in words ("" when they can).

        Makes the folder if it is missing, as the first save would.
        """
        try:
            self._root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self._root, prefix=_TEMP_PREFIX):
                pass  # can a draft be written there? (removed again on close)
        except OSError as exc:
            return (
                f"Drafts cannot be saved in {self._root} ({exc.strerror or exc}): until that "
                "is fixed, edits will not survive a crash. Move away whatever is in the way, "
                "or free the disk, then restart the editor."
            )
        return ""

    @property
    def root(self) -> Path:
        """The folder the drafts are in."""
        return self._root

    def path_for(self, key: DraftKey) -> Path:
        """Where the draft for ``key`` is stored (always directly inside :attr:`root`)."""
        return self._root / key.file_name

    def save(self, draft: Draft) -> Path:
        """Write ``draft`` atomically and durably, replacing the key's previous draft.

        Raises OSError when it cannot be written; the previous draft is then unchanged.
        """
        target = self.path_for(draft.key)
        write_durably(target, encode_draft(draft))
        return target

    def load(self, key: DraftKey) -> Draft | None:
        """The draft for ``key``, or None if there is none or it cannot be read.

        An unreadable file is moved aside to ``*.corrupt``, never deleted. Never raises
        because of a file's content.
        """
        return self._read(self.path_for(key))

    def load_many(self, keys: Iterable[DraftKey]) -> dict[DraftKey, Draft]:
        """The drafts of ``keys`` that exist: one listing of the folder, then only those
        files read (a voice of 200 samples with 3 drafts opens 3 files, not 200)."""
        try:
            present = set(os.listdir(self._root))
        except OSError:
            return {}
        found = {}
        for key in keys:
            if key.file_name in present:
                draft = self.load(key)
                if draft is not None:
                    found[key] = draft
        return found

    def for_samples(self, voice_id: str, sample_ids: Iterable[str]) -> dict[str, Draft]:
        """The drafts of a voice's samples that have one, by sample id (see load_many)."""
        keys = {DraftKey.for_sample(SampleRef(voice_id, s)): s for s in sample_ids}
        return {keys[key]: draft for key, draft in self.load_many(keys).items()}

    def discard(self, key: DraftKey) -> bool:
        """Delete the draft for ``key`` (after the server confirmed it); True if one existed."""
        try:
            self.path_for(key).unlink()
        except FileNotFoundError:
            return False
        fsync_dir(self._root)
        return True

    def list(self) -> builtins.list[Draft]:
        """Every readable draft, newest first (unreadable ones are moved aside)."""
        if not self._root.is_dir():
            return []
        drafts = []
        for path in sorted(self._root.iterdir()):
            if _NAME_RE.fullmatch(path.name):
                draft = self._read(path)
                if draft is not None:
                    drafts.append(draft)
            elif path.name.startswith(_TEMP_PREFIX) and path.name.endswith(_TEMP_SUFFIX):
                self._remove_if_stale(path)
        drafts.sort(key=lambda d: d.saved_at, reverse=True)
        return drafts

    # ------------------------------------------------------------ internals

    def _read(self, path: Path) -> Draft | None:
        try:
            with open(path, "rb") as f:
                raw = f.read(MAX_DRAFT_BYTES + 1)
                identity = os.fstat(f.fileno())
        except FileNotFoundError:
            return None
        except OSError as exc:
            # Not known to be corrupt (permissions, I/O): leave it where it is.
            _log.warning("cannot read draft %s: %s", path.name, exc)
            return None
        try:
            draft = decode_draft(raw)
            if draft.key.file_name != path.name:
                raise _InvalidDraftError("the draft's key does not match its file name")
        except (ValueError, RecursionError) as exc:
            # ValueError covers bad UTF-8, bad JSON, too-long integers and our checks;
            # RecursionError a deeply nested document.
            self._move_aside(path, identity, str(exc))
            return None
        return draft

    def _move_aside(self, path: Path, identity: os.stat_result, reason: str) -> None:
        try:
            now = os.stat(path)
        except OSError:
            return
        # Another process may have saved a good draft since we read the bad one.
        if (now.st_ino, now.st_mtime_ns, now.st_size) != (
            identity.st_ino,
            identity.st_mtime_ns,
            identity.st_size,
        ):
            return
        target = path.with_name(path.name + ".corrupt")
        n = 1
        while target.exists():
            target = path.with_name(f"{path.name}.{n}.corrupt")
            n += 1
        try:
            os.replace(path, target)
        except OSError as exc:
            _log.warning("cannot move unreadable draft %s aside: %s", path.name, exc)
            return
        _log.warning("unreadable draft moved to %s (%s)", target.name, reason)

    @staticmethod
    def _remove_if_stale(path: Path) -> None:
        with contextlib.suppress(OSError):
            if time.time() - path.stat().st_mtime > STALE_TEMP_SECONDS:
                path.unlink()
