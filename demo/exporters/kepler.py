"""Kepler, both generations (see ``docs/EXPORTERS.md``).

* 0.7.x: ``kepler_{node,container}_<zone>_joules_total`` counters with ``mode``
  (``dynamic``/``idle``) and const ``source``; node series carry ``instance`` and
  ``package`` (one per socket).  Non-pod work is the ``system_processes``
  pseudo-container.  Node idle power is reported with ``mode="idle"``.
* 0.10+: ``kepler_node_cpu[_active|_idle]_{joules_total,watts}{zone,path}``,
  ``kepler_pod_cpu_*{pod_id,pod_name,pod_namespace,state,zone}`` and
  ``kepler_container_cpu_*{...,pod_id}``, const ``node_name`` everywhere.

Both are client_golang: families sorted by name, labels sorted, Go ``'g'`` floats.
Zone ``core``/``uncore`` are parts of ``package``; we emit ``core`` so that a
consumer adding zones together double counts visibly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from demo.catalog import WATTS_PER_CORE
from demo.expo import go_float, labels_sorted

if TYPE_CHECKING:
    from demo.fleet import Fleet, SimCluster, SimNode, SimPod, Target


CORE_FRAC = 0.62  # share of package power drawn by the cores
UNCORE_FRAC = 0.08
SOCKETS = 2  # 0.7 reports per package (socket); each carries half


def kepler_started(node: SimNode) -> float:
    """Kepler counters count from the exporter's start, shortly after boot."""
    return node.boot_at + 120.0


def _origin(node: SimNode, pod: SimPod) -> float:
    return max(kepler_started(node), pod.started_at or kepler_started(node))


# ---------------------------------------------------------------------- 0.7
def _static_07(node: SimNode) -> dict:
    rows = []  # (share, pod or None=system, container labels)
    for pod in node.pods:
        for c in pod.containers:
            rows.append((c.share, pod, c.container_id, c.name, pod.namespace, pod.name))
    rows.append((1.0, None, "system_processes", "system_processes", "system", "system_processes"))
    lab = {}
    for zone, source in (("package", "rapl-sysfs"), ("core", "rapl-sysfs"), ("dram", "rapl-sysfs"), ("", "")):
        lab[zone] = [
            labels_sorted(
                [
                    ("container_id", cid),
                    ("container_name", cname),
                    ("container_namespace", ns),
                    ("mode", "dynamic"),
                    ("pod_name", pname),
                    ("source", source),
                ]
            )
            for _s, _p, cid, cname, ns, pname in rows
        ]
    node_lab = {
        (zone, sock, mode): labels_sorted(
            [("instance", node.name), ("mode", mode), ("package", str(sock)), ("source", "rapl-sysfs")]
        )
        for zone in ("package", "core", "uncore", "dram")
        for sock in range(SOCKETS)
        for mode in ("dynamic", "idle")
    }
    return {"rows": rows, "lab": lab, "node_lab": node_lab}


def _render_07(fleet: Fleet, node: SimNode, target: Target, t: float) -> str:
    st = fleet.static(target.path, lambda: _static_07(node))
    ks = kepler_started(node)
    pkg, dram = [], []
    for share, pod, *_ in st["rows"]:
        if pod is None:
            pkg.append(node.system_cpu.integral(ks, t))
            dram.append(node.system_dram.integral(ks, t))
        else:
            o = _origin(node, pod)
            pkg.append(share * pod.cpu.integral(o, t))
            dram.append(share * pod.dram.integral(o, t))
    out = []
    fams = (
        ("kepler_container_core_joules_total", "core", [CORE_FRAC * v for v in pkg]),
        ("kepler_container_dram_joules_total", "dram", dram),
        ("kepler_container_joules_total", "", [a + b for a, b in zip(pkg, dram, strict=True)]),
        ("kepler_container_package_joules_total", "package", pkg),
    )
    for name, zone, vals in fams:
        comp = zone or "total"
        src = "rapl-sysfs" if zone else ""
        out.append(f"# HELP {name} Aggregated value in {comp} value from {src}\n# TYPE {name} counter\n")
        out.extend(f"{name}{lab} {go_float(v)}\n" for lab, v in sorted(zip(st["lab"][zone], vals, strict=True)))
    out.append(
        "# HELP kepler_exporter_build_info A metric with a constant '1' value labeled by version, revision, branch,"
        " goversion from which kepler_exporter was built, and the goos and goarch for the build.\n"
        "# TYPE kepler_exporter_build_info gauge\n"
        'kepler_exporter_build_info{branch="",goarch="amd64",goos="linux",goversion="go1.21.13",'
        'revision="3eb6297d872453f3cb52c0596ed5bd05315fed3b",tags="",version="v0.7.12"} 1\n'
    )
    dyn_pkg = sum(pkg)
    dyn_dram = sum(dram)
    idle_pkg = node.cpu_idle_watts * (t - ks)
    idle_dram = node.dram_idle_watts * (t - ks)
    node_vals = {
        "core": (CORE_FRAC * dyn_pkg, CORE_FRAC * idle_pkg),
        "dram": (dyn_dram, idle_dram),
        "package": (dyn_pkg, idle_pkg),
        "uncore": (UNCORE_FRAC * dyn_pkg, UNCORE_FRAC * idle_pkg),
    }
    for zone in ("core", "dram"):
        _node_family_07(out, st, zone, node_vals[zone])
    out.append(
        "# HELP kepler_node_info Labeled node information\n# TYPE kepler_node_info counter\n"
        'kepler_node_info{components_power_source="rapl-sysfs",cpu_architecture="Sapphire Rapids",'
        'platform_power_source="acpi",source="os"} 1\n'
    )
    for zone in ("package", "uncore"):
        _node_family_07(out, st, zone, node_vals[zone])
    return "".join(out)


def _node_family_07(out: list[str], st: dict, zone: str, vals: tuple[float, float]) -> None:
    name = f"kepler_node_{zone}_joules_total"
    out.append(f"# HELP {name} Aggregated value in {zone} value from rapl-sysfs\n# TYPE {name} counter\n")
    dyn, idle = vals
    lines = []
    for sock in range(SOCKETS):
        lines.append(f"{name}{st['node_lab'][(zone, sock, 'dynamic')]} {go_float(dyn / SOCKETS)}\n")
        lines.append(f"{name}{st['node_lab'][(zone, sock, 'idle')]} {go_float(idle / SOCKETS)}\n")
    out.extend(sorted(lines))


# ---------------------------------------------------------------------- 0.10
ZONES_010 = (
    ("core", "/sys/class/powercap/intel-rapl:0:0"),
    ("dram", "/sys/class/powercap/intel-rapl:0:1"),
    ("package", "/sys/class/powercap/intel-rapl:0"),
)


def _static_010(node: SimNode) -> dict:
    nn = node.name
    pods = []
    for pod in node.pods:
        labs = {
            z: labels_sorted(
                [
                    ("node_name", nn),
                    ("pod_id", pod.uid),
                    ("pod_name", pod.name),
                    ("pod_namespace", pod.namespace),
                    ("state", "running"),
                    ("zone", z),
                ]
            )
            for z, _p in ZONES_010
        }
        conts = [
            (
                c.share,
                {
                    z: labels_sorted(
                        [
                            ("container_id", c.container_id),
                            ("container_name", c.name),
                            ("node_name", nn),
                            ("pod_id", pod.uid),
                            ("runtime", "containerd"),
                            ("state", "running"),
                            ("zone", z),
                        ]
                    )
                    for z, _p in ZONES_010
                },
            )
            for c in pod.containers
        ]
        pods.append((pod, labs, conts))
    node_lab = {z: labels_sorted([("node_name", nn), ("path", p), ("zone", z)]) for z, p in ZONES_010}
    return {"pods": pods, "node_lab": node_lab, "ratio_lab": labels_sorted([("node_name", nn)])}


def _zone_vals(pkg: float, dram: float) -> dict[str, float]:
    return {"core": CORE_FRAC * pkg, "dram": dram, "package": pkg}


HELP_010 = {
    "kepler_container_cpu_joules_total": "Energy consumption of cpu at container level in joules",
    "kepler_container_cpu_watts": "Power consumption of cpu at container level in watts",
    "kepler_node_cpu_active_joules_total": "Energy consumption of cpu in active state at node level in joules",
    "kepler_node_cpu_active_watts": "Power consumption of cpu in active state at node level in watts",
    "kepler_node_cpu_idle_joules_total": "Energy consumption of cpu in idle state at node level in joules",
    "kepler_node_cpu_idle_watts": "Power consumption of cpu in idle state at node level in watts",
    "kepler_node_cpu_joules_total": "Energy consumption of cpu at node level in joules",
    "kepler_node_cpu_watts": "Power consumption of cpu at node level in watts",
    "kepler_pod_cpu_joules_total": "Energy consumption of cpu at pod level in joules",
    "kepler_pod_cpu_watts": "Power consumption of cpu at pod level in watts",
}


def _render_010(fleet: Fleet, node: SimNode, target: Target, t: float) -> str:
    st = fleet.static(target.path, lambda: _static_010(node))
    ks = kepler_started(node)
    fam: dict[str, list[str]] = {k: [] for k in HELP_010}
    act_e_pkg = node.system_cpu.integral(ks, t)
    act_e_dram = node.system_dram.integral(ks, t)
    act_w_pkg = node.system_cpu.value(t)
    act_w_dram = node.system_dram.value(t)
    for pod, labs, conts in st["pods"]:
        o = _origin(node, pod)
        e = _zone_vals(pod.cpu.integral(o, t), pod.dram.integral(o, t))
        w = _zone_vals(pod.cpu.value(t), pod.dram.value(t))
        act_e_pkg += e["package"]
        act_e_dram += e["dram"]
        act_w_pkg += w["package"]
        act_w_dram += w["dram"]
        for z, lab in labs.items():
            fam["kepler_pod_cpu_joules_total"].append(f"kepler_pod_cpu_joules_total{lab} {go_float(e[z])}\n")
            fam["kepler_pod_cpu_watts"].append(f"kepler_pod_cpu_watts{lab} {go_float(w[z])}\n")
        for share, clabs in conts:
            for z, lab in clabs.items():
                fam["kepler_container_cpu_joules_total"].append(
                    f"kepler_container_cpu_joules_total{lab} {go_float(share * e[z])}\n"
                )
                fam["kepler_container_cpu_watts"].append(f"kepler_container_cpu_watts{lab} {go_float(share * w[z])}\n")
    idle_e = _zone_vals(node.cpu_idle_watts * (t - ks), node.dram_idle_watts * (t - ks))
    idle_w = _zone_vals(node.cpu_idle_watts, node.dram_idle_watts)
    act_e = _zone_vals(act_e_pkg, act_e_dram)
    act_w = _zone_vals(act_w_pkg, act_w_dram)
    for z, lab in st["node_lab"].items():
        for kind, e, w in (("active_", act_e[z], act_w[z]), ("idle_", idle_e[z], idle_w[z])):
            fam[f"kepler_node_cpu_{kind}joules_total"].append(
                f"kepler_node_cpu_{kind}joules_total{lab} {go_float(e)}\n"
            )
            fam[f"kepler_node_cpu_{kind}watts"].append(f"kepler_node_cpu_{kind}watts{lab} {go_float(w)}\n")
        fam["kepler_node_cpu_joules_total"].append(
            f"kepler_node_cpu_joules_total{lab} {go_float(act_e[z] + idle_e[z])}\n"
        )
        fam["kepler_node_cpu_watts"].append(f"kepler_node_cpu_watts{lab} {go_float(act_w[z] + idle_w[z])}\n")
    ratio = min(1.0, act_w_pkg / WATTS_PER_CORE / node.cpu_cores)
    out = [
        "# HELP kepler_build_info A metric with a constant '1' value labeled with version information\n"
        "# TYPE kepler_build_info gauge\n"
        'kepler_build_info{arch="amd64",branch="HEAD",goversion="go1.24.4",'
        'revision="f945ca69704bc6494786963d2b263fbfc16e577e",version="v0.10.0"} 1\n'
    ]
    for name in sorted([*HELP_010, "kepler_node_cpu_usage_ratio"]):
        if name == "kepler_node_cpu_usage_ratio":
            out.append(
                "# HELP kepler_node_cpu_usage_ratio CPU usage ratio of a node (value between 0.0 and 1.0)\n"
                f"# TYPE {name} gauge\n{name}{st['ratio_lab']} {go_float(ratio)}\n"
            )
            continue
        mtype = "counter" if name.endswith("_total") else "gauge"
        out.append(f"# HELP {name} {HELP_010[name]}\n# TYPE {name} {mtype}\n")
        out.extend(sorted(fam[name]))
    return "".join(out)


def render(fleet: Fleet, cluster: SimCluster, node: SimNode, target: Target, t: float) -> str:
    """The Kepler page of ``node`` at ``t``, in the cluster's Kepler generation."""
    if cluster.kepler_generation == "0.7":
        return _render_07(fleet, node, target, t)
    return _render_010(fleet, node, target, t)
