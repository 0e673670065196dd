"""The packaging tests read the project's version the way the installer scripts do."""

from __future__ import annotations

import sys
from pathlib import Path

# Lets test modules here `from project_version import project_version`.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packaging"))
