"""Shared helpers of the monitoring API tests."""

from __future__ import annotations

import math

REL = 0.01  # the accepted tolerance against the truth
J_PER_KWH = 3.6e6
ENERGY = "/api/v1/monitoring/energy"
POWER = "/api/v1/monitoring/power"
BREAKDOWN = "/api/v1/monitoring/power/breakdown"
PARTS = ("cpu", "dram", "gpu", "npu")


def window_end(fleet) -> float:
    """The end of the test windows: an hour before the last full hour, inside the backfilled 30 s history.

    The fixture's fleet starts 26 h before that hour and its history 25 h before it;
    every node still reports then (the stopped node stops 20 min before the hour).
    """
    return fleet.epoch + 25 * 3600


def close(api_value, truth_value, rel: float = REL) -> bool:
    if api_value is None or truth_value is None:
        return api_value is None and truth_value is None
    return math.isclose(api_value, truth_value, rel_tol=rel, abs_tol=1e-9)


def get(api, url: str, **params) -> dict:
    response = api.get(url, {"page_size": 1000, **params})
    assert response.status_code == 200, response.content
    return response.json()


def set_economics(clusters, **fields) -> None:
    """Give every cluster row the same site economics (design PUE, carbon intensity, price...)."""
    for cluster in clusters:
        for name, value in fields.items():
            setattr(cluster, name, value)
        cluster.save()
