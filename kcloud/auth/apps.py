from __future__ import annotations

from django.apps import AppConfig


class KcloudAuthConfig(AppConfig):
    """API tokens, authentication and throttling for partners and scripts."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "kcloud.auth"
    # "auth" is django.contrib.auth's label.
    label = "kcloud_auth"
    verbose_name = "API access"
