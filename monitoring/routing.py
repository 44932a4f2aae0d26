"""WebSocket routes of the monitoring domain (included by ``kcloud.routing``)."""

from __future__ import annotations

from django.urls import path

from monitoring.streams.consumers import GpuStreamConsumer, PowerStreamConsumer

websocket_urlpatterns = [
    path("api/v1/monitoring/stream/power", PowerStreamConsumer.as_asgi()),
    path("api/v1/monitoring/stream/gpus", GpuStreamConsumer.as_asgi()),
]
