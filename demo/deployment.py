"""A simulated fleet in real Prometheus servers: history by backfill, then live scraping.

`start_fleet_prometheus` gives each simulated cluster its own Prometheus
(one of them behind basic auth) plus, optionally, one "global querier"
Prometheus holding two clusters told apart by a ``cluster`` label — the two
shapes the app's cluster registry supports. Used by the session-scoped pytest
fixture (`tests.prometheus_fixtures`), ``python -m demo run`` and `bench/`.

How each cluster's Prometheus stores the fleet is the fleet's scrape profile
per cluster (`demo.profiles`): ``build_fleet(profiles=...)``, or
``start_fleet_prometheus(fleet, ..., profiles=...)`` which sets them on the
fleet before anything is rendered, e.g.::

    fleet = build_fleet(seed=7, size="test")
    start_fleet_prometheus(fleet, 1.0, profiles="mixed")  # or "annotations", or {"seoul-a": "thanos-replicas"}
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from demo.backfill import BackfillStats, Destination, backfill
from demo.blockcache import cached_backfill
from demo.harness import PrometheusError, PrometheusServer
from demo.promconfig import global_querier_config, prometheus_config, render_yaml
from demo.serve import FleetServer

if TYPE_CHECKING:
    from demo.fleet import Fleet
    from demo.profiles import ProfilesSpec

GLOBAL = "global"
DEFAULT_USERNAME = "kcloud"

# Made-up but plausible site economics for the demo clusters, by cluster index.
# The Korean grid averages roughly 430 gCO2e/kWh; industrial tariffs are about
# 150-190 KRW/kWh. Real values are configured per cluster in the admin.
_SITES = (  # region, gCO2e/kWh, KRW/kWh, design PUE
    ("Seoul", 430.0, "168.50", 1.35),
    ("Busan", 415.0, "162.00", 1.42),
    ("Daejeon", 445.0, "171.30", 1.28),
    ("Gwangju", 425.0, "158.90", 1.50),
    ("Incheon", 438.0, "174.20", 1.31),
)
SITE_PROFILES: tuple[dict[str, Any], ...] = tuple(
    {"region": r, "carbon_intensity_g_per_kwh": c, "electricity_price_per_kwh": p, "design_pue": pue}
    for r, c, p, pue in _SITES
)


@dataclass
class ClusterEndpoint:
    """How the app reaches one simulated cluster: what an admin would register."""

    name: str
    url: str
    username: str | None = None
    password: str | None = None
    label_selector: str = ""  # e.g. 'cluster="seoul-a"' behind the global querier
    scrape_interval_seconds: float = 30.0
    via_global_querier: bool = False
    server: PrometheusServer | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready description (credentials included: this is the demo's own secret)."""
        return {
            "name": self.name,
            "url": self.url,
            "username": self.username,
            "password": self.password,
            "label_selector": self.label_selector,
            "scrape_interval_seconds": self.scrape_interval_seconds,
            "via_global_querier": self.via_global_querier,
        }


@dataclass
class FleetDeployment:
    """Running Prometheus servers (and the live exporter server) for one fleet."""

    fleet: Fleet
    clusters: list[ClusterEndpoint]  # every cluster through its own Prometheus
    global_clusters: list[ClusterEndpoint]  # the two clusters through the global querier
    servers: dict[str, PrometheusServer]  # by cluster name, plus "global"
    live_server: FleetServer | None
    workdir: Path
    history_start: float
    history_end: float  # last backfilled sample; live samples follow it
    backfill_stats: BackfillStats
    startup_seconds: float = 0.0

    def endpoint(self, name: str, *, via_global: bool = False) -> ClusterEndpoint:
        """The endpoint of cluster `name` (its own Prometheus, or via the global querier)."""
        pool = self.global_clusters if via_global else self.clusters
        for entry in pool:
            if entry.name == name:
                return entry
        raise KeyError(f"no {'global-querier ' if via_global else ''}endpoint for cluster {name!r}")

    def registry(self) -> list[ClusterEndpoint]:
        """One endpoint per cluster, as the demo registers them.

        Clusters held by the global querier are registered through it (with
        their label selector), so the demo exercises both shapes.
        """
        via_global = {e.name: e for e in self.global_clusters}
        return [via_global.get(e.name, e) for e in self.clusters]

    def manifest(self) -> dict[str, Any]:
        """What ``python -m demo run`` writes to clusters.json for ``manage.py rundemo``.

        One entry per cluster (see `registry`), with credentials (only the
        basic-auth cluster has any) and made-up site economics, plus the
        fleet's identity so ``python -m demo truth`` can rebuild it.
        """
        entries = []
        scrape_profiles = self.scrape_profiles()
        for index, endpoint in enumerate(self.registry()):
            profile = SITE_PROFILES[index % len(SITE_PROFILES)]
            entry = endpoint.as_dict()
            entry.update(profile, currency="KRW", display_name=f"{endpoint.name} ({profile['region']})")
            entry["scrape_profile"] = scrape_profiles.get(endpoint.name)
            entries.append(entry)
        fleet = self.fleet
        return {
            "fleet": {
                "seed": fleet.seed,
                "size": vars(fleet.size) if hasattr(fleet.size, "__dict__") else str(fleet.size),
                "epoch": fleet.epoch,
                "stopped_at": getattr(fleet, "stopped_at", None),
                "profiles": scrape_profiles,
            },
            "history": {"start": self.history_start, "end": self.history_end},
            "live_server": self.live_server.url if self.live_server else None,
            "global_querier": self.global_querier.url if self.global_querier else None,
            "clusters": entries,
        }

    def scrape_profiles(self) -> dict[str, str]:
        """Cluster name -> the name of the scrape profile its Prometheus stores the fleet with."""
        profiles = getattr(self.fleet, "profiles", None) or {}
        return {name: profile.name for name, profile in profiles.items()}

    @property
    def global_querier(self) -> PrometheusServer | None:
        return self.servers.get(GLOBAL)

    def stop(self) -> None:
        """Stop every Prometheus and the live server; safe to call twice."""
        for server in self.servers.values():
            with contextlib.suppress(Exception):
                server.stop()
        if self.live_server is not None:
            self.live_server.stop()
            self.live_server = None

    def __enter__(self) -> FleetDeployment:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _validate(
    names: list[str], basic_auth_cluster: str | None, global_querier_clusters: tuple[str, str] | None
) -> None:
    if basic_auth_cluster is not None and basic_auth_cluster not in names:
        raise ValueError(f"basic_auth_cluster {basic_auth_cluster!r} is not one of {names}")
    if global_querier_clusters is not None:
        unknown = [n for n in global_querier_clusters if n not in names]
        if unknown or len(set(global_querier_clusters)) != 2:
            raise ValueError(f"global_querier_clusters must be two distinct clusters of {names}")


def _ready(server: PrometheusServer) -> None:
    try:
        server.wait_ready()
    except PrometheusError:
        server.stop(remove=False)
        server.start()  # one retry (new port): a lost port race or a slow disk


def start_fleet_prometheus(
    fleet: Fleet,
    history_hours: float,
    *,
    live: bool = True,
    basic_auth_cluster: str | None = None,
    global_querier_clusters: tuple[str, str] | None = None,
    workdir: str | os.PathLike[str] | None = None,
    scrape_interval: float | None = None,
    username: str = DEFAULT_USERNAME,
    password: str | None = None,
    workers: int | None = None,
    keep: bool = False,
    global_mode: str = "copy",
    cache_dir: str | os.PathLike[str] | None = None,
    history_end: float | None = None,
    coarse_step: float | None = None,
    fine_hours: float = 0.0,
    extra_args: Sequence[str] = (),
    profiles: ProfilesSpec = None,
) -> FleetDeployment:
    """Backfill `history_hours` of the fleet and start its Prometheus servers.

    History ends at the last scrape-aligned instant before the servers start
    (a final quick catch-up backfill shrinks the hand-over gap to about one
    scrape), so with ``live=True`` live scraping continues the same series
    without a gap a range query could see. `scrape_interval` overrides the
    clusters' interval for *live* scraping only (tests use a few seconds);
    history is always at the clusters' own interval. On any failure every
    started process is stopped before the error propagates.

    The global querier holds its own copy of the two clusters' series,
    written with a ``cluster`` label by the backfill and by relabelled live
    scrapes (``global_mode="copy"``, default). ``"remote_read"`` instead reads
    the clusters' own servers (which then carry ``external_labels``) and
    stores nothing, saving the second backfill; but Prometheus 2.42 answers
    the label APIs (``/api/v1/labels``, ``label/<name>/values``) from local
    data only, so metric-name discovery through it sees nothing — unlike
    Thanos Query or Mimir.

    With `cache_dir`, history ends at the last full hour (so that sessions
    within the hour share it, see `demo.blockcache`) and the catch-up
    backfill covers the rest of the hour.

    For long benchmark histories (``bench/power.py``): `history_end` fixes the
    end (instead of now), and `coarse_step` samples everything older than the
    last `fine_hours` at that interval (the rest at the clusters' own). The
    physics hold at any sampling: counters are exact integrals of the same
    curves and gauges are what the exporter printed at that instant, so
    Prometheus stores what a slower scrape would have stored. `extra_args` go
    to every Prometheus (e.g. ``--query.lookback-delta`` wider than the coarse step).

    `profiles` (None: keep the fleet's own, ``node-names`` unless it was built
    with others) sets each cluster's scrape profile on the fleet first: one
    profile name for all, ``"mixed"``, or ``{cluster: profile}`` (see
    `demo.profiles`). Backfill and live scraping then store every series the
    way that profile's Prometheus would; the truth does not change.
    """
    if global_mode not in ("remote_read", "copy"):
        raise ValueError(f"global_mode must be 'remote_read' or 'copy', not {global_mode!r}")
    if profiles is not None:
        fleet.set_profiles(profiles)
    began = time.perf_counter()
    names = [c.name for c in fleet.clusters]
    _validate(names, basic_auth_cluster, global_querier_clusters)
    root = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="kcloud-fleet-"))
    root.mkdir(parents=True, exist_ok=True)
    if basic_auth_cluster is not None and password is None:
        password = secrets.token_urlsafe(18)
    servers: dict[str, PrometheusServer] = {}
    live_server: FleetServer | None = None
    try:
        for name in names:
            auth = (username, password) if name == basic_auth_cluster and password else None
            servers[name] = PrometheusServer(
                name=f"prom-{name}", workdir=root, basic_auth=auth, keep=keep, extra_args=extra_args
            )
        destinations = [Destination(servers[n].data_dir, (n,)) for n in names]
        copy = global_querier_clusters is not None and global_mode == "copy"
        if global_querier_clusters is not None:
            servers[GLOBAL] = PrometheusServer(name="prom-global", workdir=root, keep=keep)
        if copy:
            destinations.append(Destination(servers[GLOBAL].data_dir, tuple(global_querier_clusters), True))
        if live:
            # Bound now (the configs need its address), served after the
            # backfill, whose worker processes are forked.
            live_server = FleetServer(fleet)

        step = max(c.scrape_interval_seconds for c in fleet.clusters)
        end = math.floor(time.time() / (3600 if cache_dir else step)) * (3600 if cache_dir else step)
        if history_end is not None:
            end = math.floor(history_end / step) * step
        start = end - history_hours * 3600
        if getattr(fleet, "epoch", None) is not None:
            start = max(start, fleet.epoch)
        if coarse_step is not None:
            fine_start = max(start, end - fine_hours * 3600)
            # Older history at the coarse interval, up to (not including) the fine part's first sample.
            stats = backfill(
                fleet, destinations, start, fine_start - 1e-3, step=coarse_step, workdir=root, workers=workers
            )
            stats.add(vars(backfill(fleet, destinations, fine_start, end, workdir=root, workers=workers)))
            stats.start = start
        elif cache_dir is not None:
            stats = cached_backfill(fleet, destinations, start, end, cache_dir, workdir=root, workers=workers)
        else:
            stats = backfill(fleet, destinations, start, end, workdir=root, workers=workers)
        # The main backfill took a while (or ended at the hour): fill the
        # remaining steps so history reaches the moment live scraping takes over.
        for _ in range(3):
            now_aligned = math.floor(time.time() / step) * step
            if now_aligned <= end or (not live and cache_dir is None):
                break
            stats.add(vars(backfill(fleet, destinations, end + 1e-3, now_aligned, workdir=root, workers=workers)))
            end = now_aligned

        address = live_server.start().address if live_server else None
        remote = () if copy or global_querier_clusters is None else global_querier_clusters
        for name in names:
            config = prometheus_config(
                fleet,
                [name],
                server_address=address,
                scrape_interval=scrape_interval,
                external_labels={"cluster": name} if name in remote else None,
            )
            servers[name].set_config(render_yaml(config))
        # Launch the clusters' servers together (start-ups overlap), then
        # the global querier: in remote-read mode its config needs their ports.
        for name in names:
            servers[name].launch()
        for name in names:
            _ready(servers[name])
        if copy:
            config = prometheus_config(
                fleet,
                global_querier_clusters,
                server_address=address,
                scrape_interval=scrape_interval,
                add_cluster_label=True,
            )
            servers[GLOBAL].set_config(render_yaml(config))
        elif remote:
            auth = {n: servers[n].basic_auth for n in remote if servers[n].basic_auth}
            servers[GLOBAL].set_config(render_yaml(global_querier_config({n: servers[n].url for n in remote}, auth)))
        if GLOBAL in servers:
            _ready(servers[GLOBAL].launch())
    except BaseException:
        for server in servers.values():
            with contextlib.suppress(Exception):
                server.stop()
        if live_server is not None:
            live_server.stop()
        raise

    by_name = {c.name: c for c in fleet.clusters}

    def entry(name: str, server: PrometheusServer, selector: str = "") -> ClusterEndpoint:
        auth = server.basic_auth
        return ClusterEndpoint(
            name=name,
            url=server.url,
            username=auth[0] if auth else None,
            password=auth[1] if auth else None,
            label_selector=selector,
            # The interval of the stored history, which is what rate windows must respect.
            scrape_interval_seconds=by_name[name].scrape_interval_seconds,
            via_global_querier=bool(selector),
            server=server,
        )

    clusters = [entry(n, servers[n]) for n in names]
    global_clusters = [entry(n, servers[GLOBAL], f'cluster="{n}"') for n in global_querier_clusters or ()]
    return FleetDeployment(
        fleet=fleet,
        clusters=clusters,
        global_clusters=global_clusters,
        servers=servers,
        live_server=live_server,
        workdir=root,
        history_start=start,
        history_end=end,
        backfill_stats=stats,
        startup_seconds=time.perf_counter() - began,
    )
