"""One running app per user and config dir: a second launch focuses the first and exits.

The first instance holds a lock file in the config dir (QLockFile: a crashed owner's lock is
detected as stale) and listens on a local socket whose name includes the user and a hash of the
config dir, so test runs with their own ``BATO_CONFIG_DIR`` never meet each other. A second
instance fails to take the lock, connects, sends ``activate`` and reports False; the first emits
``activated``. A socket left behind by a crash is removed before listening.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QThread, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from bato_desktop import paths

log = logging.getLogger(__name__)

ACTIVATE = b"activate\n"
CONNECT_TIMEOUT_MS = 500
CONNECT_ATTEMPTS = 6  # the first instance may still be starting: retry for ~3 s in all


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, no USER variable
        return "user"


def server_name(config_dir: Path | None = None) -> str:
    """The per-user, per-config-dir local socket name."""
    directory = str((config_dir or paths.config_dir()).resolve())
    digest = hashlib.sha256(directory.encode("utf-8")).hexdigest()[:16]
    user = "".join(ch for ch in _user() if ch.isalnum())[:32] or "user"
    return f"bato-desktop-{user}-{digest}"


class SingleInstance(QObject):
    activated = Signal()  # another launch asked this instance to show itself

    def __init__(self, config_dir: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._config_dir = config_dir or paths.config_dir()
        self.name = server_name(self._config_dir)
        self._lock: QLockFile | None = None
        self._server: QLocalServer | None = None

    @property
    def is_primary(self) -> bool:
        return self._server is not None

    def acquire(self) -> bool:
        """True: this is the only instance (now listening). False: another one runs and was
        told to activate."""
        self._config_dir.mkdir(parents=True, exist_ok=True)
        lock = QLockFile(str(self._config_dir / "instance.lock"))
        lock.setStaleLockTime(0)  # only a dead owner makes the lock stale, never its age
        if not lock.tryLock(0):
            if self._notify_running():
                return False
            log.warning("Another instance holds the lock but does not answer; starting anyway")
            lock.removeStaleLockFile()
            if not lock.tryLock(0):
                log.warning("Could not take the instance lock %s", lock.fileName())
        self._lock = lock
        QLocalServer.removeServer(self.name)  # a socket left behind by a crash
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            log.warning("Single-instance server %s: %s", self.name, server.errorString())
        server.newConnection.connect(self._on_new_connection)
        self._server = server
        return True

    def release(self) -> None:
        """Stop listening and free the lock (quit, tests)."""
        if self._server is not None:
            self._server.close()
            self._server.deleteLater()
            self._server = None
        if self._lock is not None:
            if self._lock.isLocked():
                self._lock.unlock()
            self._lock = None

    def _notify_running(self) -> bool:
        for attempt in range(CONNECT_ATTEMPTS):
            socket = QLocalSocket()
            socket.connectToServer(self.name)
            if socket.waitForConnected(CONNECT_TIMEOUT_MS):
                socket.write(ACTIVATE)
                socket.flush()
                socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
                socket.disconnectFromServer()
                if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
                    socket.waitForDisconnected(CONNECT_TIMEOUT_MS)
                log.info("Bato Desktop is already running; asked it to show itself")
                return True
            if attempt + 1 < CONNECT_ATTEMPTS:
                QThread.msleep(CONNECT_TIMEOUT_MS // 5)
        return False

    @Slot()
    def _on_new_connection(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            if socket is None:
                break
            socket.setParent(self)
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        data = bytes(socket.readAll().data())
        if ACTIVATE.strip() in data:
            self.activated.emit()
