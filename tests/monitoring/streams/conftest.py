"""Fixtures of the live-stream tests: WebSocket communicators on the real ASGI app, keys, sessions."""

from __future__ import annotations

import asyncio

import pytest
from channels.testing import WebsocketCommunicator

from monitoring.streams.lease import LocalLeases
from monitoring.streams.poller import REGISTRY

POWER = "/api/v1/monitoring/stream/power"
GPUS = "/api/v1/monitoring/stream/gpus"
POWER_SSE = "/api/v1/monitoring/stream/power/sse"


@pytest.fixture(autouse=True)
def _fresh_registry():
    """A test that failed half-way must not leave its pollers to the next one."""
    yield
    for poller in list(REGISTRY.pollers.values()):
        if poller.task is not None:
            poller.task.cancel()
    REGISTRY.pollers.clear()
    LocalLeases._holders.clear()
    LocalLeases._slots.clear()


def connect_ws(path: str, *, key: str | None = None, session: str | None = None, origin: str | None = None):
    """A communicator on ``kcloud.asgi.application`` (Origin/auth checks included)."""
    from kcloud.asgi import application

    headers = []
    if key is not None:
        headers.append((b"authorization", f"Token {key}".encode()))
    if session is not None:
        headers.append((b"cookie", f"sessionid={session}".encode()))
        origin = origin or "http://testserver"
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def receive_type(comm, kind: str, timeout: float = 20.0) -> dict:
    """The next message of type ``kind`` (others are skipped)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await comm.receive_json_from(timeout=max(0.1, deadline - loop.time()))
        if message["type"] == kind:
            return message


async def close_code(comm, timeout: float = 10.0) -> int | None:
    """Skip messages until the server closes; return its close code."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        output = await comm.receive_output(timeout=max(0.1, deadline - loop.time()))
        if output["type"] == "websocket.close":
            return output.get("code")


@pytest.fixture
def issue_key():
    """``issue_key(user, clusters=())`` → a plaintext API token key."""
    from kcloud.auth.models import ApiToken

    def make(user, clusters=()) -> str:
        _token, key = ApiToken.issue(user, name="stream-test", clusters=clusters)
        return key

    return make


@pytest.fixture
def staff_key(staff_user, issue_key) -> str:
    return issue_key(staff_user)


@pytest.fixture
def staff_session(staff_user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(staff_user)
    return client.cookies["sessionid"].value
