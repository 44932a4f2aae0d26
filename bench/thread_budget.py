"""Many requests at once over many clusters, one hanging: latency, wrongly timed-out clusters, threads.

Real sockets on loopback: each healthy "cluster" is a small HTTP server answering
a valid Prometheus vector after ``--delay`` seconds; one cluster accepts and never
answers. ``--requests`` threads each run one fan-out over all clusters whose work
has the shape of power now (two requests beside the cluster's own, as
``monitoring.services.power.fetch_now`` does). Prints per configuration: request
latency, how many healthy clusters were reported timed out (the target is 0: a
deadline counts from when a cluster's work starts), the pool's peak, the largest
per-request peak, and the process's peak thread count.

    .venv/bin/python bench/thread_budget.py [--requests 50] [--clusters 10] [--delay 0.03]
"""

from __future__ import annotations

import argparse
import threading
import time
from http.server import ThreadingHTTPServer

from _django import percentiles, setup, table
from fanout import _Ok, hanging_server


def slow_server(delay: float) -> str:
    """The bench's healthy stand-in (``fanout._Ok``), answering after ``delay`` seconds, keep-alive."""

    class Slow(_Ok):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            time.sleep(delay)
            super().do_POST()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    server.request_queue_size = 256
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def burst(clusters: list, work, requests: int) -> tuple[list[float], str, int, int, float]:
    """``requests`` fan-outs at once: (latencies, healthy clusters timed out, largest request peak,
    process peak threads, wall seconds)."""
    from clusters.prometheus import threads
    from clusters.prometheus.fanout import TIMED_OUT, fan_out

    latencies: list[float] = []
    state = {"wrong": 0, "deadline": 0, "peak": 0}
    go, lock = threading.Event(), threading.Lock()

    def one() -> None:
        go.wait()
        with threads.request_budget() as mine:
            started = time.perf_counter()
            results = fan_out(clusters, work)
            elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            healthy_failed = [r for r in results if r.cluster.name != "hung" and not r.ok]
            state["wrong"] += len(healthy_failed)
            # Our deadline (TIMED_OUT) versus the client's own read timeout (a slow answer).
            state["deadline"] += sum(1 for r in healthy_failed if r.error == TIMED_OUT)
            state["peak"] = max(state["peak"], mine.peak)

    runners = [threading.Thread(target=one) for _ in range(requests)]
    for runner in runners:
        runner.start()
    peak_threads = threading.active_count()
    began = time.perf_counter()
    go.set()
    while any(r.is_alive() for r in runners):
        peak_threads = max(peak_threads, threading.active_count())
        time.sleep(0.05)
    wrong = f"{state['wrong']} ({state['deadline']} by the deadline)"
    return latencies, wrong, state["peak"], peak_threads, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--delay", type=float, default=0.03)
    parser.add_argument("--timeout", type=float, default=1.0)
    args = parser.parse_args()
    setup(KCLOUD_CACHE_ENABLED="0", KCLOUD_PROMETHEUS_RETRIES="0")

    from django.conf import settings

    from clusters.models import Cluster
    from clusters.prometheus import threads
    from clusters.prometheus.client import reset_clients

    def work(client, _cluster):
        side = [threads.beside(client.query, "up"), threads.beside(client.query, "up")]
        client.query("up")
        return [s.result() for s in side]

    rows = []
    for workers, budget in ((16, 8), (16, 16), (32, 8)):
        settings.KCLOUD_FANOUT_WORKERS, settings.KCLOUD_REQUEST_THREADS = workers, budget
        threads._pool = threads.Pool(workers)
        Cluster.objects.all().delete()
        reset_clients()
        url = slow_server(args.delay)
        clusters = [
            Cluster.objects.create(name=f"c{i}", prometheus_url=url, timeout_seconds=args.timeout)
            for i in range(args.clusters - 1)
        ]
        clusters.append(
            Cluster.objects.create(name="hung", prometheus_url=hanging_server(), timeout_seconds=args.timeout)
        )
        latencies, wrong, peaks, peak_threads, wall = burst(clusters, work, args.requests)
        p50, p95 = percentiles(latencies)
        rows.append(
            [
                workers,
                budget,
                f"{p50:.0f}",
                f"{p95:.0f}",
                f"{wall:.1f}",
                wrong,
                threads.pool().peak,
                peaks,
                peak_threads,
            ]
        )
    print(
        f"{args.requests} concurrent requests x {args.clusters} clusters (one hanging, timeout {args.timeout} s), "
        f"3 requests per cluster (2 beside), {args.delay * 1000:.0f} ms per answer; peak threads include the "
        f"{args.requests} request threads and the stand-in servers' handler threads"
    )
    headers = [
        "pool",
        "budget/request",
        "request p50 ms",
        "request p95 ms",
        "wall s",
        "healthy timed out",
        "pool peak",
        "request peak",
        "process peak threads",
    ]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
