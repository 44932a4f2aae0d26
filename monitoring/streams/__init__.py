"""Live power streams: one shared poller per topic, fanned out to WebSocket and SSE subscribers.

``topics`` names what is streamed, ``sources`` computes one message from
Prometheus, ``poller`` runs one poller per topic (a lease in Redis across app
instances), ``consumers`` and ``sse`` are the two transports.
"""
