"""Lease owners: whether an engine that holds a claim on this host is gone (its claims free).

An owner is ``<device id>:<host[:16]>:<pid>`` (``engine_owner`` in the engine's service).
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any


def lease_host() -> str:
    """This host as a lease owner names it (``engine_owner`` keeps 16 characters of it)."""
    return socket.gethostname()[:16]


def lease_owner_gone(owner: str, *, host: str | None = None) -> bool:
    """Whether ``owner`` is an engine of this host whose process is gone.

    An owner is ``<device id>:<host[:16]>:<pid>`` (``engine_owner`` in the engine's service).
    Gone means: its pid is not alive, or is alive but is no longer a Python or Bato Desktop
    program (the pid was reused). A live engine, another host's engine (its pids mean nothing
    here), an owner of another form and, in doubt, any owner are not gone: their lease waits
    for its expiry.
    """
    device, _, rest = owner.rpartition(":")
    owner_host, pid_text = device.rpartition(":")[2], rest
    if not device or not pid_text.isdigit() or owner_host != (host or lease_host()):
        return False
    pid = int(pid_text)
    return pid != os.getpid() and not _engine_process_alive(pid)


def _engine_process_alive(pid: int) -> bool:
    """Whether ``pid`` may still be an engine (True when it cannot be told)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: alive, another user's
        pass
    proc = Path("/proc")
    if not (proc / "self").is_dir():  # no /proc (macOS): that it lives is all we know
        return True
    try:
        command = (proc / str(pid) / "cmdline").read_bytes().lower()
    except FileNotFoundError:  # exited since
        return False
    except OSError:
        return True
    # a zombie (killed, not reaped yet) has an empty command line: it is gone too
    return b"python" in command or b"bato" in command


def _windows_process_alive(pid: int) -> bool:
    """Windows (``os.kill(pid, 0)`` would send Ctrl+C there): ask the kernel; True in doubt."""
    try:
        import ctypes

        windows: Any = ctypes  # WinDLL and get_last_error exist on Windows only
        kernel32 = windows.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return bool(windows.get_last_error() != 87)  # 87: no such process
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    except Exception:  # in doubt the lease waits for its expiry
        return True
