"""Latency of the node list and of power now, cold and warm, next to the raw PromQL floor.

Starts a demo fleet (default ``bench``: 4 clusters x 37 nodes, 1,032 GPUs and 152
NPUs, one Prometheus per cluster) stored with mixed scrape profiles (addresses as
``instance``, ``exported_*`` labels, replicas: placement has real work to do), a
short history (``--history-hours``), then times through the full Django stack
(``APIClient``, staff user):

* **cold**: Django's cache cleared before every request (every PromQL answer
  comes from Prometheus, every merge and placement is redone);
* **warm**: the same request again within the live-cache window;
* **floor**: the same PromQL requests the endpoints make (the snapshot request and
  the accelerators' two device requests), fired raw at every cluster at once
  (within a cluster too, as the services do), without parsing: what Prometheus
  itself costs, which no fan-out can beat.

It also counts the PromQL requests one cold call makes per cluster. Every request
is evaluated at the last backfilled scrape (``?time=``).

    .venv/bin/python bench/infrastructure.py [--rounds 15] [--size bench] [--profiles mixed]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from _django import BenchFleet, percentiles, register_fleet, setup, table

ENDPOINTS = ("/api/v1/infrastructure/nodes", "/api/v1/monitoring/power", "/api/v1/infrastructure/pods")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--history-hours", type=float, default=0.5)
    parser.add_argument("--size", default="bench")
    parser.add_argument("--profiles", default="mixed", help="scrape profiles (demo/profiles.py): a name or mixed")
    args = parser.parse_args()
    setup(ALLOWED_HOSTS="testserver,localhost")

    from django.core.cache import cache

    from accelerators import queries as accel_queries
    from clusters.prometheus import client as client_module
    from clusters.prometheus.client import reset_clients
    from clusters.prometheus.fanout import fan_out
    from infrastructure import queries

    fleet_kwargs = {"profiles": args.profiles}
    with BenchFleet(args.size, args.history_hours, "infra", fleet_kwargs=fleet_kwargs) as bench:
        fleet, deployment, setup_seconds = bench.fleet, bench.deployment, bench.setup_seconds
        clusters, api = register_fleet(deployment, timeout_seconds=30)

        # The history ends when the backfill did, minutes before the timing starts: evaluate at
        # its last full scrape (explicit ``time``) so every request sees the whole fleet.
        last = fan_out(clusters[:1], lambda c, _cl: c.query("max(timestamp(kube_node_info))"))[0].value.scalar
        at = int(last // 30 * 30)

        def floor(client, cluster) -> int:
            exprs = [
                queries.snapshot(cluster.scope),
                accel_queries.live_gauges(cluster.scope, None),
                accel_queries.last_seen_and_placement(cluster.scope, None),
            ]
            with ThreadPoolExecutor(max_workers=len(exprs)) as pool:
                return sum(pool.map(lambda e: len(client.query(e, time=at).samples), exprs))

        raw = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            results = fan_out(clusters, floor)
            raw.append(time.perf_counter() - started)
            assert all(r.ok for r in results), [r.error for r in results if not r.ok]
        floor50, floor95 = percentiles(raw)

        requests: Counter = Counter()
        original = client_module.record_request

        def count(cluster, endpoint, outcome, seconds):
            requests[cluster] += 1
            original(cluster, endpoint, outcome, seconds)

        rows = []
        for url in ENDPOINTS:
            cold, warm = [], []
            rows_count = per_cluster = 0
            for index in range(args.rounds):
                cache.clear()
                reset_clients()
                requests.clear()
                client_module.record_request = count if index == 0 else original
                started = time.perf_counter()
                response = api.get(url, {"page_size": 100, "time": at})
                cold.append(time.perf_counter() - started)
                client_module.record_request = original
                if index == 0:
                    per_cluster = max(requests.values())
                assert response.status_code == 200, response.content[:300]
                body = response.json()
                failed = [c for c in body["clusters"] if c["status"] != "ok"]
                assert not failed and not body.get("warnings"), (failed, body.get("warnings"))
                rows_count = body.get("count", len(body.get("by_cluster", [])))
                started = time.perf_counter()
                response = api.get(url, {"page_size": 100, "time": at})
                warm.append(time.perf_counter() - started)
            (c50, c95), (w50, w95) = percentiles(cold), percentiles(warm)
            timings = [f"{c50:.0f}", f"{c95:.0f}", f"{w50:.1f}", f"{w95:.1f}", f"{c50 / floor50:.2f}"]
            rows.append([url, rows_count, per_cluster, *timings])
        rows.append(["raw floor: the 3 requests per cluster, all at once", "", 3, f"{floor50:.0f}", f"{floor95:.0f}"])
        rows[-1] += ["", "", ""]
        print(
            f"fleet {args.size}: {len(fleet.clusters)} clusters, {len(fleet.nodes)} nodes, {len(fleet.pods)} pods, "
            f"{len(fleet.gpus)} GPUs, {len(fleet.npus)} NPUs; scrape profiles {deployment.scrape_profiles()}; "
            f"history {args.history_hours} h; setup {setup_seconds:.0f} s; {args.rounds} rounds"
        )
        print(
            table(
                [
                    "endpoint (all clusters in parallel)",
                    "rows",
                    "PromQL/cluster",
                    "cold p50 ms",
                    "cold p95 ms",
                    "warm p50 ms",
                    "warm p95 ms",
                    "cold/floor",
                ],
                rows,
            )
        )


if __name__ == "__main__":
    main()
