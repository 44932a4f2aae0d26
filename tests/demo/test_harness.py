"""The real-Prometheus harness: process lifecycle, basic auth, backfill + live scraping.

A small stand-in fleet keeps these tests independent of the simulator's
details and fast; `test_fleet_prometheus.py`-style checks against the real
fleet live at the end and use the session fixture.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from pathlib import Path

import pytest

from demo.deployment import FleetDeployment, start_fleet_prometheus
from demo.harness import PrometheusError, PrometheusServer, running_servers
from demo.promconfig import duration, prometheus_config
from tests.demo._standin_fleet import build_standin, gpu_power
from tests.prometheus_fixtures import require_prometheus

pytestmark = pytest.mark.prometheus

LIVE_INTERVAL = 1.0
# Prometheus' own series, which a backfill does not write.
SCRAPE_META = {
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
}


def _processes_using(path: Path) -> list[int]:
    """PIDs whose command line mentions `path` (a data dir is unique per server)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(path) in cmdline and "prometheus" in cmdline:
            pids.append(int(entry.name))
    return pids


def _wait_for(predicate, timeout: float, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


# -- PrometheusServer -------------------------------------------------------------


def test_start_and_stop_leave_no_process_behind(tmp_path: Path) -> None:
    require_prometheus()
    server = PrometheusServer(workdir=tmp_path).start()
    pid, data_dir = server.pid, server.data_dir
    assert pid is not None and server.running()
    assert server.request("/-/ready")[0] == 200
    assert _processes_using(data_dir) == [pid]
    assert server in running_servers()

    server.stop()

    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert _processes_using(data_dir) == []
    assert not server.dir.exists()
    assert server not in running_servers()
    server.stop()  # idempotent


def test_context_manager_keeps_dir_when_asked(tmp_path: Path) -> None:
    require_prometheus()
    with PrometheusServer(workdir=tmp_path, keep=True) as server:
        assert server.api("status/buildinfo")["version"].startswith("2.")
        pid = server.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert server.data_dir.exists()


def test_bad_config_fails_with_the_log_tail(tmp_path: Path) -> None:
    require_prometheus()
    server = PrometheusServer("scrape_configs: [{job_name: 1, static_configs: nope}]\n", workdir=tmp_path)
    with pytest.raises(PrometheusError) as excinfo:
        server.start()
    assert "exited with code" in str(excinfo.value)
    assert "config" in str(excinfo.value).lower()
    assert not server.running()


def test_basic_auth_rejects_without_credentials(prometheus_server) -> None:
    server = prometheus_server(basic_auth=("kcloud", "s3cret-pass"))
    assert server.request("/api/v1/query", {"query": "1"}, auth=None)[0] == 401
    assert server.request("/api/v1/query", {"query": "1"}, auth=("kcloud", "wrong"))[0] == 401
    status, body = server.request("/api/v1/query", {"query": "1"})
    assert status == 200 and b'"success"' in body
    assert "s3cret-pass" not in server.web_config_path.read_text()  # only the bcrypt hash


# -- the deployment: backfill + live scraping (stand-in fleet) ------------------------


@pytest.fixture(scope="module")
def standin(tmp_path_factory: pytest.TempPathFactory):
    """Three stand-in clusters: sim-0 behind basic auth, sim-1 + sim-2 also in a global querier."""
    require_prometheus()
    now = time.time()
    fleet = build_standin(epoch=math.floor((now - 4 * 3600) / 3600) * 3600)
    deployment = start_fleet_prometheus(
        fleet,
        3.0,
        live=True,
        basic_auth_cluster="sim-0",
        global_querier_clusters=("sim-1", "sim-2"),
        workdir=tmp_path_factory.mktemp("standin"),
        scrape_interval=LIVE_INTERVAL,
    )
    yield fleet, deployment
    deployment.stop()


def test_deployment_endpoints(standin) -> None:
    _fleet, deployment = standin
    assert [e.name for e in deployment.clusters] == ["sim-0", "sim-1", "sim-2"]
    secured = deployment.endpoint("sim-0")
    assert secured.username == "kcloud" and secured.password
    assert secured.server.request("/api/v1/query", {"query": "up"}, auth=None)[0] == 401
    assert secured.server.request("/api/v1/query", {"query": "up"})[0] == 200
    assert deployment.endpoint("sim-1").password is None
    via_global = deployment.endpoint("sim-2", via_global=True)
    assert via_global.label_selector == 'cluster="sim-2"'
    assert via_global.url == deployment.global_querier.url
    assert [e.url for e in deployment.registry()][1:] == [deployment.global_querier.url] * 2
    assert deployment.history_end - deployment.history_start == pytest.approx(3 * 3600, abs=30)
    manifest = deployment.manifest()
    assert [c["name"] for c in manifest["clusters"]] == ["sim-0", "sim-1", "sim-2"]
    assert [bool(c["password"]) for c in manifest["clusters"]] == [True, False, False]
    assert manifest["clusters"][2]["label_selector"] == 'cluster="sim-2"'
    assert all(c["currency"] == "KRW" and c["design_pue"] >= 1.0 for c in manifest["clusters"])


def test_backfilled_gauge_equals_rendered_value(standin) -> None:
    _fleet, deployment = standin
    server = deployment.endpoint("sim-1").server
    t = deployment.history_end - 5400  # a scrape-aligned instant in the history
    result = server.query('DCGM_FI_DEV_POWER_USAGE{Hostname="node-1-1",gpu="1"}', at=t)
    assert len(result) == 1
    assert float(result[0]["value"][1]) == gpu_power("sim-1", "node-1-1", 1, t)
    assert result[0]["metric"]["instance"] == "node-1-1:9400"
    assert result[0]["metric"]["job"] == "dcgm-exporter"
    assert "pod" not in result[0]["metric"]  # empty label = absent label


def test_backfill_answers_range_queries_and_renames_conflicts(standin) -> None:
    _fleet, deployment = standin
    server = deployment.endpoint("sim-2").server
    end = deployment.history_end
    matrix = server.query_range("kepler_node_package_joules_total", end - 3600, end, 30)
    assert len(matrix) == 2
    for series in matrix:
        assert series["metric"]["exported_instance"] == series["metric"]["instance"].split(":")[0]
        assert len(series["values"]) == 121
    exported = server.query('kube_node_info{exported_job="x"}', at=end)
    assert exported[0]["metric"]["node"] == "a b/c" and exported[0]["metric"]["job"] == "rbln-metrics-exporter"
    assert server.query('count({__name__="RBLN_DEVICE_STATUS:CARD_POWER"})', at=end)[0]["value"][1] == "1"


def test_history_and_live_scrapes_join_without_gap(standin) -> None:
    _fleet, deployment = standin
    server = deployment.endpoint("sim-1").server
    end = deployment.history_end

    def live_samples() -> bool:
        result = server.query('timestamp(up{job="dcgm-exporter"})')
        return len(result) == 2 and all(float(r["value"][1]) > end for r in result)

    # Prometheus applies new targets on a 5 s tick, then scrapes every LIVE_INTERVAL.
    assert _wait_for(live_samples, 5 + 5 * LIVE_INTERVAL + 5), "no live sample within a few scrape intervals"
    # Raw samples of the last 2 h: 30 s apart in history, then 1 s live. The
    # hand-over adds at most one history step, Prometheus' start-up and its
    # 5 s target-discovery tick: far inside the 5 min lookback, and a 2 m
    # rate window (4 x 30 s) still holds two samples across it.
    raw = server.query('DCGM_FI_DEV_POWER_USAGE{Hostname="node-1-0",gpu="0"}[2h]')
    stamps = [float(ts) for ts, _ in raw[0]["values"]]
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert stamps[0] <= time.time() - 7000 and max(gaps) < 60, max(gaps)
    # And a live sample's value is the fleet's value at (about) that instant.
    last_ts, last_value = raw[0]["values"][-1]
    assert float(last_value) == pytest.approx(gpu_power("sim-1", "node-1-0", 0, float(last_ts)), abs=1.0)


def test_backfill_and_live_store_the_same_label_sets(standin) -> None:
    fleet, deployment = standin
    for endpoint in (deployment.endpoint("sim-0"), deployment.endpoint("sim-2", via_global=True)):
        server = endpoint.server
        end = deployment.history_end
        selector = "{" + ",".join(filter(None, ['__name__=~".+"', endpoint.label_selector])) + "}"
        targets = len(fleet.targets(endpoint.name))

        def every_target_scraped(s=server, sel=selector, e=end, n=targets) -> set[frozenset]:
            keys = _live_keys(s, sel, e)
            return keys if sum(dict(k)["__name__"] == "up" for k in keys) == n else set()

        live = _wait_for(every_target_scraped, 20)
        backfilled = _keys(server.query(selector, at=end))
        assert backfilled == live
        assert any(dict(k).get("__name__") == "up" for k in live)


def test_global_querier_separates_clusters(standin) -> None:
    _fleet, deployment = standin
    querier = deployment.global_querier
    t = deployment.history_end - 600
    by_cluster = {r["metric"]["cluster"]: r["value"][1] for r in querier.query("count by (cluster) (up)", at=t)}
    assert by_cluster == {"sim-1": "5", "sim-2": "5"}
    for name in ("sim-1", "sim-2"):
        direct = deployment.endpoint(name).server.query("DCGM_FI_DEV_POWER_USAGE", at=t)
        through = querier.query(f'DCGM_FI_DEV_POWER_USAGE{{cluster="{name}"}}', at=t)
        assert {_key(r, drop="cluster"): r["value"][1] for r in through} == {_key(r): r["value"][1] for r in direct}
    live = _wait_for(lambda: querier.query('count by (cluster) (up{cluster="sim-1"} == 1) > 0'), 20)
    assert live
    # Metric-name discovery works through it, as through Thanos Query.
    assert "DCGM_FI_DEV_POWER_USAGE" in querier.api("label/__name__/values")


def test_down_target_is_recorded_as_up_zero(tmp_path: Path) -> None:
    require_prometheus()
    now = time.time()
    fleet = build_standin(epoch=now - 7200, down_node=("sim-0", "node-0-0"))
    deployment: FleetDeployment = start_fleet_prometheus(
        fleet, 0.5, live=False, workdir=tmp_path, global_querier_clusters=("sim-0", "sim-1"), global_mode="remote_read"
    )
    try:
        server = deployment.endpoint("sim-0").server
        t = math.floor(deployment.history_end / 120) * 120 - 30  # inside an odd minute: target down
        ups = {r["metric"]["job"]: r["value"][1] for r in server.query('up{instance=~"node-0-0:.*"}', at=t)}
        assert ups == {"dcgm-exporter": "0", "kepler": "0"}
        assert prometheus_config(fleet, ["sim-0"], server_address=None)["scrape_configs"] == []
        # Remote-read mode: the querier stores nothing and still tells the clusters apart.
        querier = deployment.global_querier
        by_cluster = {r["metric"]["cluster"]: r["value"][1] for r in querier.query("count by (cluster) (up)", at=t)}
        assert by_cluster == {"sim-0": "5", "sim-1": "5"}
    finally:
        deployment.stop()
    assert not any(s.running() or s in running_servers() for s in deployment.servers.values())


def test_duration_formatting() -> None:
    assert [duration(30), duration(1), duration(1.5), duration(300)] == ["30s", "1s", "1500ms", "5m"]
    with pytest.raises(ValueError):
        duration(0)


# -- helpers ---------------------------------------------------------------------------


def _key(result: dict, drop: str | None = None) -> frozenset:
    return frozenset((k, v) for k, v in result["metric"].items() if k != drop)


def _keys(results: list[dict]) -> set[frozenset]:
    return {_key(r) for r in results if r["metric"].get("__name__") not in SCRAPE_META}


def _live_keys(server: PrometheusServer, selector: str, end: float) -> set[frozenset]:
    """Label sets of series with samples after the backfill's end, i.e. scraped live.

    The series API over (end, now] only sees the head block, which holds
    nothing but live scrapes (backfilled blocks all end at `end`).
    """
    series = server.api("series", {"match[]": selector, "start": f"{end + 0.001:.3f}", "end": f"{time.time():.3f}"})
    return {frozenset(s.items()) for s in series if s.get("__name__") not in SCRAPE_META}


@pytest.mark.prometheus
def test_demo_cli_runs_and_stops_cleanly(tmp_path: Path) -> None:
    """``python -m demo run`` writes the manifest, serves, and SIGTERM stops every child."""
    require_prometheus()
    import json
    import signal
    import subprocess
    import sys

    workdir = tmp_path / "demo"
    proc = subprocess.Popen(
        [sys.executable, "-m", "demo", "run", "--history-hours", "0.25", "--workdir", str(workdir)],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("READY"):
                break
        assert lines and lines[-1].startswith("READY"), "".join(lines)
        manifest = json.loads((workdir / "clusters.json").read_text())
        assert len(manifest["clusters"]) == 3
        # Profiles are mixed by default, and the start-up output says which cluster uses which.
        profiles = [c["scrape_profile"] for c in manifest["clusters"]]
        assert profiles == ["kube-prometheus-stack", "annotations", "thanos-replicas"]
        for entry in manifest["clusters"]:
            assert any(entry["name"] in line and entry["scrape_profile"] in line for line in lines)
        first = manifest["clusters"][0]
        assert first["password"] and (workdir / "clusters.json").stat().st_mode & 0o077 == 0
        assert _processes_using(workdir)
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0, output
    assert _processes_using(workdir) == []
    assert not (workdir / "clusters.json").exists()


@pytest.mark.prometheus
def test_fleet_clusters_registers_the_session_deployment(fleet_clusters, fleet_prometheus) -> None:
    names = [c.name for c in fleet_prometheus.fleet.clusters]
    assert [c.name for c in fleet_clusters] == names
    secured = fleet_clusters[0]
    assert secured.auth_type == "basic" and secured.password == fleet_prometheus.clusters[0].password
    assert [c.label_selector for c in fleet_clusters[1:]] == [f'cluster="{n}"' for n in names[1:]]
    # Each registered URL answers for its cluster (through the global querier for the last two).
    for row, endpoint in zip(fleet_clusters, fleet_prometheus.deployment.registry(), strict=True):
        selector = row.label_selector or 'job="kube-state-metrics"'
        assert endpoint.server.query(f"count(up{{{selector}}})")


def test_fleet_server_serves_targets_like_exporters() -> None:
    import requests

    from demo.serve import CONTENT_TYPE, FleetServer

    fleet = build_standin(epoch=0.0, down_node=("sim-0", "node-0-0"))
    with FleetServer(fleet, clock=lambda: 90.0) as server:  # an odd minute: node-0-0 is down
        resp = requests.get(server.url + "/metrics/sim-0/dcgm/node-0-1", timeout=5)
        assert resp.status_code == 200 and resp.headers["Content-Type"] == CONTENT_TYPE
        assert resp.text == fleet.render(fleet.targets("sim-0")[2], 90.0)
        assert requests.get(server.url + "/metrics/sim-0/dcgm/node-0-0", timeout=5).status_code == 503
        assert requests.get(server.url + "/metrics/nope", timeout=5).status_code == 404
        assert server.requests == 2


def test_generated_config_passes_promtool_check(tmp_path: Path) -> None:
    require_prometheus()
    import subprocess

    from demo.fleet import build_fleet
    from demo.harness import PROMTOOL_BINARY
    from demo.promconfig import render_yaml, write_config

    fleet = build_fleet(seed=7, size="test", epoch=0.0)
    names = [c.name for c in fleet.clusters]
    for config in (
        prometheus_config(fleet, [names[0]], server_address="127.0.0.1:9999", scrape_interval=5),
        prometheus_config(fleet, names[1:], server_address="127.0.0.1:9999", add_cluster_label=True),
    ):
        path = write_config(tmp_path / "prometheus.yml", config)
        check = subprocess.run([PROMTOOL_BINARY, "check", "config", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    jobs = {c["relabel_configs"][2]["replacement"] for c in config["scrape_configs"]}
    assert {"dcgm-exporter", "kepler", "kube-state-metrics", "kubelet", "node-exporter"} <= jobs
    assert "__tmp_instance" in render_yaml(config)
