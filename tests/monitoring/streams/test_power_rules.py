"""The power poll's node rules on hand-made answers (no server): what a node's power is, and when it is unknown.

The integration tests (test_one_request.py) prove the stream equals the REST API on
the real fleet; these pin the edge cases the fleet does not show at every instant.
"""

from __future__ import annotations

import pytest

from clusters.prometheus.promql import Scope
from clusters.prometheus.results import Sample
from monitoring.streams import queries
from monitoring.streams.sources import cluster_parts, power_snapshot


def _s(tag: str, value: float | None, **labels: str) -> Sample:
    return Sample(labels={queries.TAG: tag, **labels}, value=value, timestamp=0.0)


def _node(name: str) -> Sample:
    return _s("placement_node", 1.0, node=name)


def test_wall_power_where_measured_else_the_parts_and_mig_rows_counted_once():
    samples = [
        _node("a"),
        _node("b"),
        _s("placement_capacity", 2.0, node="a", resource="nvidia_com_gpu"),
        # Kepler 0.10 on node a: package over two sockets, DRAM.
        _s("kepler_node_cpu_watts", 60.0, node_name="a", zone="package-0"),
        _s("kepler_node_cpu_watts", 40.0, node_name="a", zone="package-1"),
        _s("kepler_node_cpu_watts", 10.0, node_name="a", zone="dram"),
        # Kepler 0.7 on node b (rates of counters), wall power from DCMI.
        _s("k07_node_package", 50.0, exported_instance="b", instance="10.0.0.2:9102"),
        _s("k07_node_dram", 5.0, exported_instance="b", instance="10.0.0.2:9102"),
        _s("dcmi", 300.0, instance="b:9290"),
        # Two GPUs on a (the query already took max by UUID over MIG rows).
        _s("gpu", 200.0, UUID="GPU-1", Hostname="a"),
        _s("gpu", 100.0, UUID="GPU-2", hostname="a"),
    ]
    snap = power_snapshot("c", 0.0, samples)
    assert snap.nodes["a"].power.power_watts == pytest.approx(100 + 10 + 300)
    assert snap.nodes["b"].power.power_watts == 300.0  # the wall meter, not 55 W of parts
    it, parts = cluster_parts(snap)
    assert it == pytest.approx(710.0)
    assert parts == pytest.approx({"cpu": 150.0, "dram": 15.0, "gpu": 300.0, "npu": 0.0, "other": 245.0})
    assert sum(parts.values()) == pytest.approx(it)


def test_silent_devices_make_the_node_unknown_not_zero():
    samples = [
        _node("a"),
        _s("placement_capacity", 4.0, node="a", resource="furiosa_ai_rngd"),
        _s("kepler_node_cpu_watts", 80.0, node_name="a", zone="package"),
        _s("kepler_node_cpu_watts", 8.0, node_name="a", zone="dram"),
        # The node should have NPUs, none reports: its NPU part and its power are unknown.
    ]
    snap = power_snapshot("c", 0.0, samples)
    assert snap.nodes["a"].power.npu_power_watts is None
    assert snap.nodes["a"].power.power_watts is None
    assert cluster_parts(snap) == (None, {"gpu": None, "npu": None, "cpu": None, "dram": None, "other": None})


def test_a_node_kepler_does_not_report_is_left_out_of_the_sums():
    samples = [
        _node("up"),
        _node("down"),
        _s("kepler_node_cpu_watts", 50.0, node_name="up", zone="package"),
        _s("kepler_node_cpu_watts", 5.0, node_name="up", zone="dram"),
        _s("npu", 90.0, uuid="npu-1", hostname="up"),
        _s("placement_capacity", 1.0, node="up", resource="furiosa_ai_rngd"),
    ]
    snap = power_snapshot("c", 0.0, samples)
    assert snap.nodes["down"].power.power_watts is None
    it, parts = cluster_parts(snap)
    assert it == pytest.approx(145.0) and parts["npu"] == pytest.approx(90.0) and parts["other"] == pytest.approx(0.0)


def test_the_query_is_scoped_and_covers_both_kepler_generations():
    expr = queries.power(Scope.from_text('cluster="seoul-a"'))
    assert expr.count('cluster="seoul-a"') == expr.count("{")  # every selector carries the cluster's selector
    assert "kepler_node_cpu_watts" in expr and "kepler_node_package_joules_total" in expr
    assert "kepler_node_dram_joules_total" in expr and "ipmi_dcmi_power_consumption_watts" in expr
    assert "rbln_npu_power" in expr and "RBLN_DEVICE_STATUS:CARD_POWER" in expr
