"""Find bundled resources (icons, the demo recording) wherever the app runs from.

One lookup serves a source checkout (``resources/`` beside ``gui/``), an installed
wheel (``pvc_sample_editor/assets`` inside site-packages) and a PyInstaller bundle
(``sys._MEIPASS/pvc_sample_editor/assets``). An unknown name fails loudly instead of
returning a dead path.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["ResourceNotFoundError", "resource_dirs", "resource_path"]


class ResourceNotFoundError(FileNotFoundError):
    """A resource name that exists in none of the places the app looks."""


def resource_dirs() -> list[Path]:
    """Return the folders searched for resources, most specific first."""
    package = Path(__file__).resolve().parent.parent  # .../pvc_sample_editor
    dirs: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        dirs.append(Path(bundle) / "pvc_sample_editor" / "assets")
    dirs.append(package / "assets")  # wheel: the package-dir mapping puts them here
    dirs.append(package.parent.parent / "resources")  # source tree: <top>/gui/pvc_sample_editor
    return dirs


def resource_path(name: str) -> Path:
    """Return the path of the resource ``name`` (e.g. ``"demo/demo.flac"``).

    Raises ResourceNotFoundError, naming every folder searched, when it is missing.
    """
    rel = Path(name)
    if rel.is_absolute() or ".." in rel.parts:
        raise ResourceNotFoundError(f"resource names are relative and stay inside: {name!r}")
    searched = resource_dirs()
    for base in searched:
        candidate = base / rel
        if candidate.is_file():
            return candidate
    where = ", ".join(str(d) for d in searched)
    raise ResourceNotFoundError(f"resource {name!r} not found; searched {where}")
