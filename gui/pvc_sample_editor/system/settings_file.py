"""The window's settings file, read without Qt: where it is, and the server it last used.

The window keeps its settings in an INI file through ``QSettings`` (``ui/settings.py``);
a headless verb must connect to the same region as the window, because a key belongs to
one region, but must not import Qt to find out. ``QSettings`` puts the file at:

- ``$PVC_SAMPLE_EDITOR_HOME/settings.ini`` when that variable is set (tests, portable);
- Windows: ``%APPDATA%\\pvc-sample-editor\\pvc-sample-editor.ini``;
- elsewhere: ``pvc-sample-editor/pvc-sample-editor.ini`` in ``$XDG_CONFIG_HOME`` (by
  default ``~/.config``).

Only the plain ``key=value`` lines Qt writes for strings are read; a value Qt quoted has
its quotes and backslash escapes undone. A test writes the file with ``QSettings`` and
reads it back here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pvc_sample_editor import APP_ID
from pvc_sample_editor.system.paths import HOME_ENV

__all__ = ["BASE_URL_KEY", "read_setting", "remembered_base_url", "settings_path"]

#: ``section/key`` of the server address the window last connected to.
BASE_URL_KEY = "api/base_url"


def settings_path() -> Path:
    """Where the window's settings file is (it may not exist)."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home).expanduser() / "settings.ini"
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / APP_ID / f"{APP_ID}.ini"


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
        return value.replace('\\"', '"').replace("\\\\", "\\")
    return value


def read_setting(path: Path, key: str) -> str | None:
    """The string stored under ``section/key`` in ``path``, or None (no file, no key)."""
    section, _, name = key.rpartition("/")
    wanted = f"[{section or 'General'}]"
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    current = "[General]"
    for line in lines:
        text = line.strip()
        if text.startswith("[") and text.endswith("]"):
            current = text
        elif current == wanted and "=" in text:
            found, _, value = text.partition("=")
            if found.strip() == name:
                return _unquote(value.strip())
    return None


def remembered_base_url() -> str | None:
    """The server address the window last connected to, as stored (None if none)."""
    value = read_setting(settings_path(), BASE_URL_KEY)
    return value or None
