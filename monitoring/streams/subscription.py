"""What the WebSocket consumer and the SSE view share: resolving a subscription and a bounded queue.

The subscription's clusters go through :func:`clusters.scope.select_clusters`
(the REST API's scope rules: unknown and out-of-scope names are the same 404),
so a scoped token's topic only ever names clusters it may see. Each client gets
a bounded queue: a client that cannot keep up overflows it and is disconnected
instead of being buffered without limit. Each subscriber renews its place in the
topic's channel-layer group (:func:`keep_membership`): a restarted Redis forgets
every group, and ``channels_redis`` lets memberships expire after a day.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from channels.db import database_sync_to_async
from channels.layers import BaseChannelLayer
from django.conf import settings

from clusters.scope import Principal, select_clusters
from monitoring.streams.topics import StreamRequest, Topic, parse_stream_params

MEMBERSHIP_RENEW_SECONDS = 5.0
DEFAULT_CLIENT_QUEUE = 32
DEFAULT_CLIENT_BUFFER_BYTES = 1 << 20
logger = logging.getLogger(__name__)

# WebSocket close codes (4000-4999 are the application's): the HTTP status + 4000.
CLOSE_BAD_PARAMETER = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_SLOW = 4408


async def keep_membership(layer: BaseChannelLayer, group: str, channel: str) -> None:
    """Re-join ``group`` every few seconds for as long as the subscriber lives (a task to cancel)."""
    while True:
        await asyncio.sleep(MEMBERSHIP_RENEW_SECONDS)
        try:
            await layer.group_add(group, channel)
        except Exception:  # Redis away: the next round joins again once it is back
            logger.debug("group %s: re-join failed", group, exc_info=True)


def client_queue_size() -> int:
    """Messages one client may have waiting (``KCLOUD_STREAM_CLIENT_QUEUE``, default 32)."""
    return max(1, int(getattr(settings, "KCLOUD_STREAM_CLIENT_QUEUE", DEFAULT_CLIENT_QUEUE)))


def client_buffer_bytes() -> int:
    """Bytes the server may hold unsent for one client (``KCLOUD_STREAM_CLIENT_BUFFER_BYTES``, default 1 MiB)."""
    return max(1, int(getattr(settings, "KCLOUD_STREAM_CLIENT_BUFFER_BYTES", DEFAULT_CLIENT_BUFFER_BYTES)))


def unsent_bytes(send) -> int | None:
    """Bytes daphne's Twisted transport still holds for this connection, or None when unknown.

    Daphne's ASGI ``send`` never blocks: a client that does not read makes the
    server buffer its messages below the application, where the bounded queue
    cannot see them. Daphne passes ``send`` as ``partial(handle_reply, protocol)``;
    from the protocol's transport we read the unwritten buffer (best effort: any
    other server, or another Twisted version, gives None and only the queue bound applies).
    """
    protocol = (getattr(send, "args", None) or (None,))[0]
    transport = getattr(protocol, "transport", None)
    try:
        buffered = len(transport.dataBuffer) - int(transport.offset) + int(transport._tempDataLen)
    except (AttributeError, TypeError, ValueError):
        return None
    return max(0, buffered)


def _resolve(principal: Principal, kind: str, params: Mapping[str, list[str]]) -> tuple[StreamRequest, Topic]:
    request = parse_stream_params(kind, params)
    clusters = select_clusters(principal, request.cluster_names)
    return request, request.topic([c.name for c in clusters])


async def resolve(principal: Principal, kind: str, params: Mapping[str, list[str]]) -> tuple[StreamRequest, Topic]:
    """Validate the parameters and resolve the clusters in the principal's scope.

    Raises ``BadParameter`` (400/4400) or ``NotFound`` (404/4404).
    """
    return await database_sync_to_async(_resolve)(principal, kind, params)


@dataclass
class ThresholdWatch:
    """Emits ``threshold_exceeded`` when the total power crosses above the subscriber's threshold."""

    threshold_watts: float | None
    above: bool = False

    def check(self, message: dict) -> dict | None:
        if self.threshold_watts is None or message.get("type") != "power":
            return None
        total = message.get("total_power_watts")
        if total is None:
            return None  # unknown is neither above nor below: no event, keep the state
        above = total > self.threshold_watts
        crossed = above and not self.above
        self.above = above
        if not crossed:
            return None
        return {
            "type": "threshold_exceeded",
            "seq": message.get("seq"),
            "timestamp": message.get("timestamp"),
            "threshold_watts": self.threshold_watts,
            "total_power_watts": total,
            "groups": message.get("groups"),
        }


@dataclass
class ClientQueue:
    """The bounded queue between the topic's messages and one client."""

    threshold: ThresholdWatch
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(client_queue_size()))
    last_seq: int | None = None

    def offer(self, message: dict) -> bool:
        """Queue a message (and its threshold event); False when the client has fallen behind.

        A message already offered (same or older ``seq``: the initial snapshot from the
        replay buffer racing the live one) is skipped.
        """
        seq = message.get("seq")
        if isinstance(seq, int):
            if self.last_seq is not None and seq <= self.last_seq:
                return True
            self.last_seq = seq
        extra = self.threshold.check(message)
        try:
            self.queue.put_nowait(message)
            if extra is not None:
                self.queue.put_nowait(extra)
        except asyncio.QueueFull:
            return False
        return True
