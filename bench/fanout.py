"""Fan-out latency: five clusters, some healthy, one hanging or refusing.

Real sockets on loopback: healthy clusters are tiny HTTP servers answering a
valid Prometheus vector; a "hanging" cluster accepts connections and never
answers; a "refused" cluster is a closed port. Prints a table of wall time per
fan-out next to the cluster timeout.

    .venv/bin/python bench/fanout.py [--timeout 2] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from _django import setup, table

BODY = json.dumps(
    {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [0, "1"]}]}}
).encode()


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


def healthy_server() -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def hanging_server() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # accepts into the backlog, never reads or answers
    hanging_server.keep = [*getattr(hanging_server, "keep", []), sock]
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


def closed_port() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    setup(KCLOUD_CACHE_ENABLED="0")

    from clusters.models import Cluster
    from clusters.prometheus.client import reset_clients
    from clusters.prometheus.fanout import fan_out

    scenarios = {
        "5 healthy": ["ok"] * 5,
        "4 healthy + 1 hanging": ["ok"] * 4 + ["hang"],
        "4 healthy + 1 refused": ["ok"] * 4 + ["refused"],
        "3 healthy + 2 hanging": ["ok"] * 3 + ["hang"] * 2,
    }
    makers = {"ok": healthy_server, "hang": hanging_server, "refused": closed_port}
    rows = []
    for label, kinds in scenarios.items():
        Cluster.objects.all().delete()
        reset_clients()
        clusters = [
            Cluster.objects.create(name=f"c{i}", prometheus_url=makers[kind](), timeout_seconds=args.timeout)
            for i, kind in enumerate(kinds)
        ]
        timings, statuses = [], []
        for _ in range(args.rounds):
            started = time.perf_counter()
            results = fan_out(clusters, lambda client, _c: client.query("up"))
            timings.append(time.perf_counter() - started)
            statuses = [r.status for r in results]
        rows.append(
            [
                label,
                f"{args.timeout:.1f}",
                f"{statistics.median(timings):.3f}",
                f"{max(timings):.3f}",
                f"{max(timings) / args.timeout:.2f}",
                " ".join(statuses),
            ]
        )
    print(table(["scenario", "timeout s", "median s", "max s", "max / timeout", "statuses"], rows))


if __name__ == "__main__":
    main()
