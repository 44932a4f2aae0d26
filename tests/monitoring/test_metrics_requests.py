"""``/timeseries/metrics`` costs a constant number of requests per cluster, for a small and a large fleet.

One range request; a grouping that names nodes adds the placement (one cached instant
request, :mod:`clusters.placement`); by namespace, the accelerators' two device requests
(their pod allocations, with the placement inside).
"""

from __future__ import annotations

import pytest

from tests.monitoring import test_query_economy as economy

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

two_fleets = economy.two_fleets  # the same two fleets (small and large), module-scoped here

URL = "/api/v1/monitoring/timeseries/metrics"
CASES = [
    ("gpu_utilization_percent", "model", 1),
    ("gpu_power_watts", "gpu", 2),
    ("npu_power_watts", "node", 2),
    ("node_cpu_power_watts", "cluster", 1),
    ("node_power_watts", "node", 2),
    ("pod_cpu_usage_cores", "namespace", 1),
    # GPUs/NPUs by namespace: + the accelerators' two device requests (their pod allocations).
    ("gpu_power_watts", "namespace", 3),
    ("npu_utilization_percent", "namespace", 3),
    ("pod_power_watts", "cluster", 3),
]


@pytest.mark.parametrize(("metric", "group_by", "ceiling"), CASES)
def test_request_count_does_not_grow_with_the_fleet(
    staff_api,
    two_fleets,
    metric,
    group_by,
    ceiling,
    settings,
    monkeypatch,
):
    settings.KCLOUD_CACHE_ENABLED = False  # every answer from Prometheus, nothing reused
    counts = {}
    for label, deployment in two_fleets.items():
        end = int(deployment.history_end // 60 * 60)
        params = {"metric": metric, "group_by": group_by, "start": end - 600, "end": end}
        counts[label] = economy._requests(staff_api, deployment, URL, monkeypatch, **params)
    small, large = counts["small"], counts["large"]
    assert sorted(small.values()) == sorted(large.values()), (small, large)
    assert max(large.values()) == ceiling, large
