"""Which node a series belongs to: one mapping for every exporter.

Each exporter names the node differently, and Prometheus' own relabelling adds
to the confusion (Kepler 0.7's ``instance`` becomes ``exported_instance`` when
scraped without ``honor_labels``). Every service asks this module, so a new
naming rule is taught in one place:

============================  ===============================================
exporter                      node label
============================  ===============================================
kube-state-metrics            ``node``
Kepler 0.10+                  ``node_name``
Kepler 0.7                    ``exported_instance`` (or ``instance`` when honoured)
dcgm-exporter                 ``Hostname`` (released) or ``hostname`` (newer)
Furiosa / Rebellions          ``hostname``
ipmi_exporter                 ``node`` if present, else scrape ``instance`` without port
cAdvisor (kubelet)            ``node`` if relabelled in, else ``instance`` without port
libvirt / node_exporter       ``node`` if present, else ``instance`` without port
============================  ===============================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from clusters.prometheus.promql import Matcher, eq, escape_regex, regex

_PORT_RE = re.compile(r"^(?P<host>\[[^\]]+\]|[^:]+):\d+$")


def strip_port(instance: str) -> str:
    """``node-1:9290`` → ``node-1``; ``[fd00::1]:9100`` → ``fd00::1``; anything else unchanged."""
    match = _PORT_RE.match(instance or "")
    host = match.group("host") if match else (instance or "")
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def _scrape_node(labels: Mapping[str, str]) -> str | None:
    node = labels.get("node") or strip_port(labels.get("instance", ""))
    return node or None


def ksm_node(labels: Mapping[str, str]) -> str | None:
    """kube-state-metrics: the ``node`` label (empty for unscheduled pods → None)."""
    return labels.get("node") or None


def kepler_node(labels: Mapping[str, str]) -> str | None:
    """Kepler: ``node_name`` (0.10+), else ``exported_instance``/``instance`` (0.7)."""
    if labels.get("node_name"):
        return labels["node_name"]
    if labels.get("exported_instance"):
        return labels["exported_instance"]
    return _scrape_node(labels)


def dcgm_node(labels: Mapping[str, str]) -> str | None:
    """dcgm-exporter: ``Hostname`` (released versions) or ``hostname`` (newer)."""
    return labels.get("Hostname") or labels.get("hostname") or None


def npu_node(labels: Mapping[str, str]) -> str | None:
    """Furiosa and Rebellions exporters: ``hostname``."""
    return labels.get("hostname") or _scrape_node(labels)


def ipmi_node(labels: Mapping[str, str]) -> str | None:
    """ipmi_exporter: a ``node`` label when relabelled in, else the scrape instance without its port."""
    return _scrape_node(labels)


def cadvisor_node(labels: Mapping[str, str]) -> str | None:
    """cAdvisor through the kubelet: ``node`` when relabelled in, else the instance without its port."""
    return _scrape_node(labels)


def scrape_node(labels: Mapping[str, str]) -> str | None:
    """Per-node exporters without a node label of their own (libvirt, node_exporter)."""
    return _scrape_node(labels)


# -- selectors for one node (range queries of a single node) -----------------------
def instance_matchers(node: str) -> list[list[Matcher]]:
    """Alternatives selecting a scrape target of ``node``: ``node="x"`` or ``instance=~"x(:port)?"``."""
    return [[eq("node", node)], [regex("instance", f"{escape_regex(node)}(:[0-9]+)?"), eq("node", "")]]


def kepler_matchers(node: str) -> list[list[Matcher]]:
    """Alternatives selecting Kepler series of ``node`` (both generations)."""
    return [[eq("node_name", node)], [eq("exported_instance", node)]]


def dcgm_matchers(node: str) -> list[list[Matcher]]:
    """Alternatives selecting dcgm-exporter series of ``node`` (both host label spellings)."""
    return [[eq("Hostname", node)], [eq("hostname", node)]]
