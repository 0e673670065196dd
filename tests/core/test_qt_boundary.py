"""The layers are import-linter contracts (pyproject.toml, run by the README's test command).

What a static graph cannot see is what actually runs: a headless verb must start without
loading Qt at all, so it runs on a server with no display libraries.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

QT_ROOTS = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "pyqtgraph")


@pytest.mark.parametrize(
    "argv", [["emulator", "--help"], ["check", "--help"], ["voice", "--help"], ["split", "--help"]]
)
def test_a_headless_verb_runs_without_loading_qt(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from pvc_sample_editor.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {QT_ROOTS!r})\n"
        "print('QT:' + ','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "usage:" in out.stdout  # the verb really ran
    assert out.stdout.strip().endswith("QT:"), out.stdout[-300:]
