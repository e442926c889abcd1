"""Inter-process exclusive locks on files (``flock``): released by the kernel when the holder dies, even by SIGKILL."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def acquire(path: Path, timeout_s: float | None) -> int | None:
    """An exclusive lock on ``path`` (created if missing); waits up to ``timeout_s`` seconds (None: as long as it
    takes). Returns the open descriptor, or None when the wait timed out."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if deadline is not None and time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(0.2)


def release(fd: int | None) -> None:
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextmanager
def held(path: Path) -> Iterator[None]:
    """Hold the lock on ``path`` for the block, waiting for it as long as it takes."""
    fd = acquire(path, None)
    try:
        yield
    finally:
        release(fd)
