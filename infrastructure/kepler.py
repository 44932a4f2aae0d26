"""Kepler's series, both generations, as PromQL pieces: RAPL zones, and the 0.7 counters read as power.

Kepler 0.10+ publishes ``*_watts`` gauges, read as they are; 0.7 only has
``*_joules_total`` counters per zone (``kepler_node_package_joules_total``,
``kepler_container_dram_joules_total``...), read as ``rate(...[window])``: the
average power over the window. One rate per counter name, never a name regex:
``rate`` drops ``__name__``, so package and dram would collide.
"""

from __future__ import annotations

from clusters.prometheus.promql import RATE_WINDOW, Matcher, Scope, ne, regex

ZONES_07 = ("package", "dram")
# Kepler 0.7 accounts non-pod processes to a container named so; they are no pod's.
NOT_SYSTEM = ne("container_name", "system_processes")
# Multi-socket hosts name their zones package-0, package-1...: they add up to the node's zone.
ZONES = regex("zone", "(package|dram)(-[0-9]+)?")


def zone_matcher(zone: str) -> Matcher:
    """RAPL zone ``package`` or ``dram``, any socket."""
    return regex("zone", f"{zone}(-[0-9]+)?")


def zone_of(labels: dict[str, str]) -> str:
    """``package-1`` → ``package``: socket zones add up to the node's zone."""
    return labels.get("zone", "").split("-", 1)[0]


def node_watts_07(scope: Scope, zone: str, window: str = RATE_WINDOW) -> str:
    """A node's zone power from Kepler 0.7's counter: ``rate`` over ``window``."""
    return f"rate({scope.range(f'kepler_node_{zone}_joules_total', window)})"


def container_watts_07(scope: Scope, zone: str, window: str = RATE_WINDOW) -> str:
    """Each pod container's zone power from Kepler 0.7's counter (system processes left out)."""
    return f"rate({scope.range(f'kepler_container_{zone}_joules_total', window, NOT_SYSTEM)})"
