"""A socket guard for the whole test session: any connection or name lookup beyond loopback is refused
and recorded, and the test during which it happened fails (``tests/conftest.py``).

vidlib must make no network call at run time (telemetry off, no model hub, no update check). Refusing is
not enough, since a library may swallow the error and carry on: the guard records every attempt, so a
silent phone-home still fails the test that triggered it. It covers this Python process (flows, tasks,
the API under TestClient, the Prefect test server's client); subprocesses are not guarded.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import threading
from typing import Any

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


def install() -> None:
    if _installed:
        return
    _installed.update(connect=socket.socket.connect, connect_ex=socket.socket.connect_ex,
                      getaddrinfo=socket.getaddrinfo)
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _getaddrinfo


def take_attempts() -> list[str]:
    with _lock:
        taken = list(attempts)
        attempts.clear()
    return taken
