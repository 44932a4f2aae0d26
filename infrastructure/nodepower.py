"""The one definition of a node's power (and, with joules instead of watts, of its energy).

Power now (the snapshot), power over time (series) and energy over a window
(counters) all combine a node's parts here, so the three answers agree:

* ``components`` = CPU (RAPL package) + DRAM + GPUs + NPUs, known only when every
  part is known: a part no exporter reports is unknown, not 0, so a node with a
  silent source has unknown components instead of too low a figure;
* a device part is the sum of the node's devices; 0 for a node that has none and
  should have none, unknown for a node that should have some (kube-state-metrics
  capacity) but reports none;
* ``power`` = the measured wall power (IPMI DCMI) when there is one, else
  ``components``; ``other`` = measured - components (PSU loss, fans, disks: what
  only a wall meter sees), when both are known.

The functions are unit-free: watts for power, joules for energy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NodeFigures:
    """A node's combined figures (None = unknown)."""

    components: float | None
    power: float | None
    other: float | None


def device_part(values: Iterable[float | None], *, expected: bool) -> float | None:
    """The node's devices of one kind summed; 0 without devices unless the node should have some.

    A device that reports nothing (None) among others that do is left out: the
    rest are still known readings.
    """
    readings = list(values)
    if not readings:
        return None if expected else 0.0
    known = [v for v in readings if v is not None]
    return sum(known) if known else None


def combine(
    cpu: float | None, dram: float | None, gpu: float | None, npu: float | None, measured: float | None
) -> NodeFigures:
    """Components, power and other of one node from its parts and its measured wall figure."""
    parts = (cpu, dram, gpu, npu)
    components = None if any(p is None for p in parts) else sum(parts)  # type: ignore[arg-type]
    power = measured if measured is not None else components
    other = None if measured is None or components is None else measured - components
    return NodeFigures(components, power, other)
