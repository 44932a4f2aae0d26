"""What the export views share about access: the operator role, and their own rate budget."""

from __future__ import annotations

from rest_framework.settings import api_settings

from kcloud.auth.permissions import CanOperate
from kcloud.auth.throttling import ExportRateThrottle


class OperatorExports:
    """Mixin of the export and report views: operators only, on the exports' own throttle too."""

    permission_classes = [CanOperate]  # exports are data leaving the product

    def get_throttles(self) -> list:
        return [throttle() for throttle in (*api_settings.DEFAULT_THROTTLE_CLASSES, ExportRateThrottle)]
