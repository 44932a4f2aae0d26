"""``/monitoring/efficiency``: idle waste of accelerators against the fleet's truth."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.monitoring.helpers import J_PER_KWH, close, get, set_economics, window_end

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

EFFICIENCY = "/api/v1/monitoring/efficiency"
STEP = 30


def _expected_waste(fp, end: float, window: int) -> tuple[float, float, dict]:
    """Idle energy on the query's grid (right-hand rectangles of 30 s): allocated, unallocated, per pod."""
    held: dict[str, float] = {}
    by_pod: dict = {}
    for (cluster, ns, pod), items in fp.truth.attribution.items():
        for share, _kind, uuid in items:
            held[uuid] = held.get(uuid, 0.0) + share
            by_pod.setdefault(uuid, []).append(((cluster, ns, pod), share))
    allocated = unallocated = 0.0
    pods: dict = {}
    grid = [end - window + STEP * (i + 1) for i in range(window // STEP)]
    for uuid in [*fp.truth.gpu_uuids(), *fp.truth.npu_ids()]:
        joules = 0.0
        for t in grid:
            reading = fp.truth.gpu(uuid, t) if uuid in fp.fleet.gpus else fp.truth.npu(uuid, t)
            if reading["utilization_percent"] is not None and reading["utilization_percent"] < 1.0:
                joules += reading["power_watts"] * STEP
        share = min(1.0, held.get(uuid, 0.0))
        allocated += joules * share
        unallocated += joules * (1.0 - share)
        for key, s in by_pod.get(uuid, []):
            pods[key] = pods.get(key, 0.0) + joules * s
    return allocated / J_PER_KWH, unallocated / J_PER_KWH, {k: v / J_PER_KWH for k, v in pods.items()}


def test_idle_waste_equals_truth(staff_api, fleet_clusters, fleet_prometheus):
    fp = fleet_prometheus
    end = int(window_end(fp.fleet))
    set_economics(
        fleet_clusters, design_pue=1.3, carbon_intensity_g_per_kwh=430.0, electricity_price_per_kwh=Decimal("170")
    )
    body = get(staff_api, EFFICIENCY, window="1h", time=end, top=100)
    assert all(c["status"] == "ok" for c in body["clusters"])
    totals = body["totals"]
    allocated, unallocated, pods = _expected_waste(fp, end, 3600)
    assert allocated > 0 and unallocated > 0
    assert close(totals["allocated_idle_kwh"], allocated), (totals, allocated)
    assert close(totals["unallocated_idle_kwh"], unallocated), (totals, unallocated)
    assert totals["idle_waste_kwh"] == pytest.approx(allocated + unallocated, rel=0.01)
    for row in body["results"]:
        assert row["pue_source"] == "configured" and row["pue"] == 1.3
        assert row["carbon_grams"] == pytest.approx(row["idle_waste_kwh"] * 1.3 * 430.0)
        assert row["cost"] == pytest.approx(row["idle_waste_kwh"] * 1.3 * 170.0)
        assert 0 <= row["idle_waste_share_percent"] <= 100
    top_pods = {(r["cluster"], r["namespace"], r["pod"]): r["idle_energy_kwh"] for r in body["top"]["pods"]}
    for key, kwh in pods.items():
        if kwh > 0:
            assert close(top_pods[key], kwh), key
    devices = body["top"]["devices"]
    assert devices == sorted(devices, key=lambda r: -r["idle_energy_kwh"])
    assert 0 <= totals["gpu_utilization_percent"] <= 100


def test_efficiency_bad_input_and_dead_cluster(staff_api, fleet_clusters, make_cluster):
    for params, parameter in (({"window": "soon"}, "window"), ({"top": "0"}, "top"), ({"top": "1.5"}, "top")):
        response = staff_api.get(EFFICIENCY, params)
        assert response.status_code == 400 and response.json()["error"]["details"]["parameter"] == parameter
    make_cluster("dead-cluster")
    body = get(staff_api, EFFICIENCY, window="1h")
    assert body["totals"]["partial"] is True and body["totals"]["missing_clusters"] == ["dead-cluster"]
