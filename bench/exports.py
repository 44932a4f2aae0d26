"""Export benchmark: 7 days of per-GPU power at a 1-minute step for 256 GPUs (~2.6 M points) in each format.

    .venv/bin/python bench/exports.py [--gpus 256] [--days 7] [--formats csv,parquet,json,xlsx]

Builds a dedicated Prometheus holding only ``DCGM_FI_DEV_POWER_USAGE`` of
``--gpus`` GPUs (32 nodes x 8, dcgm-exporter's labels) sampled every minute for
``--days`` days (an OpenMetrics file backfilled with promtool), registers it as a
cluster, then measures, each in a fresh process (peak RSS is per process):

* **raw fetch**: the one ``query_range`` of the whole window with the export's
  own PromQL (``max by`` device of the gauge), HTTP only and HTTP + parse
  (``PrometheusClient.query_range``);
* **each format**: ``GET /api/v1/export/metrics?metric=gpu_power_watts&step=1m``
  through the full Django stack (APIClient, staff user), the streamed body
  written to a file: seconds, rows/s, peak RSS, file size.

The cache is off (``KCLOUD_CACHE_ENABLED=0``): an export is a one-off read, and
the production cache (Redis) lives outside the process anyway.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _django import table

ROOT = Path(__file__).resolve().parents[1]
STEP = 60
GPUS_PER_NODE = 8
MODEL = "NVIDIA H100 80GB HBM3"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_openmetrics(path: Path, gpus: int, start: int, end: int) -> int:
    """The gauge of every GPU every minute from ``start`` to ``end`` (OpenMetrics, one series after another)."""
    samples = 0
    with open(path, "w") as out:
        out.write("# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).\n# TYPE DCGM_FI_DEV_POWER_USAGE gauge\n")
        for g in range(gpus):
            node, index = divmod(g, GPUS_PER_NODE)
            labels = (
                f'gpu="{index}",UUID="GPU-{g:08x}-0000-4000-8000-{g:012x}",device="nvidia{index}",'
                f'modelName="{MODEL}",Hostname="gpu-node-{node:03d}",DCGM_FI_DRIVER_VERSION="550.54.15"'
            )
            lines = []
            for t in range(start, end + 1, STEP):
                # A day/night load cycle per GPU, phase-shifted: 70-700 W like an H100.
                watts = 385.0 + 315.0 * math.sin(2 * math.pi * (t / 86400.0) + g * 0.37)
                lines.append(f"DCGM_FI_DEV_POWER_USAGE{{{labels}}} {watts:.3f} {t}\n")
            out.write("".join(lines))
            samples += len(lines)
        out.write("# EOF\n")
    return samples


def child(args) -> None:
    """One measurement in this (fresh) process; prints a JSON line."""
    sys.path.insert(0, str(ROOT / "bench"))
    from _django import setup

    setup(ALLOWED_HOSTS="testserver,localhost", KCLOUD_CACHE_ENABLED="0")
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from clusters.models import Cluster

    cluster = Cluster.objects.create(name="bench-gpus", prometheus_url=args.url, timeout_seconds=600)
    base_rss = _peak_rss_mb()
    params = {"start": args.start, "end": args.end, "step": f"{STEP}s"}
    began = time.perf_counter()
    if args.child in ("raw-http", "raw-parse"):
        from clusters.prometheus.client import client_for
        from monitoring.services.metric_catalog import METRICS
        from monitoring.services.metrics import build_query

        client = client_for(cluster)
        expr = build_query(METRICS["gpu_power_watts"], cluster.scope, STEP, "gpu")
        if args.child == "raw-http":
            form = {"query": expr, "start": args.start, "end": args.end, "step": STEP}
            response = client.session.post(f"{args.url}/api/v1/query_range", data=form, timeout=600)
            size, rows = len(response.content), None
        else:
            result = client.query_range(expr, args.start, args.end, STEP)
            rows, size = sum(len(s.points) for s in result.series), None
    else:
        user = get_user_model().objects.create_superuser("bench")  # every cluster, every role
        api = APIClient()
        api.force_authenticate(user)
        response = api.get(
            "/api/v1/export/metrics", {**params, "metric": "gpu_power_watts", "resource": "gpus", "format": args.child}
        )
        if response.status_code != 200:
            raise SystemExit(f"export failed: {response.status_code} {response.content[:500]!r}")
        out_path = Path(args.out)
        with open(out_path, "wb") as out:
            for chunk in response.streaming_content:
                out.write(chunk)
    seconds = time.perf_counter() - began
    if args.child not in ("raw-http", "raw-parse"):
        size, rows = out_path.stat().st_size, _count_rows(args.child, out_path)
    print(json.dumps({"seconds": seconds, "rows": rows, "bytes": size, "rss": _peak_rss_mb(), "base_rss": base_rss}))


def _count_rows(fmt: str, path: Path) -> int | None:
    """Rows in the written file, counted after the clock stopped (cheaply, without loading it)."""
    if fmt == "csv":
        with open(path, "rb") as f:
            return sum(1 for _ in f) - 1
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    return None


def _run(kind: str, url: str, start: int, end: int, out: Path) -> dict:
    argv = [sys.executable, __file__, "--child", kind, "--url", url, "--start", str(start), "--end", str(end)]
    proc = subprocess.run([*argv, "--out", str(out)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gpus", type=int, default=256)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--formats", default="csv,parquet,json,xlsx")
    parser.add_argument("--rounds", type=int, default=1, help="repeat each measurement; the table shows the best")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--end", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    sys.path.insert(0, str(ROOT))
    from demo.backfill import create_blocks
    from demo.harness import PrometheusServer

    workdir = Path(tempfile.mkdtemp(prefix="kcloud-bench-exports-"))
    end = int(time.time() // 3600 * 3600) - 3600  # a full hour, safely in the past
    start = int(end - args.days * 86400)
    try:
        began = time.perf_counter()
        om = workdir / "gpus.om"
        samples = write_openmetrics(om, args.gpus, start, end)
        server = PrometheusServer(None, workdir=workdir, name="bench-exports", retention="60d")
        create_blocks(om, server.data_dir)
        om.unlink()
        server.start()
        setup_seconds = time.perf_counter() - began
        url = server.url

        def best(kind: str, out: Path) -> dict:
            runs = [_run(kind, url, start, end, out) for _ in range(args.rounds)]
            return min(runs, key=lambda r: r["seconds"])

        raw_http = best("raw-http", workdir / "raw")
        raw = best("raw-parse", workdir / "raw")
        rows = [
            [
                "raw query_range (HTTP only)",
                f"{raw_http['seconds']:.2f}",
                "",
                "",
                f"{raw_http['rss']:.0f}",
                f"{raw_http['bytes'] / 1e6:.1f} (JSON)",
                "",
                "1.00",
            ],
            [
                "raw query_range + parse",
                f"{raw['seconds']:.2f}",
                f"{raw['rows']:,}",
                f"{raw['rows'] / raw['seconds']:,.0f}",
                f"{raw['rss']:.0f}",
                "",
                "1.00",
                f"{raw['seconds'] / raw_http['seconds']:.2f}",
            ],
        ]
        for fmt in [f for f in args.formats.split(",") if f]:
            result = best(fmt, workdir / f"export.{fmt}")
            count = result["rows"] if result["rows"] is not None else samples
            rows.append(
                [
                    f"export {fmt}",
                    f"{result['seconds']:.2f}",
                    f"{count:,}",
                    f"{count / result['seconds']:,.0f}",
                    f"{result['rss']:.0f}",
                    f"{result['bytes'] / 1e6:.1f}",
                    f"{result['seconds'] / raw['seconds']:.2f}",
                    f"{result['seconds'] / raw_http['seconds']:.2f}",
                ]
            )
            (workdir / f"export.{fmt}").unlink(missing_ok=True)
        print(
            f"{args.gpus} GPUs x {args.days:g} days at {STEP} s = {samples:,} samples "
            f"(setup: generate + promtool + start {setup_seconds:.0f} s; idle Django process RSS "
            f"{raw['base_rss']:.0f} MB; cache off; {os.cpu_count()} CPUs)"
        )
        print(
            table(
                ["what", "seconds", "rows", "rows/s", "peak RSS MB", "file MB", "x raw fetch+parse", "x raw HTTP"],
                rows,
            )
        )
        server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
