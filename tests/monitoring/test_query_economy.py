"""The analytics endpoints cost the same number of PromQL requests per cluster for a small and a large fleet."""

from __future__ import annotations

from collections import Counter

import pytest

from clusters.models import Cluster
from demo.fleet import FleetSize, build_fleet
from tests.promcount import counting_requests
from tests.prometheus_fixtures import require_prometheus

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

# Ceilings per cluster (no facility query configured), with the cache off so nothing is reused:
# energy = 1 energy request + the accelerators' 2 device requests; power now = the infrastructure
# snapshot (KSM + power + 2 device requests); with a window, + the energy request; efficiency =
# 1 + 2 device requests; a power time series = 1 range request (+ 2 device requests by namespace).
ENDPOINTS = {
    "/api/v1/monitoring/energy": 3,
    "/api/v1/monitoring/power": 4,
    "/api/v1/monitoring/power/breakdown": 5,
    "/api/v1/clusters/compare": 5,
    "/api/v1/monitoring/efficiency": 3,
    "/api/v1/monitoring/timeseries/power": 3,
}


@pytest.fixture(scope="module")
def two_fleets(tmp_path_factory):
    """Two clusters each: 2 nodes x 2 accelerators, and 10 nodes x 8 accelerators (15 min of history)."""
    require_prometheus()
    from demo.deployment import start_fleet_prometheus

    deployments = {}
    try:
        for label, size in (("small", FleetSize(2, 2, 2)), ("large", FleetSize(2, 10, 8))):
            fleet = build_fleet(seed=7, size=size)
            deployments[label] = start_fleet_prometheus(fleet, 0.25, live=False, workdir=tmp_path_factory.mktemp(label))
        yield deployments
    finally:
        for deployment in deployments.values():
            deployment.stop()


def _requests(api, deployment, url: str, monkeypatch, **params) -> Counter:
    Cluster.objects.all().delete()
    for endpoint in deployment.registry():
        Cluster.objects.create(
            name=endpoint.name, prometheus_url=endpoint.url, label_selector=endpoint.label_selector, timeout_seconds=10
        )
    with counting_requests(monkeypatch) as counts:
        response = api.get(url, params)
    assert response.status_code == 200, response.content
    assert all(c["status"] == "ok" for c in response.json()["clusters"]), response.json()["clusters"]
    return counts


@pytest.mark.parametrize("url", sorted(ENDPOINTS))
def test_request_count_does_not_grow_with_the_fleet(staff_api, two_fleets, url, settings, monkeypatch):
    settings.KCLOUD_CACHE_ENABLED = False  # every answer from Prometheus, nothing reused
    counts = {}
    for label, deployment in two_fleets.items():
        end = int(deployment.history_end // 60 * 60)
        params = {"window": "10m"}
        if url.endswith("/energy"):
            params = {"start": end - 600, "end": end, "group_by": "pod"}
        elif url.endswith("/breakdown"):
            params = {"window": "10m", "by": "pod", "time": end}
        elif url.endswith("/timeseries/power"):
            params = {"start": end - 600, "end": end, "group_by": "namespace"}
        elif url.endswith("/power"):
            params = {"time": end}
        elif url.endswith("/efficiency"):
            params = {"window": "10m", "time": end}
        counts[label] = _requests(staff_api, deployment, url, monkeypatch, **params)
    small, large = counts["small"], counts["large"]
    assert sorted(small.values()) == sorted(large.values()), (small, large)
    assert max(large.values()) <= ENDPOINTS[url], large
