"""The installer scripts for every OS, checked on Linux with the tools that run here.

- the NSIS script compiles with ``makensis`` (warnings are errors) against a stand-in
  payload and the .ico that packaging/make_icons.py renders from the SVG;
- make_icons makes the macOS .icns with ``png2icns`` from the same SVG;
- the GitHub Actions workflow validates against the github-workflow JSON schema shipped
  inside check-jsonschema (offline), and its bash steps pass shellcheck;
- the shell scripts pass shellcheck and the .desktop entry passes desktop-file-validate.

Each check is skipped, saying which tool is missing, where that tool is not installed.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from project_version import project_version

TOP = Path(__file__).resolve().parents[2]
PACKAGING = TOP / "packaging"
WORKFLOW = TOP / ".github" / "workflows" / "installers.yml"
SHELL_SCRIPTS = [PACKAGING / "linux" / "build-deb.sh", PACKAGING / "macos" / "build-dmg.sh"]


def _tool(name: str) -> str:
    """The path of ``name`` on PATH or beside this Python; skip the test when absent."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


def _assert_mentions(path: Path, needles: tuple[str, ...]) -> None:
    text = path.read_text(encoding="utf-8")
    missing = [needle for needle in needles if needle not in text]
    assert not missing, f"{path.name} lacks {missing}"


def _make_icons(out: Path) -> Path:
    subprocess.run(
        [sys.executable, str(PACKAGING / "make_icons.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


def _ico_entries(data: bytes) -> list[tuple[int, bytes]]:
    """(size in pixels, image bytes) of each entry of a .ico file."""
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    assert (reserved, kind) == (0, 1), "not an icon file"
    entries = []
    for i in range(count):
        width, _h, _c, _r, _planes, _bpp, size, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * i
        )
        entries.append((width or 256, data[offset : offset + size]))
    return entries


def _icns_types(data: bytes) -> set[str]:
    assert data[:4] == b"icns", "not an icns file"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    types, pos = set(), 8
    while pos < len(data):
        kind, length = struct.unpack(">4sI", data[pos : pos + 8])
        assert length >= 8
        types.add(kind.decode("ascii"))
        pos += length
    return types


def test_make_icons_writes_a_windows_ico(tmp_path: Path) -> None:
    """One .ico with PNG entries from 16 to 256 pixels, and the PNG sizes Linux uses."""
    out = _make_icons(tmp_path / "icons")
    entries = _ico_entries((out / "pvc-sample-editor.ico").read_bytes())
    assert [size for size, _ in entries] == [16, 24, 32, 48, 64, 128, 256]
    assert all(blob.startswith(b"\x89PNG\r\n\x1a\n") for _, blob in entries)
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        png = (out / "png" / f"{size}.png").read_bytes()
        assert struct.unpack(">II", png[16:24]) == (size, size)


def test_nsis_script_compiles_against_a_stand_in_bundle(tmp_path: Path) -> None:
    """makensis builds PVC-Sample-Editor-Setup-<version>.exe from a fake bundle."""
    makensis = _tool("makensis")
    icons = _make_icons(tmp_path / "icons")
    bundle = tmp_path / "bundle"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "pvc-sample-editor.exe").write_bytes(b"MZ" + b"\0" * 1022)
    (bundle / "_internal" / "base_library.zip").write_bytes(b"PK\5\6" + b"\0" * 18)
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run(
        [
            makensis,
            "-WX",  # any warning fails the build
            "-V2",
            f"-DVERSION={project_version()}",
            f"-DBUNDLE_DIR={bundle}",
            f"-DICON={icons / 'pvc-sample-editor.ico'}",
            f"-DOUTDIR={out}",
            str(PACKAGING / "windows" / "installer.nsi"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    setup = out / f"PVC-Sample-Editor-Setup-{project_version()}.exe"
    assert setup.is_file()
    data = setup.read_bytes()
    assert data[:2] == b"MZ"
    assert b"Nullsoft" in data


def test_nsis_script_registers_uninstaller_and_per_user_mode() -> None:
    """Add/Remove Programs entry, Start menu, MultiUser (per-user default) are all there."""
    _assert_mentions(
        PACKAGING / "windows" / "installer.nsi",
        (
            "MultiUser.nsh",
            "MULTIUSER_INSTALLMODE_DEFAULT_CURRENTUSER",
            "CurrentVersion\\Uninstall",
            "UninstallString",
            "WriteUninstaller",
            "$SMPROGRAMS",
            "PVC-Sample-Editor-Setup-${VERSION}.exe",
        ),
    )


def test_macos_icns_from_svg_with_png2icns(tmp_path: Path) -> None:
    """make_icons packs the sizes macOS wants into .icns with png2icns (off macOS)."""
    _tool("png2icns")
    icns = _make_icons(tmp_path / "icons") / "pvc-sample-editor.icns"
    types = _icns_types(icns.read_bytes())
    assert {"ic08", "ic09"} <= types  # 256 and 512 pixels
    assert types & {"is32", "icp4"}  # 16 pixels
    assert types & {"it32", "ic07"}  # 128 pixels


def test_workflow_validates_against_the_github_schema() -> None:
    """installers.yml is a valid workflow (schema vendored in check-jsonschema: offline)."""
    checker = _tool("check-jsonschema")
    proc = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _assert_mentions(
        WORKFLOW,
        (
            "ubuntu-latest",
            "windows-latest",
            "macos-latest",
            'python-version: "3.11"',
            "packaging/pvc-sample-editor.spec",
            "--self-test",
            "packaging/linux/build-deb.sh",
            "packaging\\windows\\installer.nsi",
            "packaging/macos/build-dmg.sh",
            "actions/upload-artifact",
        ),
    )


def test_workflow_bash_steps_pass_shellcheck(tmp_path: Path) -> None:
    """Every step that runs in bash (the default off Windows) is shellcheck-clean."""
    shellcheck = _tool("shellcheck")
    yaml = pytest.importorskip("ruamel.yaml", reason="needs ruamel.yaml to read the workflow")
    workflow = yaml.YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))
    scripts = []
    for job_id, job in workflow["jobs"].items():
        for i, step in enumerate(job["steps"]):
            if "run" not in step or step.get("shell", "bash") != "bash":
                continue
            # ${{ … }} is substituted by Actions before the shell sees the script.
            body = re.sub(r"\$\{\{.*?\}\}", "GHA_EXPRESSION", step["run"])
            script = tmp_path / f"{job_id}-{i}.sh"
            script.write_text(f"#!/usr/bin/env bash\nset -eo pipefail\n{body}\n")
            scripts.append(str(script))
    assert scripts
    proc = subprocess.run([shellcheck, *scripts], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("runner_os", "files", "passes"),
    [
        ("Linux", ["app/_internal/libpython3.11.so"], True),  # the system's PortAudio
        ("Windows", ["app/_internal/_sounddevice_data/portaudio-binaries/x.dll"], True),
        ("macOS", ["app/_internal/libQt6Core.dylib"], False),  # PortAudio left out
        ("Linux", ["app/_internal/PySide6/Qt/lib/libQt6Multimedia.so.6"], False),
        ("Windows", ["app/_internal/portaudio.dll", "app/_internal/avcodec-61.dll"], False),
    ],
)
def test_the_workflow_refuses_a_bundle_with_qtmultimedia_or_without_portaudio(
    tmp_path: Path, runner_os: str, files: list[str], passes: bool
) -> None:
    """The workflow's own check, run on stand-in bundles: Multimedia or FFmpeg fail it, and
    so does a Windows or macOS bundle without PortAudio."""
    yaml = pytest.importorskip("ruamel.yaml", reason="needs ruamel.yaml to read the workflow")
    workflow = yaml.YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))
    (script,) = [
        step["run"]
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if step.get("name") == "Playback is PortAudio, not QtMultimedia and FFmpeg"
    ]
    for name in files:
        path = tmp_path / "packaging" / "dist" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    proc = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=tmp_path,
        env={**os.environ, "RUNNER_OS": runner_os},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (proc.returncode == 0) == passes, proc.stderr


def test_shell_scripts_pass_shellcheck() -> None:
    shellcheck = _tool("shellcheck")
    for script in SHELL_SCRIPTS:
        head = script.read_text(encoding="utf-8").splitlines()[:25]
        assert "set -euo pipefail" in head, f"{script.name} lacks set -euo pipefail"
    proc = subprocess.run(
        [shellcheck, *map(str, SHELL_SCRIPTS)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_desktop_entry_validates() -> None:
    validate = _tool("desktop-file-validate")
    desktop = PACKAGING / "linux" / "pvc-sample-editor.desktop"
    proc = subprocess.run([validate, str(desktop)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not proc.stdout.strip(), proc.stdout  # no hints or warnings either


def test_package_version_is_the_projectproject_version() -> None:
    """The installers are named from pyproject.toml; the app reports its own literal."""
    import pvc_sample_editor

    assert pvc_sample_editor.__version__ == project_version()
