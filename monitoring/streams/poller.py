"""One poller per topic: started by the first subscriber, stopped after the last.

A :class:`Registry` (one per process: :data:`REGISTRY`) counts the local
subscribers of each topic and runs one :class:`Poller` task per topic. Each task
keeps trying to hold the topic's lease (:mod:`monitoring.streams.lease`); only the
holder polls, once per interval on the interval's grid (``slot`` = floor(now /
interval), claimed in the lease store so no interval is polled twice), and
publishes every message to the topic's channel-layer group, so subscribers on
every instance receive it. The holder also keeps the last messages in Django's
cache (the SSE ``Last-Event-ID`` replay buffer, readable from any instance).

A poll that fails (Prometheus down, an unexpected error) publishes an ``error``
message; the poller goes on with the next interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.core.cache import cache

from kcloud.timeutil import isoformat, utcnow
from monitoring.streams import metrics, sources
from monitoring.streams.lease import LocalLeases, RedisLeases, leases_for_settings
from monitoring.streams.topics import Topic

logger = logging.getLogger(__name__)

LEASE_TTL_SECONDS = 10.0  # a dead holder is replaced within this (plus one renewal)
RENEW_EVERY_SECONDS = 2.0
REPLAY_SIZE = 64  # messages kept per topic for SSE resume
MESSAGE_EVENT = "stream.message"  # channel-layer message type -> consumer method stream_message


def replay_key(topic: Topic) -> str:
    return f"kcloud:stream:replay:{topic.digest}"


def replay_buffer(topic: Topic) -> list[dict]:
    """The last messages of ``topic`` (oldest first); empty when none are kept."""
    try:
        return list(cache.get(replay_key(topic)) or [])
    except Exception:  # the cache is an optimisation: resume then sends a fresh snapshot
        logger.debug("replay buffer read failed", exc_info=True)
        return []


def _remember(topic: Topic, messages: list[dict]) -> None:
    try:
        kept = [*replay_buffer(topic), *messages][-REPLAY_SIZE:]
        cache.set(replay_key(topic), kept, timeout=max(300, 10 * topic.interval_seconds))
    except Exception:
        logger.debug("replay buffer write failed", exc_info=True)


def _load_clusters(names: tuple[str, ...]) -> list[Any]:
    """The topic's Cluster rows, re-read every poll so a changed URL or credential applies at once."""
    from clusters.models import Cluster

    found = {c.name: c for c in Cluster.objects.filter(name__in=names, enabled=True)}
    return [found[name] for name in names if name in found]


class Poller:
    """The task behind one topic on one instance: holds (or waits for) the lease and polls."""

    def __init__(self, registry: Registry, topic: Topic):
        self.registry = registry
        self.topic = topic
        self.subscribers = 0
        self.polls = 0
        self.holding = False
        self.leases: LocalLeases | RedisLeases = registry.leases or leases_for_settings()
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.run(), name=f"stream-poller:{self.topic.key}")

    async def run(self) -> None:
        interval = self.topic.interval_seconds
        await self._hold()  # before the first slot: the first subscriber gets data at once
        renewer = asyncio.get_running_loop().create_task(self._keep_lease())
        try:
            while True:
                now = time.time()
                slot = int(now // interval)
                if self.holding:
                    try:
                        claimed = await self.leases.claim_slot(self.topic.key, slot, interval + LEASE_TTL_SECONDS)
                    except Exception:
                        logger.warning("stream %s: lease store unreachable", self.topic.key, exc_info=True)
                        claimed = False
                    if claimed:
                        await self.poll_once()
                # Sleep to the next slot, but wake for a take-over if we stand by.
                wake = (slot + 1) * interval - time.time()
                await asyncio.sleep(max(0.01, wake if self.holding else min(wake, RENEW_EVERY_SECONDS)))
        finally:
            renewer.cancel()
            with contextlib.suppress(BaseException):
                await renewer
            with contextlib.suppress(Exception):
                await self.leases.release(self.topic.key, self.registry.owner)
                if isinstance(self.leases, RedisLeases) and self.registry.leases is None:
                    await self.leases.close()

    async def _hold(self) -> None:
        try:
            self.holding = await self.leases.hold(self.topic.key, self.registry.owner, LEASE_TTL_SECONDS)
        except Exception:
            logger.warning("stream %s: lease store unreachable", self.topic.key, exc_info=True)
            self.holding = False

    async def _keep_lease(self) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY_SECONDS)
            await self._hold()

    async def poll_once(self) -> None:
        """Query Prometheus once and publish the messages; a failure becomes an ``error`` message."""
        self.polls += 1
        self.registry.polls += 1
        metrics.POLLS.labels(kind=self.topic.kind).inc()
        try:
            clusters = await database_sync_to_async(_load_clusters)(self.topic.clusters)
            at = float(int(time.time()))
            messages = await asyncio.to_thread(sources.poll, self.topic, clusters, at)
            gone = sorted(set(self.topic.clusters) - {c.name for c in clusters})
            for name in gone:  # deleted or disabled since the subscription: say so, never go silent
                gone_entry = {"name": name, "status": "error"}
                if self.topic.kind == "power":
                    gone_entry["power_watts"] = None
                messages[0]["clusters"].append(gone_entry)
                messages.append(
                    {
                        "type": "error",
                        "timestamp": messages[0]["timestamp"],
                        "cluster": name,
                        "code": "cluster_unavailable",
                        "message": "The cluster is disabled or no longer registered.",
                    }
                )
        except Exception:
            logger.exception("stream %s: poll failed", self.topic.key)
            messages = [
                {
                    "type": "error",
                    "timestamp": isoformat(utcnow()),
                    "cluster": None,
                    "code": "poll_failed",
                    "message": "The poll failed; the stream continues.",
                }
            ]
        await self.publish(messages)

    async def publish(self, messages: list[dict]) -> None:
        """Number and send the messages; with Redis unreachable this poll's are lost, the poller goes on."""
        layer = get_channel_layer()
        try:
            for message in messages:
                message["seq"] = await self.leases.next_seq(self.topic.key)
                metrics.MESSAGES.labels(type=message["type"]).inc()
                await layer.group_send(self.topic.group, {"type": MESSAGE_EVENT, "message": message})
        except Exception:
            logger.warning("stream %s: could not publish (channel layer unreachable)", self.topic.key, exc_info=True)
            return
        await sync_to_async(_remember, thread_sensitive=False)(self.topic, messages)


class Registry:
    """The pollers of one app instance, by topic, with their local subscriber counts."""

    def __init__(self, leases: LocalLeases | RedisLeases | None = None, owner: str | None = None):
        self.leases = leases  # None: chosen from the settings when a poller starts
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.pollers: dict[str, Poller] = {}
        self.polls = 0  # polls run by this instance (tests and the bench count them)

    def subscribe(self, topic: Topic) -> Poller:
        """Count one more local subscriber; the first one starts the topic's poller."""
        poller = self.pollers.get(topic.key)
        if poller is None or poller.task is None or poller.task.done():
            poller = Poller(self, topic)
            self.pollers[topic.key] = poller
            poller.start()
            metrics.TOPICS.set(len(self.pollers))
        poller.subscribers += 1
        return poller

    def unsubscribe(self, topic: Topic) -> None:
        """Count one subscriber less; after the last one the poller stops and releases its lease."""
        poller = self.pollers.get(topic.key)
        if poller is None:
            return
        poller.subscribers -= 1
        if poller.subscribers <= 0:
            del self.pollers[topic.key]
            if poller.task is not None:
                poller.task.cancel()
            metrics.TOPICS.set(len(self.pollers))

    def active(self, topic: Topic) -> bool:
        return topic.key in self.pollers


REGISTRY = Registry()
