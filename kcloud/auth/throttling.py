"""Placeholder: replaced by the throttling implementation."""

from __future__ import annotations

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class TokenRateThrottle(UserRateThrottle):
    scope = "token"


__all__ = ["AnonRateThrottle", "TokenRateThrottle", "UserRateThrottle"]
