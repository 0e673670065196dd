"""Print the project's version, from pyproject.toml's [project] table.

    python packaging/project_version.py

Used by the installer scripts and the workflow. Python 3.11+ has tomllib; on 3.10 it
needs ``pip install tomli``.
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def project_version(pyproject: Path = PYPROJECT) -> str:
    with pyproject.open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


if __name__ == "__main__":
    print(project_version(Path(sys.argv[1]) if len(sys.argv) > 1 else PYPROJECT))
