"""``python -m demo``: run the simulated fleet in real Prometheus servers, or dump its ground truth.

    python -m demo run --size test --seed 7 --history-hours 6 --workdir var/demo [--profiles mixed]
    python -m demo truth --at 2026-11-26T08:00:00Z --out truth.json [--workdir var/demo]

``run`` backfills history, starts live scraping, writes ``<workdir>/clusters.json``
(read by ``manage.py rundemo``) and blocks until Ctrl-C or SIGTERM, then stops
every process it started. ``--profiles`` says how each cluster's Prometheus
stores the fleet (`demo.profiles`): ``mixed`` (default: several setups side
by side), one profile name for all, or ``cluster=profile,...``. ``truth``
rebuilds the same fleet from that manifest (or from ``--seed/--size/--epoch``)
and writes the values the API must report at ``--at`` (the same whatever the
profiles).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _write_atomically(path: Path, payload: dict[str, Any]) -> None:
    """Readers polling for the file never see half of it."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n")
    os.chmod(tmp, 0o600)  # it holds the basic-auth cluster's password
    tmp.replace(path)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from demo.deployment import start_fleet_prometheus
    from demo.fleet import build_fleet
    from demo.harness import binaries_available
    from demo.profiles import parse_profiles

    try:
        profiles = parse_profiles(args.profiles)
    except ValueError as exc:
        print(f"--profiles: {exc}", file=sys.stderr)
        return 2
    if not binaries_available():
        print("prometheus/promtool not installed: apt-get install prometheus", file=sys.stderr)
        return 2
    workdir = Path(args.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    manifest = workdir / "clusters.json"
    manifest.unlink(missing_ok=True)
    # SIGTERM (rundemo, systemd) behaves like Ctrl-C, in the backfill too: the
    # KeyboardInterrupt unwinds through start_fleet_prometheus' cleanup.
    signal.signal(signal.SIGTERM, _interrupt)

    began = time.monotonic()
    try:
        fleet = build_fleet(seed=args.seed, size=args.size, profiles=profiles)
    except ValueError as exc:  # a cluster=profile pair naming no cluster of this size
        print(f"--profiles: {exc}", file=sys.stderr)
        return 2
    names = [c.name for c in fleet.clusters]
    print(f"fleet {args.size} (seed {args.seed}): {len(names)} clusters, {len(fleet.targets())} targets", flush=True)
    print("scrape profiles (how each cluster's Prometheus stores the fleet):", flush=True)
    for name in names:
        profile = fleet.profile(name)
        print(f"  {name:<12} {profile.name:<22} {profile.summary}", flush=True)
    deployment = start_fleet_prometheus(
        fleet,
        args.history_hours,
        live=True,
        basic_auth_cluster=names[0],
        global_querier_clusters=(names[-2], names[-1]) if len(names) >= 3 else None,
        workdir=workdir / "prometheus",
        scrape_interval=args.scrape_interval,
        password=os.environ.get("KCLOUD_DEMO_PROMETHEUS_PASSWORD"),
        cache_dir=args.cache_dir or None,
    )
    try:
        _write_atomically(manifest, deployment.manifest())
        stats = deployment.backfill_stats
        print(
            f"backfilled {stats.samples:,} samples in {stats.wall_seconds:.1f} s"
            f"{' (history from the cache)' if stats.cached else ''}; "
            f"ready in {time.monotonic() - began:.1f} s",
            flush=True,
        )
        for endpoint in deployment.registry():
            extra = f" {endpoint.label_selector}" if endpoint.label_selector else ""
            auth = f" (basic auth: {endpoint.username})" if endpoint.password else ""
            print(f"  {endpoint.name:<12} {endpoint.url}{extra}{auth}", flush=True)
        print(f"READY {manifest}", flush=True)
        while True:
            time.sleep(1.0)
            dead = [s.name for s in deployment.servers.values() if not s.running()]
            if dead:
                print(f"Prometheus exited: {', '.join(dead)}", file=sys.stderr, flush=True)
                return 1
    except KeyboardInterrupt:
        print("stopping", flush=True)
        return 0
    finally:
        deployment.stop()
        manifest.unlink(missing_ok=True)


def truth(args: argparse.Namespace) -> int:
    try:
        from demo.truth import Truth
    except ImportError:
        print("demo.truth is not available", file=sys.stderr)
        return 2
    from demo.fleet import build_fleet

    seed, size, epoch, stop_at, profiles = args.seed, args.size, args.epoch, None, None
    manifest = Path(args.workdir) / "clusters.json"
    if args.epoch is None and manifest.exists():
        recorded = json.loads(manifest.read_text())["fleet"]
        seed, epoch, stop_at = recorded["seed"], recorded["epoch"], recorded.get("stopped_at")
        size = recorded["size"] if isinstance(recorded["size"], str) else _size(recorded["size"])
        profiles = recorded.get("profiles")
    fleet = build_fleet(seed=seed, size=size, epoch=epoch, stop_at=stop_at, profiles=profiles)
    at = datetime.fromisoformat(args.at.replace("Z", "+00:00")) if args.at else datetime.now(UTC)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    Truth(fleet).dump(at.timestamp(), args.out)
    print(f"truth at {at.isoformat()} written to {args.out}")
    return 0


def _profile_names() -> tuple[str, ...]:
    from demo.profiles import PROFILE_NAMES

    return PROFILE_NAMES


def _size(fields: dict[str, int]) -> Any:
    from demo.fleet import FleetSize

    return FleetSize(**fields)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="backfill, scrape live and serve until Ctrl-C")
    p_run.add_argument("--size", default="test", help="test, small or large")
    p_run.add_argument("--seed", type=int, default=7)
    p_run.add_argument("--history-hours", type=float, default=6.0)
    p_run.add_argument("--workdir", default="var/demo")
    p_run.add_argument("--scrape-interval", type=float, default=None, help="live scrape interval override (s)")
    p_run.add_argument(
        "--cache-dir", default="var/cache/backfill", help="reuse backfilled blocks within the hour ('' disables)"
    )
    p_run.add_argument(
        "--profiles",
        default="mixed",
        help="scrape profile per cluster: 'mixed' (default), one of "
        f"{', '.join(_profile_names())}, or cluster=profile,...",
    )
    p_run.set_defaults(func=run)
    p_truth = sub.add_parser("truth", help="write the ground truth at a time as JSON")
    p_truth.add_argument("--at", default=None, help="ISO 8601 time (default: now)")
    p_truth.add_argument("--out", required=True)
    p_truth.add_argument("--workdir", default="var/demo", help="where a running demo wrote clusters.json")
    p_truth.add_argument("--seed", type=int, default=7)
    p_truth.add_argument("--size", default="test")
    p_truth.add_argument("--epoch", type=float, default=None, help="fleet epoch (unix s); default from the manifest")
    p_truth.set_defaults(func=truth)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
