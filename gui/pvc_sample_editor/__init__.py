"""PVC Sample Editor: a native editor for ElevenLabs Professional Voice Clone samples.

The core (``audio``, ``edit``, ``api``, ``emulator``) imports no Qt; only ``ui`` does.
"""

from __future__ import annotations

# The same string as pyproject.toml's [project] version (a test keeps them equal). A
# literal, not importlib.metadata: that import costs ~30 ms of every start-up, and a
# frozen bundle has no package metadata to read.
__version__ = "0.1.0"

APP_NAME = "PVC Sample Editor"
APP_ID = "pvc-sample-editor"
