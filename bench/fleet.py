"""Fleet benchmark: generate + backfill the simulated fleet into real Prometheus, then measure it.

    .venv/bin/python bench/fleet.py                      # 10 clusters x 100 nodes x 8 GPUs, 24 h at 30 s
    .venv/bin/python bench/fleet.py --hours 2            # shorter history (the table says so)
    .venv/bin/python bench/fleet.py --size test --hours 25

Prints one table: fleet shape, samples, time to build the fleet, to render and
backfill (promtool), Prometheus start-up, disk of the TSDB blocks, and the
resident memory of the Prometheus servers after a first query. No global
querier copy here (it would double the data without telling anything new).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _django import table

from demo.deployment import start_fleet_prometheus
from demo.fleet import SIZES, build_fleet


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="large", choices=sorted(SIZES))
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", default=None, help="keep the data here (default: a temp dir, removed)")
    args = parser.parse_args()

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="kcloud-bench-fleet-"))
    began = time.perf_counter()
    fleet = build_fleet(seed=args.seed, size=args.size)
    build_seconds = time.perf_counter() - began
    gpus, npus = len(fleet.gpus), len(fleet.npus)
    deployment = start_fleet_prometheus(fleet, args.hours, live=False, workdir=workdir)
    try:
        stats = deployment.backfill_stats
        servers = list(deployment.servers.values())
        for server in servers:  # touch the head and the blocks once, as a first dashboard would
            server.query("count(DCGM_FI_DEV_POWER_USAGE)")
        rss = sum(_rss_mb(s.pid) for s in servers)
        disk = sum(_disk_mb(s.data_dir) for s in servers)
        size = fleet.size
        rows = [
            ["fleet", f"{size.clusters} clusters x {size.nodes_per_cluster} nodes x {size.gpus_per_node} dev"],
            ["accelerators", f"{gpus:,} GPUs + {npus:,} NPUs"],
            ["history", f"{args.hours:g} h at {fleet.clusters[0].scrape_interval_seconds:g} s"],
            ["samples backfilled", f"{stats.samples:,}"],
            ["OpenMetrics written", f"{stats.bytes_written / 1e9:.2f} GB in {stats.files} files"],
            ["build fleet", f"{build_seconds:.1f} s"],
            ["render (sum over workers)", f"{stats.render_seconds:.1f} s ({stats.workers} workers)"],
            ["promtool (sum)", f"{stats.promtool_seconds:.1f} s"],
            ["generate + backfill wall", f"{stats.wall_seconds:.1f} s"],
            ["start-up total (to ready)", f"{deployment.startup_seconds:.1f} s"],
            ["Prometheus servers", str(len(servers))],
            ["TSDB disk", f"{disk:,.0f} MB"],
            ["Prometheus RSS after a query", f"{rss:,.0f} MB"],
        ]
        print(table(["measure", "value"], rows))
    finally:
        deployment.stop()
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
