#!/usr/bin/env bash
# Build the Debian/Ubuntu package of PVC Sample Editor from a checkout.
#
#   packaging/linux/build-deb.sh
#
# makes its own virtual environment under the build folder, installs the project and
# PyInstaller there, freezes the app with packaging/pvc-sample-editor.spec, runs the
# bundle's --self-test, lays out the package root and builds
#   packaging/dist/pvc-sample-editor_<version>_<arch>.deb
# The last line printed is the path of the .deb.
#
# Needs: python3 with venv (3.10+), dpkg-deb, and the system libraries Qt links (see
# DEPENDS) installed on the build machine, so PyInstaller can bundle them. Environment:
#   PYTHON              the Python to build with (default: python3); with PVC_BUNDLE it
#                       also renders the icons, so it needs PySide6 (the project installed)
#   PVC_BUILD_DIR       work folder (default: packaging/build/deb); its venv is reused
#   PVC_BUNDLE          an already built and tested bundle folder to package instead of
#                       building one (CI freezes once, then packages that)
#   PVC_DEB_OUT         where the .deb goes (default: packaging/dist)
#   PVC_DEB_MAINTAINER  the Maintainer field
#   PVC_DEB_COMPRESSION dpkg-deb compressor: xz (default), zstd, gzip or none
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${PVC_BUILD_DIR:-$ROOT/packaging/build/deb}"
OUT="${PVC_DEB_OUT:-$ROOT/packaging/dist}"
PYTHON="${PYTHON:-python3}"
MAINTAINER="${PVC_DEB_MAINTAINER:-PVC Sample Editor developers <maintainers@pvc-sample-editor.invalid>}"
COMPRESSION="${PVC_DEB_COMPRESSION:-xz}"
NAME=pvc-sample-editor

# System libraries Qt and the bundle need that PyInstaller does not carry (libc, OpenGL/EGL,
# DRM, Wayland, libxcb: `ldd` over the bundle lists them) or that Qt's xcb, Wayland,
# font and D-Bus support expects from the system. check_depends() below fails the build
# when the bundle links a system library whose package is missing here. Playback is
# PortAudio (libportaudio2, through ALSA, whose default device a desktop routes to
# PulseAudio or PipeWire); libpulse0 is loaded with ctypes, to tell "no sound server"
# from "no device", so no link check finds it: keep it.
DEPENDS=(
  libc6 libgl1 libglx0 libglvnd0 libegl1 libdrm2 libglib2.0-0 libfreetype6 libfontconfig1
  libdbus-1-3 libpulse0 libportaudio2 libasound2 libxkbcommon0 libxkbcommon-x11-0 libx11-6 libx11-xcb1 libxrandr2 libxcb1
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libwayland-client0
  libwayland-cursor0 libwayland-egl1
)

log() { echo "build-deb: $*" >&2; }

for tool in dpkg-deb dpkg ldd "$PYTHON"; do
  command -v "$tool" >/dev/null || { log "missing tool: $tool"; exit 1; }
done
umask 022

read_version() { # $1: a Python with tomllib (3.11+) or tomli
  "$1" "$ROOT/packaging/project_version.py"
}

if [ -n "${PVC_BUNDLE:-}" ]; then
  BUNDLE="$(cd "$PVC_BUNDLE" && pwd)"
  [ -x "$BUNDLE/$NAME" ] || { log "no $NAME executable in $BUNDLE"; exit 1; }
  VERSION="$(read_version "$PYTHON")"
  TOOL_PYTHON="$PYTHON"
  log "packaging the prebuilt bundle $BUNDLE"
else
  # --- 1. a build environment of its own --------------------------------------------------
  VENV="$BUILD/venv"
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  log "installing the project and PyInstaller into $VENV"
  "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet \
    "$ROOT" "pyinstaller>=6.6" "tomli>=1.1; python_version < '3.11'"
  VERSION="$(read_version "$VENV/bin/python")"
  TOOL_PYTHON="$VENV/bin/python"

  # --- 2. the frozen bundle -----------------------------------------------------------------
  log "freezing version $VERSION with PyInstaller"
  "$VENV/bin/pyinstaller" --noconfirm --log-level WARN \
    --distpath "$BUILD/dist" --workpath "$BUILD/work" "$ROOT/packaging/$NAME.spec"
  BUNDLE="$BUILD/dist/$NAME"
  log "bundle: $(du -sh "$BUNDLE" | cut -f1)"
  log "self-test of the bundle"
  (cd "$BUILD" && QT_QPA_PLATFORM=offscreen "$BUNDLE/$NAME" --self-test) >&2
fi
ARCH="$(dpkg --print-architecture)"
log "version $VERSION, architecture $ARCH"

# --- 3. which system libraries the bundle links but does not carry ------------------------
check_depends() {
  local libdir="$BUNDLE/_internal" lib path pkg missing=() unknown=()
  local -A listed=()
  for pkg in "${DEPENDS[@]}"; do listed[$pkg]=1; done
  while read -r lib path; do
    if [ "$path" = "not" ]; then
      unknown+=("$lib")
      continue
    fi
    pkg="$(dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "$path" 2>/dev/null || true)"
    pkg="${pkg%%:*}"
    pkg="${pkg%t64}" # Ubuntu's 64-bit time_t renames provide the old names on amd64/arm64
    if [ -z "$pkg" ]; then
      unknown+=("$lib")
    elif [ -z "${listed[$pkg]:-}" ]; then
      missing+=("$pkg ($lib)")
    fi
  done < <(
    find "$libdir" "$BUNDLE/$NAME" -type f \( -name '*.so*' -o -name "$NAME" \) -print0 |
      xargs -0 -n 50 env LD_LIBRARY_PATH="$libdir" ldd 2>/dev/null |
      awk -v bundled="$libdir/" '$2 == "=>" && index($3, bundled) != 1 { print $1, $3 }' |
      sort -u
  )
  if [ ${#unknown[@]} -gt 0 ]; then
    log "not on this machine, so not checked (make sure DEPENDS has their packages):" \
      "$(printf '%s\n' "${unknown[@]}" | sort -u | tr '\n' ' ')"
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    log "the bundle links system libraries whose packages are not in DEPENDS:"
    printf '  %s\n' "${missing[@]}" | sort -u >&2
    return 1
  fi
}
check_depends

# --- 4. the package root ------------------------------------------------------------------
PKG="$BUILD/root"
rm -rf "$PKG"
install -d "$PKG/DEBIAN" "$PKG/opt/$NAME" "$PKG/usr/bin" "$PKG/usr/share/applications" \
  "$PKG/usr/share/doc/$NAME" "$PKG/usr/share/icons/hicolor/scalable/apps"
cp -a "$BUNDLE/." "$PKG/opt/$NAME/"
ln -s "/opt/$NAME/$NAME" "$PKG/usr/bin/$NAME"
install -m 0644 "$ROOT/packaging/linux/$NAME.desktop" "$PKG/usr/share/applications/"
install -m 0644 "$ROOT/resources/icons/$NAME.svg" "$PKG/usr/share/icons/hicolor/scalable/apps/"
# The PNG sizes come from the renderer every installer uses (Qt's, from the one SVG).
"$TOOL_PYTHON" "$ROOT/packaging/make_icons.py" --out "$BUILD/icons" >&2
for png in "$BUILD/icons/png/"*.png; do
  size="$(basename "$png" .png)"
  install -D -m 0644 "$png" "$PKG/usr/share/icons/hicolor/${size}x${size}/apps/$NAME.png"
done

{
  cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: $NAME
Upstream-Contact: $MAINTAINER

Files: *
Copyright: 2026 PVC Sample Editor developers
License: MIT

Files: opt/$NAME/_internal/*
Copyright: their respective authors
License: various
 The frozen bundle carries the Python runtime (PSF-2.0) and these libraries, under
 their own licences: Qt and Qt for Python (PySide6, shiboken6: LGPL-3.0-only),
 sounddevice (MIT) with PortAudio (MIT), cffi (MIT), NumPy and its OpenBLAS
 (BSD-3-Clause), pyqtgraph (MIT), soundfile (BSD-3-Clause) with libsndfile
 (LGPL-2.1-or-later), requests (Apache-2.0), jeepney and platformdirs (MIT), and the
 system libraries copied from the build machine (see /usr/share/doc of their Debian
 packages). The texts of the LGPL and Apache licences are in /usr/share/common-licenses;
 the Python packages' own licence files are in their *.dist-info folders inside the
 bundle.

License: MIT
EOF
  sed -e 's/^$/./' -e 's/^/ /' "$ROOT/LICENSE"
} >"$PKG/usr/share/doc/$NAME/copyright"

for script in postinst postrm; do
  cat >"$PKG/DEBIAN/$script" <<'EOF'
#!/bin/bash
# Refresh the desktop menu's MIME cache and the icon cache, where those tools exist.
set -euo pipefail
case "${1:-}" in
  configure | remove | purge | abort-install | abort-upgrade)
    if command -v update-desktop-database >/dev/null 2>&1; then
      update-desktop-database -q /usr/share/applications || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -d /usr/share/icons/hicolor ]; then
      gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
    fi
    ;;
esac
exit 0
EOF
  chmod 0755 "$PKG/DEBIAN/$script"
done

INSTALLED_KB="$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)"
depends_line="$(printf '%s, ' "${DEPENDS[@]}")"
cat >"$PKG/DEBIAN/control" <<EOF
Package: $NAME
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $INSTALLED_KB
Depends: ${depends_line%, }
Section: sound
Priority: optional
Description: editor for ElevenLabs Professional Voice Clone samples
 PVC Sample Editor opens a voice-clone training sample, sets its start and end to
 the millisecond with handles on the waveform, keeps the right speaker when several
 talk, switches background-noise removal, renames it, submits the edit and reads it
 back to confirm. A built-in local emulator of the API with a demo voice works with
 no account and no network.
 .
 This package carries its own Python, Qt and libraries in /opt/$NAME.
EOF

# --- 5. the .deb ----------------------------------------------------------------------------
mkdir -p "$OUT"
DEB="$OUT/${NAME}_${VERSION}_${ARCH}.deb"
log "building $DEB ($COMPRESSION)"
dpkg-deb --root-owner-group -Z"$COMPRESSION" --build "$PKG" "$DEB" >&2
log "package: $(du -h "$DEB" | cut -f1), installed $((INSTALLED_KB / 1024)) MiB"
echo "$DEB"
