"""rbln-metrics-exporter (Rebellions ATOM): legacy ``RBLN_DEVICE_STATUS:*`` or new ``rbln_npu_*`` names.

client_golang (labels sorted); Kubernetes labels ``namespace/pod/container`` are
present on every device and empty strings on unallocated ones (no filtering).
v0.2.x: no ``smc_version`` label (the README examples are stale), DRAM in bytes,
temperature in °C and power in W.  See ``docs/EXPORTERS.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from demo.expo import go_float, labels_sorted
from demo.exporters.npu_common import reading

if TYPE_CHECKING:
    from demo.fleet import Fleet, SimCluster, SimNode, Target


# (legacy name, new name, HELP, reading attribute)
FAMILIES = (
    ("RBLN_DEVICE_STATUS:CARD_POWER", "rbln_npu_power", "Card power usage (W)", "power"),
    ("RBLN_DEVICE_STATUS:DRAM_TOTAL", "rbln_npu_memory_total", "DRAM total (bytes)", "memory_total_bytes"),
    ("RBLN_DEVICE_STATUS:DRAM_USED", "rbln_npu_memory_used", "DRAM used (bytes)", "memory_used_bytes"),
    ("RBLN_DEVICE_STATUS:HEALTH", "rbln_npu_health", "NPU health status", "health"),
    ("RBLN_DEVICE_STATUS:TEMPERATURE", "rbln_npu_temperature", "NPU temperature (C)", "temperature"),
    ("RBLN_DEVICE_STATUS:UTILIZATION", "rbln_npu_utilization", "Utilization (%)", "utilization"),
)
DEVICE_IDS = {"RBLN-CA12": "1120", "RBLN-CA22": "1220", "RBLN-CA25": "1250"}


def _static(node: SimNode) -> list[tuple[object, str]]:
    rows = []
    for card in node.npus:
        pod = card.pod
        rows.append(
            (
                card,
                labels_sorted(
                    [
                        ("card", card.model.arch),
                        ("container", card.container if pod else ""),
                        ("deviceID", DEVICE_IDS.get(card.model.arch, "1220")),
                        ("driver_version", card.driver_version),
                        ("firmware_version", card.firmware_version),
                        ("hostname", node.name),
                        ("name", card.device),
                        ("namespace", pod.namespace if pod else ""),
                        ("pod", pod.name if pod else ""),
                        ("uuid", card.uuid),
                    ]
                ),
            )
        )
    return rows


def render(fleet: Fleet, cluster: SimCluster, node: SimNode, target: Target, t: float) -> str:
    """The rbln-metrics-exporter page of ``node`` at ``t`` in the cluster's naming scheme."""
    rows = fleet.static(target.path, lambda: _static(node))
    legacy = cluster.rbln_naming == "legacy"
    readings = [(lab, reading(card, t)) for card, lab in rows]
    fams = sorted(((old if legacy else new), help_text, attr) for old, new, help_text, attr in FAMILIES)
    out = []
    for name, help_text, attr in fams:
        out.append(f"# HELP {name} {help_text}\n# TYPE {name} gauge\n")
        lines = []
        for lab, r in readings:
            v = 0 if attr == "health" else getattr(r, attr)
            lines.append(f"{name}{lab} {go_float(float(v))}\n")
        out.extend(sorted(lines))
    return "".join(out)
