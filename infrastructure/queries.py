"""PromQL of the infrastructure domain, as functions of a cluster's :class:`Scope`.

Every answer costs the same few requests per cluster whatever the fleet size:
one instant query for the Kubernetes inventory *and* the power and usage of
nodes and pods (:func:`snapshot`), plus the accelerators' own device queries.
Energy over a window (:func:`energy`) and power over time (:func:`power_series`)
are one request each. Several sub-expressions share one request through
``union`` of tagged parts (:mod:`clusters.prometheus.promql`).

Nothing here filters by node: a series' node is decided in Python by
:mod:`clusters.placement`, so every aggregation keeps the labels that place it
(``placement.keys``) and drops replica labels before summing
(``placement.one_replica``), whatever the user's scrape setup.

Kepler generations (:mod:`infrastructure.kepler`): 0.10+ gauges as they are,
0.7 counters as ``rate``. Querying both costs nothing for the absent one.
"""

from __future__ import annotations

from clusters import placement as P
from clusters.prometheus.promql import RATE_WINDOW, Matcher, Scope, any_of, eq, names_regex, ne, regex, tag, union
from infrastructure import kepler
from infrastructure.kepler import NOT_SYSTEM, ZONES, zone_matcher

# Gauge-only sources (NPU watts, DCMI watts) are integrated on this grid.
SUBQUERY_STEP = "30s"

KSM_SERIES = (
    "kube_node_info",
    "kube_node_role",
    "kube_node_spec_unschedulable",
    "kube_node_status_capacity",
    "kube_node_status_allocatable",
    "kube_pod_info",
    "kube_pod_container_info",
)
KEPLER_WATTS = ("kepler_node_cpu_watts", "kepler_node_cpu_idle_watts", "kepler_node_cpu_active_watts")
DCGM_ENERGY = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"  # millijoules
GPU_POWER = "DCGM_FI_DEV_POWER_USAGE"
NPU_POWER = ("furiosa_npu_hw_power", "rbln_npu_power", "RBLN_DEVICE_STATUS:CARD_POWER")
# cAdvisor rows with container="" are the pod cgroup and (containerd) the pause
# container; "POD" is the dockershim pause container. Only app containers count.
APP_CONTAINERS = (ne("container", ""), ne("container", "POD"))

# Gauges are integrated on this grid for windows up to a day (the history's scrape interval)...
SUBQUERY_STEP_SECONDS = 30
# ...and on a coarser one beyond, so a 7-day window evaluates at most this many points per series.
SUBQUERY_MAX_POINTS = 2880
_NICE_STEPS = (30, 60, 120, 300, 600, 900, 1800, 3600)


def subquery_step(window_seconds: int) -> int:
    """The subquery resolution for a window: 30 s up to 24 h, coarser beyond (see above)."""
    raw = max(SUBQUERY_STEP_SECONDS, window_seconds / SUBQUERY_MAX_POINTS)
    for nice in _NICE_STEPS:
        if nice >= raw:
            return nice
    return _NICE_STEPS[-1]


def _sum(source: str, expr: str, *own: str) -> str:
    """``expr`` summed per placing labels of ``source`` (+ ``own``), each replica counted once."""
    return f"sum by ({P.keys(source, *own)}) ({P.one_replica(expr)})"


def _max(source: str, expr: str, *own: str, workload: bool = False) -> str:
    """One series per placing labels of ``source`` (+ ``own``): replicas and MIG/partition copies collapse."""
    return f"max by ({P.keys(source, *own, workload=workload)}) ({expr})"


def npu_power(scope: Scope) -> str:
    """Both NPU vendors' card power gauges (Furiosa's ``rms`` reading; Rebellions has no ``label``)."""
    return scope.sel(None, names_regex(NPU_POWER), regex("label", "rms|"))


# -- snapshot (lists) ------------------------------------------------------------------
def inventory_parts(scope: Scope) -> list[str]:
    """Nodes, pods and containers from kube-state-metrics, each pod's phase and each node's Ready state."""
    ready = f"{scope.sel('kube_node_status_condition', eq('condition', 'Ready'))} == 1"
    phase = f"{scope.sel('kube_pod_status_phase')} == 1"
    return [scope.sel(None, names_regex(KSM_SERIES)), tag(ready, "ready"), tag(phase, "phase")]


def node_power_parts(scope: Scope) -> list[str]:
    """Every node's Kepler power (0.7 and 0.10+) and DCMI wall power (the streams read only these)."""
    k010_node = f"max by (__name__, {P.keys(P.KEPLER, 'zone', 'path')}) "
    k010_node += f"({scope.sel(None, names_regex(KEPLER_WATTS), ZONES)})"
    return [
        k010_node,
        *(tag(_sum(P.KEPLER, kepler.node_watts_07(scope, z), "mode"), f"k07_node_{z}") for z in kepler.ZONES_07),
        tag(_max(P.IPMI, scope.sel("ipmi_dcmi_power_consumption_watts")), "dcmi"),
    ]


def pod_power_parts(scope: Scope) -> list[str]:
    """Every pod's Kepler power (0.7 and 0.10+) and cAdvisor CPU and memory usage."""
    k010_pod = _sum(P.KEPLER, scope.sel("kepler_pod_cpu_watts", ZONES), "pod_namespace", "pod_name", "zone")
    usage = scope.range("container_cpu_usage_seconds_total", RATE_WINDOW, *APP_CONTAINERS)
    cpu = f"sum by (namespace, pod) ({P.one_replica(f'rate({usage})')})"
    mem = f"sum by (namespace, pod) ({P.one_replica(scope.sel('container_memory_working_set_bytes', *APP_CONTAINERS))})"
    pod = ("container_namespace", "pod_name")
    return [
        tag(k010_pod, "k010_pod"),
        *(tag(_sum(P.KEPLER, kepler.container_watts_07(scope, z), *pod), f"k07_pod_{z}") for z in kepler.ZONES_07),
        tag(cpu, "pod_cpu_cores"),
        tag(mem, "pod_memory_bytes"),
    ]


def snapshot(scope: Scope) -> str:
    """The inventory and the power of nodes and pods at one instant: one request."""
    return union(*inventory_parts(scope), *node_power_parts(scope), *pod_power_parts(scope))


def containers(scope: Scope) -> str:
    """Per-container Kepler power (both generations) and cAdvisor usage."""
    k010 = _sum(P.KEPLER, scope.sel("kepler_container_cpu_watts", ZONES), "pod_id", "container_name", "zone")
    own = ("container_namespace", "pod_name", "container_name")

    usage = f"rate({scope.range('container_cpu_usage_seconds_total', RATE_WINDOW, *APP_CONTAINERS)})"
    cpu = f"sum by (namespace, pod, container) ({P.one_replica(usage)})"
    memory = scope.sel("container_memory_working_set_bytes", *APP_CONTAINERS)
    mem = f"sum by (namespace, pod, container) ({P.one_replica(memory)})"
    return union(
        tag(k010, "k010_container"),
        *(
            tag(_sum(P.KEPLER, kepler.container_watts_07(scope, z), *own), f"k07_container_{z}")
            for z in kepler.ZONES_07
        ),
        tag(cpu, "cpu_cores"),
        tag(mem, "memory_bytes"),
    )


# -- energy over a window and power over time (every node, pod and device) ------------------------
def energy(scope: Scope, window_seconds: int, step_seconds: int) -> str:
    """Energy of every node, pod and accelerator of a cluster over the window (one request).

    Tags (``kcloud_part``): ``k010_node``/``k010_pod`` (J per zone), ``k07_node_<zone>``,
    ``k07_pod_<zone>`` (J), ``gpu`` (mJ per UUID), ``npu_sum`` (W summed over the grid,
    per card), ``dcmi_sum`` (the same for wall power per node); x step = joules.

    Gauges are integrated as ``sum_over_time(x[w-s:s]) x s``: the right-hand
    rectangle rule on the step grid (the subquery includes both ends, so its range
    is one step shorter than the window). Unlike ``avg_over_time(...) x w`` it counts
    only where samples exist, so a node that stopped within the window is not
    extrapolated over the gap.
    """
    from clusters.prometheus.promql import promql_duration

    window = promql_duration(window_seconds)
    grid = f"{promql_duration(window_seconds - step_seconds)}:{step_seconds}s"

    def increase(metric: str, *matchers: Matcher) -> str:
        return f"increase({scope.range(metric, window, *matchers)})"

    parts = [
        tag(_sum(P.KEPLER, increase("kepler_node_cpu_joules_total", ZONES), "zone"), "k010_node"),
        tag(
            _sum(P.KEPLER, increase("kepler_pod_cpu_joules_total", ZONES), "pod_namespace", "pod_name", "zone"),
            "k010_pod",
        ),
    ]
    for zone in ("package", "dram"):
        node = increase(f"kepler_node_{zone}_joules_total")
        pod = increase(f"kepler_container_{zone}_joules_total", NOT_SYSTEM)
        parts.append(tag(_sum(P.KEPLER, node), f"k07_node_{zone}"))
        parts.append(tag(_sum(P.KEPLER, pod, "container_namespace", "pod_name"), f"k07_pod_{zone}"))
    # MIG: the device counter repeats once per GPU instance; max per UUID keeps one.
    parts.append(tag(_max(P.DCGM, increase(DCGM_ENERGY), "UUID"), "gpu"))
    # Partitioned cards repeat the card's series per partition; max per uuid keeps one.
    npu = _max(P.FURIOSA, npu_power(scope), "uuid")
    parts.append(tag(f"sum_over_time(({npu})[{grid}])", "npu_sum"))
    dcmi = _max(P.IPMI, scope.sel("ipmi_dcmi_power_consumption_watts"))
    parts.append(tag(f"sum_over_time(({dcmi})[{grid}])", "dcmi_sum"))
    return union(*parts)


def power_series(scope: Scope, rate_window_seconds: int, *, by_namespace: bool) -> str:
    """Power parts per node (and, ``by_namespace``, per namespace and per device) for ``query_range``.

    Tags: ``k010_node`` (W per node and zone), ``k07_node_<zone>`` (rate of the 0.7
    counters), ``gpu_node``/``npu_node`` (W per exporter target, MIG and partition
    rows de-duplicated), ``dcmi`` (wall W per node); with ``by_namespace`` also
    ``k010_ns``/``k07_ns_<zone>`` (W per namespace) and ``gpu_dev``/``npu_dev`` (W per
    device, multiplied by allocation shares in the service).
    """
    from clusters.prometheus.promql import promql_duration

    rate = promql_duration(rate_window_seconds)
    gpu = _max(P.DCGM, scope.sel(GPU_POWER), "UUID")
    npu = _max(P.FURIOSA, npu_power(scope), "uuid")
    parts = [
        tag(_sum(P.KEPLER, scope.sel("kepler_node_cpu_watts", ZONES), "zone"), "k010_node"),
        tag(f"sum by ({P.keys(P.DCGM)}) ({gpu})", "gpu_node"),
        tag(f"sum by ({P.keys(P.FURIOSA)}) ({npu})", "npu_node"),
        tag(_max(P.IPMI, scope.sel("ipmi_dcmi_power_consumption_watts")), "dcmi"),
    ]
    for zone in kepler.ZONES_07:
        parts.append(tag(_sum(P.KEPLER, kepler.node_watts_07(scope, zone, rate)), f"k07_node_{zone}"))
        if by_namespace:
            pod = kepler.container_watts_07(scope, zone, rate)
            parts.append(tag(f"sum by (container_namespace) ({P.one_replica(pod)})", f"k07_ns_{zone}"))
    if by_namespace:
        pods = P.one_replica(scope.sel("kepler_pod_cpu_watts", ZONES))
        parts.append(tag(f"sum by (pod_namespace, zone) ({pods})", "k010_ns"))
        parts.append(tag(f"max by (UUID) ({gpu})", "gpu_dev"))
        parts.append(tag(f"max by (uuid) ({npu})", "npu_dev"))
    return union(*parts)


# -- usage of every node (cAdvisor root cgroup, node_exporter load) -------------------------------
def node_usage(scope: Scope) -> str:
    """Per node: cAdvisor CPU and memory of the root cgroup, container and pod counts, load averages."""
    keys = P.keys(P.CADVISOR)
    root_cpu = f"rate({scope.range('container_cpu_usage_seconds_total', RATE_WINDOW, eq('id', '/'))})"
    root_mem = scope.sel("container_memory_working_set_bytes", eq("id", "/"))
    apps = P.one_replica(scope.sel("container_memory_working_set_bytes", *APP_CONTAINERS))
    pods = P.one_replica(scope.sel("container_memory_working_set_bytes", ne("pod", "")))
    load = scope.sel(None, names_regex(("node_load1", "node_load5", "node_load15")))
    return union(
        tag(f"sum by ({keys}) ({P.one_replica(root_cpu)})", "cpu_usage_cores"),
        tag(f"max by ({keys}) ({root_mem})", "memory_working_set_bytes"),
        tag(f"count by ({keys}) ({apps})", "containers"),
        tag(f"count by ({keys}) (count by ({keys}, namespace, pod) ({pods}))", "pods"),
        f"max by (__name__, {P.keys(P.NODE_EXPORTER)}) ({load})",
        *P.parts(scope),
    )


# -- one pod ----------------------------------------------------------------------------
def pod_energy(scope: Scope, namespace: str, pod: str, window: str, gpus: list[str], npus: list[str]) -> str:
    """A pod's CPU/DRAM energy (Kepler, both generations) and its devices' energy over ``window``."""
    parts = []
    for zone in ("package", "dram"):
        pod_matchers = (eq("pod_namespace", namespace), eq("pod_name", pod), zone_matcher(zone))
        k010 = scope.range("kepler_pod_cpu_joules_total", window, *pod_matchers)
        k07 = scope.range(
            f"kepler_container_{zone}_joules_total", window, eq("container_namespace", namespace), eq("pod_name", pod)
        )
        k010_sum = f"sum({P.one_replica(f'increase({k010})')})"
        k07_sum = f"sum({P.one_replica(f'increase({k07})')})"
        parts.append(tag(f"{k010_sum} or {k07_sum}", f"energy_{zone}"))
    if gpus:
        dcgm = scope.range(DCGM_ENERGY, window, any_of("UUID", gpus))
        parts.append(tag(f"max by (UUID) (increase({dcgm})) / 1000", "energy_gpu"))
    if npus:
        npu = scope.sel(None, names_regex(NPU_POWER), any_of("uuid", npus), regex("label", "rms|"))
        parts.append(tag(f"max by (uuid) (avg_over_time({npu}[{window}:{SUBQUERY_STEP}]))", "avg_npu"))
    return union(*parts)


# -- VMs --------------------------------------------------------------------------------
VM_SERIES = (
    "libvirt_domain_info_virtual_cpus",
    "libvirt_domain_info_maximum_memory_bytes",
    "libvirt_domain_info_state",
    "libvirt_domain_openstack_info",
    "openstack_nova_server_status",
)


def vms(scope: Scope) -> str:
    """Every VM: libvirt domains (per hypervisor node), Nova servers, CPU usage, Kepler VM power if any."""
    cpu = f"rate({scope.range('libvirt_domain_info_cpu_time_seconds_total', RATE_WINDOW)})"
    vm_energy = scope.range("kepler_vm_package_joules_total", RATE_WINDOW)
    k07 = f"sum by (vm_id) ({P.one_replica(f'rate({vm_energy})')})"
    k010 = f"sum by (vm_id, zone) ({P.one_replica(scope.sel('kepler_vm_cpu_watts', ZONES))})"
    return union(
        scope.sel(None, names_regex(VM_SERIES)),
        tag(cpu, "cpu_usage_cores"),
        tag(k010, "k010_vm"),
        tag(k07, "k07_vm_package"),
        *P.parts(scope),
    )
