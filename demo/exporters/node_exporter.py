"""node_exporter's RAPL collector: ``node_rapl_<zone>_joules_total{index,path}`` per socket.

A second, independent view of the same CPU package and DRAM energy that Kepler
reports (counters since boot, joules, client_golang formatting).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from demo.expo import go_float, labels_sorted
from demo.exporters.kepler import CORE_FRAC

if TYPE_CHECKING:
    from demo.fleet import Fleet, SimCluster, SimNode, Target


SOCKETS = 2
ZONES = (
    ("core", ":0"),
    ("dram", ":1"),
    ("package", ""),
)


def cpu_energy_since_boot(node: SimNode, t: float) -> tuple[float, float]:
    """(package J, dram J) since boot: idle + pods + non-pod processes."""
    b = node.boot_at
    pkg = node.cpu_idle_watts * (t - b) + node.system_cpu.integral(b, t)
    dram = node.dram_idle_watts * (t - b) + node.system_dram.integral(b, t)
    for p in node.pods:
        pkg += p.cpu.integral(p.started_at, t)
        dram += p.dram.integral(p.started_at, t)
    return pkg, dram


def _labels(zone: str, suffix: str) -> list[str]:
    return [
        labels_sorted([("index", str(s)), ("path", f"/sys/class/powercap/intel-rapl:{s}{suffix}")])
        for s in range(SOCKETS)
    ]


def render(fleet: Fleet, cluster: SimCluster, node: SimNode, target: Target, t: float) -> str:
    """The node_exporter page (RAPL part only) of ``node`` at ``t``."""
    labs = fleet.static(target.path, lambda: {z: _labels(z, sfx) for z, sfx in ZONES})
    pkg, dram = cpu_energy_since_boot(node, t)
    vals = {"core": CORE_FRAC * pkg, "dram": dram, "package": pkg}
    out = []
    for zone, _sfx in ZONES:
        name = f"node_rapl_{zone}_joules_total"
        out.append(f"# HELP {name} Current RAPL {zone} value in joules\n# TYPE {name} counter\n")
        out.extend(f"{name}{lab} {go_float(vals[zone] / SOCKETS)}\n" for lab in labs[zone])
    return "".join(out)
