"""DRF authentication for partner API tokens: ``Authorization: Token <key>``."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.request import Request

from kcloud.auth.models import ApiToken

KEYWORD = "Token"

# One message for every bad token: telling "unknown" from "expired" or
# "disabled" would help someone probing stolen or guessed keys.
FAILURE_MESSAGE = "Invalid, expired or disabled API token."


def usable_token(key: str) -> ApiToken | None:
    """Return the usable token for a plaintext key (recording the use), or None.

    The one check every entry point shares: DRF here, and any non-DRF path
    (WebSocket, SSE) that receives a key. Synchronous: wrap it in
    ``database_sync_to_async`` from async code.
    """
    token = ApiToken.objects.find_by_key(key)
    if token is None or not token.is_usable:
        return None
    token.touch()
    return token


class ApiTokenAuthentication(BaseAuthentication):
    """Authenticate with an :class:`~kcloud.auth.models.ApiToken`.

    On success ``request.user`` is the token's owner and ``request.auth`` the
    token itself, which is how scoping code (``clusters.scope``) learns that
    the request is limited to the token's clusters.
    """

    keyword = KEYWORD

    def authenticate(self, request: Request):
        """Return ``(owner, token)``, None without a ``Token`` header, or raise 401."""
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            # No token header: let session (or Basic) authentication try.
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header: expected 'Token <key>'.")
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(FAILURE_MESSAGE) from None

        token = usable_token(key)
        if token is None:
            raise exceptions.AuthenticationFailed(FAILURE_MESSAGE)
        request._request.kcloud_token_name = token.name  # for the request's log line (kcloud.logs)
        return token.owner, token

    def authenticate_header(self, request: Request) -> str:
        """Name our scheme in ``WWW-Authenticate`` so DRF answers 401, not 403."""
        return self.keyword


class StaffSessionAuthentication(SessionAuthentication):
    """Django sessions, for staff only: a session of anyone else authenticates nobody.

    Dashboards' sign-in refuses non-staff accounts; this closes the other doors (a
    session made elsewhere, or an account that lost its staff flag). Partners use
    tokens.
    """

    def authenticate(self, request: Request):
        found = super().authenticate(request)
        if found is None or not found[0].is_staff:
            return None
        return found
