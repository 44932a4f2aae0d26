"""Latency of the power analytics on the large fleet, cold and warm, next to the raw PromQL floor.

Starts the "large" demo fleet (10 clusters x 100 nodes x 8 accelerators, one
Prometheus per cluster) with a short history (``--history-hours``, default 1:
the backfill of the large fleet is what takes time), then times, through the
full Django stack (``APIClient``, staff user):

* ``/monitoring/power`` (power now);
* ``/monitoring/energy?group_by=namespace`` over 7 days and
  ``/monitoring/timeseries/power`` over 7 days (the fleet has only
  ``--history-hours`` of data: Prometheus scans what exists, so these are the
  request shapes of a 7-day answer but not the I/O of 7 real days);

each **cold** (Django's cache cleared before every request) and **warm** (the same
request again). The **floor** is the same PromQL requests the endpoint makes,
sent raw to every cluster in parallel (within a cluster too, as the services do)
without parsing: the slowest cluster's raw time, which no parallel fan-out can beat.

    .venv/bin/python bench/power.py [--rounds 10] [--history-hours 1]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from _django import BenchFleet, percentiles, register_fleet, setup, table

WEEK = 7 * 86400


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--history-hours", type=float, default=1.0, help="at least 1: windows end on a full hour")
    parser.add_argument("--size", default="large")
    args = parser.parse_args()
    setup(ALLOWED_HOSTS="testserver,localhost")

    from django.core.cache import cache

    from accelerators import queries as accel_queries
    from clusters.prometheus.client import reset_clients
    from clusters.prometheus.fanout import fan_out
    from infrastructure import queries as infra_queries
    from monitoring import queries

    with BenchFleet(args.size, args.history_hours, "power") as bench:
        fleet, deployment, setup_seconds = bench.fleet, bench.deployment, bench.setup_seconds
        clusters, api = register_fleet(deployment, timeout_seconds=60)
        last = deployment.history_end  # the backfill took minutes: "now" may be past the lookback
        # 7-day windows are aligned to their step (1 h): end at the last full hour, inside the history.
        at = int(last // 3600 * 3600)
        ts_step = 3600  # what parse_time_range picks for 7 days (169 points)

        def devices(scope):
            return [
                ("q", accel_queries.live_gauges(scope, None)),
                ("q", accel_queries.last_seen(scope, None)),
            ]

        plans = {
            "power": lambda scope: [
                ("q", infra_queries.inventory(scope)),
                ("q", infra_queries.power(scope)),
                *devices(scope),
            ],
            "energy": lambda scope: [("q", queries.energy(scope, WEEK, queries.subquery_step(WEEK))), *devices(scope)],
            "series": lambda scope: [("r", queries.power_series(scope, ts_step, by_namespace=False))],
        }

        def raw(plan):
            def run(client, cluster) -> int:
                def one(item):
                    kind, expr = item
                    if kind == "q":
                        return len(client.query(expr, time=at).samples)
                    return len(client.query_range(expr, at - WEEK, at, ts_step).series)

                with ThreadPoolExecutor(max_workers=4) as pool:
                    return sum(pool.map(one, plan(cluster.scope)))

            return run

        def timed_raw(plan) -> list[float]:
            out = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                results = fan_out(clusters, raw(plan))
                out.append(time.perf_counter() - started)
                assert all(r.ok for r in results), [r.error for r in results if not r.ok]
            return out

        endpoints = [
            ("/monitoring/power", "/api/v1/monitoring/power", {"time": at}, "power"),
            (
                "/monitoring/energy?group_by=namespace (7 d)",
                "/api/v1/monitoring/energy",
                {"start": at - WEEK, "end": at, "group_by": "namespace", "page_size": 100},
                "energy",
            ),
            (
                "/monitoring/timeseries/power (7 d, cluster)",
                "/api/v1/monitoring/timeseries/power",
                {"start": at - WEEK, "end": at, "group_by": "cluster"},
                "series",
            ),
        ]
        rows = []
        for label, url, params, plan in endpoints:
            floor = percentiles(timed_raw(plans[plan]))
            cold, warm = [], []
            count = 0
            for _ in range(args.rounds):
                cache.clear()
                reset_clients()
                started = time.perf_counter()
                response = api.get(url, params)
                cold.append(time.perf_counter() - started)
                assert response.status_code == 200, response.content[:300]
                failed = [c for c in response.json()["clusters"] if c["status"] != "ok"]
                assert not failed, failed
                count = response.json().get("count", len(response.json().get("by_cluster", [])))
                started = time.perf_counter()
                response = api.get(url, params)
                warm.append(time.perf_counter() - started)
            (c50, c95), (w50, w95) = percentiles(cold), percentiles(warm)
            rows.append(
                [
                    label,
                    count,
                    f"{c50:.0f}",
                    f"{c95:.0f}",
                    f"{w50:.1f}",
                    f"{w95:.1f}",
                    f"{floor[0]:.0f}",
                    f"{c50 / floor[0]:.2f}",
                ]
            )
        print(
            f"fleet {args.size}: {len(fleet.clusters)} clusters, {len(fleet.nodes)} nodes, {len(fleet.pods)} pods, "
            f"{len(fleet.gpus)} GPUs, {len(fleet.npus)} NPUs; history {args.history_hours} h (7-day windows scan "
            f"only that); setup {setup_seconds:.0f} s; {args.rounds} rounds"
        )
        print(
            table(
                [
                    "endpoint (all clusters in parallel)",
                    "rows",
                    "cold p50 ms",
                    "cold p95 ms",
                    "warm p50 ms",
                    "warm p95 ms",
                    "raw floor p50 ms",
                    "cold/floor",
                ],
                rows,
            )
        )


if __name__ == "__main__":
    main()
