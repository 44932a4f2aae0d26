"""Who polls a topic: a lease per topic, in Redis when the channel layer is Redis, else in-process.

The lease is what makes "one poller per topic across all app instances" true:
every instance with a subscriber runs a poller task, but only the lease holder
queries Prometheus; the others stand by and take over when the holder's lease
expires (its instance died) or is released (its last subscriber left). Each
poll also claims its time slot (``SET NX``), so a take-over right after the old
holder's poll cannot poll the same interval twice. ``seq`` numbers come from the
same store, so they keep increasing across holders; a counter that is missing (a
restarted Redis, an idle topic's expired key, a restarted single instance) starts
again from the clock in milliseconds, above every number handed out before, so
clients that drop what they have already seen (``seq`` not above the last) never
mistake new messages for old ones.

The store follows the channel layer: with ``channels_redis`` (``REDIS_URL`` set)
instances share it; with the in-memory layer there is only one instance and a
module-level dict (shared by every registry of the process) does the same job.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from django.conf import settings

PREFIX = "kcloud:stream:"
SEQ_TTL_SECONDS = 86400


def seq_seed() -> int:
    """Where a new counter starts: above any earlier counter (< 1,000 messages a second per topic)."""
    return int(time.time() * 1000)


# Compare-and-renew / compare-and-delete: only the holder may extend or release.
_RENEW = """
local v = redis.call('GET', KEYS[1])
if v == false then
  return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) and 1 or 0
elseif v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def redis_url() -> str | None:
    """The Redis URL of the default channel layer, or None when it is not Redis."""
    layer = settings.CHANNEL_LAYERS.get("default", {})
    if "redis" not in layer.get("BACKEND", "").lower():
        return None
    hosts = layer.get("CONFIG", {}).get("hosts") or []
    host = hosts[0] if hosts else None
    if isinstance(host, dict):
        host = host.get("address")
    return host if isinstance(host, str) else None


class LocalLeases:
    """In-process leases (one app instance): the same contract as :class:`RedisLeases`."""

    _holders: dict[str, tuple[str, float]] = {}
    _slots: dict[str, float] = {}
    _seq: dict[str, int] = {}

    async def hold(self, topic: str, owner: str, ttl_seconds: float) -> bool:
        now = time.monotonic()
        holder = self._holders.get(topic)
        if holder is None or holder[0] == owner or holder[1] <= now:
            self._holders[topic] = (owner, now + ttl_seconds)
            return True
        return False

    async def release(self, topic: str, owner: str) -> None:
        if self._holders.get(topic, ("",))[0] == owner:
            del self._holders[topic]

    async def claim_slot(self, topic: str, slot: int, ttl_seconds: float) -> bool:
        key = f"{topic}@{slot}"
        now = time.monotonic()
        for old in [k for k, expires in self._slots.items() if expires <= now]:
            del self._slots[old]
        if key in self._slots:
            return False
        self._slots[key] = now + ttl_seconds
        return True

    async def next_seq(self, topic: str) -> int:
        self._seq[topic] = self._seq.get(topic, seq_seed()) + 1
        return self._seq[topic]


class RedisLeases:
    """Leases shared by every app instance through Redis (asyncio client, one per event loop)."""

    def __init__(self, url: str):
        self.url = url
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _redis(self):
        import redis.asyncio as aioredis

        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = aioredis.from_url(self.url, socket_connect_timeout=2, socket_timeout=2)
            self._loop = loop
        return self._client

    async def hold(self, topic: str, owner: str, ttl_seconds: float) -> bool:
        result = await self._redis().eval(_RENEW, 1, f"{PREFIX}lease:{topic}", owner, int(ttl_seconds * 1000))
        return bool(result)

    async def release(self, topic: str, owner: str) -> None:
        await self._redis().eval(_RELEASE, 1, f"{PREFIX}lease:{topic}", owner)

    async def claim_slot(self, topic: str, slot: int, ttl_seconds: float) -> bool:
        key = f"{PREFIX}slot:{topic}:{slot}"
        return bool(await self._redis().set(key, "1", nx=True, px=int(ttl_seconds * 1000)))

    async def next_seq(self, topic: str) -> int:
        key = f"{PREFIX}seq:{topic}"
        client = self._redis()
        async with client.pipeline(transaction=True) as pipe:
            pipe.set(key, seq_seed(), nx=True)
            pipe.incr(key)
            pipe.expire(key, SEQ_TTL_SECONDS)
            _, seq, _ = await pipe.execute()
        return int(seq)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def leases_for_settings() -> LocalLeases | RedisLeases:
    """Redis leases when the channel layer is Redis (several instances), else in-process ones."""
    url = redis_url()
    return RedisLeases(url) if url else LocalLeases()
