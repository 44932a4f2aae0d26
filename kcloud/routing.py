"""WebSocket routes: each domain's ``websocket_urlpatterns``."""

from __future__ import annotations

from monitoring.routing import websocket_urlpatterns as monitoring_websockets

websocket_urlpatterns: list = [*monitoring_websockets]
