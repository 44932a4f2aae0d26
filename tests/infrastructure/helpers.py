"""Shared helpers of the infrastructure and hardware API tests."""

from __future__ import annotations

import math

REL = 0.01  # the accepted tolerance against the truth; in practice the answers agree to ~1e-9
RATE_SECONDS = 120  # infrastructure.queries.RATE_WINDOW
NODE_PARTS = ("cpu_power_watts", "dram_power_watts", "gpu_power_watts", "npu_power_watts")
POD_PARTS = (*NODE_PARTS, "power_watts")


def history_time(fleet) -> float:
    """An instant inside the backfilled history (30 s samples), 30 min before the last full hour.

    The fixture's fleet starts 26 h before that hour; every node still reports then
    (the stopped node stops 20 min before the hour).
    """
    return fleet.epoch + 26 * 3600 - 1800


def close(api_value, truth_value, rel: float = REL) -> bool:
    if api_value is None or truth_value is None:
        return api_value is None and truth_value is None
    return math.isclose(api_value, truth_value, rel_tol=rel, abs_tol=1e-6)


def rate_truth(truth, kind: str, key: tuple, t: float) -> float:
    """What ``rate(counter[2m])`` at ``t`` equals on 30 s samples: the mean power over ``[t - 2m, t]``."""
    return truth.energy_joules(kind, key, t - RATE_SECONDS, t) / RATE_SECONDS


def get_all(api, url: str, **params) -> dict:
    """A list endpoint's body with every row on one page."""
    response = api.get(url, {"page_size": 1000, **params})
    assert response.status_code == 200, response.content
    return response.json()


def node_truth(fp, cluster: str, node: str, t: float) -> dict:
    """Truth for one node at ``t``; Kepler 0.7 CPU/DRAM are rates of counters (the mean over the rate window)."""
    expected = dict(fp.truth.node_power(cluster, node, t))
    if fp.fleet.cluster(cluster).kepler_generation == "0.7":
        expected["cpu_power_watts"] = rate_truth(fp.truth, "node_cpu", (cluster, node), t)
        expected["dram_power_watts"] = rate_truth(fp.truth, "node_dram", (cluster, node), t)
        if expected["up"]:
            # The totals follow the parts: a rate's mean differs from the instant whenever
            # the node's CPU load changed inside the rate window.
            expected["components_watts"] = sum(expected[k] for k in NODE_PARTS)
            measured = expected["measured_power_watts"]
            if measured is None:
                expected["power_watts"] = expected["components_watts"]
            else:
                expected["other_watts"] = measured - expected["components_watts"]
    return expected


def pod_truth(fp, cluster: str, ns: str, name: str, t: float) -> dict:
    """Truth for one pod at ``t``, with the same Kepler 0.7 rule."""
    expected = dict(fp.truth.pod_power(cluster, ns, name, t))
    pod = fp.fleet.pods[(cluster, ns, name)]
    if fp.fleet.cluster(cluster).kepler_generation == "0.7" and pod.running:
        expected["cpu_power_watts"] = rate_truth(fp.truth, "pod_cpu", (cluster, ns, name), t)
        expected["dram_power_watts"] = rate_truth(fp.truth, "pod_dram", (cluster, ns, name), t)
        expected["power_watts"] = sum(expected[k] for k in NODE_PARTS)
    return expected
