from __future__ import annotations

from django.apps import AppConfig


class KcloudAuthConfig(AppConfig):
    """API tokens, authentication and throttling for partners and scripts."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "kcloud.auth"
    # "auth" is django.contrib.auth's label.
    label = "kcloud_auth"
    verbose_name = "Access"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from kcloud.auth import audit, roles

        # The role groups exist after every migrate (their permissions are made then).
        post_migrate.connect(roles.ensure_roles, sender=self, dispatch_uid="kcloud-ensure-roles")
        audit.connect()
