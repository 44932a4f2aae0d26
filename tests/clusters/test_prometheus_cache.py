"""Cache-aside for Prometheus answers: aligned keys, versions, failures of the cache itself."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest
import responses
from django.core.cache import cache as django_cache
from prometheus_client import REGISTRY

from clusters.models import Cluster
from clusters.prometheus import cache as cache_module
from clusters.prometheus.cache import (
    INVENTORY,
    LIVE,
    RANGE,
    SUMMARY,
    TTLClass,
    align,
    cached_query,
    cached_query_range,
    make_key,
)
from clusters.prometheus.client import PrometheusClient, reset_clients
from clusters.prometheus.errors import PrometheusUnavailable

BASE = "http://prom.test:9090"
QUERY_URL = BASE + "/api/v1/query"
RANGE_URL = BASE + "/api/v1/query_range"
VECTOR = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "5"]}]}}
MATRIX = {"status": "success", "data": {"resultType": "matrix", "result": []}}
WINDOW = 1_699_999_980.0  # a multiple of 60 (and 15), not of 3600
NOW = WINDOW + 7  # 7 s into a 15-s window
_ids = itertools.count(9000)


def make_cluster(**fields) -> Cluster:
    fields.setdefault("name", "seoul-a")
    fields.setdefault("prometheus_url", BASE)
    cluster = Cluster(**fields)
    cluster.pk = next(_ids)
    cluster.updated_at = datetime(2025, 1, 1, tzinfo=UTC)
    return cluster


@pytest.fixture(autouse=True)
def _clean():
    django_cache.clear()
    reset_clients()
    yield
    django_cache.clear()
    reset_clients()


@pytest.fixture
def now(monkeypatch):
    clock = {"t": NOW}
    monkeypatch.setattr(cache_module._time, "time", lambda: clock["t"])
    return clock


@pytest.fixture
def client() -> PrometheusClient:
    return PrometheusClient(make_cluster(), sleep=lambda _s: None, retries=0)


def _form(call) -> dict:
    return parse_qs(call.request.body)


def _count(name: str, ttl: TTLClass) -> float:
    return REGISTRY.get_sample_value(name, {"ttl_class": ttl.label}) or 0.0


def test_ttl_classes():
    assert (INVENTORY.seconds, LIVE.seconds, SUMMARY.seconds, RANGE.seconds) == (3600, 15, 60, 300)
    assert LIVE.label == "live"


@pytest.mark.parametrize(
    ("ts", "step", "expected"),
    [
        (1699999987.9, 15, 1699999980.0),
        (1699999980, 15, 1699999980.0),
        (59.9, 60, 0.0),
        (125, 60, 120.0),
        (-1, 60, -60.0),
    ],
)
def test_align(ts, step, expected):
    assert align(ts, step) == expected


def test_align_rejects_bad_steps():
    with pytest.raises(ValueError):
        align(10, 0)


def test_keys_differ_by_every_input():
    base = make_key("1:0", "query", "up", 15.0)
    assert base.startswith("kcloud:prom:")
    assert len(base) < 100
    assert make_key("1:0", "query", "up", 15.0) == base
    others = {
        make_key("1:1", "query", "up", 15.0),
        make_key("1:0", "range", "up", 15.0),
        make_key("1:0", "query", "up ", 15.0),
        make_key("1:0", "query", "up", 30.0),
        make_key("1:0", "query", "up", 15.0, 60.0),
    }
    assert base not in others
    assert len(others) == 5


@responses.activate
def test_second_call_in_window_is_a_hit_at_the_aligned_time(client, now):
    responses.post(QUERY_URL, json=VECTOR)
    hits, misses = _count("kcloud_cache_hits_total", LIVE), _count("kcloud_cache_misses_total", LIVE)
    first = cached_query(client, "sum(DCGM_FI_DEV_POWER_USAGE)", LIVE)
    now["t"] = NOW + 7.5  # still inside [WINDOW, WINDOW + 15)
    second = cached_query(client, "sum(DCGM_FI_DEV_POWER_USAGE)", LIVE)
    assert first == second
    assert first.scalar == 5.0
    assert len(responses.calls) == 1
    # Evaluated at the aligned time, passed explicitly, so every instance computes the same answer.
    assert _form(responses.calls[0])["time"] == [f"{WINDOW:.3f}"]
    assert _count("kcloud_cache_hits_total", LIVE) == hits + 1
    assert _count("kcloud_cache_misses_total", LIVE) == misses + 1


@responses.activate
def test_next_window_is_a_miss(client, now):
    responses.post(QUERY_URL, json=VECTOR)
    cached_query(client, "up", LIVE)
    now["t"] = NOW + 8.0  # WINDOW + 15: the next 15-s window
    cached_query(client, "up", LIVE)
    assert len(responses.calls) == 2
    assert _form(responses.calls[1])["time"] == [f"{WINDOW + 15:.3f}"]


@responses.activate
def test_summary_window_is_a_minute(client, now):
    responses.post(QUERY_URL, json=VECTOR)
    cached_query(client, "up", SUMMARY)
    now["t"] = NOW + 50
    cached_query(client, "up", SUMMARY)
    assert len(responses.calls) == 1
    assert _form(responses.calls[0])["time"] == [f"{WINDOW:.3f}"]


@responses.activate
def test_inventory_is_keyed_by_the_hour_but_evaluated_now(client, now):
    responses.post(QUERY_URL, json=VECTOR)
    cached_query(client, "count by (UUID) (DCGM_FI_DEV_GPU_TEMP)", INVENTORY)
    now["t"] = NOW + 600
    cached_query(client, "count by (UUID) (DCGM_FI_DEV_GPU_TEMP)", INVENTORY)
    assert len(responses.calls) == 1
    assert _form(responses.calls[0])["time"] == [f"{NOW:.3f}"]


@responses.activate
def test_explicit_time_is_used_as_given(client, now):
    responses.post(QUERY_URL, json=VECTOR)
    cached_query(client, "up", SUMMARY, time=1699999999.5)
    cached_query(client, "up", SUMMARY, time=datetime.fromtimestamp(1699999999.5, UTC))
    assert len(responses.calls) == 1
    assert _form(responses.calls[0])["time"] == ["1699999999.500"]


@responses.activate
def test_changed_cluster_row_is_a_miss(now):
    responses.post(QUERY_URL, json=VECTOR)
    cluster = make_cluster()
    cached_query(PrometheusClient(cluster), "up", LIVE)
    cached_query(PrometheusClient(cluster), "up", LIVE)
    assert len(responses.calls) == 1
    cluster.updated_at = datetime(2025, 2, 1, tzinfo=UTC)  # e.g. the URL or label selector was edited
    cached_query(PrometheusClient(cluster), "up", LIVE)
    assert len(responses.calls) == 2


@responses.activate
def test_clusters_do_not_share_entries(now):
    responses.post(QUERY_URL, json=VECTOR)
    cached_query(PrometheusClient(make_cluster(name="a")), "up", LIVE)
    cached_query(PrometheusClient(make_cluster(name="b")), "up", LIVE)
    assert len(responses.calls) == 2


@responses.activate
def test_errors_are_not_cached(client, now):
    responses.post(QUERY_URL, status=503)
    with pytest.raises(PrometheusUnavailable):
        cached_query(client, "up", LIVE)
    responses.replace(responses.POST, QUERY_URL, json=VECTOR)
    assert cached_query(client, "up", LIVE).scalar == 5.0
    assert len(responses.calls) == 2


class _BrokenCache:
    """A cache whose backend is down (e.g. Redis without IGNORE_EXCEPTIONS)."""

    def __init__(self):
        self.gets = 0
        self.sets = 0

    def get(self, *args, **kwargs):
        self.gets += 1
        raise ConnectionError("redis down")

    def set(self, *args, **kwargs):
        self.sets += 1
        raise ConnectionError("redis down")


@responses.activate
def test_cache_backend_errors_mean_a_miss(client, now, monkeypatch):
    broken = _BrokenCache()
    monkeypatch.setattr(cache_module, "cache", broken)
    responses.post(QUERY_URL, json=VECTOR)
    assert cached_query(client, "up", LIVE).scalar == 5.0
    assert cached_query(client, "up", LIVE).scalar == 5.0
    assert len(responses.calls) == 2
    assert broken.gets == 2
    assert broken.sets == 2


class _IgnoringCache:
    """django-redis with IGNORE_EXCEPTIONS: every get is None, sets are dropped."""

    def get(self, *args, **kwargs):
        return None

    def set(self, *args, **kwargs):
        return None


@responses.activate
def test_ignored_cache_errors_mean_a_miss(client, now, monkeypatch):
    monkeypatch.setattr(cache_module, "cache", _IgnoringCache())
    responses.post(QUERY_URL, json=VECTOR)
    cached_query(client, "up", LIVE)
    cached_query(client, "up", LIVE)
    assert len(responses.calls) == 2


@responses.activate
def test_foreign_values_under_our_key_are_ignored(client, now):
    responses.post(QUERY_URL, json=VECTOR)
    key = make_key(client.cache_version, "query", "up", align(NOW, LIVE.seconds))
    django_cache.set(key, {"not": "a QueryResult"})
    assert cached_query(client, "up", LIVE).scalar == 5.0
    assert len(responses.calls) == 1


@responses.activate
def test_cache_can_be_disabled(client, now, settings):
    settings.KCLOUD_CACHE_ENABLED = False
    responses.post(QUERY_URL, json=VECTOR)
    cached_query(client, "up", LIVE)
    cached_query(client, "up", LIVE)
    assert len(responses.calls) == 2
    # Still evaluated at the aligned time, so answers do not depend on the setting.
    assert _form(responses.calls[0])["time"] == [f"{WINDOW:.3f}"]


@responses.activate
def test_range_is_aligned_to_the_step_and_shared(client):
    responses.post(RANGE_URL, json=MATRIX)
    first = cached_query_range(client, "sum(up)", WINDOW + 7, WINDOW + 3607, 60)
    second = cached_query_range(client, "sum(up)", WINDOW + 31, WINDOW + 3659, 60)
    assert first == second
    assert len(responses.calls) == 1
    form = _form(responses.calls[0])
    assert form["start"] == [f"{WINDOW:.3f}"]
    assert form["end"] == [f"{WINDOW + 3600:.3f}"]
    assert form["step"] == ["60"]
    cached_query_range(client, "sum(up)", WINDOW + 7, WINDOW + 3607, 30)  # another step: another key
    assert len(responses.calls) == 2


@responses.activate
def test_range_shorter_than_a_step(client):
    responses.post(RANGE_URL, json=MATRIX)
    cached_query_range(client, "up", WINDOW + 10, WINDOW + 20, 60)
    form = _form(responses.calls[0])
    assert form["start"] == form["end"] == [f"{WINDOW:.3f}"]


@responses.activate
def test_range_counts_in_its_ttl_class(client):
    responses.post(RANGE_URL, json=MATRIX)
    misses = _count("kcloud_cache_misses_total", RANGE)
    hits = _count("kcloud_cache_hits_total", RANGE)
    cached_query_range(client, "up", 0, 3600, 60)
    cached_query_range(client, "up", 0, 3600, 60)
    assert _count("kcloud_cache_misses_total", RANGE) == misses + 1
    assert _count("kcloud_cache_hits_total", RANGE) == hits + 1
