"""With the real Redis channel layer: two app instances share one poller per topic through the Redis lease.

The two instances are simulated in one process: two poller registries (each its own
lease owner and Redis client) behind two ASGI apps; delivery goes through Redis'
channel layer. (Two daphne processes are the bench's job.)
"""

from __future__ import annotations

import asyncio

import pytest
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path

from monitoring.streams.auth import TokenAuthMiddleware
from monitoring.streams.consumers import PowerStreamConsumer
from monitoring.streams.lease import RedisLeases
from monitoring.streams.poller import Registry
from tests.monitoring.streams.conftest import POWER, receive_type
from tests.services import require_redis

pytestmark = [pytest.mark.redis, pytest.mark.prometheus, pytest.mark.django_db(transaction=True)]


def _redis_layer(settings, url: str) -> None:
    config = {"hosts": [url], "prefix": "kcloud-test"}
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": config}}


def _instance(registry: Registry):
    """The WebSocket side of one app instance whose consumers use ``registry``."""
    route = path(POWER.lstrip("/"), PowerStreamConsumer.as_asgi(registry=registry))
    return AuthMiddlewareStack(TokenAuthMiddleware(URLRouter([route])))


async def _connect(app, key: str, query: str) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(app, f"{POWER}?{query}", headers=[(b"authorization", f"Token {key}".encode())])
    connected, _ = await comm.connect()
    assert connected
    return comm


async def test_two_instances_share_one_poller(fleet_clusters, staff_key, settings):
    url = require_redis()
    _redis_layer(settings, url)
    one = Registry(leases=RedisLeases(url), owner="instance-1")
    two = Registry(leases=RedisLeases(url), owner="instance-2")
    query = "interval=1&cluster=busan-b&group_by=resource_type"
    clients = [await _connect(_instance(one), staff_key, query), await _connect(_instance(two), staff_key, query)]
    clients += [await _connect(_instance(two), staff_key, query)]
    try:
        seqs = [[(await receive_type(c, "power"))["seq"] for _ in range(4)] for c in clients]
        # Both instances run a poller task, but only the lease holder polls.
        assert len(one.pollers) == 1 and len(two.pollers) == 1
        holders = [r for r in (one, two) if next(iter(r.pollers.values())).polls > 0]
        assert len(holders) == 1
        polls = one.polls + two.polls
        # Every subscriber, on either instance, receives the same messages: one poll each.
        assert set(seqs[0][1:]) & set(seqs[1]) & set(seqs[2])
        assert polls <= len(set().union(*map(set, seqs))) + 1

        # The holder's last subscriber leaves: the other instance takes over and the stream goes on.
        holder = holders[0]
        for comm, registry in zip(clients, (one, two, two), strict=True):
            if registry is holder:
                await comm.disconnect()
        survivors = [c for c, r in zip(clients, (one, two, two), strict=True) if r is not holder]
        last = max(seqs[-1])
        message = await receive_type(survivors[0], "power", timeout=30)
        while message["seq"] <= last:
            message = await receive_type(survivors[0], "power", timeout=30)
        other = two if holder is one else one
        assert next(iter(other.pollers.values())).polls > 0
    finally:
        for comm in clients:
            await comm.disconnect()
        await asyncio.sleep(0.1)
        for registry in (one, two):
            await registry.leases.close()


async def test_a_lost_seq_counter_starts_above_every_number_handed_out_before():
    """A restarted Redis (or an expired idle topic) must not send seq back to 1: clients drop seen numbers."""
    import redis.asyncio as aioredis

    from monitoring.streams.lease import PREFIX

    url = require_redis()
    leases = RedisLeases(url)
    try:
        first = await leases.next_seq("seq-test-topic")
        second = await leases.next_seq("seq-test-topic")
        assert second == first + 1  # no gaps while the counter lives
        client = aioredis.from_url(url)
        await client.delete(f"{PREFIX}seq:seq-test-topic")  # what a restart without persistence does
        await client.aclose()
        assert await leases.next_seq("seq-test-topic") > second
    finally:
        await leases.close()
