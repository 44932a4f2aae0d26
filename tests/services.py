"""Skip-or-fail for tests that need a service the machine may lack.

Locally a missing service skips the test with the reason printed; in CI
(``CI=true``) it fails, because `.ci/run` is supposed to have provided it.
"""

from __future__ import annotations

import os
import shutil
import socket

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    """Skip (locally) or fail (in CI) when ``condition`` is false."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"required service missing in CI: {reason}")
    pytest.skip(reason)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_binary(path_or_name: str, package: str) -> str:
    found = path_or_name if os.path.isabs(path_or_name) and os.access(path_or_name, os.X_OK) else None
    found = found or shutil.which(path_or_name)
    require(found is not None, f"{path_or_name} not installed (apt-get install {package})")
    return found


def require_redis() -> str:
    require(port_open("127.0.0.1", 6379), "Redis not running on 127.0.0.1:6379")
    return "redis://127.0.0.1:6379/15"


def require_postgres() -> None:
    require(port_open("127.0.0.1", 5432), "PostgreSQL not running on 127.0.0.1:5432")
