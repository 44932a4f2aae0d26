"""Who may watch a live stream, and how many streams each may hold open.

The same rules for WebSocket and SSE (:mod:`.consumers`, :mod:`.sse`):

* a token, or a *staff* session (sessions are for staff; partners use tokens);
* the ``operate`` permission (operator or admin role);
* at most ``KCLOUD_STREAM_MAX_PER_PRINCIPAL`` open subscriptions per token or user,
  counted in the shared cache, so the limit holds across app instances (a crashed
  instance's counts expire with :data:`COUNT_TTL_SECONDS`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import cache

from clusters.scope import Principal
from kcloud.auth import roles

logger = logging.getLogger(__name__)

COUNT_TTL_SECONDS = 24 * 3600
KEY = "kcloud:stream-subscriptions:{}"


@dataclass(frozen=True)
class Refusal:
    """Why a stream is refused: the HTTP status, the WebSocket close code and the error envelope."""

    status: int
    close_code: int
    code: str
    message: str


NOT_AUTHENTICATED = Refusal(401, 4401, "not_authenticated", "Log in (staff) or send 'Authorization: Token <key>'.")
FORBIDDEN = Refusal(403, 4403, "permission_denied", "Live streams need the operator role.")
TOO_MANY = Refusal(429, 4429, "throttled", "Too many live streams open for this token or user; close one first.")


def _refusal(principal: Principal) -> Refusal | None:
    if not principal.is_authenticated or (principal.token is None and not principal.is_staff):
        return NOT_AUTHENTICATED
    if not roles.can_operate(principal.user):
        return FORBIDDEN
    return None


async def refusal(principal: Principal) -> Refusal | None:
    """Why ``principal`` may not watch a stream at all, or None (permissions are read in a thread)."""
    return await database_sync_to_async(_refusal)(principal)


def _key(principal: Principal) -> str:
    who = f"token:{principal.token.pk}" if principal.token is not None else f"user:{principal.user.pk}"
    return KEY.format(who)


def _acquire(principal: Principal) -> bool:
    key, limit = _key(principal), settings.KCLOUD_STREAM_MAX_PER_PRINCIPAL
    try:
        cache.add(key, 0, timeout=COUNT_TTL_SECONDS)
        count = cache.incr(key)
    except Exception:  # no cache: the limit cannot be kept, the stream still can be
        logger.warning("stream subscription limit unavailable (cache error)", exc_info=True)
        return True
    if count > limit:
        _release(principal)
        return False
    return True


def _release(principal: Principal) -> None:
    try:
        cache.decr(_key(principal))
    except Exception:  # expired or unavailable: nothing to give back
        logger.debug("stream subscription count already gone", exc_info=True)


async def acquire(principal: Principal) -> bool:
    """Count one more open stream for ``principal``; False when it already holds the maximum."""
    return await sync_to_async(_acquire, thread_sensitive=False)(principal)


async def release(principal: Principal) -> None:
    """Give back one open stream of ``principal``."""
    await sync_to_async(_release, thread_sensitive=False)(principal)
