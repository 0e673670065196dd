"""``--self-test`` proves a build works: it must pass here, and fail loudly when broken."""

from __future__ import annotations

import os
import subprocess
import sys


def _run(env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", **env_extra)
    return subprocess.run(
        [sys.executable, "-m", "pvc_sample_editor", "--self-test"],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


def test_self_test_passes_and_says_what_it_did() -> None:
    """One line on stdout naming what was opened, submitted and read back; exit 0."""
    proc = _run({})
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("self-test ok:")
    assert "read back matches" in lines[0]
    assert "2 speakers" in lines[0]
