"""Every list endpoint costs the same number of PromQL requests per cluster for a small and a large fleet."""

from __future__ import annotations

from collections import Counter

import pytest

from clusters.models import Cluster
from demo.fleet import FleetSize, build_fleet
from tests.promcount import counting_requests
from tests.prometheus_fixtures import require_prometheus

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

LISTS = [
    "/api/v1/infrastructure/nodes",
    "/api/v1/infrastructure/nodes/summary",
    "/api/v1/infrastructure/pods",
    "/api/v1/infrastructure/pods/summary",
    "/api/v1/infrastructure/containers",
    "/api/v1/infrastructure/vms",
    "/api/v1/hardware/ipmi/sensors",
    "/api/v1/hardware/ipmi/power",
    "/api/v1/hardware/ipmi/temperature",
    "/api/v1/hardware/ipmi/fans",
    "/api/v1/hardware/ipmi/voltage",
    "/api/v1/hardware/ipmi/current",
    "/api/v1/hardware/ipmi/summary",
    "/api/v1/hardware/bmc",
]
# Ceiling per cluster: KSM + power (+ containers) + the accelerators' two device queries.
MAX_PER_CLUSTER = 5


@pytest.fixture(scope="module")
def two_fleets(tmp_path_factory):
    """Two clusters each: 2 nodes x 2 accelerators, and 10 nodes x 8 accelerators (15 min of history)."""
    require_prometheus()
    from demo.deployment import start_fleet_prometheus

    deployments = {}
    try:
        for label, size in (("small", FleetSize(2, 2, 2)), ("large", FleetSize(2, 10, 8))):
            fleet = build_fleet(seed=7, size=size)
            deployments[label] = (
                fleet,
                start_fleet_prometheus(fleet, 0.25, live=False, workdir=tmp_path_factory.mktemp(label)),
            )
        yield deployments
    finally:
        for _fleet, deployment in deployments.values():
            deployment.stop()


def _requests(api, deployment, url: str, monkeypatch) -> Counter:
    Cluster.objects.all().delete()
    for endpoint in deployment.registry():
        Cluster.objects.create(name=endpoint.name, prometheus_url=endpoint.url, timeout_seconds=10)
    with counting_requests(monkeypatch) as counts:
        response = api.get(url, {"page_size": 1000})
    assert response.status_code == 200, response.content
    assert all(c["status"] == "ok" for c in response.json()["clusters"]), response.json()["clusters"]
    return counts


@pytest.mark.parametrize("url", LISTS)
def test_request_count_does_not_grow_with_the_fleet(staff_api, two_fleets, url, settings, monkeypatch):
    settings.KCLOUD_CACHE_ENABLED = False  # every answer from Prometheus, nothing reused
    small_fleet, small = two_fleets["small"]
    large_fleet, large = two_fleets["large"]
    assert len(large_fleet.nodes) == 5 * len(small_fleet.nodes)
    small_counts = _requests(staff_api, small, url, monkeypatch)
    large_counts = _requests(staff_api, large, url, monkeypatch)
    assert small_counts == large_counts
    assert set(small_counts) == {c.name for c in small_fleet.clusters}
    assert max(small_counts.values()) <= MAX_PER_CLUSTER
