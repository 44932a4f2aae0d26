"""Backfill: what a scrape would store, as OpenMetrics promtool accepts, and the real fleet in Prometheus."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

import pytest

from demo.backfill import (
    BLOCK_SECONDS,
    aligned_times,
    openmetrics_text,
    parse_labels,
    plan_chunks,
    stored_labels,
)
from tests.demo._standin_fleet import SimCluster, Target, build_standin

TARGET = [("instance", "n1:9102"), ("job", "kepler")]


# -- label arithmetic -------------------------------------------------------------------


def test_parse_labels_keeps_escapes_and_odd_characters() -> None:
    body = r'name="Fan 1 / PSU",v="a\"b}c,d",empty="",last="x",'
    assert parse_labels(body) == [("name", "Fan 1 / PSU"), ("v", r"a\"b}c,d"), ("empty", ""), ("last", "x")]


def test_target_labels_win_and_exposed_ones_are_exported() -> None:
    exposed = [("instance", "node-a"), ("mode", "dynamic"), ("pod", "")]
    assert stored_labels("kepler_node_core_joules_total", exposed, TARGET, honor_labels=False) == [
        ("exported_instance", "node-a"),
        ("instance", "n1:9102"),
        ("job", "kepler"),
        ("mode", "dynamic"),
    ]


def test_exported_prefix_repeats_while_the_name_is_taken() -> None:
    exposed = [("job", "a"), ("exported_job", "b")]
    labels = dict(stored_labels("x", exposed, TARGET, honor_labels=False))
    assert labels == {"job": "kepler", "exported_job": "b", "exported_exported_job": "a", "instance": "n1:9102"}


def test_honor_labels_keeps_exposed_values_and_empty_ones_block_target_labels() -> None:
    exposed = [("instance", "node-a"), ("job", "")]
    # An exposed empty job still wins with honor_labels, and then is dropped.
    assert stored_labels("x", exposed, TARGET, honor_labels=True) == [("instance", "node-a")]


# -- time planning -----------------------------------------------------------------------


def test_aligned_times_are_multiples_of_the_step_within_bounds() -> None:
    assert aligned_times(95, 200, 30) == [120, 150, 180]
    assert aligned_times(90, 180, 30) == [90, 120, 150, 180]
    assert aligned_times(100, 110, 30) == []


def test_chunks_cover_all_times_in_order_and_bound_samples() -> None:
    times = aligned_times(0, 3 * BLOCK_SECONDS, 30)
    chunks = plan_chunks(times, per_step=1000, max_samples=200_000)
    assert [t for c in chunks for t in c] == times
    assert all(len(c) * 1000 <= 200_000 for c in chunks)
    # Big chunks never straddle a block window (one promtool pass each).
    assert all(int(c[0] // BLOCK_SECONDS) == int(c[-1] // BLOCK_SECONDS) for c in chunks)
    # A small fleet gets few files.
    assert len(plan_chunks(times, per_step=10, max_samples=3_000_000)) == 1


# -- the OpenMetrics text ------------------------------------------------------------------


@dataclass
class QuirkyFleet:
    """Exposition details a hand parser gets wrong: no labels, timestamps, duplicates, braces."""

    clusters: list
    epoch: float = 0.0

    def targets(self, cluster: str | None = None) -> list[Target]:
        return [Target("q", "node-exporter", "n1:9100", "node_exporter", "n1", "/metrics/q/node_exporter/n1")]

    def honor_labels(self, target: Target) -> bool:
        return False

    def render(self, target: Target, t: float) -> str | None:
        return (
            "# HELP node_load1 1m load average.\n"
            "# TYPE node_load1 gauge\n"
            f"node_load1 {t / 1000:g}\n"
            'weird{path="/a}b",note="x \\"y\\""} 1.5e+09 1700000000000\n'
            'weird{path="/a}b",note="x \\"y\\""} 7\n'
            'empty_only{pod=""} NaN\n'
        )


def test_openmetrics_text_is_what_promtool_wants() -> None:
    fleet = build_standin(epoch=0.0, down_node=("sim-0", "node-0-0"))
    times = [0.0, 30.0, 60.0, 90.0]  # node-0-0 is down during the minute [60, 120)
    text = openmetrics_text(fleet, "sim-0", times)
    lines = text.splitlines()
    assert lines[-1] == "# EOF" and text.endswith("# EOF\n")
    families = [line.split()[2] for line in lines if line.startswith("# TYPE")]
    assert len(families) == len(set(families))
    expected = {"up", "DCGM_FI_DEV_POWER_USAGE", "kepler_node_package_joules_total", "RBLN_DEVICE_STATUS:CARD_POWER"}
    assert expected <= set(families)
    assert all(line.endswith(" gauge") for line in lines if line.startswith("# TYPE"))
    # Every series contiguous and in time order, every sample with a timestamp in seconds.
    seen: dict[str, list[float]] = {}
    previous = None
    for line in lines:
        if line.startswith("#"):
            continue
        key, _value, ts = line.rsplit(" ", 2)
        assert key == previous or key not in seen, f"series {key} not contiguous"
        seen.setdefault(key, []).append(float(ts))
        previous = key
    assert all(stamps == sorted(stamps) and len(stamps) == len(set(stamps)) for stamps in seen.values())
    assert seen['up{instance="node-0-0:9400",job="dcgm-exporter"}'] == times
    assert 'up{instance="node-0-0:9400",job="dcgm-exporter"} 0 60' in lines
    assert 'up{instance="node-0-0:9400",job="dcgm-exporter"} 1 30' in lines
    power = [k for k in seen if k.startswith("DCGM_FI_DEV_POWER_USAGE") and "node-0-0" in k]
    assert power and all(seen[k] == [0.0, 30.0] for k in power)  # no samples while down
    assert all('pod=""' not in k for k in seen)
    assert any('exported_instance="node-0-1"' in k and 'instance="node-0-1:9102"' in k for k in seen)


def test_quirky_exposition_lines() -> None:
    fleet = QuirkyFleet(clusters=[SimCluster("q")])
    text = openmetrics_text(fleet, "q", [3000.0, 3030.0])
    assert 'node_load1{instance="n1:9100",job="node-exporter"} 3 3000\n' in text
    weird = [line for line in text.splitlines() if line.startswith("weird")]
    # The duplicate series of one scrape keeps its first sample; our step time wins over the exporter's.
    assert weird == [
        r'weird{instance="n1:9100",job="node-exporter",note="x \"y\"",path="/a}b"} 1.5e+09 3000',
        r'weird{instance="n1:9100",job="node-exporter",note="x \"y\"",path="/a}b"} 1.5e+09 3030',
    ]
    assert 'empty_only{instance="n1:9100",job="node-exporter"} NaN 3000' in text


def test_cluster_label_for_the_global_querier_copy() -> None:
    text = openmetrics_text(build_standin(), "sim-2", [0.0], cluster_label=True)
    samples = [line for line in text.splitlines() if not line.startswith("#")]
    assert samples and all('cluster="sim-2"' in line for line in samples)


@pytest.mark.prometheus
def test_promtool_stores_exporter_names_byte_for_byte(prometheus_server) -> None:
    now = math.floor(time.time() / 30) * 30
    fleet = build_standin(epoch=now - 7200)
    server = prometheus_server(openmetrics=openmetrics_text(fleet, "sim-0", aligned_times(now - 600, now, 30)))
    names = set(server.api("label/__name__/values"))
    assert {"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "kepler_node_package_joules_total"} <= names
    assert "RBLN_DEVICE_STATUS:CARD_POWER" in names
    energy = server.query('DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{UUID="GPU-node-0-0-0"}', at=now - 300)
    assert float(energy[0]["value"][1]) == (now - 300 - fleet.epoch) * 200_000


# -- the real fleet in the session fixture ----------------------------------------------------


@pytest.mark.prometheus
def test_real_fleet_history_equals_rendered_values(fleet_prometheus) -> None:
    fleet = fleet_prometheus.fleet
    deployment = fleet_prometheus.deployment
    cluster = fleet.clusters[1].name
    server = deployment.endpoint(cluster).server
    target = next(t for t in fleet.targets(cluster) if t.exporter == "dcgm")
    t = deployment.history_end - 3 * 3600
    rendered = fleet.render(target, t)
    assert rendered is not None
    # The target as this cluster's scrape profile stores it (its address may be an IP, its job another name).
    scrape = dict(fleet.scrapes(target)[0].labels)
    stored = server.query(f'DCGM_FI_DEV_POWER_USAGE{{instance="{scrape["instance"]}"}}', at=t)
    assert stored
    for series in stored:
        gpu = series["metric"]["gpu"]
        line = next(
            ln for ln in rendered.splitlines() if ln.startswith("DCGM_FI_DEV_POWER_USAGE{") and f'gpu="{gpu}"' in ln
        )
        assert float(series["value"][1]) == float(line.split("} ", 1)[1].split()[0])
        assert series["metric"]["job"] == scrape["job"]


@pytest.mark.prometheus
def test_real_fleet_stores_exporter_names_exactly(fleet_prometheus) -> None:
    names: set[str] = set()
    for endpoint in fleet_prometheus.deployment.clusters:
        names |= set(endpoint.server.api("label/__name__/values"))
    for expected in ("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "kepler_node_cpu_joules_total", "up"):
        assert expected in names
    assert "RBLN_DEVICE_STATUS:CARD_POWER" in names or "rbln_npu_power" in names
    assert not [n for n in names if re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", n) is None]


@pytest.mark.prometheus
def test_real_fleet_gpu_energy_matches_truth(fleet_prometheus) -> None:
    truth = fleet_prometheus.truth
    assert truth is not None, "demo.truth must provide the ground truth"
    fleet = fleet_prometheus.fleet
    deployment = fleet_prometheus.deployment
    t = deployment.history_end - 2 * 3600
    uuid = next(u for u, g in fleet.gpus.items() if g.cluster == fleet.clusters[0].name and u != fleet.reset_gpu)
    endpoint = deployment.endpoint(fleet.clusters[0].name)
    result = endpoint.server.query(f'increase(DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{{UUID="{uuid}"}}[1h])', at=t)
    # de-duplicate MIG rows: every row of one UUID carries the same counter
    measured_j = float(result[0]["value"][1]) / 1000.0
    assert measured_j == pytest.approx(truth.energy_joules("gpu", uuid, t - 3600, t), rel=0.005)


def _label_sets(openmetrics: str) -> set[frozenset]:
    """Stored label sets (values unescaped, as the HTTP API returns them) of an OpenMetrics text."""
    sets = set()
    for line in openmetrics.splitlines():
        if line.startswith("#"):
            continue
        key = line.rsplit(" ", 2)[0]
        name, _, body = key.partition("{")
        labels = {k: re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], v) for k, v in parse_labels(body[:-1])}
        sets.add(frozenset({**labels, "__name__": name}.items()))
    return sets


@pytest.mark.prometheus
def test_real_fleet_backfill_and_live_store_the_same_label_sets(fleet_prometheus) -> None:
    fleet = fleet_prometheus.fleet
    deployment = fleet_prometheus.deployment
    end = deployment.history_end
    meta = {"scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling"}
    meta.add("scrape_series_added")
    for endpoint in deployment.clusters:
        server, targets = endpoint.server, fleet.targets(endpoint.name)
        live: set[frozenset] = set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            params = {"match[]": '{__name__=~".+"}', "start": f"{end + 0.001:.3f}", "end": f"{time.time():.3f}"}
            live = {frozenset(s.items()) for s in server.api("series", params) if s["__name__"] not in meta}
            if sum(dict(k)["__name__"] == "up" for k in live) == len(targets):
                break
            time.sleep(1)
        # What a scrape at the end of history and one now would store, by our own rules.
        at_end = _label_sets(openmetrics_text(fleet, endpoint.name, [end]))
        now = _label_sets(openmetrics_text(fleet, endpoint.name, [math.floor(time.time())]))
        stored_at_end = {frozenset(r["metric"].items()) for r in server.query('{__name__=~".+"}', at=end)}
        assert stored_at_end - {k for k in stored_at_end if dict(k)["__name__"] in meta} == at_end
        # Every live series is one the backfill writes, and every backfilled
        # series the fleet still exposes is scraped live under the same labels.
        assert live <= at_end | now, sorted(map(sorted, live - at_end - now))[:3]
        assert (at_end & now) <= live, sorted(map(sorted, (at_end & now) - live))[:3]


@pytest.mark.prometheus
def test_block_cache_reuses_identical_history_only(tmp_path) -> None:
    from pathlib import Path

    from demo.backfill import Destination
    from demo.blockcache import cached_backfill
    from tests.prometheus_fixtures import require_prometheus

    require_prometheus()

    def run(fleet, name: str):
        data = Path(tmp_path / name)
        data.mkdir()
        stats = cached_backfill(fleet, [Destination(data, ("sim-0",))], 3600, 5400, tmp_path / "cache", workers=1)
        blocks = sorted((p.name, sum(f.stat().st_size for f in p.rglob("*") if f.is_file())) for p in data.iterdir())
        return stats, blocks

    first, blocks = run(build_standin(epoch=0.0), "a")
    again, same_blocks = run(build_standin(epoch=0.0), "b")
    other, _ = run(build_standin(epoch=60.0), "c")
    assert not first.cached and first.samples > 0
    assert again.cached and same_blocks == blocks and blocks
    assert not other.cached
