"""Counting the PromQL requests an answer costs, where the client records them."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def counting_requests(monkeypatch) -> Iterator[Counter]:
    """Count requests per cluster name inside the block (every request passes the client's metrics hook)."""
    from clusters.prometheus import client

    counts: Counter = Counter()
    original = client.record_request
    # Requests of one answer run in several threads (fan-out workers, a service's own
    # pool); ``counts[x] += 1`` is a read-modify-write that can lose an update.
    lock = threading.Lock()

    def count(cluster, endpoint, outcome, seconds):
        with lock:
            counts[cluster] += 1
        original(cluster, endpoint, outcome, seconds)

    monkeypatch.setattr(client, "record_request", count)
    try:
        yield counts
    finally:
        monkeypatch.setattr(client, "record_request", original)
