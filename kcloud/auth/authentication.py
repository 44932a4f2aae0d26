"""Placeholder: replaced by the API token implementation."""

from __future__ import annotations

from rest_framework.authentication import BaseAuthentication


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        return None
