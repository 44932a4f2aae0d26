from __future__ import annotations

from django.apps import AppConfig


class ClustersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "clusters"

    def ready(self) -> None:
        from clusters.models import Cluster
        from kcloud.auth import audit

        # Who registered, changed or removed a cluster belongs in the audit trail.
        audit.track(Cluster, "cluster")
