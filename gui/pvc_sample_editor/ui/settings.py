"""Every persisted setting, declared once with its type and default.

QSettings returns strings or platform-specific types unless asked; reading always passes
the declared type. The API key is never a setting: it lives in the keyring.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

from pvc_sample_editor import APP_ID
from pvc_sample_editor.api.regions import DEFAULT_BASE_URL

__all__ = [
    "PlaybackPrefs",
    "RecentSample",
    "Settings",
    "open_dialog_folder",
    "open_qsettings",
    "remember_open_folder",
]

MAX_RECENT = 10


def open_qsettings() -> QSettings:
    """The app's QSettings: an INI file under PVC_SAMPLE_EDITOR_HOME when set (tests)."""
    home = os.environ.get("PVC_SAMPLE_EDITOR_HOME")
    if home:
        return QSettings(str(Path(home) / "settings.ini"), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, APP_ID, APP_ID)


@dataclass(frozen=True)
class RecentSample:
    """A sample opened before, with the local copy used for it."""

    voice_id: str
    sample_id: str
    label: str
    local_path: str = ""


class Settings:
    """Typed access to the app's settings."""

    def __init__(self, qsettings: QSettings) -> None:
        self.q = qsettings

    @property
    def base_url(self) -> str:
        """The API base URL last connected to (region or custom)."""
        return str(self.q.value("api/base_url", DEFAULT_BASE_URL, type=str))

    @base_url.setter
    def base_url(self, url: str) -> None:
        self.q.setValue("api/base_url", url)

    def recent_samples(self) -> list[RecentSample]:
        """Recently opened samples, newest first; unreadable entries are skipped."""
        raw = str(self.q.value("recent/samples", "[]", type=str))
        try:
            items = json.loads(raw)
        except ValueError:
            return []
        out: list[RecentSample] = []
        for item in items if isinstance(items, list) else []:
            try:
                out.append(
                    RecentSample(
                        **{
                            k: str(item[k])
                            for k in ("voice_id", "sample_id", "label", "local_path")
                        }
                    )
                )
            except (KeyError, TypeError):
                continue
        return out

    def add_recent(self, recent: RecentSample) -> None:
        """Put ``recent`` first, dropping older duplicates and the oldest beyond the limit."""
        items = [
            r
            for r in self.recent_samples()
            if (r.voice_id, r.sample_id) != (recent.voice_id, recent.sample_id)
        ]
        items.insert(0, recent)
        self.q.setValue("recent/samples", json.dumps([asdict(r) for r in items[:MAX_RECENT]]))

    def recordings_folder(self, voice_id: str) -> Path | None:
        """The recordings folder chosen for ``voice_id``, if any (it may be gone since)."""
        folder = self._recordings_folders().get(voice_id)
        return Path(folder) if isinstance(folder, str) and folder else None

    def set_recordings_folder(self, voice_id: str, folder: Path) -> None:
        """Remember ``folder`` as ``voice_id``'s recordings folder."""
        folders = self._recordings_folders()
        folders[voice_id] = str(folder)
        self.q.setValue("recordings/folders", json.dumps(folders))

    def _recordings_folders(self) -> dict[str, object]:
        raw = str(self.q.value("recordings/folders", "{}", type=str))
        try:
            folders = json.loads(raw)
        except ValueError:
            return {}
        return folders if isinstance(folders, dict) else {}


_LAST_OPEN_FOLDER = "files/last_open_folder"


def open_dialog_folder(q: QSettings | None, local_copy: Path | None) -> str:
    """Where the Open dialog starts: the folder of the local copy being edited, else the
    folder last opened from (when there are settings), else nowhere in particular ("")."""
    if local_copy is not None and local_copy.parent.is_dir():
        return str(local_copy.parent)
    last = "" if q is None else str(q.value(_LAST_OPEN_FOLDER, "", type=str))
    return last if last and Path(last).is_dir() else ""


def remember_open_folder(q: QSettings | None, folder: Path) -> None:
    """Note the folder a file was just opened from, for the next Open dialog."""
    if q is not None:
        q.setValue(_LAST_OPEN_FOLDER, str(folder))


class PlaybackPrefs:
    """How the play keys behave; kept in QSettings when given one, else for this run only."""

    EDGE_CHOICES_MS = (500, 1000, 2000, 3000, 5000)

    def __init__(self, qsettings: QSettings | None) -> None:
        self.q = qsettings
        edge = self._int("playback/edge_ms", 2000)
        # A hand-edited value outside the menu's choices: the default.
        self._edge_ms = edge if edge in self.EDGE_CHOICES_MS else 2000
        self._stop_at_end = self._bool("playback/stop_at_end", False)
        self._audition = self._bool("playback/audition_while_dragging", True)

    def _int(self, key: str, default: int) -> int:
        if self.q is None:
            return default
        value = self.q.value(key, default, type=int)
        return value if isinstance(value, int) else default

    def _bool(self, key: str, default: bool) -> bool:
        if self.q is None:
            return default
        return bool(self.q.value(key, default, type=bool))

    def _write(self, key: str, value: int | bool) -> None:
        if self.q is not None:
            self.q.setValue(key, value)

    @property
    def edge_ms(self) -> int:
        """How long the play-at-the-edges keys play (N, 2 s by default)."""
        return self._edge_ms

    @edge_ms.setter
    def edge_ms(self, ms: int) -> None:
        self._edge_ms = int(ms)
        self._write("playback/edge_ms", int(ms))

    @property
    def stop_at_end(self) -> bool:
        """Play from a point inside the kept region stops at the End handle."""
        return self._stop_at_end

    @stop_at_end.setter
    def stop_at_end(self, on: bool) -> None:
        self._stop_at_end = bool(on)
        self._write("playback/stop_at_end", bool(on))

    @property
    def audition(self) -> bool:
        """A dragged handle that rests plays a short snippet at the handle."""
        return self._audition

    @audition.setter
    def audition(self, on: bool) -> None:
        self._audition = bool(on)
        self._write("playback/audition_while_dragging", bool(on))
