"""Readings shared by the two NPU exporters and the ground truth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from demo.physics import COMPUTE, DECAY, MEMORY, Schedule, Segment

if TYPE_CHECKING:
    from demo.fleet import SimNpu


# Busy percentage per phase; a card's cycle counters integrate this exactly.
UTIL = {COMPUTE: 99.68363645361265, MEMORY: 87.5, DECAY: 0.0}


@dataclass
class NpuReading:
    """What an NPU exporter shows for one card at one instant."""

    phase: str
    power: float  # W
    temperature: float  # hottest sensor, °C
    ambient: float  # board sensor, °C
    utilization: float  # %
    memory_used_bytes: int
    memory_total_bytes: int


def util_schedule(card: SimNpu) -> Schedule:
    """Utilisation (%) as a schedule aligned with the card's power phases."""
    segs = card.power.segments
    return Schedule(tuple(Segment(s.phase, s.duration, UTIL.get(s.phase, 0.0)) for s in segs), offset=card.power.offset)


def reading(card: SimNpu, t: float) -> NpuReading:
    """Rounded like the exporters print them (Furiosa °C to 3 decimals, W to 2)."""
    m = card.model
    seg, u = card.power.phase(t)
    p = seg.value(u)
    frac = max(0.0, (p - m.idle_watts) / (m.tdp_watts - m.idle_watts))
    return NpuReading(
        phase=seg.phase,
        power=round(p, 2),
        temperature=round(m.idle_temp + frac * (m.hot_temp - m.idle_temp), 3),
        ambient=float(40 + round(6 * frac)),
        utilization=UTIL.get(seg.phase, 0.0),
        memory_used_bytes=card.memory_used_bytes,
        memory_total_bytes=m.memory_bytes,
    )
