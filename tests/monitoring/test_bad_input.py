"""Bad input to every monitoring endpoint is a 400 naming the parameter (or a 404 for an unknown cluster).

No Prometheus is needed: parameters are validated before any cluster is asked.
The longest window any endpoint accepts is ``kcloud.api.params.MAX_WINDOW``
(400 days, the retention bound); a query range may not exceed 11,000 points.
"""

from __future__ import annotations

import time

import pytest

from kcloud.api.params import MAX_WINDOW

pytestmark = pytest.mark.django_db

M = "/api/v1/monitoring"
POWER, BREAKDOWN, ENERGY, EFFICIENCY = f"{M}/power", f"{M}/power/breakdown", f"{M}/energy", f"{M}/efficiency"
TS_POWER, TS_METRICS = f"{M}/timeseries/power", f"{M}/timeseries/metrics"
COMPARE = "/api/v1/clusters/compare"

DAY = 86400
T0 = 1_780_000_000  # 2026-05-28, well inside the accepted past
TOO_LONG = int(MAX_WINDOW.total_seconds()) + DAY
FUTURE = "2100-01-01T00:00:00Z"
SERIES_CASES = [
    ({"start": T0, "end": T0}, "start"),  # start = end
    ({"start": T0 + 3600, "end": T0}, "start"),  # start > end
    ({"start": T0 - TOO_LONG, "end": T0}, "start"),  # over the retention bound
    ({"start": int(time.time()) - 3600, "end": int(time.time()) + DAY}, "end"),
    ({"start": "yesterday", "end": T0}, "start"),
    ({"start": T0 - 3600, "end": "soon"}, "end"),
    ({"start": T0 - 4 * DAY, "end": T0, "step": "30s"}, "step"),  # 11,521 points
    ({"start": T0 - 3600, "end": T0, "step": "10s"}, "step"),  # below the scrape interval
    ({"start": T0 - 3600, "end": T0, "step": "fast"}, "step"),
]
CASES = [
    # /monitoring/power
    (POWER, {"time": "noon"}, "time"),
    (POWER, {"time": FUTURE}, "time"),
    (POWER, {"window": "1h"}, "window"),  # not a parameter of power now
    # /monitoring/power/breakdown
    (BREAKDOWN, {"by": "galaxy"}, "by"),
    (BREAKDOWN, {"window": "1m"}, "window"),  # shorter than increase() can measure
    (BREAKDOWN, {"window": f"{TOO_LONG // DAY}d"}, "window"),
    (BREAKDOWN, {"window": "an hour"}, "window"),
    (BREAKDOWN, {"time": FUTURE}, "time"),
    # /monitoring/energy
    *[(ENERGY, params, parameter) for params, parameter in SERIES_CASES if "step" not in params],
    (ENERGY, {"start": T0 - 60, "end": T0}, "start"),  # under 5 minutes
    (ENERGY, {"group_by": "galaxy"}, "group_by"),
    (ENERGY, {"idle": "nobody"}, "idle"),
    (ENERGY, {"step": "5m"}, "step"),  # energy has no step
    # /monitoring/efficiency
    (EFFICIENCY, {"window": f"{TOO_LONG // DAY}d"}, "window"),
    (EFFICIENCY, {"top": "0"}, "top"),
    (EFFICIENCY, {"top": "2.5"}, "top"),
    # /monitoring/timeseries/power
    *[(TS_POWER, params, parameter) for params, parameter in SERIES_CASES],
    (TS_POWER, {"group_by": "galaxy"}, "group_by"),
    (TS_POWER, {"metric": "gpu_power_watts"}, "metric"),  # that is the other endpoint
    # /monitoring/timeseries/metrics
    *[(TS_METRICS, {"metric": "gpu_power_watts", **params}, parameter) for params, parameter in SERIES_CASES],
    (TS_METRICS, {}, "metric"),
    (TS_METRICS, {"metric": "gpu_happiness_percent"}, "metric"),
    (TS_METRICS, {"metric": "gpu_power_watts", "group_by": "pod"}, "group_by"),  # not a GPU grouping
    (TS_METRICS, {"metric": "node_cpu_power_watts", "group_by": "namespace"}, "group_by"),
    (TS_METRICS, {"metric": "pod_cpu_usage_cores", "group_by": "model"}, "group_by"),
    (TS_METRICS, {"metric": "gpu_power_watts", "window": "1h"}, "window"),
    # /clusters/compare (the clusters API shares the window rules)
    (COMPARE, {"window": f"{TOO_LONG // DAY}d"}, "window"),
    (COMPARE, {"window": "soon"}, "window"),
]


@pytest.mark.parametrize(("url", "params", "parameter"), CASES)
def test_bad_input_is_a_400_naming_the_parameter(staff_api, make_cluster, url, params, parameter):
    make_cluster("seoul-a")  # a registered (unreachable) cluster: validation comes before any query
    response = staff_api.get(url, params)
    assert response.status_code == 400, (url, params, response.content[:300])
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter" and error["details"]["parameter"] == parameter, error
    assert parameter in error["message"]


def test_unknown_metric_lists_the_catalog(staff_api, db):
    response = staff_api.get(TS_METRICS)
    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert "gpu_utilization_percent" in details["choices"] and "npu_utilization_percent" in details["choices"]
    entry = next(m for m in details["metrics"] if m["name"] == "gpu_temperature_celsius")
    assert entry == {
        "name": "gpu_temperature_celsius",
        "resource": "gpus",
        "unit": "celsius",
        "aggregation": "avg",
        "group_by": ["cluster", "node", "namespace", "model", "gpu"],
        "description": entry["description"],
    }


def test_wrong_grouping_lists_the_metrics_groupings(staff_api, db):
    response = staff_api.get(TS_METRICS, {"metric": "node_power_watts", "group_by": "gpu"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "group_by: 'gpu' is not one of cluster, node."


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (POWER, {}),
        (BREAKDOWN, {}),
        (ENERGY, {}),
        (EFFICIENCY, {}),
        (TS_POWER, {}),
        (TS_METRICS, {"metric": "gpu_power_watts"}),
        (COMPARE, {}),
        ("/api/v1/clusters/nowhere/summary", None),
        ("/api/v1/clusters/nowhere/power", None),
        ("/api/v1/clusters/nowhere/topology", None),
    ],
)
def test_unknown_cluster_is_a_404(staff_api, make_cluster, url, params):
    make_cluster("seoul-a")
    response = staff_api.get(url, None if params is None else {**params, "cluster": "nowhere"})
    assert response.status_code == 404, (url, response.content[:300])
    assert response.json()["error"]["code"] == "not_found"


def test_a_cluster_outside_a_tokens_scope_is_a_404(token_client, partner_user, make_cluster):
    seoul = make_cluster("seoul-a")
    make_cluster("busan-b")
    client = token_client(partner_user, clusters=[seoul])
    for url, params in ((TS_METRICS, {"metric": "gpu_power_watts"}), (TS_POWER, {}), (ENERGY, {})):
        response = client.get(url, {**params, "cluster": "busan-b"})
        assert response.status_code == 404, (url, response.content[:300])
