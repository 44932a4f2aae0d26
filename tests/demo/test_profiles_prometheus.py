"""Scrape profiles in real Prometheus: history and live scrapes store the same label sets.

One small deployment of five clusters, one per profile (``profiles="mixed"``),
with an hour of backfilled history and live scraping; the global querier
holds the ``annotations`` and ``thanos-replicas`` clusters. Everything is
read back through Prometheus' HTTP API, never from our own rendering.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from demo.deployment import FleetDeployment, start_fleet_prometheus
from demo.fleet import Fleet, FleetSize, build_fleet
from demo.harness import PrometheusServer
from demo.profiles import PROFILE_NAMES, REPLICA_LABEL, THANOS_REPLICAS, mixed_profiles
from tests.prometheus_fixtures import require_prometheus

pytestmark = pytest.mark.prometheus

LIVE_INTERVAL = 2.0
SIZE = FleetSize(clusters=5, nodes_per_cluster=3, gpus_per_node=2)
# One series family per exporter that matters to the product (Kepler by generation).
SELECTORS = (
    "DCGM_FI_DEV_POWER_USAGE",
    "kepler_node_package_joules_total",
    "kepler_node_cpu_joules_total",
    "ipmi_dcmi_power_consumption_watts",
    'container_cpu_usage_seconds_total{id="/"}',
    "kube_node_info",
    "up",
)

Keys = set[frozenset]


@pytest.fixture(scope="module")
def profiled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Fleet, FleetDeployment]]:
    require_prometheus()
    epoch = math.floor(time.time() / 3600) * 3600 - 3 * 3600
    fleet = build_fleet(seed=7, size=SIZE, epoch=epoch)
    names = [c.name for c in fleet.clusters]
    deployment = start_fleet_prometheus(
        fleet,
        1.0,
        live=True,
        global_querier_clusters=(names[1], names[2]),
        workdir=tmp_path_factory.mktemp("profiles"),
        scrape_interval=LIVE_INTERVAL,
        profiles="mixed",
    )
    yield fleet, deployment
    deployment.stop()


def _cluster(fleet: Fleet, profile: str) -> str:
    return next(c.name for c in fleet.clusters if fleet.profile(c.name).name == profile)


def _keys(results: list[dict]) -> Keys:
    return {frozenset(r["metric"].items()) for r in results}


def _live(server: PrometheusServer, selector: str, after: float) -> Keys:
    """Label sets of series with samples after `after` (the head block: live scrapes only)."""
    params = {"match[]": selector, "start": f"{after + 0.001:.3f}", "end": f"{time.time():.3f}"}
    return {frozenset(s.items()) for s in server.api("series", params)}


def _with(selector: str, extra: str) -> str:
    """`selector` narrowed by the label matcher `extra` (e.g. ``cluster="x"``)."""
    if not extra:
        return selector
    if selector.endswith("}"):
        return selector[:-1] + "," + extra + "}"
    return selector + "{" + extra + "}"


def _wait_for_live(server: PrometheusServer, deployment: FleetDeployment, expected_up: int, extra: str = "") -> None:
    """Until every target's first live scrape is in (a scrape's samples are committed with its ``up``)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(_live(server, _with("up", extra), deployment.history_end)) >= expected_up:
            return
        time.sleep(0.5)
    pytest.fail(f"fewer than {expected_up} live up series after 60 s")


def _scrape_count(fleet: Fleet, cluster: str) -> int:
    return sum(len(fleet.scrapes(t)) for t in fleet.targets(cluster))


def test_the_deployment_mixes_one_profile_per_cluster(profiled) -> None:
    fleet, deployment = profiled
    names = [c.name for c in fleet.clusters]
    assert deployment.scrape_profiles() == mixed_profiles(names)
    assert sorted(deployment.scrape_profiles().values()) == sorted(PROFILE_NAMES)
    manifest = deployment.manifest()
    assert manifest["fleet"]["profiles"] == mixed_profiles(names)
    assert [e["scrape_profile"] for e in manifest["clusters"]] == list(PROFILE_NAMES)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_history_and_live_store_identical_label_sets(profiled, profile: str) -> None:
    fleet, deployment = profiled
    cluster = _cluster(fleet, profile)
    server = deployment.endpoint(cluster).server
    _wait_for_live(server, deployment, _scrape_count(fleet, cluster))
    at = deployment.history_end - 1800  # well inside the backfilled hour
    found = set()
    for selector in SELECTORS:
        history = _keys(server.query(selector, at=at))
        live = _live(server, selector, deployment.history_end)
        assert history == live, (profile, selector, sorted(map(sorted, history ^ live))[:2])
        if history:
            found.add(selector.split("{")[0])
    assert {"DCGM_FI_DEV_POWER_USAGE", "container_cpu_usage_seconds_total", "kube_node_info", "up"} <= found
    assert found & {"kepler_node_package_joules_total", "kepler_node_cpu_joules_total"}
    assert "ipmi_dcmi_power_consumption_watts" in found
    if profile == "standalone-dcgm":
        hosts = {dict(k).get("Hostname", dict(k).get("hostname")) for k in _live(server, SELECTORS[0], at)}
        assert hosts == {"nvidia-dcgm"}


def test_thanos_replicas_store_two_series_per_physical_series(profiled) -> None:
    fleet, deployment = profiled
    cluster = _cluster(fleet, "thanos-replicas")
    server = deployment.endpoint(cluster).server
    targets = len(fleet.targets(cluster))
    _wait_for_live(server, deployment, 2 * targets)
    at = deployment.history_end - 1800
    rows = {
        (r["metric"]["UUID"], r["metric"].get("GPU_I_ID")): r["value"][1]
        for r in server.query("count by (UUID, GPU_I_ID) (DCGM_FI_DEV_POWER_USAGE)", at=at)
    }
    gpus = [g for n in fleet.cluster(cluster).nodes for g in n.gpus]
    assert len(rows) == sum(max(1, len(g.mig)) for g in gpus) and set(rows.values()) == {"2"}
    # Both replicas hold the same values: a naive sum doubles.
    spread = server.query(
        "max by (UUID, GPU_I_ID) (DCGM_FI_DEV_POWER_USAGE) - min by (UUID, GPU_I_ID) (DCGM_FI_DEV_POWER_USAGE)", at=at
    )
    assert {r["value"][1] for r in spread} == {"0"}
    by_replica = {
        r["metric"][REPLICA_LABEL]: r["value"][1] for r in server.query("count by (prometheus_replica) (up)", at=at)
    }
    assert by_replica == dict.fromkeys(THANOS_REPLICAS, str(targets))
    # Live scrapes likewise: every physical row twice, once per replica.
    live = Counter(
        (dict(k)["UUID"], dict(k).get("GPU_I_ID"), dict(k)[REPLICA_LABEL])
        for k in _live(server, "DCGM_FI_DEV_POWER_USAGE", deployment.history_end)
    )
    assert len(live) == 2 * len(rows) and set(live.values()) == {1}


@pytest.mark.parametrize("profile", ["annotations", "thanos-replicas"])
def test_global_querier_tells_clusters_apart_for_every_shape(profiled, profile: str) -> None:
    fleet, deployment = profiled
    cluster = _cluster(fleet, profile)
    querier, own = deployment.global_querier, deployment.endpoint(cluster).server
    assert deployment.endpoint(cluster, via_global=True).label_selector == f'cluster="{cluster}"'
    selector = f'cluster="{cluster}"'
    _wait_for_live(querier, deployment, _scrape_count(fleet, cluster), selector)
    at = deployment.history_end - 1800
    for name in ("DCGM_FI_DEV_POWER_USAGE", 'container_cpu_usage_seconds_total{id="/"}', "kube_node_info", "up"):
        through = _keys(querier.query(_with(name, selector), at=at))
        assert through == _live(querier, _with(name, selector), deployment.history_end)
        assert {k - {("cluster", cluster)} for k in through} == _keys(own.query(name, at=at))
