"""Latency of ``/api/v1/infrastructure/nodes`` and ``/pods`` on the large fleet, cold and warm.

Starts the "large" demo fleet (10 clusters x 100 nodes x 8 accelerators, one
Prometheus per cluster) with a short history (``--history-hours``, default 0.5:
the backfill of the large fleet is what takes time, not the queries), then
times each endpoint through the full Django stack (``APIClient``, staff user):

* **cold**: Django's cache cleared before every request (every PromQL answer
  comes from Prometheus, every merge is redone);
* **warm**: the same request again within the live-cache window;
* **raw PromQL**: the same PromQL requests the endpoints make (KSM inventory and
  power/usage; the accelerators' two device queries), fanned out to the ten
  clusters without parsing or merging, to show what Prometheus itself costs.

Every request is evaluated at the last backfilled scrape (``?time=``): the
backfill ends minutes before the timing starts, beyond Prometheus' lookback.

    .venv/bin/python bench/infrastructure.py [--rounds 15] [--history-hours 1]
"""

from __future__ import annotations

import argparse
import time

from _django import BenchFleet, percentiles, register_fleet, setup, table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--history-hours", type=float, default=0.5)
    parser.add_argument("--size", default="large")
    args = parser.parse_args()
    setup(ALLOWED_HOSTS="testserver,localhost")

    from django.core.cache import cache

    from accelerators import queries as accel_queries
    from clusters.prometheus.client import reset_clients
    from clusters.prometheus.fanout import fan_out
    from infrastructure import queries

    with BenchFleet(args.size, args.history_hours, "infra") as bench:
        fleet, deployment, setup_seconds = bench.fleet, bench.deployment, bench.setup_seconds
        clusters, api = register_fleet(deployment, timeout_seconds=30)

        # The history ends when the backfill did, minutes before the timing starts: evaluate at
        # its last full scrape (explicit ``time``) so every request sees the whole fleet.
        last = fan_out(clusters[:1], lambda c, _cl: c.query("max(timestamp(kube_node_info))"))[0].value.scalar
        at = int(last // 30 * 30)

        def raw(exprs_of):
            def run(client, cluster) -> int:
                return sum(len(client.query(e, time=at).samples) for e in exprs_of(cluster.scope))

            return run

        infra = raw(lambda scope: [queries.inventory(scope), queries.power(scope)])
        accel = raw(lambda scope: [accel_queries.live_gauges(scope, None), accel_queries.last_seen(scope, None)])

        def timed(fn) -> list[float]:
            out = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                results = fan_out(clusters, fn)
                out.append(time.perf_counter() - started)
                assert all(r.ok for r in results), [r.error for r in results if not r.ok]
            return out

        raw_infra, raw_accel = percentiles(timed(infra)), percentiles(timed(accel))
        rows = []
        for url in ("/api/v1/infrastructure/nodes", "/api/v1/infrastructure/pods"):
            cold, warm = [], []
            count = 0
            for _ in range(args.rounds):
                cache.clear()
                reset_clients()
                started = time.perf_counter()
                response = api.get(url, {"page_size": 100, "time": at})
                cold.append(time.perf_counter() - started)
                assert response.status_code == 200, response.content[:300]
                failed = [c for c in response.json()["clusters"] if c["status"] != "ok"]
                assert not failed, failed
                count = response.json()["count"]
                started = time.perf_counter()
                response = api.get(url, {"page_size": 100, "time": at})
                warm.append(time.perf_counter() - started)
            (c50, c95), (w50, w95) = percentiles(cold), percentiles(warm)
            timings = [f"{c50:.0f}", f"{c95:.0f}", f"{w50:.1f}", f"{w95:.1f}"]
            rows.append([url, count, *timings])
        rows.append(
            ["raw PromQL: KSM + power (2 req/cluster)", "", f"{raw_infra[0]:.0f}", f"{raw_infra[1]:.0f}", "", ""]
        )
        rows.append(
            ["raw PromQL: accelerators (2 req/cluster)", "", f"{raw_accel[0]:.0f}", f"{raw_accel[1]:.0f}", "", ""]
        )
        print(
            f"fleet {args.size}: {len(fleet.clusters)} clusters, {len(fleet.nodes)} nodes, {len(fleet.pods)} pods, "
            f"{len(fleet.gpus)} GPUs, {len(fleet.npus)} NPUs; history {args.history_hours} h; "
            f"setup {setup_seconds:.0f} s; {args.rounds} rounds"
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
                ],
                rows,
            )
        )


if __name__ == "__main__":
    main()
