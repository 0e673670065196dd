"""Resources are found through one function, from the source tree and from a built wheel."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from pvc_sample_editor.system.resources import ResourceNotFoundError, resource_path

TOP = Path(__file__).resolve().parents[2]


def test_icon_found_from_source_tree() -> None:
    """The app icon resolves to the file in the checkout's resources/ folder."""
    path = resource_path("icons/pvc-sample-editor.svg")
    assert path.is_file()
    assert path.read_bytes().lstrip().startswith(b"<")


def test_unknown_resource_fails_loudly() -> None:
    """A typo in a resource name is an error naming the folders searched, not a dead path."""
    with pytest.raises(ResourceNotFoundError, match="searched"):
        resource_path("icons/no-such-icon.svg")
    with pytest.raises(ResourceNotFoundError):
        resource_path("../pyproject.toml")


@pytest.mark.slow
def test_resources_found_from_an_installed_wheel(tmp_path: Path) -> None:
    """Build a wheel, install it (no deps) into a fresh venv, load resources from there."""
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(TOP),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(dist.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "pvc_sample_editor/assets/demo/demo-interview.flac" in names
    assert "pvc_sample_editor/system/resources.py" in names
    assert not any(n.startswith(("tests/", "resources/")) for n in names)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)  # a wheel install without pip: no network, no deps needed
    code = (
        "from pvc_sample_editor.system.resources import resource_path as r\n"
        "p = r('demo/demo-interview.flac'); i = r('icons/pvc-sample-editor.svg')\n"
        "print(p); print(i)\n"
    )
    out = subprocess.run(
        [str(py), "-c", code], check=True, capture_output=True, text=True, cwd=tmp_path
    ).stdout.split()
    assert all(Path(p).is_file() and str(site) in p for p in out), out
