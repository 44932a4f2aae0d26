"""Fan-out over clusters: partial results, order, deadlines, against real sockets (see conftest)."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from datetime import UTC, datetime

import pytest

from clusters.crypto import CredentialDecryptionError
from clusters.models import Cluster
from clusters.prometheus.client import reset_clients
from clusters.prometheus.errors import PrometheusBadQuery
from clusters.prometheus.fanout import ClusterResult, fan_out, outcomes, overall_timeout
from tests.clusters.conftest import PrometheusStandIn, serving

TIMEOUT = 1.0
_ids = itertools.count(5000)


def make_cluster(name: str, url: str, **fields) -> Cluster:
    fields.setdefault("timeout_seconds", TIMEOUT)
    cluster = Cluster(name=name, prometheus_url=url, **fields)
    cluster.pk = next(_ids)
    cluster.updated_at = datetime(2025, 1, 1, tzinfo=UTC)
    return cluster


class _PrometheusHandler(PrometheusStandIn):
    """Labels its sample with the port of the server that answered."""

    def labels(self) -> dict:
        return {"server": str(self.server.server_port)}


@pytest.fixture
def healthy_url():
    with serving(_PrometheusHandler) as url:
        yield url


@pytest.fixture(autouse=True)
def _fresh_clients():
    reset_clients()
    yield
    reset_clients()


def _query(client, cluster):
    return client.query("up").samples[0].value


def test_partial_results_with_dead_and_hanging_clusters(healthy_url, closed_url, hanging_url):
    clusters = [
        make_cluster("alpha", healthy_url),
        make_cluster("dead", closed_url),
        make_cluster("beta", healthy_url),
        make_cluster("hung", hanging_url),
        make_cluster("gamma", healthy_url),
    ]
    started = time.monotonic()
    results = fan_out(clusters, _query)
    elapsed = time.monotonic() - started

    # The hanging cluster is not retried on a read timeout, and the answer does not wait beyond its deadline.
    assert elapsed < overall_timeout(clusters[3])
    assert [r.cluster.name for r in results] == ["alpha", "dead", "beta", "hung", "gamma"]
    assert [r.status for r in results] == ["ok", "error", "ok", "error", "ok"]
    assert [r.value for r in results] == [42.0, None, 42.0, None, 42.0]
    dead, hung = results[1], results[3]
    assert dead.error_code == "prometheus_unavailable"
    assert "cannot connect" in dead.error
    assert "Connection refused" in dead.error
    assert hung.error_code == "prometheus_timeout"
    assert hung.latency_ms >= TIMEOUT * 1000 * 0.9
    assert all(r.latency_ms < overall_timeout(r.cluster) * 1000 for r in results)

    rows = outcomes(results)
    assert rows[0] == {"name": "alpha", "status": "ok", "error": None, "latency_ms": rows[0]["latency_ms"]}
    assert set(rows[3]) == {"name", "status", "error", "latency_ms"}
    assert rows[3]["status"] == "error"
    assert isinstance(rows[3]["latency_ms"], float)


def test_errors_are_captured_per_cluster(healthy_url, caplog):
    def fn(client, cluster):
        if cluster.name == "bug":
            raise KeyError("oops")
        if cluster.name == "badq":
            raise PrometheusBadQuery("Prometheus rejected the query (HTTP 400)", cluster=cluster.name)
        if cluster.name == "keys":
            raise CredentialDecryptionError("A stored credential cannot be decrypted.")
        return cluster.name.upper()

    clusters = [make_cluster(n, healthy_url) for n in ("ok1", "bug", "badq", "keys", "ok2")]
    with caplog.at_level(logging.ERROR, logger="clusters.prometheus.fanout"):
        results = fan_out(clusters, fn)
    assert [r.status for r in results] == ["ok", "error", "error", "error", "ok"]
    assert [r.value for r in results] == ["OK1", None, None, None, "OK2"]
    assert results[1].error == "internal error"
    assert results[1].error_code == "internal_error"
    assert results[2].error == "Prometheus rejected the query (HTTP 400)"  # the message, without the name prefix
    assert results[2].error_code == "prometheus_bad_query"
    assert results[3].error_code == "credentials_undecryptable"
    assert "KeyError" in caplog.text  # the traceback is logged, not returned
    assert "oops" not in results[1].error


def test_undecryptable_stored_credential_degrades_only_that_cluster(healthy_url):
    broken = make_cluster("broken", healthy_url, auth_type=Cluster.AuthType.BEARER)
    broken._bearer_token = "garbage"
    results = fan_out([make_cluster("fine", healthy_url), broken], _query)
    assert [r.status for r in results] == ["ok", "error"]
    assert results[1].error_code == "prometheus_auth_failed"
    assert "decrypted" in results[1].error


def test_overall_deadline_reports_timed_out_without_waiting(settings, healthy_url):
    settings.KCLOUD_PROMETHEUS_RETRIES = 0
    release = threading.Event()

    def fn(client, cluster):
        if cluster.name == "stuck":
            release.wait(30)  # a fn that ignores every timeout
        return "done"

    stuck = make_cluster("stuck", healthy_url, timeout_seconds=0.5)
    assert overall_timeout(stuck) == pytest.approx(1.5)
    started = time.monotonic()
    try:
        results = fan_out([stuck, make_cluster("quick", healthy_url)], fn)
        # Returned while the stuck function still runs: the deadline, not the function, ended the wait.
        assert not release.is_set()
    finally:
        release.set()
    assert time.monotonic() - started >= overall_timeout(stuck)
    assert [r.status for r in results] == ["error", "ok"]
    assert results[0].error == "timed out"
    assert results[0].error_code == "prometheus_timeout"
    assert results[1].value == "done"


def test_empty_fan_out():
    assert fan_out([], _query) == []


def test_clusters_run_in_parallel(healthy_url):
    # All eight must be running at once to pass the barrier (the request's budget is eight threads).
    together = threading.Barrier(8)

    def fn(client, cluster):
        together.wait(timeout=20)
        return cluster.name

    clusters = [make_cluster(f"c{i}", healthy_url, timeout_seconds=10) for i in range(8)]
    results = fan_out(clusters, fn)
    assert [r.status for r in results] == ["ok"] * 8
    assert [r.value for r in results] == [f"c{i}" for i in range(8)]


def test_outcome_dict_shape():
    result = ClusterResult(make_cluster("x", "http://127.0.0.1:1"), "error", error="boom", latency_ms=12.3456)
    assert result.outcome() == {"name": "x", "status": "error", "error": "boom", "latency_ms": 12.3}
    assert not result.ok
    assert outcomes([result]) == [result.outcome()]
