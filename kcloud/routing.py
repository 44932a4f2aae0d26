"""WebSocket routes. The live power streams arrive with the streaming issue."""

from __future__ import annotations

websocket_urlpatterns: list = []
