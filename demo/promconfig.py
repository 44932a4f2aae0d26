"""prometheus.yml for the simulated clusters.

Every simulated exporter endpoint is served by `demo.serve.FleetServer` at
``127.0.0.1:PORT/metrics/<cluster>/<exporter>/<node>``. A real deployment would
discover ``<node>:9400`` (dcgm-exporter), ``<node>:9102`` (Kepler), ... through
Kubernetes service discovery; here each target is a static config whose hidden
labels carry the real-looking instance and the served path, and
``relabel_configs`` move them into ``instance`` and ``__metrics_path__`` — the
same way Kubernetes SD annotations are relabelled. The other target labels of
the cluster's scrape profile (``namespace``, ``pod``, ``node``,
``prometheus_replica``, ...) are plain static-config labels, and each
`demo.profiles.Scrape` is a scrape config with its own ``honor_labels``. That
keeps the stored label sets identical to what `demo.backfill` writes (and for
the global querier a ``cluster`` label).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from demo.profiles import Scrape, scrapes_of

if TYPE_CHECKING:
    from demo.fleet import Fleet, Target

# Hidden (``__``-prefixed) labels are dropped by Prometheus after relabelling,
# so they never reach the stored series.
TMP_INSTANCE = "__tmp_instance"
TMP_PATH = "__tmp_metrics_path"


def duration(seconds: float) -> str:
    """Prometheus duration syntax: ``30s``, ``1500ms``, ``5m``."""
    ms = round(seconds * 1000)
    if ms <= 0:
        raise ValueError(f"duration must be positive, got {seconds!r}")
    if ms % 60_000 == 0:
        return f"{ms // 60_000}m"
    if ms % 1000 == 0:
        return f"{ms // 1000}s"
    return f"{ms}ms"


def _static_config(server_address: str, target: Target, scrape: Scrape) -> dict[str, Any]:
    labels = {TMP_INSTANCE: scrape.instance, TMP_PATH: target.path}
    # job is set by relabelling (below), instance from the hidden label; the rest as they are.
    labels.update((k, v) for k, v in scrape.labels if k not in ("instance", "job"))
    return {"targets": [server_address], "labels": labels}


def _scrape_config(
    job_name: str,
    job: str,
    targets: list[tuple[Target, Scrape]],
    *,
    server_address: str,
    interval: float,
    honor_labels: bool,
    cluster_label: str | None,
) -> dict[str, Any]:
    relabel: list[dict[str, Any]] = [
        {"source_labels": [TMP_PATH], "target_label": "__metrics_path__"},
        {"source_labels": [TMP_INSTANCE], "target_label": "instance"},
        # job_name must be unique per config, the stored job label need not be.
        {"target_label": "job", "replacement": job},
    ]
    if cluster_label is not None:
        # What a global querier (Thanos/Mimir/VictoriaMetrics) sees: an
        # external-style cluster label on every series of that cluster.
        relabel.append({"target_label": "cluster", "replacement": cluster_label})
    return {
        "job_name": job_name,
        "scrape_interval": duration(interval),
        # A scrape may not outlast its interval (Prometheus rejects the config).
        "scrape_timeout": duration(min(interval, 10.0)),
        "honor_labels": honor_labels,
        "static_configs": [
            _static_config(server_address, t, s) for t, s in sorted(targets, key=lambda e: (e[1].instance, e[0].path))
        ],
        "relabel_configs": relabel,
    }


def scrape_configs(
    fleet: Fleet,
    clusters: Iterable[str],
    *,
    server_address: str,
    scrape_interval: float | None = None,
    add_cluster_label: bool = False,
) -> list[dict[str, Any]]:
    """One scrape config per (cluster, job, honor_labels, replica) of the given clusters.

    `server_address` is ``host:port`` of the `FleetServer`; `scrape_interval`
    overrides the clusters' own interval (tests use a few seconds so that a
    fresh sample appears quickly). A target stored by two HA replicas
    (``thanos-replicas``) is in two configs that differ only by their
    ``prometheus_replica`` label, as two Prometheus servers would scrape it.
    """
    by_name = {c.name: c for c in fleet.clusters}
    groups: dict[tuple[str, str, bool, str], list[tuple[Target, Scrape]]] = defaultdict(list)
    order: list[str] = []
    for cluster in clusters:
        order.append(cluster)
        for target in fleet.targets(cluster):
            for scrape in scrapes_of(fleet, target):
                groups[(cluster, scrape.job, scrape.honor_labels, scrape.config)].append((target, scrape))
    jobs_seen: dict[str, int] = defaultdict(int)
    for _cluster, job, _honor, _config in groups:
        jobs_seen[job] += 1
    configs = []
    for (cluster, job, honor, replica), targets in sorted(
        groups.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1:])
    ):
        # job_name must be unique per file; the stored job label need not be.
        job_name = job
        if jobs_seen[job] > 1:
            job_name = f"{job}@{cluster}" + ("/honor" if honor else "") + (f"/{replica}" if replica else "")
        interval = scrape_interval or by_name[cluster].scrape_interval_seconds
        configs.append(
            _scrape_config(
                job_name,
                job,
                targets,
                server_address=server_address,
                interval=interval,
                honor_labels=honor,
                cluster_label=cluster if add_cluster_label else None,
            )
        )
    return configs


def prometheus_config(
    fleet: Fleet,
    clusters: Iterable[str],
    *,
    server_address: str | None,
    scrape_interval: float | None = None,
    add_cluster_label: bool = False,
    external_labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A complete prometheus.yml (as a dict) for one Prometheus holding `clusters`.

    ``server_address=None`` gives a history-only server without scrape jobs.
    `external_labels` are what this server adds to series it serves over
    remote read (how the global querier tells clusters apart), never to its
    own query API answers.
    """
    clusters = list(clusters)
    intervals = [c.scrape_interval_seconds for c in fleet.clusters if c.name in clusters]
    default = scrape_interval or (min(intervals) if intervals else 30.0)
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": duration(default),
            "scrape_timeout": duration(min(default, 10.0)),
            "evaluation_interval": duration(default),
        },
        "scrape_configs": [],
    }
    if external_labels:
        config["global"]["external_labels"] = dict(external_labels)
    if server_address is not None:
        config["scrape_configs"] = scrape_configs(
            fleet,
            clusters,
            server_address=server_address,
            scrape_interval=scrape_interval,
            add_cluster_label=add_cluster_label,
        )
    return config


def global_querier_config(upstreams: dict[str, str], auth: dict[str, tuple[str, str]] | None = None) -> dict[str, Any]:
    """A Prometheus that stores nothing and reads every cluster's Prometheus over remote read.

    `upstreams` maps cluster name → base URL of a Prometheus whose
    ``external_labels`` carry ``cluster=<name>``: its remote-read answers add
    that label, so one PromQL query here sees both clusters told apart by it,
    as behind Thanos Query. ``read_recent`` makes recent (live) data come
    from the upstreams too, since this server has no local data at all.
    """
    auth = auth or {}
    remote_read = []
    for name, url in upstreams.items():
        entry: dict[str, Any] = {"url": f"{url}/api/v1/read", "name": name, "read_recent": True}
        if name in auth:
            entry["basic_auth"] = {"username": auth[name][0], "password": auth[name][1]}
        remote_read.append(entry)
    return {"global": {"scrape_interval": "30s"}, "scrape_configs": [], "remote_read": remote_read}


def render_yaml(config: dict[str, Any]) -> str:
    """prometheus.yml text; YAML when PyYAML is importable, else JSON (valid YAML too)."""
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML comes with drf-spectacular
        import json

        return json.dumps(config, indent=2) + "\n"
    return "# Generated by demo.promconfig - do not edit.\n" + yaml.safe_dump(config, sort_keys=False)


def write_config(path: str | Path, config: dict[str, Any]) -> Path:
    """Write `config` as prometheus.yml at `path` and return the path."""
    path = Path(path)
    path.write_text(render_yaml(config))
    return path
