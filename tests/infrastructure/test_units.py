"""Unit tests without Prometheus: IPMI states, VM power only from Kepler VM series, tagged unions.

Where series are placed is tested in ``tests/clusters/test_placement.py``.
"""

from __future__ import annotations

from types import SimpleNamespace

from clusters import placement as P
from clusters.prometheus.promql import TAG, Scope
from clusters.prometheus.results import QueryResult, Sample
from hardware.services import parse_ipmi, state_of
from infrastructure import queries
from infrastructure.services import vms


def _sample(metric: str, raw: str, **labels: str) -> Sample:
    value = None if raw in ("NaN", "+Inf") else float(raw)
    return Sample({"__name__": metric, **labels}, value, 0.0, raw)


def test_ipmi_state_only_from_state_series():
    assert [state_of(_sample("s", r)) for r in ("0", "1", "2", "NaN", "7")] == [
        "ok",
        "warning",
        "critical",
        "unknown",
        "unknown",
    ]
    assert state_of(None) == "unknown"
    nodes = parse_ipmi(
        "c",
        [
            # A reading named like trouble with a nominal state is ok; a NaN reading keeps its state.
            _sample("ipmi_temperature_celsius", "99", id="1", name="CPU1 Critical Temp", instance="n1:9290"),
            _sample("ipmi_temperature_state", "0", id="1", name="CPU1 Critical Temp", instance="n1:9290"),
            _sample("ipmi_sensor_value", "NaN", id="2", name="PS Redundancy", type="Power Supply", instance="n1:9290"),
            _sample("ipmi_sensor_state", "1", id="2", name="PS Redundancy", type="Power Supply", instance="n1:9290"),
            _sample("ipmi_fan_speed_rpm", "5000", id="3", name="Fan1", instance="n1:9290"),  # no state series
        ],
        P.Placement.build({"n1": "10.0.0.1"}, []),
    )
    sensors = {s.id: s for s in nodes["n1"].sensors}
    assert (sensors["1"].value, sensors["1"].state) == (99.0, "ok")
    assert (sensors["2"].value, sensors["2"].state, sensors["2"].type) == (None, "warning", "other")
    assert sensors["3"].state == "unknown"


def test_vm_power_only_when_kepler_has_vm_series(monkeypatch):
    samples = [
        Sample(
            {"__name__": "libvirt_domain_openstack_info", "domain": "instance-1", "instance_id": "u-1",
             "instance_name": "vm-1", "instance": "host-a:9177"},
            1.0, 0.0, "1",
        ),
        Sample({"__name__": "libvirt_domain_info_virtual_cpus", "domain": "instance-1", "instance": "host-a:9177"},
               8.0, 0.0, "8"),
        Sample(
            {"__name__": "libvirt_domain_openstack_info", "domain": "instance-2", "instance_id": "u-2",
             "instance_name": "vm-2", "instance": "host-b:9177"},
            1.0, 0.0, "1",
        ),
        Sample({TAG: "k010_vm", "vm_id": "u-1", "zone": "package"}, 42.5, 0.0, "42.5"),
        Sample({TAG: "k010_vm", "vm_id": "u-1", "zone": "dram"}, 3.0, 0.0, "3"),
        Sample({TAG: "placement_node", "node": "host-a", "internal_ip": "10.0.0.1"}, 1.0, 0.0, "1"),
        Sample({TAG: "placement_node", "node": "host-b", "internal_ip": "10.0.0.2"}, 1.0, 0.0, "1"),
    ]  # fmt: skip
    monkeypatch.setattr(vms, "cached_query", lambda *a, **k: QueryResult("vector", samples=samples))
    cluster = SimpleNamespace(name="c", scope=Scope())
    found = {vm.id: vm for vm in vms.fetch_vms(None, cluster, 0.0)}
    assert (found["u-1"].host, found["u-1"].vcpus, found["u-1"].power_watts) == ("host-a", 8, 42.5)
    assert (found["u-2"].host, found["u-2"].power_watts) == ("host-b", None)


def test_union_tags_every_sub_expression():
    expr = queries.snapshot(Scope.from_text('cluster="x"'))
    # Every selector carries the cluster's scope, and or-ed parts are tagged so none is dropped.
    assert expr.count('cluster="x"') >= 12
    assert expr.count(TAG) == 10
