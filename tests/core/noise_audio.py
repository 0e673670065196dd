"""Generated recordings for the upload tests: seeded noise, so each file's bytes differ."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def noise_wav(path: Path, secs: float, seed: int = 0, rate: int = 48_000) -> Path:
    """A mono 16-bit WAV of ``secs`` seconds of noise at -20 dBFS (seeded)."""
    rng = np.random.default_rng(seed)
    data = (0.1 * rng.standard_normal(round(secs * rate))).astype(np.float32)
    sf.write(path, data, rate, subtype="PCM_16")
    return path
