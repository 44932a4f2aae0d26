"""Hardware API against the fleet: sensor states as the exporter says them, NaN sensor, DCMI, BMC."""

from __future__ import annotations

import pytest

from clusters.models import Cluster
from demo.exporters import ipmi
from tests.conftest import CLOSED_URL
from tests.infrastructure.helpers import get_all, history_time

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

BASE = "/api/v1/hardware"
STATE = {0.0: "ok", 1.0: "warning", 2.0: "critical"}
KIND_TYPE = {"fan_ratio": "fan", "sensor": "other"}


def _reporting_nodes(fleet, t):
    return [n for n in fleet.nodes.values() if n.up(t)]


def test_every_sensor_as_the_exporter_reports_it(staff_api, fleet_clusters, fleet_prometheus):
    fleet, t = fleet_prometheus.fleet, history_time(fleet_prometheus.fleet)
    rows = get_all(staff_api, f"{BASE}/ipmi/sensors", time=int(t))["results"]
    got = {(r["cluster"], r["node"], r["id"]): r for r in rows}
    expected = {}
    for n in _reporting_nodes(fleet, t):
        for kind, sid, name, _stype, value, state in ipmi.sensors(n, t):
            expected[(n.cluster, n.name, sid)] = (KIND_TYPE.get(kind, kind), name, value, state)
    assert set(got) == set(expected)
    for key, (kind, name, value, state) in expected.items():
        row = got[key]
        assert row["type"] == kind and row["name"] == name, key
        if value != value:  # NaN reading → null value, the exporter's state unchanged
            assert row["value"] is None, key
        else:
            assert row["value"] == pytest.approx(value), key
        assert row["state"] == (STATE[state] if state == state else "unknown"), key


def test_nan_sensor_and_critical_fan(staff_api, fleet_clusters, fleet_prometheus):
    nan_node = next(n for n in fleet_prometheus.fleet.nodes.values() if "nan_temp" in n.ipmi_quirks)
    fan_node = next(n for n in fleet_prometheus.fleet.nodes.values() if "fan_critical" in n.ipmi_quirks)
    unknown = get_all(staff_api, f"{BASE}/ipmi/sensors", state="unknown")["results"]
    assert [(r["node"], r["name"], r["value"], r["type"]) for r in unknown] == [
        (nan_node.name, ipmi.NAN_TEMP, None, "temperature")
    ]
    critical = get_all(staff_api, f"{BASE}/ipmi/sensors", state="critical")["results"]
    assert [(r["node"], r["name"], r["value"]) for r in critical] == [(fan_node.name, ipmi.CRITICAL_FAN, 840.0)]
    # A generic sensor reading NaN with state 0 is reported as it is: null value, state ok.
    other = get_all(staff_api, f"{BASE}/ipmi/sensors", type="other", node=nan_node.name)["results"]
    assert {(r["name"], r["value"], r["state"], r["sensor_type"]) for r in other} == {
        ("Power Cable", None, "ok", "Cable/Interconnect"),
        ("PS Redundancy", None, "ok", "Power Supply"),
    }
    temps = get_all(staff_api, f"{BASE}/ipmi/temperature", node=nan_node.name)["results"]
    assert {r["type"] for r in temps} == {"temperature"} and len(temps) == 6
    fans = get_all(staff_api, f"{BASE}/ipmi/fans", node=fan_node.name, state="critical")["results"]
    assert [r["name"] for r in fans] == [ipmi.CRITICAL_FAN]
    assert get_all(staff_api, f"{BASE}/ipmi/voltage", node=fan_node.name)["count"] == 4
    assert {r["unit"] for r in get_all(staff_api, f"{BASE}/ipmi/current")["results"]} == {"amperes"}


def test_node_sensors_and_summary_order(staff_api, fleet_clusters, fleet_prometheus):
    fan_node = next(n for n in fleet_prometheus.fleet.nodes.values() if "fan_critical" in n.ipmi_quirks)
    body = staff_api.get(f"{BASE}/ipmi/sensors/{fan_node.name}").json()
    assert body["worst_state"] == "critical" and body["counts"]["critical"] == 1
    summary = get_all(staff_api, f"{BASE}/ipmi/summary")["results"]
    assert summary[0]["node"] == fan_node.name and summary[0]["worst_state"] == "critical"
    assert [p["name"] for p in summary[0]["problems"]] == [ipmi.CRITICAL_FAN]
    assert all(r["counts"]["critical"] == 0 for r in summary[1:])


def test_dcmi_power_only_where_the_bmc_has_it(staff_api, fleet_clusters, fleet_prometheus):
    fleet, t = fleet_prometheus.fleet, history_time(fleet_prometheus.fleet)
    rows = {(r["cluster"], r["node"]): r for r in get_all(staff_api, f"{BASE}/ipmi/power", time=int(t))["results"]}
    for n in _reporting_nodes(fleet, t):
        row = rows[(n.cluster, n.name)]
        assert row["dcmi_power_watts"] == n.dcmi_watts(t)
        assert row["dcmi_available"] is n.has_dcmi
        assert {s["name"] for s in row["sensors"]} >= {"PSU1 Input Power", "PSU2 Input Power"}


def test_bmc_info(staff_api, fleet_clusters, fleet_prometheus):
    rows = get_all(staff_api, f"{BASE}/bmc")["results"]
    assert rows and all(r["manufacturer"] == "Dell Inc. (674)" and r["firmware_revision"] == "1.66" for r in rows)
    assert all(r["bmc_url"] is None for r in rows)  # "N/A" from the exporter
    assert all(r["chassis_power"] == "on" for r in rows)


@pytest.mark.parametrize(
    ("url", "params", "parameter"),
    [
        ("/ipmi/sensors", {"type": "humidity"}, "type"),
        ("/ipmi/sensors", {"state": "fine"}, "state"),
        ("/ipmi/sensors", {"node": "Not_A_Node"}, "node"),
        ("/ipmi/sensors/Not_A_Node", {}, "node"),
        ("/ipmi/temperature", {"type": "fan"}, "type"),
        ("/bmc", {"time": "soon"}, "time"),
    ],
)
def test_bad_input(staff_api, fleet_clusters, url, params, parameter):
    r = staff_api.get(f"{BASE}{url}", params)
    assert r.status_code == 400, r.content
    assert r.json()["error"]["details"]["parameter"] == parameter


def test_unknown_and_ambiguous_node(staff_api, fleet_clusters):
    assert staff_api.get(f"{BASE}/ipmi/sensors/no-such-node").status_code == 404
    seoul = Cluster.objects.get(name="seoul-a")
    twin = Cluster(name="seoul-twin", prometheus_url=seoul.prometheus_url, timeout_seconds=10)
    twin.auth_type, twin.username, twin.password = seoul.auth_type, seoul.username, seoul.password
    twin.save()
    r = staff_api.get(f"{BASE}/ipmi/sensors/seoul-a-gpu-00")
    assert r.status_code == 400 and r.json()["error"]["details"]["clusters"] == ["seoul-a", "seoul-twin"]
    assert staff_api.get(f"{BASE}/ipmi/sensors/seoul-a-gpu-00", {"cluster": "seoul-a"}).status_code == 200


def test_dead_cluster_and_scope(staff_api, partner_user, token_client, fleet_clusters):
    Cluster.objects.create(name="dead-z", prometheus_url=CLOSED_URL, timeout_seconds=2)
    for url in ("/ipmi/sensors", "/ipmi/power", "/ipmi/summary", "/bmc", "/ipmi/fans"):
        r = staff_api.get(f"{BASE}{url}")
        assert r.status_code == 200
        outcome = {c["name"]: c["status"] for c in r.json()["clusters"]}
        assert outcome["dead-z"] == "error" and outcome["busan-b"] == "ok"
    client = token_client(partner_user, clusters=[Cluster.objects.get(name="busan-b")])
    assert {r["cluster"] for r in get_all(client, f"{BASE}/ipmi/sensors")["results"]} == {"busan-b"}
    assert client.get(f"{BASE}/ipmi/sensors/seoul-a-gpu-00").status_code == 404
