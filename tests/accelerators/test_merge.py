"""Exporter quirks in the merge step, on hand-made samples (no Prometheus needed)."""

from __future__ import annotations

import pytest

from accelerators import merge
from accelerators.devices import MIG_SLICES
from clusters import placement as P
from clusters.prometheus.results import Sample, parse_value

T = 1_800_000_000.0
BASE = {"gpu": "0", "UUID": "GPU-aaaa", "device": "nvidia0", "modelName": "NVIDIA H100 80GB HBM3"}


# The hosts the samples below name, as kube-state-metrics would list them.
PLACEMENT = P.Placement.build({"node-1": "10.0.0.1", "n": "10.0.0.2"}, [])


def merge_gpus(cluster: str, gauges: list[Sample], seen_rows: list[Sample]):
    return merge.merge_gpus(cluster, gauges, seen_rows, PLACEMENT, P.Tally())


def merge_npus(cluster: str, gauges: list[Sample], seen_rows: list[Sample]):
    return merge.merge_npus(cluster, gauges, seen_rows, PLACEMENT, P.Tally())


def gauge(name: str, value: str, **labels: str) -> Sample:
    return Sample({"__name__": name, **labels}, parse_value(value), T, value)


def seen(ts: float = T, **labels: str) -> Sample:
    return Sample(labels, ts, T, str(ts))


@pytest.mark.parametrize("host_label", ["Hostname", "hostname"])
def test_both_hostname_spellings_and_sentinels(host_label):
    labels = {**BASE, host_label: "node-1", "DCGM_FI_DRIVER_VERSION": "580.105.08"}
    gpus = merge_gpus(
        "c",
        [
            gauge("DCGM_FI_DEV_POWER_USAGE", "300.5", UUID="GPU-aaaa"),
            gauge("DCGM_FI_DEV_MEMORY_TEMP", "9223372036854775794", UUID="GPU-aaaa"),
            gauge("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "123456789", UUID="GPU-aaaa"),
            gauge("DCGM_FI_DEV_GPU_UTIL", "0", UUID="GPU-aaaa"),
        ],
        [seen(**labels)],
    )
    (gpu,) = gpus
    assert gpu.node == "node-1" and gpu.driver_version == "580.105.08"
    assert gpu.memory_temperature_celsius is None
    assert gpu.total_energy_joules == pytest.approx(123456.789)
    assert gpu.status == "idle" and gpu.allocations == []
    assert gpu.memory_used_mb is None  # not reported: null, never 0


def test_mig_rows_merge_into_one_gpu_with_slice_shares():
    rows = []
    gauges = []
    for gi, profile, pod in (("1", "3g.40gb", "a"), ("5", "2g.20gb", "b"), ("13", "1g.10gb", None)):
        labels = {**BASE, "GPU_I_ID": gi, "GPU_I_PROFILE": profile, "Hostname": "n"}
        if pod:
            labels |= {"namespace": "ns", "pod": pod, "container": "main"}
        rows.append(seen(**labels))
        gauges += [
            gauge("DCGM_FI_DEV_POWER_USAGE", "350", UUID="GPU-aaaa", GPU_I_ID=gi),
            gauge("DCGM_FI_DEV_FB_USED", "100", UUID="GPU-aaaa", GPU_I_ID=gi),
            gauge("DCGM_FI_DEV_FB_FREE", "900", UUID="GPU-aaaa", GPU_I_ID=gi),
            gauge("DCGM_FI_DEV_FB_RESERVED", "0", UUID="GPU-aaaa", GPU_I_ID=gi),
        ]
    (gpu,) = merge_gpus("c", gauges, rows)
    assert gpu.mig_enabled and gpu.power_watts == 350  # once, not three times
    assert gpu.memory_used_mb == 300 and gpu.memory_total_mb == 3000
    assert [(a.pod, a.share) for a in gpu.allocations] == [("a", 3 / MIG_SLICES), ("b", 2 / MIG_SLICES)]
    assert gpu.pod is None and gpu.status == "active"
    assert [i.gpu_instance_id for i in gpu.mig_instances] == [1, 5, 13]
    # DCGM has no GPU_UTIL under MIG and these rows have no engine activity either: unknown, not 0 %.
    assert gpu.utilization_percent is None


def test_mig_utilization_is_the_instances_engine_activity_weighted_by_slices():
    rows, gauges = [], []
    for gi, profile, active in (("1", "3g.40gb", "0.9"), ("5", "2g.20gb", "0.5"), ("13", "1g.10gb", "0")):
        rows.append(seen(**BASE, GPU_I_ID=gi, GPU_I_PROFILE=profile, Hostname="n"))
        gauges += [
            gauge("DCGM_FI_DEV_POWER_USAGE", "420", UUID="GPU-aaaa", GPU_I_ID=gi),
            gauge("DCGM_FI_PROF_GR_ENGINE_ACTIVE", active, UUID="GPU-aaaa", GPU_I_ID=gi),
        ]
    (gpu,) = merge_gpus("c", gauges, rows)
    assert [i.utilization_percent for i in gpu.mig_instances] == pytest.approx([90.0, 50.0, 0.0])
    # 3/7 x 90 % + 2/7 x 50 % + 1/7 x 0 % (the seventh slice belongs to no instance: idle).
    assert gpu.utilization_percent == pytest.approx((3 * 90 + 2 * 50) / 7)
    assert gpu.status == "active"


def test_stale_gpu_is_unavailable_with_last_seen_and_null_values():
    (gpu,) = merge_gpus("c", [], [seen(T - 1200, **BASE, Hostname="n", namespace="ns", pod="p")])
    assert gpu.status == "unavailable" and gpu.power_watts is None
    assert gpu.last_seen.timestamp() == T - 1200
    assert gpu.pod == "p"  # the last known allocation


def test_furiosa_partitions_and_whole_card_are_one_npu():
    common = {"arch": "rngd", "device": "npu0", "hostname": "n", "uuid": "ABC", "pci_bus_id": "0000:17:00.0"}
    rows = [
        seen(**common, core="0-7", label="rms"),
        seen(**common, core="0-3", label="rms", namespace="ns", pod="p1", container="c"),
        seen(**common, core="4-7", label="rms", namespace="ns", pod="p2", container="c"),
    ]
    gauges = [gauge("furiosa_npu_hw_power", "100", uuid="ABC", core=c, label="rms") for c in ("0-7", "0-3", "4-7")]
    gauges += [gauge("furiosa_npu_core_utilization", "50", uuid="ABC", core=str(i)) for i in range(8)]
    (npu,) = merge_npus("c", gauges, rows)
    assert npu.power_watts == 100 and npu.core_count == 8 and npu.utilization_percent == 50
    assert [(p.cores, p.pod, p.power_share) for p in npu.partitions] == [("0-3", "p1", 0.5), ("4-7", "p2", 0.5)]
    assert sum(a.share for a in npu.allocations) == 1.0
    assert npu.memory_used_bytes is None  # the Furiosa exporter has no memory metric


@pytest.mark.parametrize(
    ("names", "total", "used", "want_total"),
    [
        (("RBLN_DEVICE_STATUS:DRAM_TOTAL", "RBLN_DEVICE_STATUS:DRAM_USED"), "15.71875", "1.5", 15.71875 * 2**30),
        (("rbln_npu_memory_total", "rbln_npu_memory_used"), "16877882368", "1610612736", 16877882368),
    ],
)
def test_rebellions_generations_units_and_empty_pod_labels(names, total, used, want_total):
    labels = {"card": "RBLN-CA25", "name": "rbln0", "uuid": "u-1", "hostname": "n", "namespace": "", "pod": ""}
    gauges = [gauge(names[0], total, uuid="u-1"), gauge(names[1], used, uuid="u-1")]
    (npu,) = merge_npus("c", gauges, [seen(**labels)])
    assert npu.memory_total_bytes == round(want_total)
    assert npu.pod is None and npu.allocations == [] and npu.status == "idle"
    assert npu.vendor == "rebellions" and npu.index == 0
