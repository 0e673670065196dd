"""Render the app icon from its one SVG source into the formats installers need.

    python packaging/make_icons.py --out packaging/build/icons [--svg FILE]

writes, into --out:

- ``png/<size>.png`` for 16, 24, 32, 48, 64, 128, 256 and 512 pixels;
- ``pvc-sample-editor.ico`` (Windows: exe, installer, Start menu), with PNG-compressed
  entries from 16 to 256 pixels, which Windows Vista and later read;
- ``pvc-sample-editor.icns`` (macOS .app) with ``iconutil`` on macOS, else ``png2icns``
  (Debian's icnsutils) when it is installed; skipped, with a note, when neither is.

Rendering uses Qt's SVG renderer (PySide6, already in any environment that builds the
app), so the same script runs on Linux, Windows and macOS. Nothing it makes is committed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SVG = ROOT / "resources" / "icons" / "pvc-sample-editor.svg"
NAME = "pvc-sample-editor"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# iconutil's file names: (size, scale) -> icon_<size>x<size>[@2x].png
ICONSET = {
    "icon_16x16.png": 16,
    "icon_16x16@2x.png": 32,
    "icon_32x32.png": 32,
    "icon_32x32@2x.png": 64,
    "icon_128x128.png": 128,
    "icon_128x128@2x.png": 256,
    "icon_256x256.png": 256,
    "icon_256x256@2x.png": 512,
    "icon_512x512.png": 512,
}


def render_pngs(svg: Path, sizes: tuple[int, ...], out: Path) -> dict[int, Path]:
    """Render ``svg`` at each size into ``out/<size>.png`` with Qt; return the files."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: cannot read {svg}")
    out.mkdir(parents=True, exist_ok=True)
    files: dict[int, Path] = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = out / f"{size}.png"
        if not image.save(str(path), "PNG"):
            raise SystemExit(f"make_icons: cannot write {path}")
        files[size] = path
    del app
    return files


def write_ico(pngs: dict[int, Path], target: Path) -> None:
    """Write a Windows .ico whose entries are the given PNGs (smallest first)."""
    sizes = sorted(pngs)
    blobs = [pngs[s].read_bytes() for s in sizes]
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries = b""
    for size, blob in zip(sizes, blobs, strict=True):
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
    target.write_bytes(header + entries + b"".join(blobs))


def write_icns(pngs: dict[int, Path], target: Path) -> bool:
    """Write a macOS .icns with iconutil (macOS) or png2icns; False when neither exists."""
    if shutil.which("iconutil"):
        with tempfile.TemporaryDirectory() as tmp:
            iconset = Path(tmp) / f"{NAME}.iconset"
            iconset.mkdir()
            for name, size in ICONSET.items():
                shutil.copyfile(pngs[size], iconset / name)
            subprocess.run(["iconutil", "-c", "icns", "-o", str(target), str(iconset)], check=True)
        return True
    if shutil.which("png2icns"):
        # png2icns takes one PNG per size it knows (16, 32, 48, 128, 256, 512).
        files = [str(pngs[s]) for s in (16, 32, 48, 128, 256, 512)]
        subprocess.run(["png2icns", str(target), *files], check=True, capture_output=True)
        return True
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--svg", type=Path, default=DEFAULT_SVG, help="the source SVG")
    args = parser.parse_args(argv)
    out: Path = args.out
    pngs = render_pngs(args.svg, PNG_SIZES, out / "png")
    write_ico({s: pngs[s] for s in ICO_SIZES}, out / f"{NAME}.ico")
    made = [f"{NAME}.ico"]
    if write_icns(pngs, out / f"{NAME}.icns"):
        made.append(f"{NAME}.icns")
    else:
        print("make_icons: no iconutil or png2icns, so no .icns", file=sys.stderr)
    print(f"make_icons: wrote {', '.join(made)} and {len(pngs)} PNGs into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
