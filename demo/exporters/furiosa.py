"""furiosa-metrics-exporter (RNGD): client_golang, labels sorted, empty labels dropped.

Device-wise families (alive, temperature, power) carry ``core="0-7"`` for a whole
card; a partitioned card is emitted once whole (no pod labels) and once per
partition (``core="0-3"`` + the pod holding it), so consumers must de-duplicate.
Per-core families carry ``core="0".."7"`` and the pod of the partition owning
the core.  See ``docs/EXPORTERS.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from demo.expo import go_float, labels_sorted
from demo.exporters.npu_common import reading, util_schedule

if TYPE_CHECKING:
    from demo.fleet import Fleet, SimCluster, SimNode, SimNpu, SimPod, Target


HELP = {
    "furiosa_npu_alive": ("gauge", "The liveness of NPU device"),
    "furiosa_npu_core_frequency": ("gauge", "The current core frequency of NPU device (MHz)"),
    "furiosa_npu_core_utilization": ("gauge", "The current core utilization of NPU device"),
    "furiosa_npu_hw_power": ("gauge", "The current power of NPU device"),
    "furiosa_npu_hw_temperature": ("gauge", "The current temperature of NPU device"),
    "furiosa_npu_task_execution_cycle": ("counter", "The current task execution cycle of NPU device"),
    "furiosa_npu_total_cycle_count": ("counter", "The current total cycle count of NPU device"),
}


def _common(node: SimNode, card: SimNpu, core: str, pod: SimPod, container: str) -> list[tuple[str, str]]:
    return [
        ("arch", card.model.arch),
        ("container", container if pod else ""),
        ("core", core),
        ("device", card.device),
        ("driver_version", card.driver_version),
        ("firmware_version", card.firmware_version),
        ("hostname", node.name),
        ("namespace", pod.namespace if pod else ""),
        ("pci_bus_id", card.pci_bus_id),
        ("pert_version", "2025.1.0+1694e18"),
        ("pod", pod.name if pod else ""),
        ("uuid", card.uuid),
    ]


def _static(node: SimNode) -> list:
    rows = []
    for card in node.npus:
        dev = [_common(node, card, "0-7", card.pod, card.container)]
        dev += [_common(node, card, p.cores, p.pod, p.container) for p in card.partitions]
        owner = {}
        for p in card.partitions:
            for cid in p.core_ids:
                owner[cid] = (p.pod, p.container)
        cores = []
        for cid in range(card.model.cores):
            pod, container = owner.get(cid, (card.pod, card.container))
            cores.append(labels_sorted(_common(node, card, str(cid), pod, container), drop_empty=True))
        rows.append(
            {
                "card": card,
                "dev": [labels_sorted(d, drop_empty=True) for d in dev],
                "temp": [
                    (
                        labels_sorted([*d, ("label", "ambient")], drop_empty=True),
                        labels_sorted([*d, ("label", "peak")], drop_empty=True),
                    )
                    for d in dev
                ],
                "power": [labels_sorted([*d, ("label", "rms")], drop_empty=True) for d in dev],
                "cores": cores,
                "util": util_schedule(card),
            }
        )
    return rows


def render(fleet: Fleet, cluster: SimCluster, node: SimNode, target: Target, t: float) -> str:
    """The furiosa-metrics-exporter page of ``node`` at ``t``."""
    rows = fleet.static(target.path, lambda: _static(node))
    fam: dict[str, list[str]] = {k: [] for k in HELP}
    for row in rows:
        card = row["card"]
        r = reading(card, t)
        since = t - card.started_at
        freq = card.model.core_clock_mhz
        total = float(int(freq * 1e6 * since))
        task = float(int(freq * 1e6 * row["util"].integral(card.started_at, t) / 100.0))
        for lab in row["dev"]:
            fam["furiosa_npu_alive"].append(f"furiosa_npu_alive{lab} 1\n")
        for amb, peak in row["temp"]:
            fam["furiosa_npu_hw_temperature"].append(f"furiosa_npu_hw_temperature{amb} {go_float(r.ambient)}\n")
            fam["furiosa_npu_hw_temperature"].append(f"furiosa_npu_hw_temperature{peak} {go_float(r.temperature)}\n")
        for lab in row["power"]:
            fam["furiosa_npu_hw_power"].append(f"furiosa_npu_hw_power{lab} {go_float(r.power)}\n")
        for lab in row["cores"]:
            fam["furiosa_npu_core_utilization"].append(f"furiosa_npu_core_utilization{lab} {go_float(r.utilization)}\n")
            fam["furiosa_npu_core_frequency"].append(f"furiosa_npu_core_frequency{lab} {freq}\n")
            fam["furiosa_npu_total_cycle_count"].append(f"furiosa_npu_total_cycle_count{lab} {go_float(total)}\n")
            fam["furiosa_npu_task_execution_cycle"].append(f"furiosa_npu_task_execution_cycle{lab} {go_float(task)}\n")
    out = []
    for name, (mtype, help_text) in HELP.items():
        out.append(f"# HELP {name} {help_text}\n# TYPE {name} {mtype}\n")
        out.extend(sorted(fam[name]))
    return "".join(out)
