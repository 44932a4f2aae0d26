"""Authentication of live streams outside DRF: session cookie or ``Authorization: Token``.

:class:`TokenAuthMiddleware` sits inside Channels' ``AuthMiddlewareStack``: a
handshake with a ``Token`` header is authenticated by the token (through
:func:`kcloud.auth.authentication.usable_token`, the check DRF uses) and the token
is put in the scope so :class:`~clusters.scope.Principal` applies its cluster
scope; a bad token makes the connection anonymous (closed 4401), never falls
back to the session.

:class:`BrowserOriginValidator` keeps the cross-site WebSocket protection for
browsers (they always send ``Origin``; a foreign one is refused) while letting
scripts connect without an ``Origin`` header: such a client carries no ambient
cookies, so there is nothing to hijack.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from clusters.scope import Principal
from kcloud.auth.authentication import KEYWORD, usable_token

TOKEN_SCOPE_KEY = "kcloud_token"  # noqa: S105 (a scope key, not a secret)


def token_key(authorization: bytes | str | None) -> str | None:
    """The key of an ``Authorization: Token <key>`` header; "" for a malformed one; None without."""
    if not authorization:
        return None
    text = authorization.decode("latin1") if isinstance(authorization, bytes) else authorization
    parts = text.split()
    if not parts or parts[0].lower() != KEYWORD.lower():
        return None
    return parts[1] if len(parts) == 2 else ""


def _header(scope: dict, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value
    return None


def _token_owner(key: str):
    token = usable_token(key) if key else None
    # Load the owner here, in the sync thread: scope code must not touch lazy relations.
    return (token.owner, token) if token is not None else (None, None)


async def principal_for_key(key: str) -> Principal:
    """The principal of a token key (anonymous for a bad one)."""
    owner, token = await database_sync_to_async(_token_owner)(key)
    return Principal(user=owner or AnonymousUser(), token=token)


class TokenAuthMiddleware:
    """Put the token's owner in ``scope["user"]`` and the token in ``scope["kcloud_token"]``."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        key = token_key(_header(scope, b"authorization"))
        if key is not None:
            principal = await principal_for_key(key)
            scope = {**scope, "user": principal.user, TOKEN_SCOPE_KEY: principal.token}
        return await self.inner(scope, receive, send)


def principal_from_scope(scope: dict) -> Principal:
    """The principal of a WebSocket scope (after :class:`TokenAuthMiddleware`)."""
    return Principal(user=scope.get("user") or AnonymousUser(), token=scope.get(TOKEN_SCOPE_KEY))


class _ScriptFriendlyOriginValidator(OriginValidator):
    def valid_origin(self, parsed_origin):
        if parsed_origin is None:
            return True
        return super().valid_origin(parsed_origin)


def BrowserOriginValidator(application):
    """Channels' ``AllowedHostsOriginValidator`` that also admits handshakes without ``Origin`` (scripts)."""
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
    return _ScriptFriendlyOriginValidator(application, allowed_hosts)
