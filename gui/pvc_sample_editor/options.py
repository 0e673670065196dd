"""What the user asked for when starting the app: a value both ``cli`` and ``ui`` read.

Kept apart from ``cli`` so that the window, which takes these options, does not import
the command line that starts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["AppOptions"]


@dataclass(frozen=True)
class AppOptions:
    """What the user asked for on the command line."""

    audio: Path | None = None
    voice_id: str | None = None
    sample_id: str | None = None
    api_base: str | None = None
    demo: bool = False
    self_test: bool = False
