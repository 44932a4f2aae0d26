"""Exports cost the PromQL requests of their JSON answers; a chunked metrics export stays bounded."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from tests.exports.readers import body_of
from tests.monitoring.helpers import window_end
from tests.promcount import counting_requests

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]


def _count(api, monkeypatch, url: str, params: dict) -> Counter:
    with counting_requests(monkeypatch) as counts:
        response = api.get(url, params)
        assert response.status_code == 200
        body_of(response)  # a streamed export queries while it is written
    return counts


@pytest.mark.parametrize(
    ("export", "answer", "params"),
    [
        ("power", "/api/v1/monitoring/timeseries/power", {"group_by": "namespace", "step": "120s"}),
        ("energy", "/api/v1/monitoring/energy", {"group_by": "pod"}),
    ],
)
def test_an_export_costs_what_its_json_answer_costs(
    staff_api, fleet_clusters, fleet_prometheus, settings, monkeypatch, export, answer, params
):
    settings.KCLOUD_CACHE_ENABLED = False  # every answer from Prometheus, nothing reused
    end = int(window_end(fleet_prometheus.fleet))
    params = {**params, "start": end - 1800, "end": end}
    json_counts = _count(staff_api, monkeypatch, answer, params)
    for fmt in ("csv", "parquet"):
        file_counts = _count(staff_api, monkeypatch, f"/api/v1/export/{export}", {**params, "format": fmt})
        assert file_counts == json_counts, (fmt, file_counts, json_counts)


def test_a_chunked_metrics_export_makes_a_bounded_number_of_requests(
    staff_api, fleet_clusters, fleet_prometheus, settings, monkeypatch
):
    from exports.datasets import metrics

    settings.KCLOUD_CACHE_ENABLED = False
    monkeypatch.setattr(metrics, "CHUNK_POINTS", 2000)
    end = int(window_end(fleet_prometheus.fleet))
    params = {"start": end - 3600, "end": end, "step": "30s", "metric": "gpu_power_watts", "format": "csv"}
    counts = _count(staff_api, monkeypatch, "/api/v1/export/metrics", params)
    series = len(fleet_prometheus.truth.gpu_uuids())
    steps = max(1, 2000 // series)
    chunks = 1 + math.ceil((121 - metrics.FIRST_CHUNK_STEPS) / steps)  # the first chunk, then the rest
    # One range query per chunk and cluster, and the placement of the cluster's series once.
    assert set(counts.values()) == {chunks + 1}, counts
