#!/usr/bin/env bash
# Install Bato Desktop into ./.venv (first run only) and start it. Uses a local SQLite database
# under your data directory: nothing else to set up. Extra arguments go to bato-desktop.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
apt_ensure "${QT_RUNTIME_PACKAGES[@]}"
venv_ensure ""
exec "$VENV/bin/bato-desktop" "$@"
