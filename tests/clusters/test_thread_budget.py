"""One pool of threads, a budget per request, deadlines from the start of a cluster's work.

Against real sockets: a slow Prometheus stand-in that answers every query after
a short delay, and a port that accepts connections and never answers.
"""

from __future__ import annotations

import threading
import time

import pytest

from clusters.prometheus import threads
from clusters.prometheus.fanout import fan_out, overall_timeout
from clusters.prometheus.threads import Budget, Pool, beside
from tests.clusters.conftest import PrometheusStandIn, serving
from tests.clusters.test_fanout import make_cluster

ANSWER_DELAY = 0.03  # seconds per query: enough for requests to pile up in the pool


class _SlowHandler(PrometheusStandIn):
    value = "1"
    delay = ANSWER_DELAY


@pytest.fixture
def slow_url():
    with serving(_SlowHandler) as url:
        yield url


@pytest.fixture
def fresh_pool(settings, monkeypatch):
    """A pool of the configured size for this test alone (its peak is then this test's)."""
    settings.KCLOUD_PROMETHEUS_RETRIES = 0
    made = Pool(settings.KCLOUD_FANOUT_WORKERS)
    monkeypatch.setattr(threads, "_pool", made)
    return made


def _power_now_like(client, cluster):
    """The shape of a cluster's work for power now: two requests beside it, one in its own thread."""
    facility = beside(client.query, "facility")
    devices = beside(client.query, "devices")
    snapshot = client.query("snapshot")
    return snapshot.samples[0].value + facility.result().samples[0].value + devices.result().samples[0].value


def test_fifty_requests_over_ten_clusters_time_out_only_the_hanging_one(settings, fresh_pool, slow_url, hanging_url):
    settings.KCLOUD_FANOUT_WORKERS, settings.KCLOUD_REQUEST_THREADS = fresh_pool.workers, 8
    clusters = [make_cluster(f"c{i}", slow_url, timeout_seconds=1.0) for i in range(9)]
    clusters.insert(4, make_cluster("hung", hanging_url, timeout_seconds=1.0))
    # The whole burst takes several deadlines' worth of pool time: a deadline counted from
    # submission would time out healthy clusters that waited for a thread.
    answers: dict[int, list] = {}
    budgets: dict[int, Budget] = {}
    errors: list[BaseException] = []
    go = threading.Event()
    stray: set[str] = set()
    sampling = threading.Event()

    def request(n: int) -> None:
        try:
            go.wait(10)
            with threads.request_budget() as budget:
                budgets[n] = budget
                answers[n] = fan_out(clusters, _power_now_like)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def sample_threads() -> None:
        # Every thread that is not the test's, the stand-in server's or the pool's is a stray pool.
        while not sampling.is_set():
            for t in threading.enumerate():
                if not t.name.startswith(("request-", "kcloud-pool", "MainThread", "sampler", "Thread-")):
                    stray.add(t.name)
            sampling.wait(0.05)

    before = {t.name for t in threading.enumerate()}
    workers = [threading.Thread(target=request, args=(n,), name=f"request-{n}") for n in range(50)]
    sampler = threading.Thread(target=sample_threads, name="sampler")
    sampler.start()
    for w in workers:
        w.start()
    started = time.monotonic()
    go.set()
    for w in workers:
        w.join(120)
    elapsed = time.monotonic() - started
    sampling.set()
    sampler.join()

    assert not errors
    assert len(answers) == 50
    for results in answers.values():
        assert [r.cluster.name for r in results] == [c.name for c in clusters]
        bad = {r.cluster.name: r.error_code for r in results if not r.ok}
        assert bad == {"hung": "prometheus_timeout"}
        assert all(r.value == 3.0 for r in results if r.ok)
    # Threads: the pool never exceeded its size, no request held more than its budget,
    # and nothing but the pool started threads of its own.
    assert fresh_pool.peak <= fresh_pool.workers
    assert max(b.peak for b in budgets.values()) <= 8
    assert stray <= before
    # The burst outlasted a cluster's deadline, so the test did exercise waiting for threads.
    assert elapsed > overall_timeout(clusters[0])


def test_deadline_counts_from_when_the_work_starts(settings, fresh_pool, slow_url):
    settings.KCLOUD_REQUEST_THREADS = 2
    # Eight clusters, two threads, 0.8 s each: the last pair starts 2.4 s after the request,
    # past the 2 s deadline counted from submission, well within it counted from the start.
    clusters = [make_cluster(f"c{i}", slow_url, timeout_seconds=1.0) for i in range(8)]
    assert overall_timeout(clusters[0]) == pytest.approx(2.0)

    def work(client, cluster):
        time.sleep(0.8)
        return cluster.name

    results = fan_out(clusters, work)
    assert [r.status for r in results] == ["ok"] * 8
    assert all(r.latency_ms < overall_timeout(clusters[0]) * 1000 for r in results)


def test_work_that_cannot_get_a_thread_in_time_is_busy(settings, monkeypatch, slow_url):
    settings.KCLOUD_FANOUT_QUEUE_SECONDS = 1
    single = Pool(1)
    monkeypatch.setattr(threads, "_pool", single)
    release = threading.Event()
    blocker = single.try_submit(lambda: release.wait(30), Budget(1))
    assert blocker is not None
    try:
        results = fan_out([make_cluster("waits", slow_url)], lambda client, cluster: "never")
    finally:
        release.set()
    assert [(r.status, r.error_code) for r in results] == [("error", "busy")]
    assert results[0].outcome()["error"].startswith("server busy")


def test_beside_runs_in_the_caller_when_no_thread_is_free(monkeypatch):
    single = Pool(1)
    monkeypatch.setattr(threads, "_pool", single)
    release = threading.Event()
    assert single.try_submit(lambda: release.wait(30), Budget(1)) is not None
    try:
        pending = beside(threading.current_thread)
        assert not pending.in_thread
        assert pending.result() is threading.current_thread()
    finally:
        release.set()


def test_nested_work_within_a_budget_of_one_does_not_deadlock(settings, fresh_pool, slow_url):
    settings.KCLOUD_REQUEST_THREADS = 1

    def nested(client, cluster):
        inner = beside(lambda: beside(lambda: cluster.name).result())
        return inner.result()

    clusters = [make_cluster(f"c{i}", slow_url) for i in range(3)]
    results = fan_out(clusters, nested)
    assert [r.value for r in results] == ["c0", "c1", "c2"]


def test_the_budget_follows_the_work_into_the_pool(settings, fresh_pool, slow_url):
    settings.KCLOUD_REQUEST_THREADS = 3
    seen: list[Budget | None] = []

    def work(client, cluster):
        seen.append(threads.current_budget())
        return beside(threads.current_budget).result()

    with threads.request_budget() as budget:
        results = fan_out([make_cluster(f"c{i}", slow_url) for i in range(5)], work)
    assert {id(b) for b in seen} == {id(budget)}
    assert all(r.value is budget for r in results)
    assert budget.peak <= 3
