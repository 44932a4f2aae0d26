"""HTML pages of the infrastructure area: nodes, node detail, pods, pod detail, VMs.

Thin views: parameters are validated with the API's parsers (a bad value is
shown on the page, never a 500), clusters come from the caller's scope, and
every figure comes from :mod:`infrastructure.services` (the same services, so
the same numbers, as ``/api/v1/infrastructure``). The node page's 24 h chart
is drawn in the browser from the node power API (``static/js/infrastructure-node.js``).
"""

from __future__ import annotations

from infrastructure.views.nodes import node_detail, node_list
from infrastructure.views.pods import pod_detail, pod_list
from infrastructure.views.vms import vm_list

__all__ = ["node_detail", "node_list", "pod_detail", "pod_list", "vm_list"]
