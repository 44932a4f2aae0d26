"""``manage.py rundemo``: the whole product on a simulated fleet (what ``make demo`` runs).

Starts the fleet simulator and its Prometheus servers (``python -m demo run``),
registers the demo clusters through ``register_cluster`` (the admin's form, so
credentials are encrypted exactly as in production), creates the admin user,
checks the clusters, creates the demo's budgets and alert rules (``demo_alerting``),
then runs the background worker (``run_huey``) and serves the app with daphne. Ctrl-C (or SIGTERM) stops
every process it started. By default the clusters' Prometheus servers store the
fleet in different real-world shapes (``--profiles mixed``, see
``demo/profiles.py``); each cluster's profile is printed with its health.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from clusters.health import check_clusters
from clusters.models import Cluster

READY_TIMEOUT_SECONDS = 180


class Command(BaseCommand):
    help = "Run the demo: simulated fleet + Prometheus + the app on http://127.0.0.1:8000."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--size", default="test", help="Fleet size: test, small or large")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--history-hours",
            type=float,
            default=None,
            help="Backfilled history (default 6 h; 0.5 h for the large fleet, whose backfill costs ~10 min per hour)",
        )
        parser.add_argument(
            "--profiles",
            default="mixed",
            help="How each cluster's Prometheus stores the fleet (demo/profiles.py): 'mixed' (default: several"
            " setups side by side), one profile name for every cluster, or cluster=profile,...",
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--username", default="admin")

    def handle(self, *args, **opts) -> None:
        if opts["history_hours"] is None:
            opts["history_hours"] = 0.5 if opts["size"] == "large" else 6.0
        workdir = Path(settings.VAR_DIR) / "demo"
        workdir.mkdir(parents=True, exist_ok=True)
        manifest = workdir / "clusters.json"
        manifest.unlink(missing_ok=True)
        children: list[subprocess.Popen] = []

        def stop(*_args) -> None:
            for child in reversed(children):
                if child.poll() is None:
                    child.terminate()
            for child in reversed(children):
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()

        signal.signal(signal.SIGTERM, lambda *_a: (stop(), sys.exit(0)))
        try:
            started = time.monotonic()
            self.stdout.write(f"Starting the simulated fleet ({opts['size']}) and its Prometheus servers...")
            fleet = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "demo",
                    "run",
                    "--size",
                    opts["size"],
                    "--seed",
                    str(opts["seed"]),
                    "--history-hours",
                    str(opts["history_hours"]),
                    "--workdir",
                    str(workdir),
                    "--profiles",
                    opts["profiles"],
                ],
                cwd=settings.BASE_DIR,
                stdout=open(workdir / "fleet.log", "ab"),  # noqa: SIM115 (lives as long as the child)
                stderr=subprocess.STDOUT,
            )
            children.append(fleet)
            clusters = self._wait_for_manifest(manifest, fleet, workdir)
            self._register(clusters)
            password = self._admin(opts["username"])
            reports = check_clusters(Cluster.objects.enabled())
            profiles = {entry["name"]: entry.get("scrape_profile") or "?" for entry in clusters}
            for report in reports:
                state = "ok" if report.ok else f"DOWN ({report.error})"
                profile = profiles.get(report.cluster.name, "?")
                self.stdout.write(f"  cluster {report.cluster.name:<16} {state:<8} scrape profile: {profile}")

            # Budgets, alert rules and a first evaluation (the monitoring app's command: this app is below it).
            call_command("demo_alerting", stdout=self.stdout)
            env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kcloud.settings"}
            # The background worker: alert evaluation and notifications every minute (huey, SQLite queue).
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "run_huey", "--workers", "2"],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=open(workdir / "worker.log", "ab"),  # noqa: SIM115 (lives as long as the child)
                stderr=subprocess.STDOUT,
            )
            children.append(worker)
            daphne = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "daphne",
                    "-b",
                    opts["host"],
                    "-p",
                    str(opts["port"]),
                    "kcloud.asgi:application",
                ],
                cwd=settings.BASE_DIR,
                env=env,
            )
            children.append(daphne)
            self._wait_for_port(opts["host"], opts["port"], daphne)
            elapsed = time.monotonic() - started
            url = f"http://{opts['host']}:{opts['port']}/"
            self.stdout.write(self.style.SUCCESS(f"\nKCloud Monitor demo is ready in {elapsed:.0f} s: {url}"))
            self.stdout.write(f"  login: {opts['username']} / {password}")
            self.stdout.write("  Ctrl-C stops everything.\n")
            while all(child.poll() is None for child in children):
                time.sleep(1)
            raise CommandError("a demo process exited; see var/demo/fleet.log and var/demo/worker.log")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping the demo...")
        finally:
            stop()

    def _wait_for_manifest(self, manifest: Path, fleet: subprocess.Popen, workdir: Path) -> list[dict]:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if fleet.poll() is not None:
                tail = (workdir / "fleet.log").read_text(errors="replace")[-2000:]
                raise CommandError(f"the fleet simulator exited ({fleet.returncode}):\n{tail}")
            if manifest.exists():
                try:
                    return json.loads(manifest.read_text())["clusters"]
                except (ValueError, KeyError):
                    pass  # still being written
            time.sleep(0.5)
        raise CommandError("the fleet simulator did not become ready in time; see var/demo/fleet.log")

    def _register(self, clusters: list[dict]) -> None:
        """Register every demo cluster through the same command (and form) operators use."""
        for index, entry in enumerate(clusters):
            argv = [entry["name"], "--url", entry["url"]]
            flags = {
                "--display-name": entry.get("display_name"),
                "--region": entry.get("region"),
                "--selector": entry.get("label_selector"),
                "--carbon-intensity": entry.get("carbon_intensity_g_per_kwh"),
                "--price": entry.get("electricity_price_per_kwh"),
                "--currency": entry.get("currency"),
                "--design-pue": entry.get("design_pue"),
                "--facility-power-query": entry.get("facility_power_query"),
            }
            for flag, value in flags.items():
                if value not in (None, ""):
                    argv += [flag, str(value)]
            if entry.get("password"):
                variable = f"KCLOUD_DEMO_SECRET_{index}"
                os.environ[variable] = entry["password"]  # secrets travel by env, never argv
                argv += ["--username", entry["username"], "--password-env", variable]
            call_command("register_cluster", *argv, stdout=self.stdout)

    def _admin(self, username: str) -> str:
        """Create or update the admin; the password comes from env or is generated and printed once."""
        password = os.environ.get("KCLOUD_DEMO_PASSWORD") or secrets.token_urlsafe(12)
        user_model = get_user_model()
        user, _created = user_model.objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        return password

    @staticmethod
    def _wait_for_port(host: str, port: int, process: subprocess.Popen) -> None:
        import socket

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise CommandError("daphne exited; is the port already in use?")
            try:
                with socket.create_connection((host, port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise CommandError(f"daphne did not listen on {host}:{port} in time")
