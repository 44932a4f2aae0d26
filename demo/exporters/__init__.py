"""One module per simulated exporter; each exposes ``render(fleet, cluster, node, target, t) -> str``."""

from __future__ import annotations

from collections.abc import Callable

from demo.exporters import cadvisor, dcgm, furiosa, ipmi, kepler, ksm, libvirt, node_exporter, openstack, rebellions

RENDERERS: dict[str, Callable] = {
    "dcgm": dcgm.render,
    "kepler": kepler.render,
    "ipmi": ipmi.render,
    "furiosa": furiosa.render,
    "rebellions": rebellions.render,
    "ksm": ksm.render,
    "cadvisor": cadvisor.render,
    "node_exporter": node_exporter.render,
    "libvirt": libvirt.render,
    "openstack": openstack.render,
}
