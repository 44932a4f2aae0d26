"""Unit tests without Prometheus: node identity, IPMI states, VM power only from Kepler VM series."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from clusters.prometheus.promql import Scope
from clusters.prometheus.results import QueryResult, Sample
from hardware.services import parse_ipmi, state_of
from infrastructure import identity, queries
from infrastructure.services import vms


@pytest.mark.parametrize(
    ("instance", "node"),
    [("gpu-01:9290", "gpu-01"), ("gpu-01", "gpu-01"), ("10.0.0.5:9100", "10.0.0.5"), ("[fd00::1]:9100", "fd00::1")],
)
def test_strip_port(instance, node):
    assert identity.strip_port(instance) == node


def test_node_identity_per_exporter():
    assert identity.kepler_node({"node_name": "a", "instance": "x:9102"}) == "a"  # 0.10+
    assert identity.kepler_node({"exported_instance": "b", "instance": "x:9102"}) == "b"  # 0.7, not honoured
    assert identity.kepler_node({"instance": "c:9102"}) == "c"  # 0.7 with honor_labels
    assert identity.dcgm_node({"Hostname": "d"}) == identity.dcgm_node({"hostname": "d"}) == "d"
    assert identity.ipmi_node({"instance": "e:9290"}) == "e"
    assert identity.ipmi_node({"instance": "bmc-e.mgmt:9290", "node": "e"}) == "e"
    assert identity.ksm_node({"node": ""}) is None


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
        Sample({"__name__": "kepler_vm_cpu_watts", "vm_id": "u-1", "zone": "package"}, 42.5, 0.0, "42.5"),
        Sample({"__name__": "kepler_vm_cpu_watts", "vm_id": "u-1", "zone": "dram"}, 3.0, 0.0, "3"),
    ]  # fmt: skip
    monkeypatch.setattr(vms, "cached_query", lambda *a, **k: QueryResult("vector", samples=samples))
    cluster = SimpleNamespace(name="c", scope=Scope())
    found = {vm.id: vm for vm in vms.fetch_vms(None, cluster, 0.0)}
    assert (found["u-1"].host, found["u-1"].vcpus, found["u-1"].power_watts) == ("host-a", 8, 42.5)
    assert (found["u-2"].host, found["u-2"].power_watts) == ("host-b", None)


def test_union_tags_every_sub_expression():
    expr = queries.power(Scope.from_text('cluster="x"'))
    # Every selector carries the cluster's scope, and or-ed parts are tagged so none is dropped.
    assert expr.count('cluster="x"') >= 9
    assert expr.count(queries.TAG) == 8
