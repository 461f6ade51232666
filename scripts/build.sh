#!/usr/bin/env bash
# Build the one-folder bundle dist/bato-desktop/ with PyInstaller from a fresh clone, report its
# size and build time, and run the BUILT program's --selftest (the script fails when it fails).
#
#   ./scripts/build.sh            # -> dist/bato-desktop/bato-desktop
#   DIST=/tmp/out ./scripts/build.sh   # elsewhere (WORK= sets PyInstaller's work folder)
#
# Windows (dist\bato-desktop\bato-desktop.exe, optional Inno Setup installer) and macOS
# ("dist/Bato Desktop.app"): see docs/packaging.md.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
apt_ensure "${QT_RUNTIME_PACKAGES[@]}" binutils
venv_ensure "[dev]"
cd "$ROOT"
DIST="${DIST:-$ROOT/dist}"
WORK="${WORK:-$ROOT/build}"
BUNDLE="$DIST/bato-desktop"

echo "== PyInstaller (build.spec) -> $BUNDLE"
started=$(date +%s)
"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" build.spec
elapsed=$(( $(date +%s) - started ))

exe="$BUNDLE/bato-desktop"
[ -x "$exe" ] || exe="$BUNDLE/bato-desktop.exe"
[ -x "$exe" ] || { echo "build.sh: no executable in $BUNDLE" >&2; exit 1; }
echo "== bundle: $BUNDLE"
du -sh "$BUNDLE"
echo "built in ${elapsed} s"

echo "== self-test of the built program"
if ! QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}" "$exe" --selftest; then
    echo "build.sh: the built bundle FAILED its self-test (see the FAIL lines above)" >&2
    exit 1
fi
echo "OK: $exe"
