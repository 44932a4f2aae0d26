"""HTTP routes of the live streams (SSE); the WebSocket routes are in ``monitoring.routing``."""

from __future__ import annotations

from django.urls import path

from monitoring.streams import sse

urlpatterns = [
    path("monitoring/stream/power/sse", sse.power_sse, name="api-monitoring-stream-power-sse"),
    path("monitoring/stream/gpus/sse", sse.gpus_sse, name="api-monitoring-stream-gpus-sse"),
]
