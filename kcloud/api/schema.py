"""OpenAPI extensions: describe our token authentication to drf-spectacular."""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Token <key>`` as an apiKey header scheme."""

    target_class = "kcloud.auth.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'API token: "Token <key>" (create with manage.py create_api_token).',
        }


class StaffSessionScheme(SessionScheme):
    """Staff sessions are Django sessions (the cookie) for the schema."""

    target_class = "kcloud.auth.authentication.StaffSessionAuthentication"
