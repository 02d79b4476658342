"""What the tests that start real servers share: a free port, and a skip that is a failure
under CI."""

import os
import socket

import pytest


def unavailable(reason: str):
    """Skip locally; under CI a missing tool or service is a failure."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
