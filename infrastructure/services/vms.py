"""Virtual machines from the libvirt exporter (per hypervisor) and the OpenStack exporter (Nova).

A VM's id is its Nova server id (libvirt's ``instance_id``), or the libvirt
domain name when OpenStack does not know it. The host node is the libvirt
exporter's node (placed by :mod:`clusters.placement`: it has no host label, so
usually from its scrape address), else Nova's
``hypervisor_hostname``. ``power_watts`` is set only when Kepler publishes VM
series (``kepler_vm_cpu_watts`` in 0.10+, ``kepler_vm_package_joules_total`` in
0.7) for that VM; otherwise it is null, never estimated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clusters import placement as P
from clusters.prometheus.cache import LIVE, cached_query
from clusters.prometheus.fanout import ClusterResult, fan_out
from clusters.prometheus.promql import TAG
from infrastructure import kepler, queries

MIB = 1024.0 * 1024.0
VM_ORDERING = ("id", "name", "cluster", "host", "state", "vcpus", "memory_mb", "cpu_usage_cores", "power_watts")


@dataclass
class VirtualMachine:
    """One VM as libvirt and Nova describe it."""

    id: str
    cluster: str
    name: str | None = None
    domain: str | None = None
    project: str | None = None
    project_id: str | None = None
    flavor: str | None = None
    host: str | None = None
    state: str | None = None
    vcpus: int | None = None
    memory_mb: float | None = None
    cpu_usage_cores: float | None = None
    power_watts: float | None = None


def fetch_vms(client: Any, cluster: Any, at: float) -> list[VirtualMachine]:
    """Every VM of one cluster at ``at`` (one request; runs in a fan-out worker)."""
    result = cached_query(client, queries.vms(cluster.scope), LIVE, time=at)
    placement = P.Placement.from_samples(result.samples)
    domains: dict[tuple[str, str], dict[str, Any]] = {}  # (host, domain) -> facts
    nova: dict[str, dict[str, str]] = {}
    power: dict[str, float] = {}
    for s in result.samples:
        lab = s.labels
        kind = lab.get(TAG) or lab.get("__name__", "")
        if kind.startswith("libvirt_") or kind == "cpu_usage_cores":
            host = placement.node(lab, P.LIBVIRT).node
            d = domains.setdefault((host or "", lab.get("domain", "")), {})
            if kind == "libvirt_domain_openstack_info":
                d.update(info=lab)
            elif kind == "libvirt_domain_info_state":
                d["state"] = lab.get("state_desc")
            else:
                d[kind] = s.value
        elif kind == "openstack_nova_server_status":
            nova[lab.get("id", "")] = lab
        elif kind == "k010_vm" and kepler.zone_of(lab) == "package" and s.value is not None:
            power[lab.get("vm_id", "")] = power.get(lab.get("vm_id", ""), 0.0) + s.value
        elif kind == "k07_vm_package" and s.value is not None:
            power[lab.get("vm_id", "")] = s.value
    vms: dict[str, VirtualMachine] = {}
    for (host, domain), d in domains.items():
        info = d.get("info", {})
        vm_id = info.get("instance_id") or domain
        vm = VirtualMachine(id=vm_id, cluster=cluster.name, domain=domain or None, host=host or None)
        vm.name = info.get("instance_name") or domain or None
        vm.project, vm.project_id = info.get("project_name") or None, info.get("project_id") or None
        vm.flavor = info.get("flavor_name") or None
        vm.state = _state(d.get("state"))
        vcpus = d.get("libvirt_domain_info_virtual_cpus")
        vm.vcpus = None if vcpus is None else int(vcpus)
        mem = d.get("libvirt_domain_info_maximum_memory_bytes")
        vm.memory_mb = None if mem is None else mem / MIB
        vm.cpu_usage_cores = d.get("cpu_usage_cores")
        vms[vm_id] = vm
    for server_id, lab in nova.items():
        vm = vms.get(server_id)
        if vm is None:
            vm = vms[server_id] = VirtualMachine(id=server_id, cluster=cluster.name)
            vm.name = lab.get("name") or None
            vm.domain = lab.get("instance_libvirt") or None
            vm.host = lab.get("hypervisor_hostname") or None
            vm.project_id = lab.get("tenant_id") or None
            vm.flavor = lab.get("flavor_id") or None
        # Nova's status is the authoritative lifecycle state (ACTIVE, SHUTOFF, ...).
        if lab.get("status"):
            vm.state = lab["status"].lower()
    for vm in vms.values():
        for key in (vm.id, vm.domain):
            if key and key in power:
                vm.power_watts = power[key]
    return sorted(vms.values(), key=lambda v: (v.host or "", v.name or "", v.id))


def _state(desc: str | None) -> str | None:
    """libvirt's ``state_desc`` ("the domain is running") → ``running``."""
    if not desc:
        return None
    return desc.removeprefix("the domain is ").strip().replace(" ", "_")


def vm_results(clusters: list[Any], at: float) -> list[ClusterResult[list[VirtualMachine]]]:
    """:func:`fetch_vms` for every cluster, in parallel."""
    return fan_out(clusters, lambda client, cluster: fetch_vms(client, cluster, at))
