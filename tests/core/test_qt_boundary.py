"""The core (audio, edit, api, emulator) must never import Qt: it runs without a display."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import pvc_sample_editor

PACKAGE_DIR = Path(pvc_sample_editor.__file__).parent
CORE_MODULES = sorted(
    "pvc_sample_editor." + ".".join(p.relative_to(PACKAGE_DIR).with_suffix("").parts)
    for p in PACKAGE_DIR.rglob("*.py")
    if "ui" not in p.relative_to(PACKAGE_DIR).parts and p.name not in ("__main__.py",)
)


def test_core_module_list_is_not_empty() -> None:
    """Guard the guard: the scan must actually see the core."""
    assert "pvc_sample_editor.editing.edit" in {m.removesuffix(".__init__") for m in CORE_MODULES}


@pytest.mark.parametrize("module", [m.removesuffix(".__init__") for m in CORE_MODULES])
def test_core_module_imports_no_qt(module: str) -> None:
    """Import one core module in a fresh interpreter and check no Qt binding got loaded."""
    code = (
        "import sys, importlib\n"
        f"importlib.import_module({module!r})\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'PyQt5', 'PyQt6', 'pyqtgraph'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "", f"{module} pulls in Qt: {out.stdout.strip()}"
