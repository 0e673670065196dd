"""PVC Sample Editor: a native editor for ElevenLabs Professional Voice Clone samples.

The core (``audio``, ``edit``, ``api``, ``emulator``) imports no Qt; only ``ui`` does.
"""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("pvc-sample-editor")
except metadata.PackageNotFoundError:  # running from a source tree or a frozen bundle
    __version__ = "0.1.0"

APP_NAME = "PVC Sample Editor"
APP_ID = "pvc-sample-editor"
