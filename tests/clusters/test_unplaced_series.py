"""Series that cannot be placed on a node are reported, never put on a node made up from an address.

A hand-made cluster in a real Prometheus: one node (kube-state-metrics knows ``n1``
at 10.0.0.1) with Kepler power, a GPU whose dcgm-exporter names its host
``nvidia-dcgm`` and is scraped through an address no node or pod has, and an
IPMI exporter in remote mode scraped through its BMC's address. Neither can be
placed: the answers leave them out of every node, say so in ``warnings``, and
the diagnostics show the operator an example of each.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

STEP = 30
SPAN = 3600
GPU = {"gpu": "0", "UUID": "GPU-0000-aaaa", "modelName": "NVIDIA H100 80GB HBM3", "Hostname": "nvidia-dcgm"}
GPU_TARGET = {"instance": "10.99.0.2:9400", "job": "dcgm-exporter"}
BMC = {"instance": "10.99.0.1:9290", "job": "ipmi"}


def _openmetrics(end: int) -> str:
    """One hour at 30 s: (family, labels, value at t) for every series, as OpenMetrics text."""
    series = [
        ("kube_node_info", {"node": "n1", "internal_ip": "10.0.0.1"}, lambda t: 1),
        ("kube_node_status_condition", {"node": "n1", "condition": "Ready", "status": "true"}, lambda t: 1),
        ("kube_node_status_capacity", {"node": "n1", "resource": "nvidia_com_gpu", "unit": "integer"}, lambda t: 1),
        ("kepler_node_cpu_watts", {"node_name": "n1", "zone": "package", "path": "/sys/x"}, lambda t: 100),
        ("kepler_node_cpu_watts", {"node_name": "n1", "zone": "dram", "path": "/sys/x"}, lambda t: 10),
        ("kepler_node_cpu_joules_total", {"node_name": "n1", "zone": "package", "path": "/sys/x"}, lambda t: 100 * t),
        ("kepler_node_cpu_joules_total", {"node_name": "n1", "zone": "dram", "path": "/sys/x"}, lambda t: 10 * t),
        ("DCGM_FI_DEV_POWER_USAGE", {**GPU, **GPU_TARGET}, lambda t: 300),
        ("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", {**GPU, **GPU_TARGET}, lambda t: 300_000 * t),
        ("ipmi_up", {**BMC, "collector": "ipmi"}, lambda t: 1),
        ("ipmi_dcmi_power_consumption_watts", BMC, lambda t: 500),
        ("ipmi_temperature_celsius", {**BMC, "id": "1", "name": "CPU1 Temp"}, lambda t: 50),
        ("ipmi_temperature_state", {**BMC, "id": "1", "name": "CPU1 Temp"}, lambda t: 0),
    ]
    lines, declared = [], set()
    for name, labels, value in series:
        if name not in declared:
            lines.append(f"# TYPE {name} gauge")
            declared.add(name)
        body = ",".join(f'{k}="{v}"' for k, v in labels.items())
        lines.extend(f"{name}{{{body}}} {value(t - (end - SPAN))} {t}" for t in range(end - SPAN, end + 1, STEP))
    return "\n".join(lines) + "\n# EOF\n"


@pytest.fixture
def cluster(prometheus_server, make_cluster):
    import time

    end = int(time.time()) // 60 * 60 - 120
    server = prometheus_server(openmetrics=_openmetrics(end))
    row = make_cluster("edge-a", url=server.url, timeout_seconds=10)
    row.end = end
    return row


def _warned(body: dict) -> dict[str, int]:
    return {w["source"]: w["series"] for w in body["warnings"]}


def test_unplaced_gpu_and_bmc_are_warned_about_not_invented_into_nodes(staff_api, cluster):
    at = cluster.end
    nodes = staff_api.get("/api/v1/infrastructure/nodes", {"time": at}).json()
    assert [n["name"] for n in nodes["results"]] == ["n1"]  # no node called 10.99.0.1 or nvidia-dcgm
    (n1,) = nodes["results"]
    assert n1["cpu_power_watts"] == 100 and n1["dram_power_watts"] == 10
    # n1 should have a GPU and none could be placed on it: unknown, not 0 W, and no wall power either.
    assert n1["gpu_power_watts"] is None and n1["measured_power_watts"] is None and n1["power_watts"] is None
    assert _warned(nodes) == {"dcgm": 1, "ipmi": 1}
    (example,) = [w["example"] for w in nodes["warnings"] if w["source"] == "ipmi"]
    assert example["instance"] == BMC["instance"]

    gpus = staff_api.get("/api/v1/accelerators/gpus", {"time": at}).json()
    assert [g["node"] for g in gpus["results"]] == [None] and _warned(gpus) == {"dcgm": 1}

    ipmi = staff_api.get("/api/v1/hardware/ipmi/summary", {"time": at}).json()
    assert ipmi["results"] == [] and _warned(ipmi) == {"ipmi": 4}


def test_energy_leaves_unplaced_sources_out_and_says_so(staff_api, cluster):
    body = staff_api.get(
        "/api/v1/monitoring/energy", {"start": cluster.end - 1800, "end": cluster.end, "group_by": "node"}
    ).json()
    assert {r["node"] for r in body["results"]} == {"n1"}
    (row,) = body["results"]  # no pod on n1: its energy is one (idle) row
    assert row["cpu_energy_kwh"] == pytest.approx(100 * 1800 / 3.6e6, rel=0.01)
    assert row["gpu_energy_kwh"] is None  # the GPU's energy is not credited to n1 by guess
    assert all((r[k] or 0) >= 0 for r in body["results"] for k in ("energy_kwh", "cpu_energy_kwh"))
    assert set(_warned(body)) == {"dcgm", "ipmi"}


def test_check_clusters_placement_names_what_to_fix(cluster):
    out = StringIO()
    with pytest.raises(CommandError, match="could not be placed"):
        call_command("check_clusters", "--placement", stdout=out)
    text = out.getvalue()
    assert "edge-a: placement of series on nodes" in text
    ipmi = next(line for line in text.splitlines() if line.strip().startswith("ipmi "))
    assert "0 of 1" in ipmi
    assert 'instance="10.99.0.1:9290"' in text and 'Hostname="nvidia-dcgm"' in text


def test_a_partner_is_told_what_was_not_placed_but_not_the_exporters_addresses(cluster, token_client, partner_user):
    body = token_client(partner_user).get("/api/v1/infrastructure/nodes", {"time": cluster.end}).json()
    assert _warned(body) == {"dcgm": 1, "ipmi": 1}
    assert all(w["example"] == {} for w in body["warnings"])
    assert "10.99.0." not in str(body)
