"""The .deb installs on a bare Debian and its ``--self-test`` passes there.

Builds the bundle and the package with packaging/linux/build-deb.sh (or takes a prebuilt
one from ``PVC_DEB=path``, to save time while developing; CI builds it fresh), makes a
minimal Debian root with debootstrap from the mirror the host's apt uses, installs the
package there with apt-get (which must find every library the bundle needs through the
package's Depends), runs ``pvc-sample-editor --self-test`` offscreen inside it, purges the
package, and removes the root after unmounting /proc.

Where no chroot can be made (not root, no debootstrap, the mirror unreachable), it falls
back to unpacking the package with ``dpkg-deb -x`` and running the self-test with the
host's libraries, and says so on the terminal (``PVC_DEB_TEST_FALLBACK=1`` forces that).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from project_version import project_version

TOP = Path(__file__).resolve().parents[2]
NAME = "pvc-sample-editor"
BUILD_CACHE = TOP / "packaging" / "build" / "cache"
CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

pytestmark = [
    pytest.mark.slow,
    # The first test builds the package (minutes); the install test debootstraps a root.
    pytest.mark.timeout(3000),
    pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb (Debian)"),
]


def _say(capsys: pytest.CaptureFixture[str], message: str) -> None:
    """Print past pytest's capture, so the mode the test ran in shows in any run."""
    with capsys.disabled():
        print(f"\n[deb install test] {message}", flush=True)


def _run(
    cmd: list[str], log: Path, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``, keeping its output in ``log``; fail with the output's tail on error."""
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    log.write_text(f"$ {' '.join(cmd)}\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(cmd[:3])} … exited {proc.returncode}:\n"
            f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
        )
    return proc


@pytest.fixture(scope="module")
def deb_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package under test: PVC_DEB when set, else a fresh build."""
    prebuilt = os.environ.get("PVC_DEB")
    if prebuilt:
        path = Path(prebuilt).resolve()
        assert path.is_file(), f"PVC_DEB={prebuilt} does not exist"
        return path
    for tool in ("python3", "ldd"):
        assert shutil.which(tool), f"building the .deb needs {tool}"
    out = tmp_path_factory.mktemp("deb")
    env = dict(os.environ, PVC_DEB_OUT=str(out))
    proc = _run(
        ["bash", str(TOP / "packaging" / "linux" / "build-deb.sh")],
        out / "build.log",
        timeout=1800,
        env=env,
    )
    path = Path(proc.stdout.strip().splitlines()[-1])
    assert path.is_file(), proc.stdout[-2000:]
    assert path.parent == out
    return path


# --- what is in the package (checked without installing) ----------------------------------


def _field(deb: Path, name: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_package_metadata_and_layout(deb_file: Path) -> None:
    """Name, version from pyproject, Depends on Qt's system libraries, files in place."""
    assert _field(deb_file, "Package") == NAME
    assert _field(deb_file, "Version") == project_version()
    assert _field(deb_file, "Maintainer")
    assert _field(deb_file, "Description")
    depends = {d.strip().split()[0] for d in _field(deb_file, "Depends").split(",")}
    for lib in (
        "libglib2.0-0",
        "libgl1",
        "libegl1",
        "libxkbcommon0",
        "libfontconfig1",
        "libfreetype6",
        "libdbus-1-3",
        "libpulse0",
        "libportaudio2",
        "libxkbcommon-x11-0",
        "libxcb-cursor0",
        "libxcb-icccm4",
        "libxcb-keysyms1",
        "libxcb-shape0",
    ):
        assert lib in depends, f"Depends lacks {lib}"

    listing = subprocess.run(
        ["dpkg-deb", "-c", str(deb_file)], capture_output=True, text=True, check=True
    ).stdout
    paths = {line.split()[5].removeprefix(".") for line in listing.splitlines()}
    expected = {
        f"/opt/{NAME}/{NAME}",
        f"/usr/bin/{NAME}",
        f"/usr/share/applications/{NAME}.desktop",
        f"/usr/share/doc/{NAME}/copyright",
        f"/usr/share/icons/hicolor/scalable/apps/{NAME}.svg",
        *(f"/usr/share/icons/hicolor/{s}x{s}/apps/{NAME}.png" for s in ICON_SIZES),
    }
    assert not expected - paths, f"missing from the package: {sorted(expected - paths)}"
    # The resources, where pvc_sample_editor.system.resources looks in a bundle (the self-test
    # below proves the lookup finds them).
    internal = f"/opt/{NAME}/_internal/pvc_sample_editor/"
    for resource in ("demo/demo-interview.flac", "demo/demo-interview.flac.speakers.json"):
        assert any(p.startswith(internal) and p.endswith(resource) for p in paths), resource
    assert any(p.startswith(internal) and p.endswith(f"icons/{NAME}.svg") for p in paths)
    # Playback is PortAudio (the self-test below loads it); QtMultimedia, its FFmpeg and
    # Qt parts the app never loads must not ship.
    for unwanted in (
        "QtWebEngine",
        "qtvirtualkeyboard",
        "libqeglfs",
        "/translations/",
        "QtMultimedia",
        "/plugins/multimedia/",
        "libavcodec",
        # The key store talks to the Secret Service with jeepney; keyring's SecretStorage
        # would bring cryptography's 16 MB of compiled code.
        "cryptography",
    ):
        assert not any(unwanted in p for p in paths), f"{unwanted} should be excluded"


def test_package_desktop_entry_is_valid(deb_file: Path, tmp_path: Path) -> None:
    """The shipped .desktop entry validates and opens audio files ("Open with")."""
    subprocess.run(["dpkg-deb", "-x", str(deb_file), str(tmp_path)], check=True)
    desktop = tmp_path / "usr" / "share" / "applications" / f"{NAME}.desktop"
    text = desktop.read_text(encoding="utf-8")
    assert re.search(r"(?m)^Exec=pvc-sample-editor %[fF]$", text)
    mime = re.search(r"(?m)^MimeType=(.*)$", text)
    assert mime is not None
    assert {"audio/x-wav", "audio/flac", "audio/mpeg", "audio/ogg"} <= set(mime.group(1).split(";"))
    copyright_text = (tmp_path / "usr" / "share" / "doc" / NAME / "copyright").read_text()
    assert "License: MIT" in copyright_text
    if shutil.which("desktop-file-validate"):
        proc = subprocess.run(
            ["desktop-file-validate", str(desktop)], capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert not proc.stdout.strip(), proc.stdout


# --- installing it ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Mirror:
    uri: str
    suite: str
    keyring: str | None


def _host_codename() -> str:
    try:
        text = Path("/etc/os-release").read_text(encoding="utf-8")
    except OSError:
        return "bookworm"
    match = re.search(r'(?m)^VERSION_CODENAME="?([a-z]+)"?', text)
    return match.group(1) if match else "bookworm"


def _apt_entries() -> Iterator[tuple[list[str], list[str], list[str], str | None]]:
    """Yield (types, uris, suites, signed_by) for each source the host's apt reads."""
    apt = Path("/etc/apt")
    one_line = [apt / "sources.list", *sorted((apt / "sources.list.d").glob("*.list"))]
    for path in one_line:
        if not path.is_file():
            continue
        for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = raw.split("#", 1)[0].strip()
            signed = re.search(r"signed-by=([^\s\]]+)", line)
            line = re.sub(r"\[[^]]*\]", " ", line).split()
            if len(line) >= 3:
                yield [line[0]], [line[1]], [line[2]], signed.group(1) if signed else None
    for path in sorted((apt / "sources.list.d").glob("*.sources")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for stanza in re.split(r"\n\s*\n", text):
            fields: dict[str, str] = {}
            for raw in stanza.splitlines():
                if raw.startswith("#") or ":" not in raw or raw[:1].isspace():
                    continue
                key, value = raw.split(":", 1)
                fields[key.strip().lower()] = value.strip()
            if fields.get("enabled", "yes").lower() == "no":
                continue
            signed = fields.get("signed-by")
            yield (
                fields.get("types", "").split(),
                fields.get("uris", "").split(),
                fields.get("suites", "").split(),
                signed if signed and signed.startswith("/") else None,
            )


def host_mirror() -> Mirror | None:
    """The mirror (and its keyring) the host's apt uses for its own release, if any."""
    codename = _host_codename()
    for types, uris, suites, keyring in _apt_entries():
        if "deb" in types and codename in suites:
            for uri in uris:
                if uri.startswith(("http://", "https://")):
                    return Mirror(uri, codename, keyring)
    return None


def _mounts_under(root: Path) -> list[str]:
    prefix = str(root.resolve())
    points = []
    for line in Path("/proc/mounts").read_text().splitlines():
        point = line.split()[1].replace("\\040", " ")
        if point == prefix or point.startswith(prefix + "/"):
            points.append(point)
    return points


def _remove_root(root: Path) -> None:
    """Unmount everything under ``root``, then delete it; never delete through a mount."""
    for point in sorted(_mounts_under(root), key=len, reverse=True):
        if subprocess.run(["umount", point], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", point], capture_output=True)
    left = _mounts_under(root)
    if left:
        pytest.fail(f"could not unmount {left}; left {root} in place")
    shutil.rmtree(root, ignore_errors=True)


def _chroot(root: Path, script: str, log: Path, timeout: float) -> str:
    env = {"PATH": CHROOT_PATH, "HOME": "/root", "LANG": "C.UTF-8", "TERM": "dumb"}
    cmd = ["chroot", str(root), "/usr/bin/env", "-i", *(f"{k}={v}" for k, v in env.items())]
    return _run([*cmd, "/bin/sh", "-ec", script], log, timeout=timeout).stdout


def _make_root(root: Path, mirror: Mirror, logs: Path) -> str | None:
    """Debootstrap a minimal root; return why it could not be made, or None."""
    cache = BUILD_CACHE / "debootstrap"
    cache.mkdir(parents=True, exist_ok=True)
    cmd = ["debootstrap", "--variant=minbase", f"--cache-dir={cache}"]
    if mirror.keyring and Path(mirror.keyring).is_file():
        cmd.append(f"--keyring={mirror.keyring}")
    cmd += [mirror.suite, str(root), mirror.uri]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    (logs / "debootstrap.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        return f"debootstrap {mirror.suite} {mirror.uri} failed: {' / '.join(tail)}"
    mounted = subprocess.run(
        ["mount", "-t", "proc", "proc", str(root / "proc")], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        return f"cannot mount /proc in the chroot: {mounted.stderr.strip()}"
    return None


def _self_test_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("self-test ok:")]
    assert len(lines) == 1, output[-3000:]
    assert "read back matches" in lines[0]
    assert "2 speakers" in lines[0]
    return lines[0]


def test_deb_installs_and_self_test_passes(
    deb_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """apt-get installs the .deb on a bare Debian; the installed app's self-test passes."""
    logs = tmp_path / "logs"
    logs.mkdir()
    root = tmp_path / "root"
    why_not: str | None = None
    mirror = host_mirror()
    if os.environ.get("PVC_DEB_TEST_FALLBACK") == "1":
        why_not = "PVC_DEB_TEST_FALLBACK=1"
    elif os.geteuid() != 0:
        why_not = "not running as root"
    elif shutil.which("debootstrap") is None or shutil.which("chroot") is None:
        why_not = "debootstrap is not installed"
    elif mirror is None:
        why_not = "no Debian mirror for this release in the host's apt sources"
    try:
        if why_not is None and mirror is not None:
            why_not = _make_root(root, mirror, logs)
        if why_not is None:
            _install_in_chroot(root, deb_file, logs, capsys)
            return
        _say(capsys, f"FALLBACK, no chroot ({why_not}): dpkg-deb -x and host libraries")
        _remove_root(root)
        _unpack_and_run(root, deb_file, logs, capsys)
    finally:
        _remove_root(root)


def _install_in_chroot(
    root: Path, deb: Path, logs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copyfile("/etc/resolv.conf", root / "etc" / "resolv.conf")
    policy = root / "usr" / "sbin" / "policy-rc.d"
    policy.write_text("#!/bin/sh\n# no services start in this test root\nexit 101\n")
    policy.chmod(0o755)
    (root / "tmp" / deb.name).write_bytes(deb.read_bytes())
    # Packages apt fetched earlier in this run (or this developer's previous runs).
    apt_cache = BUILD_CACHE / "apt"
    apt_cache.mkdir(parents=True, exist_ok=True)
    archives = root / "var" / "cache" / "apt" / "archives"
    for cached in apt_cache.glob("*.deb"):
        shutil.copy2(cached, archives / cached.name)

    _chroot(
        root,
        "export DEBIAN_FRONTEND=noninteractive; apt-get update -q; "
        f"apt-get install -y -q --no-install-recommends /tmp/{deb.name}",
        logs / "apt-get.log",
        timeout=1200,
    )
    for fetched in archives.glob("*.deb"):
        if not (apt_cache / fetched.name).exists():
            shutil.copy2(fetched, apt_cache / fetched.name)

    # Every library the bundle links resolves inside the bare system: Depends is complete.
    missing = _chroot(
        root,
        f"cd /opt/{NAME}/_internal; find . -type f -name '*.so*' -exec "
        f"env LD_LIBRARY_PATH=/opt/{NAME}/_internal ldd {{}} + 2>/dev/null "
        "| grep 'not found' | sort -u || true",
        logs / "ldd.log",
        timeout=300,
    )
    assert not missing.strip(), f"libraries not found after install:\n{missing}"

    out = _chroot(
        root,
        f"test -x /usr/bin/{NAME}; test -f /usr/share/applications/{NAME}.desktop; "
        f"QT_QPA_PLATFORM=offscreen {NAME} --self-test",
        logs / "self-test.log",
        timeout=300,
    )
    line = _self_test_line(out)
    # The key store loads in the bundle (jeepney came along): with no session bus in the
    # root it finds no keyring, so the voice verb asks for a key rather than failing.
    key_store = _chroot(
        root, f'{NAME} voice some-voice 2>&1 || echo "exit $?"', logs / "voice.log", 120
    )
    _check_no_key_answer(key_store)

    _chroot(root, f"dpkg --purge {NAME}", logs / "purge.log", timeout=300)
    assert not (root / "opt" / NAME).exists(), "purging left the bundle behind"
    assert not (root / "usr" / "bin" / NAME).exists()
    codename = _host_codename()
    _say(capsys, f"debootstrap {codename} chroot, apt-get install, purge: {line}")


def _unpack_and_run(root: Path, deb: Path, logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root.mkdir(parents=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    link = root / "usr" / "bin" / NAME
    assert os.readlink(link) == f"/opt/{NAME}/{NAME}"
    exe = root / "opt" / NAME / NAME
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = _run([str(exe), "--self-test"], logs / "self-test.log", timeout=300, env=env).stdout
    line = _self_test_line(out)
    env = {k: v for k, v in env.items() if k not in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR")}
    voice = subprocess.run(
        [str(exe), "voice", "some-voice"], capture_output=True, text=True, timeout=120, env=env
    )
    (logs / "voice.log").write_text(voice.stdout + voice.stderr)
    _check_no_key_answer(f"{voice.stdout}{voice.stderr}exit {voice.returncode}")
    _say(capsys, f"fallback (unpacked, host libraries): {line}")


def _check_no_key_answer(output: str) -> None:
    """The installed app's ``voice`` verb, with no key and no keyring, asks for a key."""
    assert output.rstrip().endswith("exit 2"), output
    assert "No API key." in output, output
    assert "system keyring" not in output, output  # e.g. "…: No module named 'jeepney'"
