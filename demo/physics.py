"""Closed-form, exactly integrable time curves for the simulated fleet.

Every power curve in the demo is a :class:`Schedule`: a periodic sequence of
segments, each ``base + amp * exp(-u / tau) + wiggle * sin(2 pi u / wperiod)``
where ``u`` is the time since the segment started.  Each term has a closed-form
integral, so the energy over *any* window is exact (no numerical quadrature),
and the exporters' energy counters are literally ``F(t) - F(start)`` of the same
function.  That is what lets tests assert "counter increase == ground truth".

The segment shapes follow the real H200 trace in
``demo/reference/real-gpu/``: a flat compute-bound phase near the power
limit with a small ripple, a flat memory-bound phase, then a drop to slightly
above idle that decays slowly (the "idle-end" phase of the trace).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field

TWO_PI = 2.0 * math.pi

# Phase names used across the fleet; exporters derive utilisation and clocks
# from the phase a device is in.
COMPUTE = "compute"
MEMORY = "memory"
DECAY = "decay"  # after load: power falls back slowly, utilisation is 0
IDLE = "idle"


@dataclass(frozen=True)
class Segment:
    """One phase of a periodic schedule; ``u`` runs from 0 to ``duration``."""

    phase: str
    duration: float
    base: float
    amp: float = 0.0
    tau: float = 1.0
    wiggle: float = 0.0
    wperiod: float = 60.0

    def value(self, u: float) -> float:
        """Instantaneous value ``u`` seconds into the segment."""
        v = self.base
        if self.amp:
            v += self.amp * math.exp(-u / self.tau)
        if self.wiggle:
            v += self.wiggle * math.sin(TWO_PI * u / self.wperiod)
        return v

    def integral(self, u: float) -> float:
        """Exact integral of :meth:`value` from 0 to ``u``."""
        total = self.base * u
        if self.amp:
            total += self.amp * self.tau * (1.0 - math.exp(-u / self.tau))
        if self.wiggle:
            total += self.wiggle * self.wperiod / TWO_PI * (1.0 - math.cos(TWO_PI * u / self.wperiod))
        return total


@dataclass
class Schedule:
    """A periodic piecewise curve with a phase offset.

    ``value(t)`` and ``integral(t0, t1)`` take absolute unix seconds.  The
    cumulative integral ``F(t)`` is measured from the (arbitrary) origin
    ``t = -offset``; only differences are meaningful.
    """

    segments: tuple[Segment, ...]
    offset: float = 0.0
    period: float = field(init=False)
    _starts: list[float] = field(init=False, repr=False)
    _prefix: list[float] = field(init=False, repr=False)
    _cycle: float = field(init=False, repr=False)
    # Exporters evaluate the same curve at the same instant many times per scrape
    # (Kepler, cAdvisor, node_exporter, truth) and from a handful of fixed
    # origins (boot, driver load, pod start): memoise both.
    _memo: dict[float, float] = field(init=False, repr=False, default_factory=dict)
    _vmemo: dict[float, float] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        starts, prefix = [], []
        acc_t = acc_e = 0.0
        for seg in self.segments:
            starts.append(acc_t)
            prefix.append(acc_e)
            acc_t += seg.duration
            acc_e += seg.integral(seg.duration)
        self.period = acc_t
        self._starts = starts
        self._prefix = prefix
        self._cycle = acc_e

    @classmethod
    def constant(cls, watts: float, period: float = 3600.0) -> Schedule:
        """A flat curve (idle devices, constant node parts)."""
        return cls((Segment(IDLE, period, watts),))

    def locate(self, t: float) -> tuple[int, float, float]:
        """``(segment index, u within segment, number of whole cycles)``."""
        x = t + self.offset
        n = math.floor(x / self.period)
        w = x - n * self.period
        i = bisect_right(self._starts, w) - 1
        return i, w - self._starts[i], n

    def value(self, t: float) -> float:
        """Instantaneous value at absolute time ``t``."""
        v = self._vmemo.get(t)
        if v is None:
            i, u, _ = self.locate(t)
            v = self.segments[i].value(u)
            if len(self._vmemo) > 8:
                self._vmemo.clear()
            self._vmemo[t] = v
        return v

    def phase(self, t: float) -> tuple[Segment, float]:
        """The segment active at ``t`` and the time spent in it."""
        i, u, _ = self.locate(t)
        return self.segments[i], u

    def cumulative(self, t: float) -> float:
        """``F(t)``: integral from the schedule origin to ``t``."""
        v = self._memo.get(t)
        if v is None:
            i, u, n = self.locate(t)
            v = n * self._cycle + self._prefix[i] + self.segments[i].integral(u)
            if len(self._memo) > 32:
                self._memo.clear()
            self._memo[t] = v
        return v

    def integral(self, t0: float, t1: float) -> float:
        """Exact integral over ``[t0, t1]`` (J when the curve is in W)."""
        if t1 <= t0:
            return 0.0
        return self.cumulative(t1) - self.cumulative(t0)

    def mean(self) -> float:
        """Average over one period."""
        return self._cycle / self.period


@dataclass(frozen=True)
class Shape:
    """A job's timing: a period split into compute / memory / decay phases.

    Several curves share one shape (a pod's GPUs, its CPU and DRAM power), so
    their phases line up the way a real training step does.
    """

    period: float
    offset: float
    compute_frac: float
    memory_frac: float
    ripple_period: float = 37.0

    @property
    def durations(self) -> tuple[float, float, float]:
        """Seconds in compute, memory and decay phases."""
        c = self.period * self.compute_frac
        m = self.period * self.memory_frac
        return c, m, self.period - c - m

    def schedule(
        self,
        compute: float,
        memory: float,
        rest: float,
        decay_amp: float = 0.0,
        decay_tau: float = 300.0,
        ripple: float = 0.0,
    ) -> Schedule:
        """A schedule with these levels: flat compute (with ripple), flat memory, slow decay to ``rest``."""
        c, m, d = self.durations
        return Schedule(
            (
                Segment(COMPUTE, c, compute, wiggle=ripple, wperiod=self.ripple_period),
                Segment(MEMORY, m, memory),
                Segment(DECAY, d, rest, amp=decay_amp, tau=decay_tau),
            ),
            offset=self.offset,
        )


def scaled_sum(parts: list[tuple[float, Schedule]], t0: float, t1: float) -> float:
    """Exact integral of ``sum(k * s)`` over ``[t0, t1]``."""
    return sum(k * s.integral(t0, t1) for k, s in parts)
