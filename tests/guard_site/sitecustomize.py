"""Loaded by every Python subprocess the tests start (``PYTHONPATH``, set in tests/conftest.py): the same network
guard as the test process, reporting to the file named by ``VIDLIB_TEST_NETWORK_LOG``."""

import os

if os.environ.get("VIDLIB_TEST_NETWORK_LOG"):
    from tests import network_guard

    network_guard.install(subprocess=True)
