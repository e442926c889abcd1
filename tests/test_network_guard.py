"""The session-wide network guard (tests/network_guard.py) really refuses and records outbound attempts."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests import network_guard


def test_the_guard_refuses_and_records_outbound_connections() -> None:
    with pytest.raises(OSError, match="test network guard"):
        socket.create_connection(("203.0.113.7", 443), timeout=1)
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("huggingface.co", 443)
    seen = network_guard.take_attempts()  # taken here, so this test itself passes
    assert any("203.0.113.7" in a for a in seen) and any("huggingface.co" in a for a in seen)


def test_the_guard_lets_loopback_through() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
        assert socket.getaddrinfo("localhost", 80)
    finally:
        server.close()
    assert network_guard.take_attempts() == []


def test_python_subprocesses_are_guarded_and_reported() -> None:
    """A subprocess (as a vidlib CLI run or Prefect's server is) gets the guard from tests/guard_site, and what
    it attempted reaches the test process."""
    code = (
        "import socket\n"
        "try:\n    socket.create_connection(('198.51.100.9', 80), timeout=1)\n"
        "except OSError as exc:\n    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert "test network guard" in out.stdout
    seen = network_guard.take_attempts()
    assert any("198.51.100.9" in a and "pid" in a for a in seen), seen
