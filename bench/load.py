"""Load: 200 concurrent users for 60 s against two instances behind nginx (``make load``).

Starts the production-shaped stack of ``make e2e`` (tests/e2e/stack.py: the shipped
nginx site in front of two ASGI instances, PostgreSQL, Redis) on the "test" demo
fleet, issues one API token per partner user, and runs locust headless in its own
process with the mix of ``bench/locustfile.py``. Printed:

* per endpoint: requests, throughput, p50/p95/p99 and failures (locust's figures);
* the error rate over everything (target 0 %);
* each instance's RSS (sampled every second: peak and at the end);
* PromQL requests per second reaching the Prometheus servers (from their own
  ``prometheus_http_requests_total``) against requests served per second: the
  cache's effect.

    make load            # or: .venv/bin/python bench/load.py [--users 200] [--seconds 60]
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kcloud.settings")

from bench._django import table  # noqa: E402

ISSUE_TOKENS = """
from django.contrib.auth import get_user_model
from kcloud.auth import roles
from kcloud.auth.models import ApiToken
keys = []
for i in range({count}):
    user = get_user_model().objects.create_user(f"partner-{{i}}", password=None)
    roles.grant(user, roles.OPERATOR, all_clusters=True)  # streams and exports need it
    keys.append(ApiToken.issue(user, name="load")[1])
print("KEYS=" + ",".join(keys))
"""


def prometheus_api_requests(urls: list[str], auth: dict[str, tuple[str, str] | None]) -> float:
    """API requests each Prometheus has answered, from its own metrics (not counting this scrape)."""
    total = 0.0
    for url in urls:
        text = requests.get(f"{url}/metrics", auth=auth.get(url), timeout=10).text
        for line in text.splitlines():
            match = re.match(r'^prometheus_http_requests_total\{[^}]*handler="(/api/v1/[^"]+)"[^}]*\} (\S+)$', line)
            if match:
                total += float(match.group(2))
    return total


def sample_rss(stack, peaks: dict[str, int], stop: threading.Event) -> None:
    while not stop.wait(1.0):
        for app in stack.apps:
            peaks[app.name] = max(peaks.get(app.name, 0), app.rss_bytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--spawn-rate", type=float, default=20.0)
    args = parser.parse_args()

    from tests.e2e.stack import STAFF, STAFF_PASSWORD, running_stack
    from tests.prometheus_fixtures import running_fleet

    workdir = Path(tempfile.mkdtemp(prefix="kcloud-load-"))
    with running_fleet("mixed", workdir / "fleet") as fleet:
        (workdir / "stack").mkdir()
        with running_stack(workdir / "stack", fleet.deployment) as stack:
            out = stack.manage("shell", "-c", ISSUE_TOKENS.format(count=max(1, args.users // 2)))
            keys = re.search(r"KEYS=(\S+)", out).group(1)
            api = stack.token_session()
            node = api.get(f"{stack.url}/api/v1/infrastructure/nodes", timeout=60).json()["results"][0]["name"]
            gpu = api.get(f"{stack.url}/api/v1/accelerators/gpus", timeout=60).json()["results"][0]["uuid"]

            servers = [*fleet.deployment.servers.values()]
            urls = [server.url for server in servers]
            auth = {server.url: server.basic_auth for server in servers}
            env = {
                **os.environ,
                "KCLOUD_LOAD_CERT": stack.certificate,
                "KCLOUD_LOAD_TOKENS": keys,
                "KCLOUD_LOAD_STAFF": STAFF,
                "KCLOUD_LOAD_PASSWORD": STAFF_PASSWORD,
                "KCLOUD_LOAD_NODE": node,
                "KCLOUD_LOAD_GPU": gpu,
            }
            prefix = workdir / "locust"
            peaks: dict[str, int] = {}
            stop = threading.Event()
            sampler = threading.Thread(target=sample_rss, args=(stack, peaks, stop), daemon=True)
            promql_before = prometheus_api_requests(urls, auth)
            started = time.monotonic()
            sampler.start()
            subprocess.run(
                [
                    *(sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless"),
                    *("-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.seconds}s"),
                    *("--host", stack.url, "--csv", str(prefix), "--only-summary", "--stop-timeout", "10"),
                ],
                env=env,
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=(workdir / "locust.log").open("w"),
            )
            elapsed = time.monotonic() - started
            stop.set()
            promql = prometheus_api_requests(urls, auth) - promql_before
            rss_end = {app.name: app.rss_bytes() for app in stack.apps}

    rows, total = [], None
    with open(f"{prefix}_stats.csv") as handle:
        for row in csv.DictReader(handle):
            line = [
                row["Name"],
                row["Request Count"],
                f"{float(row['Requests/s']):.1f}",
                row["50%"],
                row["95%"],
                row["99%"],
                row["Failure Count"],
            ]
            if row["Name"] == "Aggregated":
                total = row
            else:
                rows.append(line)
    spawn = f"locust, {args.spawn_rate:g} users/s spawn"
    print(f"\n{args.users} users for {args.seconds} s ({spawn}) via nginx, 2 instances\n")
    print(table(["endpoint", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "failures"], rows))
    assert total is not None
    served = float(total["Request Count"])
    failures = float(total["Failure Count"])
    print()
    print(
        table(
            ["total requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "error rate"],
            [
                [
                    int(served),
                    f"{float(total['Requests/s']):.1f}",
                    total["50%"],
                    total["95%"],
                    total["99%"],
                    f"{100 * failures / served:.2f} %" if served else "-",
                ]
            ],
        )
    )
    print()
    print(
        table(
            ["instance", "RSS peak MiB", "RSS end MiB"],
            [[name, f"{peaks.get(name, 0) / 2**20:.0f}", f"{rss_end[name] / 2**20:.0f}"] for name in sorted(rss_end)],
        )
    )
    print()
    print(
        table(
            ["requests served/s", "PromQL requests/s to Prometheus", "PromQL per request served"],
            [[f"{served / elapsed:.1f}", f"{promql / elapsed:.1f}", f"{promql / served:.3f}" if served else "-"]],
        )
    )
    failures_file = Path(f"{prefix}_failures.csv")
    if failures and failures_file.exists():
        print("\nfailures:\n" + failures_file.read_text()[:3000])


if __name__ == "__main__":
    main()
