"""Placement: which node, pod and physical device a series belongs to, whatever the scrape setup.

The bottom of the data path: every domain service places series through this
package and nothing else reads the labels that decide it. See
``docs/SCRAPE-SETUPS.md`` for the setups it handles and :mod:`.model` for the rules.
"""

from __future__ import annotations

from clusters.placement.labels import (
    CADVISOR,
    DCGM,
    FURIOSA,
    IPMI,
    KEPLER,
    LIBVIRT,
    NODE_EXPORTER,
    REBELLIONS,
    SOURCES,
    keys,
    one_replica,
)
from clusters.placement.model import (
    RULES,
    Placement,
    PodRef,
    Where,
    Workload,
    accelerator_kind,
    address_host,
    ksm_node,
    ksm_pod,
)
from clusters.placement.queries import fetch, parts
from clusters.placement.report import Tally, answer_warnings, warnings

__all__ = [
    "CADVISOR",
    "DCGM",
    "FURIOSA",
    "IPMI",
    "KEPLER",
    "LIBVIRT",
    "NODE_EXPORTER",
    "REBELLIONS",
    "RULES",
    "SOURCES",
    "Placement",
    "PodRef",
    "Tally",
    "Where",
    "Workload",
    "accelerator_kind",
    "address_host",
    "answer_warnings",
    "fetch",
    "keys",
    "ksm_node",
    "ksm_pod",
    "one_replica",
    "parts",
    "warnings",
]
