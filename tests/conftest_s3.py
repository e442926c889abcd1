"""The ``s3_server`` fixture: one authenticated SeaweedFS S3 server per test session.

Import it into ``tests/conftest.py``::

    from conftest_s3 import s3_server  # noqa: F401

It yields a :class:`SeaweedS3Server` (``endpoint_url``, ``access_key``, ``secret_key``, ``bucket``,
``stop()``, ``start()``, ``pause()``, ``resume()``). A test that stops or pauses the server must
start or resume it again before it ends (in a ``finally``), as later tests share it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

try:  # tests/ as a package (tests/__init__.py) or as a plain folder on sys.path
    from tests.s3server import SeaweedS3Server
except ImportError:
    from s3server import SeaweedS3Server  # type: ignore[no-redef]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3Server]:
    server = SeaweedS3Server(workdir=tmp_path_factory.mktemp("seaweedfs"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
