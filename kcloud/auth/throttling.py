"""Request rate limits: one bucket per API token, per session user, per anonymous IP.

Each request falls in exactly one bucket: a token request is counted against
its token (so one partner's busy script cannot starve the owner's other tokens
or their dashboard session), a session/Basic request against its user, and an
anonymous request against its address. Rates come from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``KCLOUD_THROTTLE_*`` env vars).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from rest_framework import throttling
from rest_framework.request import Request
from rest_framework.settings import api_settings

from kcloud.auth.models import ApiToken


class _LiveRateMixin:
    """Read the rate from the current settings, not an import-time snapshot.

    DRF copies ``DEFAULT_THROTTLE_RATES`` into ``SimpleRateThrottle.THROTTLE_RATES``
    when the module is imported, so ``override_settings`` would not reach it.
    ``api_settings`` is reloaded on ``setting_changed`` and caches its values,
    so reading it per request is cheap and always current.
    """

    scope: str

    def get_rate(self) -> str | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        try:
            return rates[self.scope]
        except KeyError:
            # Same failure as DRF's, naming the missing scope.
            raise ImproperlyConfigured(f"No default throttle rate set for '{self.scope}' scope") from None


def _token_of(request: Request) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


class TokenRateThrottle(_LiveRateMixin, throttling.SimpleRateThrottle):
    """Scope ``token``: one bucket per API token; applies only to token requests."""

    scope = "token"

    def get_cache_key(self, request: Request, view) -> str | None:
        token = _token_of(request)
        if token is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}


class UserRateThrottle(_LiveRateMixin, throttling.SimpleRateThrottle):
    """Scope ``user``: one bucket per user, for authenticated requests without a token."""

    scope = "user"

    def get_cache_key(self, request: Request, view) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or _token_of(request) is not None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class AnonRateThrottle(_LiveRateMixin, throttling.SimpleRateThrottle):
    """Scope ``anon``: one bucket per client address, for anonymous requests.

    The address is ``REMOTE_ADDR`` unless ``REST_FRAMEWORK["NUM_PROXIES"]`` says
    how many proxies in ``X-Forwarded-For`` to trust.
    """

    scope = "anon"

    def get_ident(self, request: Request) -> str:
        """The client address; an unset ``NUM_PROXIES`` trusts no proxy.

        DRF's default with ``NUM_PROXIES`` unset is to key on the whole
        ``X-Forwarded-For`` header, which any client can vary to get a fresh
        bucket per request.
        """
        if api_settings.NUM_PROXIES is None:
            return request.META.get("REMOTE_ADDR", "")
        return super().get_ident(request)

    def get_cache_key(self, request: Request, view) -> str | None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ExportRateThrottle(_LiveRateMixin, throttling.SimpleRateThrottle):
    """Scope ``exports``: files and reports on their own budget, per token (else per user).

    An export can scan a week of a fleet: a script looping on it must not be able
    to spend the API's whole rate on them, nor they on it.
    """

    scope = "exports"

    def get_cache_key(self, request: Request, view) -> str | None:
        token = _token_of(request)
        user = getattr(request, "user", None)
        if token is not None:
            ident = f"token-{token.pk}"
        elif user is not None and user.is_authenticated:
            ident = f"user-{user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}
