"""SSE power stream through the real ASGI app: auth, ``id:`` on events, ``Last-Event-ID`` resume."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator

from monitoring.streams.poller import REGISTRY
from tests.monitoring.streams.conftest import POWER_SSE

pytestmark = pytest.mark.django_db(transaction=True)


class SseClient:
    """An HTTP request held open on ``kcloud.asgi.application``, read event by event."""

    def __init__(self, query: str = "", headers: dict[str, str] | None = None):
        from kcloud.asgi import application

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": POWER_SSE,
            "raw_path": POWER_SSE.encode(),
            "query_string": query.encode(),
            "headers": [(b"host", b"testserver")]
            + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
            "server": ("testserver", 80),
            "client": ("127.0.0.1", 50000),
        }
        self.comm = ApplicationCommunicator(application, scope)
        self.buffer = ""
        self.status: int | None = None
        self.body = b""

    async def open(self) -> int:
        await self.comm.send_input({"type": "http.request", "body": b"", "more_body": False})
        start = await self.comm.receive_output(timeout=10)
        self.status = start["status"]
        if self.status != 200:
            self.body = (await self.comm.receive_output(timeout=10))["body"]
        return self.status

    async def next_block(self, timeout: float = 20.0) -> str:
        """The next SSE block (event, comment or retry), without its blank-line terminator."""
        while "\n\n" not in self.buffer:
            chunk = await self.comm.receive_output(timeout=timeout)
            self.buffer += chunk.get("body", b"").decode()
        block, self.buffer = self.buffer.split("\n\n", 1)
        return block

    async def next_event(self, kind: str | None = None, timeout: float = 20.0) -> tuple[str, dict]:
        """``(id, message)`` of the next data event (of ``kind`` when given)."""
        while True:
            block = await self.next_block(timeout)
            fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
            if "data" in fields:
                message = json.loads(fields["data"])
                if kind is None or message["type"] == kind:
                    return fields.get("id"), message

    async def close(self) -> None:
        await self.comm.send_input({"type": "http.disconnect"})
        with pytest.raises(asyncio.TimeoutError):
            # Django ends the response task when the client leaves; nothing more comes.
            while True:
                await self.comm.receive_output(timeout=0.5)
        await asyncio.sleep(0.1)


async def test_unauthenticated_is_401():
    client = SseClient()
    assert await client.open() == 401
    assert json.loads(client.body)["error"]["code"] == "not_authenticated"


async def test_bad_parameter_is_400_and_scope_is_404(partner_operator, issue_key, make_cluster):
    seoul = await sync_to_async(make_cluster)("seoul-a")
    await sync_to_async(make_cluster)("busan-b")
    key = await sync_to_async(issue_key)(partner_operator, clusters=[seoul])
    auth = {"Authorization": f"Token {key}"}
    assert await SseClient("interval=0", auth).open() == 400
    assert await SseClient("cluster=busan-b", auth).open() == 404


@pytest.mark.prometheus
async def test_events_have_ids_and_resume_replays_the_buffer(fleet_clusters, staff_key, settings):
    settings.KCLOUD_STREAM_HEARTBEAT_SECONDS = 0.5
    auth = {"Authorization": f"Token {staff_key}"}
    query = "interval=1&cluster=seoul-a"
    client = SseClient(query, auth)
    assert await client.open() == 200
    assert await client.next_block() == "retry: 3000"
    first_id, first = await client.next_event("power")
    assert first_id == str(first["seq"]) and first["type"] == "power"
    ids = [first_id]
    for _ in range(2):
        event_id, message = await client.next_event("power")
        assert event_id == str(message["seq"])
        ids.append(event_id)
    assert [int(i) for i in ids] == sorted(int(i) for i in ids) and len(set(ids)) == 3
    # Heartbeat comments while waiting (shortened to 0.5 s here; 15 s by default).
    blocks = [await client.next_block() for _ in range(4)]
    assert ": heartbeat" in blocks
    await client.close()
    assert REGISTRY.pollers == {}

    # Reconnect with the first id: the two messages after it come back from the replay buffer, at once.
    again = SseClient(query, {**auth, "Last-Event-ID": first_id})
    assert await again.open() == 200
    await again.next_block()
    replayed = [await again.next_event(timeout=2) for _ in range(2)]
    assert [event_id for event_id, _ in replayed][:2] == ids[1:]
    await again.close()

    # An id the buffer no longer covers (or garbage): a fresh snapshot, the latest message.
    stale = SseClient(query, {**auth, "Last-Event-ID": "-100"})
    assert await stale.open() == 200
    await stale.next_block()
    event_id, message = await stale.next_event(timeout=2)
    assert message["type"] == "power" and int(event_id) >= int(ids[-1])
    await stale.close()


@pytest.mark.prometheus
async def test_session_cookie_works(fleet_clusters, staff_session):
    client = SseClient("interval=1&cluster=busan-b", {"Cookie": f"sessionid={staff_session}"})
    assert await client.open() == 200
    _id, message = await client.next_event("power")
    assert list(message["groups"]) == ["busan-b"]
    await client.close()


def test_a_wsgi_server_refuses_instead_of_buffering_for_ever(staff_user):
    """Django's test client is WSGI: the endless stream would be buffered whole; 503 instead."""
    from django.test import Client

    client = Client()
    client.force_login(staff_user)
    response = client.get(POWER_SSE)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "streams_need_asgi"
    assert REGISTRY.pollers == {}
