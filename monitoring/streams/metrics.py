"""Self-metrics of the live streams (exported on /api/v1/system/metrics).

Registered once in prometheus_client's default registry at import time.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

CONNECTIONS = Gauge(
    "kcloud_stream_connections",
    "Open live-stream connections of this app instance, by protocol (websocket or sse).",
    ["protocol"],
)

TOPICS = Gauge(
    "kcloud_stream_topics",
    "Topics with a poller task on this app instance (holding the lease or standing by).",
)

MESSAGES = Counter(
    "kcloud_stream_messages_total",
    "Messages published by this instance's pollers, by message type.",
    ["type"],
)

DROPPED = Counter(
    "kcloud_stream_dropped_clients_total",
    "Clients disconnected because they could not keep up (their bounded queue was full).",
    ["protocol"],
)

POLLS = Counter(
    "kcloud_stream_polls_total",
    "Polls of Prometheus run by this instance's pollers (one per topic and interval across instances).",
    ["kind"],
)

# Export both protocols from the start (0, not absent, before the first connection or drop).
for _protocol in ("websocket", "sse"):
    CONNECTIONS.labels(protocol=_protocol)
    DROPPED.labels(protocol=_protocol)
