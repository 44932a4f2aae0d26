"""pytest fixtures that start real Prometheus servers (Debian package ``prometheus``).

Registered from ``tests/conftest.py`` with ``pytest_plugins``. Tests using
them should carry ``@pytest.mark.prometheus``. Without the binary they are
skipped locally with the reason, and fail in CI (``CI=true``), where the
binary must be present.

* ``fleet_prometheus`` (session): the "test" fleet (seed 7) with 25 h of
  backfilled history and live scraping, one Prometheus per cluster (the first
  behind basic auth) plus a global querier holding the last two clusters.
* :func:`registrations`: the ``register_cluster`` arguments for a deployment (used by
  subprocesses: the live-page daphne, the production-shaped stack);
* :func:`register_clusters`: `Cluster` rows registered for a deployment
  (credentials, label selectors), like an operator registers them (the
  ``fleet_clusters`` fixture of ``tests/conftest.py`` uses it).
* ``prometheus_server`` (function): a factory for single, throw-away servers.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from demo.harness import PrometheusServer, binaries_available, stop_all
from tests.services import require

# Tests want a fresh live sample quickly; history stays at the clusters' 30 s.
LIVE_SCRAPE_INTERVAL_SECONDS = 5.0
# 25 h covers "today" and a 24 h window; a developer can shrink it locally
# (backfill time is proportional) with KCLOUD_TEST_HISTORY_HOURS.
HISTORY_HOURS = float(os.environ.get("KCLOUD_TEST_HISTORY_HOURS", "25"))
SEED = 7
# kube-prometheus-stack, annotations and thanos-replicas for the three clusters (the last two behind
# the global querier); every profile on every cluster is tested in tests/profiles/.
PROFILES = "mixed"
REPO = Path(__file__).resolve().parents[1]


def backfill_cache_dir() -> Path | None:
    """Where backfilled blocks are cached between sessions (``KCLOUD_BACKFILL_CACHE=off`` disables)."""
    configured = os.environ.get("KCLOUD_BACKFILL_CACHE", str(REPO / "var" / "cache" / "backfill"))
    return None if configured.lower() in ("", "0", "off", "no") else Path(configured)


def require_prometheus() -> None:
    """Skip (locally) or fail (CI) when the Prometheus binaries are missing."""
    require(binaries_available(), "prometheus binary not installed (apt-get install prometheus)")


@dataclass
class FleetPrometheus:
    """What ``fleet_prometheus`` yields."""

    deployment: Any  # demo.deployment.FleetDeployment
    fleet: Any  # demo.fleet.Fleet
    truth: Any  # demo.truth.Truth(fleet): what the API must report
    started_at: float  # unix time the fixture began (history ends just after)

    @property
    def clusters(self) -> list[Any]:
        """Every cluster through its own Prometheus (`ClusterEndpoint`)."""
        return self.deployment.clusters

    def endpoint(self, name: str, *, via_global: bool = False) -> Any:
        return self.deployment.endpoint(name, via_global=via_global)


@contextlib.contextmanager
def running_fleet(profiles: str, workdir: Path, history_hours: float = HISTORY_HOURS) -> Iterator[FleetPrometheus]:
    """The test fleet in real Prometheus servers while the block runs.

    The fleet's epoch is now - 26 h floored to the hour, history covers
    ``history_hours`` up to the last full hour at 30 s (cached on disk between
    sessions, see `backfill_cache_dir`) and then up to now, and its stopped node
    stopped 20 minutes before that full hour (20-80 minutes ago). The first
    cluster is behind basic auth, the last two also behind a global querier.
    """
    require_prometheus()
    from demo.deployment import start_fleet_prometheus
    from demo.fleet import build_fleet
    from demo.truth import Truth

    now = time.time()
    hour = math.floor(now / 3600) * 3600
    fleet = build_fleet(seed=SEED, size="test", epoch=hour - 26 * 3600, stop_at=hour - 20 * 60, profiles=profiles)
    names = [c.name for c in fleet.clusters]
    deployment = start_fleet_prometheus(
        fleet,
        history_hours,
        live=True,
        basic_auth_cluster=names[0],
        global_querier_clusters=(names[-2], names[-1]) if len(names) >= 3 else None,
        workdir=workdir,
        scrape_interval=LIVE_SCRAPE_INTERVAL_SECONDS,
        cache_dir=backfill_cache_dir(),
    )
    try:
        yield FleetPrometheus(deployment=deployment, fleet=fleet, truth=Truth(fleet), started_at=now)
    finally:
        deployment.stop()


@pytest.fixture(scope="session")
def fleet_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FleetPrometheus]:
    """The demo fleet in real Prometheus servers, for the whole test session (see :func:`running_fleet`)."""
    # Each cluster stored the way a different real setup stores it (demo/profiles.py): the truth
    # does not depend on the scrape setup, so neither may any answer.
    with running_fleet(PROFILES, tmp_path_factory.mktemp("fleet-prometheus")) as fp:
        yield fp


def registrations(deployment: Any, secret_prefix: str) -> tuple[list[list[str]], dict[str, str]]:
    """``register_cluster`` arguments for each cluster of a deployment, and the environment they need.

    Passwords travel in environment variables named ``<secret_prefix><index>`` (what
    ``--password-env`` reads), never on a command line; the global querier's clusters
    get their label selectors.
    """
    argvs, env = [], {}
    for index, endpoint in enumerate(deployment.registry()):
        argv = [endpoint.name, "--url", endpoint.url, "--timeout", "10"]
        if endpoint.label_selector:
            argv += ["--selector", endpoint.label_selector]
        if endpoint.password:
            env[f"{secret_prefix}{index}"] = endpoint.password
            argv += ["--username", endpoint.username, "--password-env", f"{secret_prefix}{index}"]
        argvs.append(argv)
    return argvs, env


def register_clusters(deployment: Any) -> list[Any]:
    """A deployment's clusters registered as an operator would (``register_cluster``; needs ``db``).

    Credentials are encrypted as in production. Returns the Cluster rows.
    """
    from io import StringIO

    from django.core.management import call_command

    from clusters.models import Cluster

    argvs, env = registrations(deployment, "KCLOUD_TEST_SECRET_")
    os.environ.update(env)
    for argv in argvs:
        call_command("register_cluster", *argv, stdout=StringIO())
    return [Cluster.objects.get(name=endpoint.name) for endpoint in deployment.registry()]


@pytest.fixture
def prometheus_server(tmp_path: Path) -> Iterator[Callable[..., PrometheusServer]]:
    """Factory: ``prometheus_server(config=None, *, basic_auth=None, openmetrics=None)``.

    Starts one Prometheus (empty, or loaded from an OpenMetrics text/file via
    promtool before start) and returns it ready; all are stopped at teardown.
    """
    require_prometheus()
    started: list[PrometheusServer] = []

    def start(
        config: str | dict[str, Any] | None = None,
        *,
        basic_auth: tuple[str, str] | None = None,
        openmetrics: str | Path | None = None,
        **kwargs: Any,
    ) -> PrometheusServer:
        from demo.backfill import create_blocks

        server = PrometheusServer(config, workdir=tmp_path, basic_auth=basic_auth, **kwargs)
        started.append(server)
        if openmetrics is not None:
            path = Path(openmetrics) if isinstance(openmetrics, Path) else server.dir / "load.om"
            if not isinstance(openmetrics, Path):
                path.write_text(openmetrics)
            create_blocks(path, server.data_dir)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session", autouse=True)
def _no_prometheus_left_behind() -> Iterator[None]:
    """Whatever a failing test left running is stopped when the session ends."""
    yield
    stop_all()
