"""The simulator's GPU power shape is fitted to a real H200 trace (``demo/reference/real-gpu``).

If someone retunes the catalog, these tests say whether it still describes real hardware.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from demo import catalog

REFERENCE = Path(__file__).resolve().parents[2] / "demo" / "reference" / "real-gpu"


@pytest.fixture(scope="module")
def trace() -> list[dict[str, str]]:
    with (REFERENCE / "gpu-trace.csv").open() as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def meta() -> dict:
    return json.loads((REFERENCE / "gpu-meta.json").read_text())


def _mean_power(trace, phase: str) -> float:
    values = [float(r["power_w"]) for r in trace if r["phase"] == phase]
    assert values, phase
    return sum(values) / len(values)


def test_h200_model_matches_the_real_board(meta, trace):
    h200 = catalog.GPU_MODELS["H200"]
    assert h200.name == meta["name"]
    assert h200.tdp_watts == meta["power_limit_w"]
    assert h200.memory_mib == meta["memory_total_mib"]
    assert h200.max_sm_clock == meta["max_sm_clock_mhz"]
    assert h200.mem_clock == meta["max_mem_clock_mhz"]
    assert h200.idle_watts == pytest.approx(_mean_power(trace, "idle-start"), abs=0.1)


def test_phase_fractions_come_from_the_trace(trace):
    idle, limit = _mean_power(trace, "idle-start"), catalog.GPU_MODELS["H200"].tdp_watts
    span = limit - idle
    compute = (_mean_power(trace, "compute-bf16-matmul") - idle) / span
    memory = (_mean_power(trace, "memory-bound-copy") - idle) / span
    assert compute == pytest.approx(catalog.COMPUTE_FRAC, abs=0.002)
    assert memory == pytest.approx(catalog.MEMORY_FRAC, abs=0.002)
    # The step down after load: the idle-end readings once the first (still loaded) one has passed.
    after = [float(r["power_w"]) for r in trace if r["phase"] == "idle-end"][1:]
    decay = (sum(after) / len(after) - idle) / span
    assert decay == pytest.approx(catalog.DECAY_FRAC, abs=0.005)


def test_energy_counter_agrees_with_the_power_integral(trace):
    """The fact the energy rules rest on: counter increase == integral of the gauge, on real hardware."""
    t = [float(r["t_s"]) for r in trace]
    p = [float(r["power_w"]) for r in trace]
    integral_j = sum((t[i + 1] - t[i]) * (p[i] + p[i + 1]) / 2 for i in range(len(t) - 1))
    counter_j = (float(trace[-1]["energy_mj"]) - float(trace[0]["energy_mj"])) / 1000.0  # millijoules
    assert counter_j == pytest.approx(integral_j, rel=0.001)
    assert counter_j > 30_000  # a unit slip (J vs mJ) would be off by 1000x
