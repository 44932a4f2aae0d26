"""Query economy: a list or summary costs the same PromQL requests for 16 GPUs as for 1,024.

Counted where it matters, on the Prometheus server itself
(``prometheus_http_requests_total`` for the query handlers on its /metrics),
with every cache cleared before each API call.
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from clusters.prometheus import memo
from tests.prometheus_fixtures import require_prometheus

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

ENDPOINTS = ("/gpus", "/gpus/summary", "/npus", "", "/summary")
MAX_REQUESTS_PER_CLUSTER = 3
_QUERY_LINE = re.compile(r'^prometheus_http_requests_total\{[^}]*handler="/api/v1/query(_range)?"[^}]*\}\s+(\S+)$')


@pytest.fixture(scope="module")
def two_fleets(tmp_path_factory):
    """A 16-GPU and a 1,024-GPU single-cluster fleet, 15 minutes of history each, no live scraping."""
    require_prometheus()
    from demo.deployment import start_fleet_prometheus
    from demo.fleet import FleetSize, build_fleet

    deployments = {}
    try:
        for label, size in (("small", FleetSize(1, 5, 4)), ("large", FleetSize(1, 141, 8))):
            fleet = build_fleet(7, size)
            deployments[label] = start_fleet_prometheus(
                fleet, 0.25, live=False, workdir=tmp_path_factory.mktemp(f"count-{label}")
            )
        yield deployments
    finally:
        for deployment in deployments.values():
            deployment.stop()


def _queries_served(server) -> float:
    status, body = server.request("/metrics")
    assert status == 200
    total = 0.0
    for line in body.decode().splitlines():
        match = _QUERY_LINE.match(line)
        if match:
            total += float(match.group(2))
    return total


def _count(deployment, make_cluster, staff_api) -> dict[str, float]:
    endpoint = deployment.clusters[0]
    make_cluster(endpoint.name, url=endpoint.url, timeout_seconds=30.0)
    counts = {}
    for path in ENDPOINTS:
        cache.clear()
        memo.clear()
        before = _queries_served(endpoint.server)
        response = staff_api.get("/api/v1/accelerators" + path)
        assert response.status_code == 200, response.content[:300]
        assert all(c["status"] == "ok" for c in response.json()["clusters"])
        counts[path or "/"] = _queries_served(endpoint.server) - before
    from clusters.models import Cluster

    Cluster.objects.all().delete()
    return counts


def test_list_and_summary_requests_do_not_grow_with_the_fleet(two_fleets, make_cluster, staff_api):
    sizes = {label: len(d.fleet.gpus) for label, d in two_fleets.items()}
    assert sizes == {"small": 16, "large": 1024}
    small = _count(two_fleets["small"], make_cluster, staff_api)
    large = _count(two_fleets["large"], make_cluster, staff_api)
    print("PromQL requests per call (16 GPUs / 1,024 GPUs):", small, large)
    assert small == large, (small, large)
    assert all(0 < n <= MAX_REQUESTS_PER_CLUSTER for n in small.values()), small
