#!/usr/bin/env bash
# Build the one-folder bundle dist/bato-desktop/ with PyInstaller, check it with --selftest and
# report its size. Windows: run `pyinstaller build.spec` in the venv (produces
# dist\bato-desktop\bato-desktop.exe; scripts/installer.iss wraps it with Inno Setup).
# macOS: the same command produces "dist/Bato Desktop.app".
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
apt_ensure "${QT_RUNTIME_PACKAGES[@]}" binutils
venv_ensure "[dev]"
cd "$ROOT"
"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN build.spec
echo "bundle: $ROOT/dist/bato-desktop ($(du -sh dist/bato-desktop | cut -f1))"
QT_QPA_PLATFORM=offscreen dist/bato-desktop/bato-desktop --selftest
