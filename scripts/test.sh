#!/usr/bin/env bash
# Install everything the tests need (Debian packages, ./.venv with dev extras, a running MariaDB
# when BATO_REQUIRE_MARIADB=1) and run lint, type checks and the whole test suite.
# Extra arguments go to pytest.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
apt_ensure "${QT_RUNTIME_PACKAGES[@]}" xvfb xauth dbus dbus-x11 dunst libnotify-bin x11-utils \
    trayer
venv_ensure "[dev]"

mariadb_up() {
    "$VENV/bin/python" - <<'PY'
import sys, pymysql
try:
    pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", connect_timeout=2).close()
except Exception as exc:
    print(f"MariaDB not reachable: {exc}", file=sys.stderr)
    sys.exit(1)
PY
}

if [ "${BATO_REQUIRE_MARIADB:-0}" = 1 ] && ! mariadb_up 2>/dev/null; then
    echo "MariaDB is down: starting it"
    if [ ! -x /usr/sbin/mariadbd ]; then
        apt_ensure mariadb-server
    fi
    if [ ! -d /var/lib/mysql/mysql ]; then
        as_root mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
    fi
    as_root mkdir -p /run/mysqld && as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
    as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    for _ in $(seq 1 30); do mariadb_up 2>/dev/null && break; sleep 1; done
    mariadb_up || { echo "MariaDB could not be started: failing (BATO_REQUIRE_MARIADB=1)"; exit 1; }
fi

cd "$ROOT"
echo "== ruff"; "$VENV/bin/ruff" check bato_desktop tests benchmarks scripts
echo "== ruff format"; "$VENV/bin/ruff" format --check bato_desktop tests benchmarks scripts
echo "== mypy"; "$VENV/bin/mypy"
echo "== pytest"
exec "$VENV/bin/python" -m pytest -q "$@"
