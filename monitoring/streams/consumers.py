"""WebSocket consumers of the live streams: ``/api/v1/monitoring/stream/{power,gpus}``.

Connection: authenticate (a staff session or a ``Token`` header, see
:mod:`monitoring.streams.auth`; none → close 4401), check the role (operator →
else 4403) and the caller's open streams (:mod:`.access`; too many → 4429),
validate the parameters (bad → 4400, unknown or out-of-scope cluster → 4404), then join the topic's
channel-layer group and count as a subscriber of its poller. Errors are sent
as one ``{"type": "error", ...}`` message before the close, so scripts see why.

Delivery goes through a bounded per-client queue drained by a sender task: a
client whose queue overflows is closed with 4408. Every way out (client close,
server close, drop) runs the same idempotent cleanup: group discard, poller
unsubscribe, metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from clusters.scope import Principal
from kcloud.api.errors import BadParameter, NotFound
from monitoring.streams import access, metrics
from monitoring.streams.auth import principal_from_scope
from monitoring.streams.poller import REGISTRY, Registry, replay_buffer
from monitoring.streams.subscription import (
    CLOSE_BAD_PARAMETER,
    CLOSE_NOT_FOUND,
    CLOSE_TOO_SLOW,
    ClientQueue,
    ThresholdWatch,
    client_buffer_bytes,
    keep_membership,
    resolve,
    unsent_bytes,
)
from monitoring.streams.topics import Topic, query_params

logger = logging.getLogger(__name__)
PROTOCOL = "websocket"


class StreamConsumer(AsyncJsonWebsocketConsumer):
    """One WebSocket subscriber of one topic (``kind`` set by the subclasses)."""

    kind = "power"

    def __init__(self, *args, registry: Registry | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.registry = registry or REGISTRY
        self.topic: Topic | None = None
        self.client: ClientQueue | None = None
        self.sender: asyncio.Task | None = None
        self.member: asyncio.Task | None = None  # renews the group membership
        self.counted = False
        self.holder: Principal | None = None  # whose stream count this connection holds

    async def connect(self) -> None:
        await self.accept()  # accept first: a close code only reaches the client after the handshake
        principal = principal_from_scope(self.scope)
        refused = await access.refusal(principal)
        if refused is not None:
            await self._refuse(refused.close_code, refused.code, refused.message)
            return
        try:
            request, topic = await resolve(principal, self.kind, query_params(self.scope.get("query_string", b"")))
        except BadParameter as exc:
            await self._refuse(CLOSE_BAD_PARAMETER, "invalid_parameter", str(exc.detail))
            return
        except NotFound as exc:
            await self._refuse(CLOSE_NOT_FOUND, "not_found", str(exc.detail))
            return
        if not await access.acquire(principal):
            too_many = access.TOO_MANY
            await self._refuse(too_many.close_code, too_many.code, too_many.message)
            return
        self.holder = principal
        self.topic = topic
        self.client = ClientQueue(ThresholdWatch(request.threshold_watts))
        self.sender = asyncio.get_running_loop().create_task(self._send_loop())
        await self.channel_layer.group_add(topic.group, self.channel_name)
        self.member = asyncio.get_running_loop().create_task(
            keep_membership(self.channel_layer, topic.group, self.channel_name)
        )
        running = self.registry.active(topic)
        self.registry.subscribe(topic)
        metrics.CONNECTIONS.labels(protocol=PROTOCOL).inc()
        self.counted = True
        if running:
            # Joining a running topic: the latest snapshot now, not after up to one interval.
            latest = [m for m in await database_sync_to_async(replay_buffer)(topic) if m.get("type") == topic.kind]
            if latest:
                self.client.offer(latest[-1])

    async def _refuse(self, code: int, error: str, message: str) -> None:
        await self.send_json({"type": "error", "code": error, "message": message})
        await self.close(code=code)

    async def stream_message(self, event: dict) -> None:
        """A message of the topic from the channel layer (``type: stream.message``)."""
        if self.client is None:
            return
        unsent = unsent_bytes(self.base_send)
        if (unsent is not None and unsent > client_buffer_bytes()) or not self.client.offer(event["message"]):
            metrics.DROPPED.labels(protocol=PROTOCOL).inc()
            logger.info("stream %s: dropping a client that cannot keep up", self.topic.key if self.topic else "?")
            await self._cleanup()
            await self.close(code=CLOSE_TOO_SLOW)

    async def _send_loop(self) -> None:
        assert self.client is not None
        while True:
            message = await self.client.queue.get()
            await self.send_json(message)

    async def disconnect(self, code: int) -> None:
        await self._cleanup()

    async def _cleanup(self) -> None:
        """Leave the group and the poller, and give the stream count back, exactly once, whatever the way out."""
        holder, self.holder = self.holder, None
        if holder is not None:
            await access.release(holder)
        topic, self.topic = self.topic, None
        if self.sender is not None and self.sender is not asyncio.current_task():
            self.sender.cancel()
            with contextlib.suppress(BaseException):
                await self.sender
        self.sender = None
        member, self.member = self.member, None
        if member is not None:
            member.cancel()
            with contextlib.suppress(BaseException):
                await member
        if topic is not None:
            with contextlib.suppress(Exception):  # Redis away: the membership expires there by itself
                await self.channel_layer.group_discard(topic.group, self.channel_name)
            self.registry.unsubscribe(topic)
        if self.counted:
            self.counted = False
            metrics.CONNECTIONS.labels(protocol=PROTOCOL).dec()


class PowerStreamConsumer(StreamConsumer):
    """``/api/v1/monitoring/stream/power?cluster=&group_by=&interval=&threshold_watts=``."""

    kind = "power"


class GpuStreamConsumer(StreamConsumer):
    """``/api/v1/monitoring/stream/gpus?cluster=&node=&interval=``."""

    kind = "gpus"
