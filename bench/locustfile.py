"""The user mix of ``bench/load.py`` (run by locust in its own process: locust patches the stdlib).

Half the users are staff in a browser (pages after a real login), half are partner
scripts with their own API token (lists, details, energy, a few exports and streams).
Settings come from the environment ``bench/load.py`` sets: ``KCLOUD_LOAD_CERT`` (the
proxy's certificate), ``KCLOUD_LOAD_TOKENS`` (comma-separated keys), the staff login,
and ``KCLOUD_LOAD_NODE`` / ``KCLOUD_LOAD_GPU`` (real ids to ask details of).
"""

from __future__ import annotations

import itertools
import os
import re
import threading

from locust import HttpUser, between, task

CERT = os.environ.get("KCLOUD_LOAD_CERT", "")
TOKENS = [t for t in os.environ.get("KCLOUD_LOAD_TOKENS", "").split(",") if t]
STAFF = os.environ.get("KCLOUD_LOAD_STAFF", "")
PASSWORD = os.environ.get("KCLOUD_LOAD_PASSWORD", "")
NODE = os.environ.get("KCLOUD_LOAD_NODE", "")
GPU = os.environ.get("KCLOUD_LOAD_GPU", "")
_next_token = itertools.cycle(TOKENS or [""])
_lock = threading.Lock()


class _Base(HttpUser):
    abstract = True
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.client.trust_env = False
        self.client.verify = CERT or True


class StaffInBrowser(_Base):
    """A member of the operations team clicking through the dashboards."""

    weight = 1

    def on_start(self) -> None:
        super().on_start()
        form = self.client.get("/accounts/login/", name="login form")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        self.client.post(
            "/accounts/login/",
            data={"username": STAFF, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1) if token else ""},
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="login",
        )

    @task(4)
    def overview(self) -> None:
        self.client.get("/", name="page /")

    @task(2)
    def power_page(self) -> None:
        self.client.get("/monitoring/", name="page /monitoring/")

    @task(2)
    def energy_page(self) -> None:
        self.client.get("/monitoring/energy/", name="page /monitoring/energy/")

    @task(2)
    def nodes_page(self) -> None:
        self.client.get("/infrastructure/", name="page /infrastructure/")

    @task(1)
    def gpus_page(self) -> None:
        self.client.get("/accelerators/gpus/", name="page /accelerators/gpus/")

    @task(1)
    def clusters_page(self) -> None:
        self.client.get("/clusters/", name="page /clusters/")


class PartnerScript(_Base):
    """A partner's integration polling the token API."""

    weight = 1

    def on_start(self) -> None:
        super().on_start()
        with _lock:
            self.client.headers["Authorization"] = f"Token {next(_next_token)}"

    @task(4)
    def nodes(self) -> None:
        self.client.get("/api/v1/infrastructure/nodes", name="api nodes")

    @task(4)
    def power(self) -> None:
        self.client.get("/api/v1/monitoring/power", name="api power")

    @task(3)
    def gpus(self) -> None:
        self.client.get("/api/v1/accelerators/gpus", name="api gpus")

    @task(2)
    def node_detail(self) -> None:
        self.client.get(f"/api/v1/infrastructure/nodes/{NODE}", name="api node detail")

    @task(2)
    def gpu_detail(self) -> None:
        self.client.get(f"/api/v1/accelerators/gpus/{GPU}", name="api gpu detail")

    @task(3)
    def energy_week(self) -> None:
        self.client.get("/api/v1/monitoring/energy?group_by=namespace", name="api energy by namespace")

    @task(1)
    def timeseries(self) -> None:
        self.client.get("/api/v1/monitoring/timeseries/power", name="api power timeseries")

    @task(1)
    def clusters(self) -> None:
        self.client.get("/api/v1/clusters", name="api clusters")

    @task(1)
    def export_csv(self) -> None:
        # A few exports: the exports throttle (60 an hour per token) stays far away.
        if self.environment.runner and self.environment.runner.user_count and hash(self) % 4 == 0:
            self.client.get("/api/v1/export/power?format=csv", name="api export power csv")

    @task(1)
    def stream(self) -> None:
        """Open the SSE stream, read the snapshot and one live message, leave."""
        with self.client.get(
            "/api/v1/monitoring/stream/power/sse?interval=5",
            stream=True,
            name="sse power (2 events)",
            timeout=30,
            catch_response=True,
        ) as response:
            events = 0
            for line in response.iter_lines(decode_unicode=True):
                if line.startswith("data: "):
                    events += 1
                    if events >= 2:
                        break
            if events < 2:
                response.failure(f"{events} events")
            else:
                response.success()
