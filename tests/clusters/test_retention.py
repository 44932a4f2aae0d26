"""Windows that start before a cluster's Prometheus keeps data are refused, naming the parameter."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from clusters.health import check_clusters
from clusters.retention import check_start, parse_retention
from kcloud.api.errors import BadParameter
from kcloud.timeutil import utcnow


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15d", 15 * 86400),
        ("30d or 100GiB", 30 * 86400),
        ("100GiB or 1y2w", 365 * 86400 + 14 * 86400),
        ("90m", 5400),
        ("100GiB", None),
        ("", None),
        (None, None),
        ("15 days", None),
    ],
)
def test_parse_retention(text, seconds):
    assert parse_retention(text) == seconds


def _cluster(name: str, seconds: int | None):
    return SimpleNamespace(name=name, capabilities={"retention_seconds": seconds})


def test_check_start_names_the_parameter_and_the_short_clusters():
    now = utcnow()
    clusters = [_cluster("long", 90 * 86400), _cluster("short", 15 * 86400), _cluster("unknown", None)]
    check_start(clusters, now - timedelta(days=14), now=now)  # inside every retention
    with pytest.raises(BadParameter) as refused:
        check_start(clusters, now - timedelta(days=20), "window", now=now)
    assert refused.value.details == {"parameter": "window"}
    assert "short (15 d)" in str(refused.value.detail) and "long" not in str(refused.value.detail)
    check_start([_cluster("unknown", None)], now - timedelta(days=400), now=now)  # nothing known, nothing refused


@pytest.mark.prometheus
@pytest.mark.django_db
def test_the_probe_reads_retention_and_the_api_refuses_older_windows(staff_api, fleet_clusters, fleet_prometheus):
    from demo.harness import DEFAULT_RETENTION

    check_clusters(fleet_clusters)
    own = [c for c in fleet_clusters if not c.label_selector]
    shared = [c for c in fleet_clusters if c.label_selector]
    assert own and shared
    for cluster in own:
        cluster.refresh_from_db()
        assert cluster.capabilities["retention_seconds"] == parse_retention(DEFAULT_RETENTION)
    for cluster in shared:  # a global querier's own retention says nothing about the remote data
        cluster.refresh_from_db()
        assert cluster.capabilities["retention_seconds"] is None
    days = parse_retention(DEFAULT_RETENTION) // 86400
    now = utcnow().replace(microsecond=0)
    too_old = {"start": (now - timedelta(days=days + 1)).isoformat(), "end": (now - timedelta(days=days)).isoformat()}
    for url, extra in [
        ("/api/v1/monitoring/energy", {}),
        ("/api/v1/monitoring/timeseries/power", {}),
        ("/api/v1/monitoring/timeseries/metrics", {"metric": "gpu_power_watts"}),
        ("/api/v1/export/energy", {"format": "csv"}),
    ]:
        response = staff_api.get(url, {**too_old, **extra})
        assert response.status_code == 400, (url, response.content)
        error = response.json()["error"]
        assert error["details"]["parameter"] == "start", (url, error)
        assert own[0].name in error["message"], error
    # Only the clusters behind the querier: their retention is unknown, so the window is answered.
    response = staff_api.get("/api/v1/monitoring/energy", {**too_old, "cluster": shared[0].name, "group_by": "cluster"})
    assert response.status_code == 200, response.content
    window = staff_api.get("/api/v1/monitoring/efficiency", {"window": f"{days + 1}d"})
    assert window.status_code == 400 and window.json()["error"]["details"]["parameter"] == "window"
