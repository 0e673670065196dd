"""Where the app keeps the user's data, logs and caches.

Qt-free. The platform's conventional folders come from ``platformdirs``; setting
``PVC_SAMPLE_EDITOR_HOME`` puts all three under one folder instead (``data``, ``logs``,
``cache``), which the tests use so that a run never touches the user's real drafts or
logs, and which a user can use for a portable install.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import platformdirs

from pvc_sample_editor import APP_ID

__all__ = ["HOME_ENV", "user_cache_dir", "user_data_dir", "user_log_dir"]

HOME_ENV = "PVC_SAMPLE_EDITOR_HOME"


def _resolve(subdir: str, platform_dir: Callable[..., str], create: bool) -> Path:
    home = os.environ.get(HOME_ENV)
    # An empty value counts as unset: ``PVC_SAMPLE_EDITOR_HOME= app`` must not put the
    # user's data in the current directory.
    path = Path(home).expanduser() / subdir if home else Path(platform_dir(APP_ID, appauthor=False))
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def user_data_dir(*, create: bool = True) -> Path:
    """The folder for the user's own data (drafts); created unless ``create`` is False."""
    return _resolve("data", platformdirs.user_data_dir, create)


def user_log_dir(*, create: bool = True) -> Path:
    """The folder for log files; created unless ``create`` is False."""
    return _resolve("logs", platformdirs.user_log_dir, create)


def user_cache_dir(*, create: bool = True) -> Path:
    """The folder for caches that can be rebuilt (peaks); created unless ``create`` is False."""
    return _resolve("cache", platformdirs.user_cache_dir, create)
