"""Live power stream under load: 500 WebSocket clients on one topic, one daphne then two, with Redis.

Starts the "test" demo fleet (3 clusters, live scraping every 5 s, ``--history-hours``
of backfill), registers it, and runs daphne (``kcloud.asgi``) with ``REDIS_URL`` set
(Redis channel layer, cache and stream leases). Then, for ``--seconds`` each:

* **one daphne**: ``--clients`` WebSocket clients (autobahn, Token header) on
  ``/api/v1/monitoring/stream/power?interval=5`` (one topic: every cluster);
* **two daphne**: the same clients split half and half over two processes.

Printed per scenario: polls and PromQL requests per interval (summed over the
daphne processes, from their ``/api/v1/system/metrics``; target: one request per
cluster per interval, see ``monitoring.streams.queries``), delivery latency p50/p95
(client receipt - the message's ``timestamp``, which is when the poll started; each
client's first message is left out: joining a running topic replays its latest snapshot),
messages received, dropped clients, and each daphne's RSS at the end.

    .venv/bin/python bench/streams.py [--clients 500] [--seconds 60] [--history-hours 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from io import StringIO
from pathlib import Path

from _django import setup, table

REDIS_URL = "redis://127.0.0.1:6379/14"
INTERVAL = 5
PORTS = (8791, 8792)


def metric_sum(port: int, name: str) -> float:
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/system/metrics", timeout=10).read().decode()
    lines = [line for line in body.splitlines() if line.startswith((name + "{", name + " "))]
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_daphne(port: int, env: dict) -> subprocess.Popen:
    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "kcloud.asgi:application"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/system/health", timeout=1)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"daphne on {port} did not start")


async def run_clients(ports: list[int], clients: int, seconds: float, key: str) -> dict:
    from autobahn.asyncio.websocket import WebSocketClientFactory, WebSocketClientProtocol

    latencies: list[float] = []
    counts = {"messages": 0, "dropped": 0, "closed_other": 0, "connected": 0}

    class Client(WebSocketClientProtocol):
        def onOpen(self):
            counts["connected"] += 1

        def onMessage(self, payload, is_binary):
            now = time.time()
            message = json.loads(payload)
            if message["type"] == "power":
                counts["messages"] += 1
                self.received = getattr(self, "received", 0) + 1
                if self.received == 1:
                    return  # a joiner's first message may be the topic's buffered snapshot: not a delivery
                stamp = message["timestamp"].replace("Z", "+00:00")
                from datetime import datetime

                latencies.append(now - datetime.fromisoformat(stamp).timestamp())

        def onClose(self, was_clean, code, reason):
            if code == 4408:
                counts["dropped"] += 1
            elif code not in (1000, None):
                counts["closed_other"] += 1

    loop = asyncio.get_running_loop()
    protocols = []
    path = f"/api/v1/monitoring/stream/power?interval={INTERVAL}"
    for index in range(clients):
        port = ports[index % len(ports)]
        factory = WebSocketClientFactory(f"ws://127.0.0.1:{port}{path}", headers={"Authorization": f"Token {key}"})
        factory.protocol = Client
        _transport, protocol = await loop.create_connection(factory, "127.0.0.1", port)
        protocols.append(protocol)
    await asyncio.sleep(seconds)
    for protocol in protocols:
        protocol.sendClose(1000)
    await asyncio.sleep(1)
    return {"latencies": latencies, **counts}


def scenario(name: str, ports: list[int], processes: list, args, key: str, clusters: int) -> list:
    before = {
        p: (metric_sum(p, "kcloud_prometheus_requests_total"), metric_sum(p, "kcloud_stream_polls_total"))
        for p in ports
    }
    began = time.time()
    # The clients run in their own process: Django's daphne app has already tied txaio
    # (autobahn) to Twisted here, and the clients must not share the servers' CPU budget accounting.
    argv = [sys.executable, __file__, "--clients-only", ",".join(map(str, ports)), key]
    argv += ["--clients", str(args.clients), "--seconds", str(args.seconds)]
    output = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    elapsed = time.time() - began
    requests = sum(metric_sum(p, "kcloud_prometheus_requests_total") - before[p][0] for p in ports)
    polls = sum(metric_sum(p, "kcloud_stream_polls_total") - before[p][1] for p in ports)
    intervals = elapsed / INTERVAL
    ordered = sorted(result["latencies"]) or [float("nan")]
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return [
        name,
        result["connected"],
        f"{polls / intervals:.2f}",
        f"{requests / intervals:.1f}",
        f"{requests / intervals / clusters:.2f}",
        f"{statistics.median(ordered) * 1000:.0f}",
        f"{p95 * 1000:.0f}",
        result["messages"],
        result["dropped"],
        " / ".join(f"{rss_mb(p.pid):.0f}" for p in processes),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--history-hours", type=float, default=0.5)
    parser.add_argument("--clients-only", nargs=2, metavar=("PORTS", "KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.clients_only:
        ports, key = [int(p) for p in args.clients_only[0].split(",")], args.clients_only[1]
        print(json.dumps(asyncio.run(run_clients(ports, args.clients, args.seconds, key))))
        return
    var_dir = tempfile.mkdtemp(prefix="kcloud-bench-streams-")
    env = {"KCLOUD_VAR_DIR": var_dir, "REDIS_URL": REDIS_URL, "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    setup(**env)

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from demo.deployment import start_fleet_prometheus
    from demo.fleet import build_fleet
    from kcloud.auth.models import ApiToken

    fleet = build_fleet(seed=7, size="test")
    deployment = start_fleet_prometheus(
        fleet, args.history_hours, live=True, scrape_interval=5, workdir=tempfile.mkdtemp(prefix="kcloud-bench-prom-")
    )
    processes: list[subprocess.Popen] = []
    try:
        for index, endpoint in enumerate(deployment.registry()):
            argv = [endpoint.name, "--url", endpoint.url, "--timeout", "10"]
            if endpoint.label_selector:
                argv += ["--selector", endpoint.label_selector]
            if endpoint.password:
                os.environ[f"KCLOUD_BENCH_SECRET_{index}"] = endpoint.password
                argv += ["--username", endpoint.username, "--password-env", f"KCLOUD_BENCH_SECRET_{index}"]
            call_command("register_cluster", *argv, stdout=StringIO())
        user = get_user_model().objects.create_superuser("bench")  # every cluster, every role
        _token, key = ApiToken.issue(user, name="bench")
        clusters = len(deployment.registry())
        daphne_env = {**os.environ, **env}
        processes.append(start_daphne(PORTS[0], daphne_env))
        rows = [scenario("1 daphne", [PORTS[0]], processes, args, key, clusters)]
        processes.append(start_daphne(PORTS[1], daphne_env))
        rows.append(scenario("2 daphne", list(PORTS), processes, args, key, clusters))
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        deployment.stop()
    print(
        f"\n{args.clients} WebSocket clients on one topic (power, {clusters} clusters, interval {INTERVAL} s), "
        f"{args.seconds:.0f} s per scenario, Redis channel layer + lease\n"
    )
    headers = ["scenario", "connected", "polls/interval", "PromQL req/interval", "req/interval/cluster", "p50 ms"]
    headers += ["p95 ms"]
    headers += ["messages", "dropped", "RSS MB"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
