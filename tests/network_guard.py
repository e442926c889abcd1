"""A socket guard for the whole test session: any connection or name lookup beyond loopback is refused
and recorded, and the test during which it happened fails (``tests/conftest.py``).

vidlib must make no network call at run time (telemetry off, no model hub, no update check). Refusing is
not enough, since a library may swallow the error and carry on: the guard records every attempt, so a
silent phone-home still fails the test that triggered it. It covers this Python process (flows, tasks,
the API under TestClient, the Prefect test server's client) and every Python subprocess the tests start (``vidlib``
CLI runs, Prefect's temporary API server, workers): ``tests/conftest.py`` puts ``tests/guard_site`` on their
``PYTHONPATH``, whose ``sitecustomize`` installs this guard and appends their attempts to the file named by
``VIDLIB_TEST_NETWORK_LOG``, read back here. Not covered: non-Python programs (ffmpeg on local files, the
SeaweedFS server, which the tests start with its telemetry off).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import threading
from typing import Any

LOG_VARIABLE = "VIDLIB_TEST_NETWORK_LOG"
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}
_lock = threading.Lock()
attempts: list[str] = []
_installed: dict[str, Any] = {}


def _is_local_host(host: object) -> bool:
    if host is None:
        return True  # getaddrinfo(None, port): a local bind address
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host).strip("[]").lower()
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback or host in ("0.0.0.0", "::")
    except ValueError:
        return False


def _record(what: str) -> None:
    with _lock:
        attempts.append(what)
    log = os.environ.get(LOG_VARIABLE)
    if log and _installed.get("subprocess"):  # a guarded subprocess: tell the test process
        with open(log, "a", encoding="utf-8") as fh:  # one short line per write: appends do not interleave
            fh.write(f"pid {os.getpid()}: {what}\n")


def _connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local_host(address[0]):
        _record(f"connect to {address!r}")
        raise OSError(errno.ENETUNREACH, f"test network guard: outbound connection to {address!r} refused")
    return _installed["connect"](self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local_host(address[0]):
        _record(f"connect_ex to {address!r}")
        return errno.ENETUNREACH
    return _installed["connect_ex"](self, address)


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _is_local_host(host):
        _record(f"name lookup of {host!r}")
        raise socket.gaierror(socket.EAI_NONAME, f"test network guard: lookup of {host!r} refused")
    return _installed["getaddrinfo"](host, *args, **kwargs)


def install(*, subprocess: bool = False) -> None:
    if _installed:
        return
    _installed.update(
        connect=socket.socket.connect,
        connect_ex=socket.socket.connect_ex,
        getaddrinfo=socket.getaddrinfo,
        subprocess=subprocess,
    )
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _getaddrinfo


def take_attempts() -> list[str]:
    """What this process and its guarded subprocesses attempted since the last call; clears both."""
    with _lock:
        taken = list(attempts)
        attempts.clear()
        log = os.environ.get(LOG_VARIABLE)
        if log and os.path.exists(log):
            with open(log, "r+", encoding="utf-8") as fh:
                taken.extend(line.rstrip("\n") for line in fh if line.strip())
                fh.truncate(0)
    return taken
