"""Server-sent events: ``GET /api/v1/monitoring/stream/power/sse`` (and ``.../gpus/sse``).

The same parameters, topics, pollers and bounded client queues as the WebSocket
consumers. Each event is ``id: <seq>`` + ``data: <message JSON>`` (the JSON has
``type``); a comment line is sent every 15 s so proxies keep the connection. A
reconnect with ``Last-Event-ID`` replays the messages still in the topic's
replay buffer when nothing in between was lost, else it starts with the latest
snapshot. Authentication: the session cookie (``EventSource``) or
``Authorization: Token`` (``curl -N``). An async view returning a
``StreamingHttpResponse`` over an async iterator: it runs under daphne without
a thread per client, and Django cancels it when the client goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from clusters.scope import Principal
from kcloud.api.errors import BadParameter, NotFound, envelope
from monitoring.streams import access, metrics
from monitoring.streams.auth import principal_for_key, token_key
from monitoring.streams.poller import REGISTRY, replay_buffer
from monitoring.streams.subscription import ClientQueue, ThresholdWatch, keep_membership, resolve
from monitoring.streams.topics import StreamRequest, Topic

logger = logging.getLogger(__name__)
PROTOCOL = "sse"
DEFAULT_HEARTBEAT_SECONDS = 15.0
RETRY_MILLISECONDS = 3000


def heartbeat_seconds() -> float:
    return float(getattr(settings, "KCLOUD_STREAM_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS))


def event(message: dict) -> str:
    """One SSE event: its ``seq`` as ``id`` and the message as one ``data`` line."""
    return f"id: {message.get('seq', '')}\ndata: {json.dumps(message, separators=(',', ':'))}\n\n"


def resume_from(buffer: list[dict], last_event_id: str | None, kind: str) -> list[dict]:
    """What a (re)connecting client gets first, from the topic's replay buffer.

    With a ``Last-Event-ID`` still covered by the buffer (no gap): every message after
    it. Otherwise (first connection, unknown id, or the buffer moved on): the latest
    ``kind`` message, a fresh snapshot, if the topic has one.
    """
    if last_event_id is not None:
        try:
            last = int(last_event_id)
        except ValueError:
            last = None
        if last is not None and buffer and buffer[0]["seq"] <= last + 1:
            return [m for m in buffer if m["seq"] > last]
    latest = [m for m in buffer if m.get("type") == kind]
    return latest[-1:]


async def _principal(request: HttpRequest) -> Principal:
    key = token_key(request.headers.get("Authorization"))
    if key is not None:
        return await principal_for_key(key)
    return Principal(user=await request.auser())


def _error(status: int, code: str, message: str, details: dict | None = None) -> HttpResponse:
    response = JsonResponse(envelope(code, message, details), status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Token"
    return response


async def _events(
    request: StreamRequest, topic: Topic, last_event_id: str | None, holder: Principal
) -> AsyncIterator[str]:
    layer = get_channel_layer()
    channel = await layer.new_channel("kcloud.sse.")
    client = ClientQueue(ThresholdWatch(request.threshold_watts))
    await layer.group_add(topic.group, channel)
    REGISTRY.subscribe(topic)
    metrics.CONNECTIONS.labels(protocol=PROTOCOL).inc()
    dropped = asyncio.Event()

    async def pump() -> None:
        while True:
            try:
                received = await layer.receive(channel)
            except Exception:  # Redis away: wait for it, the membership task re-joins the group
                logger.debug("sse %s: receive failed", topic.key, exc_info=True)
                await asyncio.sleep(1.0)
                continue
            if not client.offer(received["message"]):
                dropped.set()
                return

    receiver: asyncio.Task | None = None
    member = asyncio.get_running_loop().create_task(keep_membership(layer, topic.group, channel))
    try:
        yield f"retry: {RETRY_MILLISECONDS}\n\n"
        buffer = await sync_to_async(replay_buffer, thread_sensitive=False)(topic)
        for message in resume_from(buffer, last_event_id, topic.kind):
            client.last_seq = message["seq"]  # the live copies of these are then skipped by seq
            yield event(message)
            extra = client.threshold.check(message)
            if extra is not None:
                yield event(extra)
        # Live messages wait in the channel until now: none lost, none before the replay.
        receiver = asyncio.get_running_loop().create_task(pump())
        while not dropped.is_set():
            try:
                message = await asyncio.wait_for(client.queue.get(), timeout=heartbeat_seconds())
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            yield event(message)
        metrics.DROPPED.labels(protocol=PROTOCOL).inc()
        yield 'event: dropped\ndata: {"type":"error","code":"too_slow","message":"Client too slow."}\n\n'
    finally:
        for task in (receiver, member):
            if task is not None:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        with contextlib.suppress(Exception):  # Redis away: the membership expires there by itself
            await layer.group_discard(topic.group, channel)
        REGISTRY.unsubscribe(topic)
        metrics.CONNECTIONS.labels(protocol=PROTOCOL).dec()
        await access.release(holder)


def sse_view(kind: str):
    """The async SSE view of one stream kind."""

    @require_GET
    async def view(request: HttpRequest) -> HttpResponse:
        if not isinstance(request, ASGIRequest):
            # Under a WSGI server Django would buffer the endless stream in full and hold a
            # thread for ever: refuse instead (EventSource clients retry with backoff).
            return _error(503, "streams_need_asgi", "Live streams are served by the ASGI server (daphne).")
        principal = await _principal(request)
        refused = await access.refusal(principal)
        if refused is not None:
            return _error(refused.status, refused.code, refused.message)
        params = {name: request.GET.getlist(name) for name in request.GET}
        try:
            stream_request, topic = await resolve(principal, kind, params)
        except BadParameter as exc:
            return _error(400, exc.error_code, str(exc.detail), exc.details)
        except NotFound as exc:
            return _error(404, exc.error_code, str(exc.detail), exc.details)
        if not await access.acquire(principal):
            response = _error(access.TOO_MANY.status, access.TOO_MANY.code, access.TOO_MANY.message)
            response["Retry-After"] = "30"
            return response
        response = StreamingHttpResponse(
            _events(stream_request, topic, request.headers.get("Last-Event-ID"), principal),
            content_type="text/event-stream",
        )
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
        return response

    view.__name__ = f"{kind}_sse"
    return view


power_sse = sse_view("power")
gpus_sse = sse_view("gpus")
