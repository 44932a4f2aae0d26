"""PromQL and fetching of the placement inputs (kube-state-metrics' nodes and pods).

Instant queries that need placement union :func:`parts` into their own request
(so placement costs no request of its own); range queries, which cannot carry
it, call :func:`fetch` — one cached instant request per cluster and five minutes.
"""

from __future__ import annotations

from typing import Any

from clusters.placement.model import CAPACITY_TAG, GPU_RESOURCE, NODE_TAG, NPU_RESOURCE, POD_TAG, Placement
from clusters.prometheus.cache import RANGE, align
from clusters.prometheus.promql import Scope, regex, tag, union

# Five minutes: nodes and pods change slowly, and the range answers they serve live as long.
BUCKET_SECONDS = 300
# kube_pod_info scraped without label honour keeps the pod in exported_*: keep both spellings.
_POD_KEYS = "namespace, pod, exported_namespace, exported_pod, uid, node, exported_node, host_ip, pod_ip"
_NODE_KEYS = "node, exported_node, internal_ip"


_ACCELERATORS = regex("resource", f"{GPU_RESOURCE.pattern[1:-1]}|{NPU_RESOURCE.pattern[1:-1]}")


def parts(scope: Scope, *, pods: bool = True) -> list[str]:
    """The placement inputs as tagged sub-expressions, to join into an instant request.

    ``pods=False`` leaves out ``kube_pod_info`` for a request that has it already.
    """
    capacity = scope.sel("kube_node_status_capacity", _ACCELERATORS)
    out = [
        tag(f"max by ({_NODE_KEYS}) ({scope.sel('kube_node_info')})", NODE_TAG),
        tag(f"max by (node, exported_node, resource) ({capacity})", CAPACITY_TAG),
    ]
    if pods:
        out.append(tag(f"max by ({_POD_KEYS}) ({scope.sel('kube_pod_info')})", POD_TAG))
    return out


def fetch(client: Any, cluster: Any, at: float) -> Placement:
    """The placement of ``cluster`` around ``at`` (one cached instant request; runs in a fan-out worker)."""
    from clusters.prometheus.memo import memoized

    t = align(at, BUCKET_SECONDS)

    def compute() -> Placement:
        return Placement.from_samples(client.query(union(*parts(cluster.scope)), time=t).samples)

    return memoized(("placement", client.cache_version, cluster.scope, t), RANGE, compute)
