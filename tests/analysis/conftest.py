"""Fixtures for the analysis tests: generated signals and the labelled speech set."""

from __future__ import annotations

import sys
from pathlib import Path

# Lets test modules here (and the benchmarks) `import labelled` under any import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))
