"""The accelerators API against real Prometheus servers holding the demo fleet, checked against its truth.

Values are compared *exactly*: the API is evaluated (``?time=``) at the last
backfilled instant, where every device's latest sample was written by the
backfill at exactly its own timestamp, so ``truth.gpu(uuid, last_seen)`` is
what the exporter printed. Live samples are not used for equality: a live
scrape's timestamp is taken a few milliseconds before the exporter renders.
"""

from __future__ import annotations

import math

import pytest

from tests.conftest import CLOSED_URL

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

BASE = "/api/v1/accelerators"
GPU_LIVE = (
    "power_watts",
    "temperature_celsius",
    "memory_temperature_celsius",
    "utilization_percent",
    "memory_copy_utilization_percent",
    "memory_used_mb",
    "memory_free_mb",
    "memory_total_mb",
    "sm_clock_mhz",
    "memory_clock_mhz",
    "total_energy_joules",
)


@pytest.fixture
def at(fleet_prometheus) -> float:
    """A backfilled instant on the 30 s grid, 20 minutes after the stopped node stopped.

    Every device's latest sample was written there by the backfill, and the
    stopped node is still within the one-hour "unavailable" window (at the end
    of the history it may already be 80 minutes silent, and forgotten).
    """
    deployment = fleet_prometheus.deployment
    stopped_at = fleet_prometheus.fleet.stopped_at
    return min(deployment.history_end, math.floor((stopped_at + 1200) / 30) * 30)


def _get(client, path: str, **params):
    response = client.get(BASE + path, params)
    assert response.status_code == 200, response.content[:500]
    return response.json()


def _all(client, path: str, **params) -> dict:
    body = _get(client, path, page_size=1000, **params)
    assert body["next"] is None
    return body


def _when(row: dict, at: float) -> float:
    """The instant the truth must be asked for: the sample's own time, or ``at`` for silent devices."""
    from datetime import datetime

    if row["status"] == "unavailable":
        return at
    return datetime.fromisoformat(row["last_seen"].replace("Z", "+00:00")).timestamp()


def test_every_gpu_field_equals_truth(staff_api, fleet_clusters, fleet_prometheus, at):
    truth = fleet_prometheus.truth
    body = _all(staff_api, "/gpus", time=at)
    assert all(c["status"] == "ok" for c in body["clusters"]), body["clusters"]
    rows = {r["uuid"]: r for r in body["results"]}
    assert sorted(rows) == sorted(truth.gpu_uuids())  # each physical GPU once (MIG merged)
    for uuid, row in rows.items():
        want = truth.gpu(uuid, _when(row, at))
        for key, value in want.items():
            if key == "mig_instances":
                got = [{k: i[k] for k in value[0]} for i in row[key]] if value else row[key]
                assert got == value, (uuid, key)
            elif key == "xid_errors":
                assert key not in row  # error counters: single-GPU endpoints only (checked below)
            else:
                assert row[key] == value, (uuid, key, row[key], value)


def test_gpu_detail_and_error_counters_equal_truth(staff_api, fleet_clusters, fleet_prometheus, at):
    truth = fleet_prometheus.truth
    for uuid in truth.gpu_uuids():
        detail = _get(staff_api, f"/gpus/{uuid}", time=at)
        want = truth.gpu(uuid, _when(detail, at))
        assert detail["power_watts"] == want["power_watts"] and detail["status"] == want["status"]
        if detail["status"] == "unavailable":
            assert detail["xid_errors"] is None  # a silent GPU reports nothing, not its last XID
            continue
        assert detail["xid_errors"] == want["xid_errors"], uuid
        counters = ("pcie_replay_total", "remapped_rows_correctable", "remapped_rows_uncorrectable")
        assert [detail[k] for k in counters] == [0, 0, 0]
        metrics = _get(staff_api, f"/gpus/{uuid}/metrics", time=at)
        assert {k: v for k, v in detail.items() if k in metrics} == metrics


def test_every_npu_field_equals_truth(staff_api, fleet_clusters, fleet_prometheus, at):
    truth = fleet_prometheus.truth
    rows = {r["id"]: r for r in _all(staff_api, "/npus", time=at)["results"]}
    assert sorted(rows) == sorted(truth.npu_ids())  # each card once (partitions merged)
    # Fields the exporters do not publish are null, never invented: Rebellions has no
    # pci_bus_id or core count label, Furiosa no memory gauge.
    absent = {"rebellions": {"pci_bus_id", "core_count"}, "furiosa": {"memory_used_bytes", "memory_total_bytes"}}
    for uuid, row in rows.items():
        want = truth.npu(uuid, _when(row, at))
        for key, value in want.items():
            got = row["model"] if key == "model_name" else row.get(key)
            if key == "partitions":
                got = [{k: p[k] for k in ("cores", "namespace", "pod", "container")} for p in row[key]]
            if key in absent[row["vendor"]]:
                assert got is None, (uuid, key)
                continue
            assert got == value, (uuid, key, got, value)


def test_mig_and_partitions_are_merged_and_power_is_not_double_counted(staff_api, fleet_clusters, fleet_prometheus, at):
    fleet, truth = fleet_prometheus.fleet, fleet_prometheus.truth
    gpus = _all(staff_api, "/gpus", time=at)["results"]
    mig = next(g for g in gpus if g["mig_enabled"])
    assert [i["gpu_instance_id"] for i in mig["mig_instances"]] == [1, 5, 13]
    shares = {a["gpu_instance_id"]: a["share"] for a in mig["allocations"]}
    assert shares == {"1": 3 / 7, "5": 2 / 7}  # the free 1g.10gb slice stays unattributed
    assert mig["mig_instances"][0]["power_watts"] == pytest.approx(mig["power_watts"] * 3 / 7)
    npus = _all(staff_api, "/npus", time=at)["results"]
    card = next(x for x in npus if x["partitions"])
    assert [(p["cores"], p["power_share"]) for p in card["partitions"]] == [("0-3", 0.5), ("4-7", 0.5)]
    # Per node, the listed power adds up to the node's accelerator power in the truth.
    for cluster in fleet.clusters:
        for node in cluster.nodes:
            if not node.up(at):
                continue
            np_ = truth.node_power(cluster.name, node.name, _when({"status": "ok", "last_seen": _iso(at)}, at))
            listed_gpu = sum(g["power_watts"] for g in gpus if g["node"] == node.name)
            listed_npu = sum(x["power_watts"] for x in npus if x["node"] == node.name)
            assert listed_gpu == pytest.approx(np_["gpu_power_watts"], abs=0.01)
            assert listed_npu == pytest.approx(np_["npu_power_watts"], abs=0.05)


def _iso(ts: float) -> str:
    from kcloud.timeutil import from_unix, isoformat

    return isoformat(from_unix(ts))


def test_stopped_node_is_unavailable_with_last_seen(staff_api, fleet_clusters, fleet_prometheus, at):
    fleet = fleet_prometheus.fleet
    cluster_name, node_name = fleet.stopped
    stopped_at = fleet.stopped_at
    rows = _all(staff_api, "", time=at, cluster=cluster_name, node=node_name)["results"]
    assert rows and all(r["status"] == "unavailable" for r in rows)
    for row in rows:
        last = _when({**row, "status": "ok"}, at)
        assert stopped_at - 30 <= last < stopped_at  # the last scrape before it stopped
        assert row["power_watts"] is None and row["utilization_percent"] is None
    # Filters and the summary agree.
    summary = _get(staff_api, "/summary", time=at, cluster=cluster_name)
    by_cluster = {g["name"]: g for g in summary["by_cluster"]}
    assert by_cluster[cluster_name]["unavailable"] == len(rows)


def test_rebellions_generations_and_hostname_spellings(staff_api, fleet_clusters, fleet_prometheus, at):
    fleet = fleet_prometheus.fleet
    rows = _all(staff_api, "", time=at)["results"]
    seen = set()
    for cluster in fleet.clusters:
        mine = [r for r in rows if r["cluster"] == cluster.name and r["status"] != "unavailable"]
        gpus = [r for r in mine if r["kind"] == "gpu"]
        rbln = [r for r in mine if r["vendor"] == "rebellions"]
        assert gpus and all(r["node"] and r["power_watts"] is not None for r in gpus), cluster.name
        seen.add(("dcgm", cluster.dcgm_hostname_label))
        if rbln:
            assert all(r["power_watts"] is not None and r["memory_total_mb"] == 16384 for r in rbln)
            seen.add(("rbln", cluster.rbln_naming))
    assert {("dcgm", "Hostname"), ("dcgm", "hostname"), ("rbln", "legacy"), ("rbln", "new")} <= seen


def test_summaries_add_up(staff_api, fleet_clusters, at):
    gpus = _all(staff_api, "/gpus", time=at)["results"]
    summary = _get(staff_api, "/gpus/summary", time=at)
    totals = summary["totals"]
    assert totals["count"] == len(gpus) == totals["active"] + totals["idle"] + totals["unavailable"]
    powers = [g["power_watts"] for g in gpus if g["power_watts"] is not None]
    assert totals["power_watts_total"] == pytest.approx(math.fsum(powers))
    assert totals["temperature_celsius_max"] == max(g["temperature_celsius"] or 0 for g in gpus)
    assert sum(g["count"] for g in summary["by_cluster"]) == len(gpus)
    everything = _get(staff_api, "/summary", time=at)
    kinds = {g["name"]: g["count"] for g in everything["by_kind"]}
    assert kinds["gpu"] == len(gpus) and kinds["npu"] == _get(staff_api, "/npus/summary", time=at)["totals"]["count"]


def test_list_filters_ordering_and_pagination(staff_api, fleet_clusters, at):
    rows = _get(staff_api, "/gpus", time=at, ordering="-power_watts", page_size=5)
    assert rows["count"] > 5 and len(rows["results"]) == 5 and rows["next"]
    powers = [r["power_watts"] for r in rows["results"]]
    assert powers == sorted(powers, reverse=True)
    everything = _all(staff_api, "/gpus", time=at)["results"]
    sample = next(r for r in everything if r["allocations"])
    namespace, status = sample["allocations"][0]["namespace"], sample["status"]
    expected = {
        r["uuid"]
        for r in everything
        if r["status"] == status and any(a["namespace"] == namespace for a in r["allocations"])
    }
    filtered = _all(staff_api, "/gpus", time=at, status=status, namespace=namespace)["results"]
    assert {r["uuid"] for r in filtered} == expected and expected
    h100 = _all(staff_api, "/gpus", time=at, model="nvidia h100 80gb hbm3")["results"]
    assert h100 and {r["model_name"] for r in h100} == {"NVIDIA H100 80GB HBM3"}


def test_detail_metrics_and_case_insensitive_lookup(staff_api, fleet_clusters, fleet_prometheus, at):
    truth = fleet_prometheus.truth
    uuid = truth.gpu_uuids("busan-b")[2]  # the GPU with XID 31
    detail = _get(staff_api, f"/gpus/{uuid}", time=at)
    assert detail["uuid"] == uuid and detail["xid_errors"] == 31 and detail["cluster"] == "busan-b"
    metrics = _get(staff_api, f"/gpus/GPU-{uuid[4:].upper()}/metrics", time=at)
    assert metrics["power_watts"] == detail["power_watts"] and "node" not in metrics
    npu_id = truth.npu_ids("daejeon-c")[0]
    assert _get(staff_api, f"/npus/{npu_id.lower()}", time=at)["id"] == npu_id
    assert len(_get(staff_api, f"/npus/{npu_id}/metrics", time=at)["cores"]) == 8


def test_gpu_energy_across_the_counter_reset(staff_api, fleet_clusters, fleet_prometheus, at):
    fleet, truth = fleet_prometheus.fleet, fleet_prometheus.truth
    uuid = fleet.reset_gpu
    assert at - 24 * 3600 < fleet.reset_at < at
    body = _get(staff_api, f"/gpus/{uuid}/power", window="24h", time=at)
    assert body["energy_source"] == "counter"
    want = truth.energy_joules("gpu", uuid, at - 24 * 3600, at)
    assert body["energy_joules"] > 0
    assert body["energy_joules"] == pytest.approx(want, rel=0.005)
    assert body["energy_kwh"] == pytest.approx(body["energy_joules"] / 3.6e6)
    assert body["power_watts"] == truth.gpu(uuid, at)["power_watts"]
    assert body["min_power_watts"] <= body["avg_power_watts"] <= body["max_power_watts"]


def test_npu_energy_is_a_gauge_integral(staff_api, fleet_clusters, fleet_prometheus, at):
    truth = fleet_prometheus.truth
    npu_id = truth.npu_ids("daejeon-c")[0]  # the partitioned card: its power is counted once
    body = _get(staff_api, f"/npus/{npu_id}/power", window="1h", time=at)
    assert body["energy_source"] == "gauge_integral"
    # A gauge: compare with its scraped integral (demo/truth.py says why).
    assert body["energy_joules"] == pytest.approx(
        truth.energy_joules("npu", npu_id, at - 3600, at, scraped=True), rel=0.01
    )


def test_timeseries_points_equal_truth(staff_api, fleet_clusters, fleet_prometheus, at):
    truth = fleet_prometheus.truth
    uuid = truth.gpu_uuids("seoul-a")[1]
    body = _get(staff_api, f"/gpus/{uuid}/timeseries", metric="power_watts", start=at - 3600, end=at, step="60")
    assert body["step_seconds"] == 60 and len(body["timestamps"]) == 61
    for ts, value in zip(body["timestamps"], body["values"], strict=True):
        assert value == truth.gpu(uuid, ts)["power_watts"]
    energy = _get(staff_api, f"/gpus/{uuid}/timeseries", metric="total_energy_joules", start=at - 600, end=at)
    assert energy["values"][-1] == truth.gpu(uuid, energy["timestamps"][-1])["total_energy_joules"]
    npu_id = truth.npu_ids("seoul-a")[0]
    npu = _get(staff_api, f"/npus/{npu_id}/timeseries", metric="memory_total_mb", start=at - 600, end=at)
    assert set(npu["values"]) == {16384.0}


def test_live_list_answers_now(staff_api, fleet_clusters):
    body = _get(staff_api, "")
    assert body["count"] > 0 and body["evaluated_at"]
    assert {r["status"] for r in body["results"]} >= {"active", "idle"}


def test_token_scope(partner_user, token_client, fleet_clusters, fleet_prometheus, at):
    seoul = next(c for c in fleet_clusters if c.name == "seoul-a")
    client = token_client(partner_user, clusters=[seoul])
    rows = _all(client, "", time=at)
    assert {r["cluster"] for r in rows["results"]} == {"seoul-a"}
    assert [c["name"] for c in rows["clusters"]] == ["seoul-a"]
    other = fleet_prometheus.truth.gpu_uuids("busan-b")[0]
    assert client.get(f"{BASE}/gpus/{other}").status_code == 404
    assert client.get(f"{BASE}/gpus", {"cluster": "busan-b"}).status_code == 404
    mine = fleet_prometheus.truth.gpu_uuids("seoul-a")[0]
    assert client.get(f"{BASE}/gpus/{mine}").status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/gpus/not-a-uuid", {}, "uuid"),
        ("/npus/xyz", {}, "id"),
        ("/npus/GPU-00000000-0000-0000-0000-000000000000", {}, "id"),
        ("/gpus", {"status": "busy"}, "status"),
        ("/gpus", {"ordering": "-secret"}, "ordering"),
        ("/gpus", {"namespace": "Bad_NS"}, "namespace"),
        ("/gpus", {"colour": "red"}, "colour"),
        ("/gpus", {"cluster": "bad name!"}, "cluster"),
        ("/gpus", {"time": "yesterday"}, "time"),
        ("", {"kind": "tpu"}, "kind"),
        ("/gpus/GPU-00000000-0000-0000-0000-000000000000/power", {"window": "forever"}, "window"),
        ("/gpus/GPU-00000000-0000-0000-0000-000000000000/power", {"window": "10s"}, "window"),
        ("/gpus/GPU-00000000-0000-0000-0000-000000000000/timeseries", {"metric": "secrets"}, "metric"),
        ("/gpus/GPU-00000000-0000-0000-0000-000000000000/timeseries", {"start": "soon"}, "start"),
        ("/gpus/GPU-00000000-0000-0000-0000-000000000000/timeseries", {"end": "2999-01-01T00:00:00Z"}, "end"),
        ("/gpus/GPU-00000000-0000-0000-0000-000000000000/timeseries", {"step": "5s"}, "step"),
        ("/gpus/GPU-00000000-0000-0000-0000-000000000000/timeseries", {"step": "30", "start": "0"}, "start"),
        ("/npus/00000000-0000-0000-0000-000000000000/timeseries", {"metric": "sm_clock_mhz"}, "metric"),
    ],
)
def test_bad_input_is_400_naming_the_parameter(staff_api, fleet_clusters, path, params, parameter):
    response = staff_api.get(BASE + path, params)
    assert response.status_code == 400, (path, params, response.content[:300])
    assert response.json()["error"]["details"]["parameter"] == parameter


def test_too_many_points_is_400(staff_api, fleet_clusters, fleet_prometheus):
    uuid = fleet_prometheus.truth.gpu_uuids()[0]
    response = staff_api.get(f"{BASE}/gpus/{uuid}/timeseries", {"start": "2026-01-01T00:00:00Z", "step": "30"})
    assert response.status_code == 400 and response.json()["error"]["details"]["parameter"] in ("step", "start")


def test_unknown_uuid_is_404(staff_api, fleet_clusters):
    for path in ("/gpus/GPU-00000000-0000-0000-0000-000000000000", "/npus/00000000-0000-0000-0000-000000000000/power"):
        response = staff_api.get(BASE + path)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_dead_cluster_degrades_the_list(staff_api, fleet_clusters, make_cluster, at):
    make_cluster("dead-z", url=CLOSED_URL, timeout_seconds=1.0)
    for path in ("/gpus", "/npus", ""):
        body = _all(staff_api, path, time=at)
        outcomes = {c["name"]: c for c in body["clusters"]}
        assert outcomes["dead-z"]["status"] == "error" and outcomes["dead-z"]["error"]
        assert all(o["status"] == "ok" for name, o in outcomes.items() if name != "dead-z")
        assert body["count"] > 0
    summary = _get(staff_api, "/summary", time=at)
    assert {c["name"]: c["status"] for c in summary["clusters"]}["dead-z"] == "error"
    # A device that is nowhere among the answering clusters cannot be declared unknown.
    response = staff_api.get(f"{BASE}/gpus/GPU-00000000-0000-0000-0000-000000000000")
    assert response.status_code == 503
