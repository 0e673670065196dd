#!/usr/bin/env bash
# Wrap the macOS app bundle into a disk image, signing and notarising it when the
# credentials are in the environment (see packaging/macos/README.md).
#
#   packaging/macos/build-dmg.sh ["packaging/dist/PVC Sample Editor.app"]
#
# gives packaging/dist/PVC-Sample-Editor-<version>.dmg (last line printed: its path).
# Environment:
#   APPLE_SIGNING_IDENTITY  "Developer ID Application: NAME (TEAMID)" in the keychain:
#                           sign the .app (hardened runtime) and the .dmg
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD (an app-specific password)
#                           also notarise the .dmg with notarytool and staple the ticket
#   PVC_DMG_OUT             where the .dmg goes (default: packaging/dist)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
APP_NAME="PVC Sample Editor"
APP="${1:-$ROOT/packaging/dist/$APP_NAME.app}"
OUT="${PVC_DMG_OUT:-$ROOT/packaging/dist}"
PYTHON="${PYTHON:-python3}"

log() { echo "build-dmg: $*" >&2; }

[ -d "$APP/Contents/MacOS" ] || { log "not an app bundle: $APP"; exit 1; }
command -v hdiutil >/dev/null || { log "hdiutil is macOS only"; exit 1; }

VERSION="$("$PYTHON" "$ROOT/packaging/project_version.py")"

DMG="$OUT/PVC-Sample-Editor-$VERSION.dmg"
mkdir -p "$OUT"

# 1. Sign the app: every binary inside, with the hardened runtime notarisation requires.
if [ -n "${APPLE_SIGNING_IDENTITY:-}" ]; then
  log "signing $APP as $APPLE_SIGNING_IDENTITY"
  codesign --deep --force --timestamp --options runtime \
    --entitlements "$ROOT/packaging/macos/entitlements.plist" \
    --sign "$APPLE_SIGNING_IDENTITY" "$APP"
  codesign --verify --deep --strict --verbose=2 "$APP"
else
  log "APPLE_SIGNING_IDENTITY not set: the app keeps PyInstaller's ad-hoc signature"
fi

# 2. The disk image: the app and a link to /Applications to drag it onto.
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "$APP_NAME $VERSION" -srcfolder "$STAGE" -fs HFS+ \
  -format UDZO -ov "$DMG" >&2

if [ -n "${APPLE_SIGNING_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$APPLE_SIGNING_IDENTITY" "$DMG"
fi

# 3. Notarise and staple, so Gatekeeper opens it without a network check.
if [ -n "${APPLE_SIGNING_IDENTITY:-}" ] && [ -n "${APPLE_ID:-}" ] &&
  [ -n "${APPLE_TEAM_ID:-}" ] && [ -n "${APPLE_APP_PASSWORD:-}" ]; then
  log "notarising $DMG"
  xcrun notarytool submit "$DMG" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
    --password "$APPLE_APP_PASSWORD" --wait
  xcrun stapler staple "$DMG"
  xcrun stapler validate "$DMG"
else
  log "notarisation credentials not set: the .dmg is not notarised"
fi

hdiutil verify "$DMG" >&2
log "disk image: $(du -h "$DMG" | cut -f1)"
echo "$DMG"
