"""The emulator's state: voices and samples in SQLite, the audio files beside it.

Layout of ``data_dir``: ``emulator.sqlite3`` (WAL mode) and ``audio/<sample_id><ext>``
with an optional ``audio/<sample_id><ext>.speakers.json`` sidecar. Everything a
response needs is in the database or those files, so a new server on the same folder
carries on exactly where the last one stopped.

One connection is shared by the server's request threads (``check_same_thread=False``)
and every use is serialised by one re-entrant lock; :meth:`Store.transaction` holds it
across a read-validate-write so two concurrent edits cannot interleave.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import string
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pvc_sample_editor.emulator.audio import probe
from pvc_sample_editor.emulator.segmentation import sidecar_path

__all__ = ["DB_NAME", "SampleRecord", "Store", "VoiceRecord", "new_id"]

DB_NAME = "emulator.sqlite3"
_ID_ALPHABET = string.ascii_letters + string.digits

_SCHEMA = """
CREATE TABLE IF NOT EXISTS voices (
    voice_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    language TEXT,
    description TEXT,
    labels TEXT NOT NULL DEFAULT '{}',
    created_at_unix INTEGER NOT NULL,
    is_legacy INTEGER NOT NULL DEFAULT 0,
    fine_tuning_state TEXT NOT NULL DEFAULT '{}',
    training TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS samples (
    sample_id TEXT PRIMARY KEY,
    voice_id TEXT NOT NULL REFERENCES voices(voice_id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    hash TEXT NOT NULL,
    duration_secs REAL NOT NULL,
    audio_file TEXT NOT NULL,
    remove_background_noise INTEGER NOT NULL DEFAULT 0,
    trim_start INTEGER,
    trim_end INTEGER,
    separation_started_at REAL,
    separation_result TEXT,
    selected_speaker_ids TEXT
);
-- A voice's samples are read on every GET of the voice; a voice may hold hundreds.
CREATE INDEX IF NOT EXISTS samples_by_voice ON samples(voice_id);
"""

# Columns an update may touch; the SQL is built from these names only.
_VOICE_COLUMNS = {"name", "language", "description", "labels", "fine_tuning_state", "training"}
_SAMPLE_COLUMNS = {
    "file_name",
    "remove_background_noise",
    "trim_start",
    "trim_end",
    "separation_started_at",
    "separation_result",
    "selected_speaker_ids",
}
_JSON_COLUMNS = {
    "labels",
    "fine_tuning_state",
    "training",
    "separation_result",
    "selected_speaker_ids",
}


def new_id() -> str:
    """A fresh 20-character id shaped like the real API's."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))


@dataclass(frozen=True)
class VoiceRecord:
    """A stored voice."""

    voice_id: str
    name: str
    category: str
    language: str | None
    description: str | None
    labels: dict[str, str]
    created_at_unix: int
    is_legacy: bool
    fine_tuning_state: dict[str, str] = field(default_factory=dict)
    #: Training runs and the review's verdict (see :mod:`.training`).
    training: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SampleRecord:
    """A stored sample. ``separation_result`` is the finished separation (see handlers)."""

    sample_id: str
    voice_id: str
    file_name: str
    mime_type: str
    size_bytes: int
    hash: str
    duration_secs: float
    audio_file: str
    remove_background_noise: bool
    trim_start: int | None
    trim_end: int | None
    separation_started_at: float | None
    separation_result: dict[str, Any] | None
    selected_speaker_ids: list[str] | None

    @property
    def duration_ms(self) -> int:
        """The duration in whole milliseconds: the upper bound for trims."""
        return round(self.duration_secs * 1000)


def _decode(row: sqlite3.Row) -> dict[str, Any]:
    values = dict(row)
    for key in _JSON_COLUMNS & values.keys():
        if values[key] is not None:
            values[key] = json.loads(values[key])
    return values


def _encode(changes: Mapping[str, object]) -> dict[str, object]:
    return {
        k: json.dumps(v) if k in _JSON_COLUMNS and v is not None else v for k, v in changes.items()
    }


class Store:
    """SQLite-backed voices and samples plus the folder of audio files."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.audio_dir = data_dir / "audio"
        self.audio_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            data_dir / DB_NAME, check_same_thread=False, isolation_level=None
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL still survives a crash of the process (only a power cut can
        # lose the last commits) and skips an fsync per commit: fine for an emulator.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(f"BEGIN; {_SCHEMA} COMMIT;")
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(voices)")}
        if "training" not in columns:  # a data folder from before training was emulated
            self._db.execute("ALTER TABLE voices ADD COLUMN training TEXT NOT NULL DEFAULT '{}'")

    def close(self) -> None:
        """Close the database; the store is unusable afterwards."""
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock and one SQLite transaction (rolled back if the block raises)."""
        with self._lock:
            if self._db.in_transaction:  # nested: the outer block commits
                yield
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, args: tuple[object, ...]) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(sql, args).fetchone()
        return None if row is None else _decode(row)

    def _all(self, sql: str, args: tuple[object, ...] = ()) -> list[dict[str, Any]]:
        with self._lock:
            return [_decode(r) for r in self._db.execute(sql, args).fetchall()]

    def _update(
        self, table: str, key: str, ident: str, allowed: set[str], changes: Mapping[str, object]
    ) -> None:
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        if not changes:
            return
        values = _encode(changes)
        assignments = ", ".join(f"{column} = :{column}" for column in values)
        with self._lock:
            self._db.execute(
                f"UPDATE {table} SET {assignments} WHERE {key} = :_key", {**values, "_key": ident}
            )

    # ------------------------------------------------------------------ voices

    def add_voice(self, voice: VoiceRecord) -> None:
        """Insert a voice (the caller picks the id)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO voices (voice_id, name, category, language, description, labels,"
                " created_at_unix, is_legacy, fine_tuning_state, training)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    voice.voice_id,
                    voice.name,
                    voice.category,
                    voice.language,
                    voice.description,
                    json.dumps(voice.labels),
                    voice.created_at_unix,
                    int(voice.is_legacy),
                    json.dumps(voice.fine_tuning_state),
                    json.dumps(voice.training),
                ),
            )

    def voice(self, voice_id: str) -> VoiceRecord | None:
        """The voice with this id, or None."""
        row = self._one("SELECT * FROM voices WHERE voice_id = ?", (voice_id,))
        return None if row is None else _voice(row)

    def voices(self) -> list[VoiceRecord]:
        """Every voice, oldest first (ties: insertion order)."""
        return [
            _voice(r) for r in self._all("SELECT * FROM voices ORDER BY created_at_unix, rowid")
        ]

    def update_voice(self, voice_id: str, changes: Mapping[str, object]) -> None:
        """Change some of a voice's columns."""
        self._update("voices", "voice_id", voice_id, _VOICE_COLUMNS, changes)

    # ----------------------------------------------------------------- samples

    def add_sample(
        self,
        voice_id: str,
        file_name: str,
        data: bytes | Path,
        *,
        sample_id: str | None = None,
        sidecar: bytes | None = None,
        remove_background_noise: bool = False,
    ) -> SampleRecord:
        """Store the audio (bytes, or a file on this disk that is moved in), decode it,
        and insert the sample.

        Raises :class:`~.audio.UnreadableAudioError` (leaving nothing behind) when the
        bytes are not audio. The hash is read in blocks: a file of any size is fine.
        """
        sample_id = sample_id or new_id()
        suffix = Path(file_name).suffix.lower()
        suffix = suffix if suffix[1:].isalnum() else ""  # a safe extension or none
        audio_path = self.audio_dir / f"{sample_id}{suffix}"
        if isinstance(data, Path):
            os.replace(data, audio_path)
        else:
            audio_path.write_bytes(data)
        try:
            info = probe(audio_path, file_name)
        except ValueError:
            audio_path.unlink()
            raise
        size, digest = _size_and_hash(audio_path)
        if sidecar is not None:
            sidecar_path(audio_path).write_bytes(sidecar)
        with self._lock:
            self._db.execute(
                "INSERT INTO samples (sample_id, voice_id, file_name, mime_type, size_bytes,"
                " hash, duration_secs, audio_file, remove_background_noise)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sample_id,
                    voice_id,
                    file_name,
                    info.mime_type,
                    size,
                    digest,
                    info.duration_secs,
                    audio_path.name,
                    int(remove_background_noise),
                ),
            )
        record = self.sample(voice_id, sample_id)
        assert record is not None
        return record

    def sample(self, voice_id: str, sample_id: str) -> SampleRecord | None:
        """The sample if it belongs to that voice, else None."""
        row = self._one(
            "SELECT * FROM samples WHERE sample_id = ? AND voice_id = ?", (sample_id, voice_id)
        )
        return None if row is None else _sample(row)

    def samples(self, voice_id: str) -> list[SampleRecord]:
        """The voice's samples in upload order."""
        rows = self._all("SELECT * FROM samples WHERE voice_id = ? ORDER BY rowid", (voice_id,))
        return [_sample(r) for r in rows]

    def update_sample(self, sample_id: str, changes: Mapping[str, object]) -> None:
        """Change some of a sample's columns."""
        self._update("samples", "sample_id", sample_id, _SAMPLE_COLUMNS, changes)

    def delete_sample(self, sample: SampleRecord) -> None:
        """Remove the sample's row, its audio and its sidecar."""
        with self._lock:
            self._db.execute("DELETE FROM samples WHERE sample_id = ?", (sample.sample_id,))
        path = self.audio_path(sample)
        sidecar_path(path).unlink(missing_ok=True)
        path.unlink(missing_ok=True)

    def audio_path(self, sample: SampleRecord) -> Path:
        """Where the sample's audio file is stored."""
        return self.audio_dir / sample.audio_file

    def import_file(self, voice_id: str, source: Path, sample_id: str) -> SampleRecord:
        """Add a sample from a file on disk, bringing its sidecar along when it has one."""
        side = sidecar_path(source)
        sidecar = side.read_bytes() if side.is_file() else None
        return self.add_sample(
            voice_id, source.name, source.read_bytes(), sample_id=sample_id, sidecar=sidecar
        )


def _size_and_hash(path: Path) -> tuple[int, str]:
    """The file's size and SHA-256, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def _voice(row: dict[str, Any]) -> VoiceRecord:
    row["is_legacy"] = bool(row["is_legacy"])
    return VoiceRecord(**row)


def _sample(row: dict[str, Any]) -> SampleRecord:
    row["remove_background_noise"] = bool(row["remove_background_noise"])
    return SampleRecord(**row)
