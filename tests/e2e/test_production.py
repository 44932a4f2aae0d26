"""The product as deployed: nginx (deploy/vm) in front of two ASGI instances, PostgreSQL, Redis.

Everything a user does goes through nginx over TLS; the instances' own ports are
only used to observe them (their ``/api/v1/system/metrics``) and to kill them.
The tests run in file order on one stack: the faults come after the happy paths,
and each fault test leaves the stack whole again (the Prometheus one is last).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import re
import signal
import subprocess
import threading
import time
import zipfile

import pytest
import requests

from tests.e2e.stack import STAFF, STAFF_PASSWORD, FaultProxy, Stack
from tests.services import require

pytestmark = [pytest.mark.e2e, pytest.mark.prometheus, pytest.mark.redis, pytest.mark.postgres]

SSE_PATH = "/api/v1/monitoring/stream/power/sse?interval=1"


class SseReader:
    """An SSE client in a thread: reconnects through the proxy with ``Last-Event-ID``, like EventSource."""

    def __init__(self, stack: Stack, path: str = SSE_PATH):
        self.url = stack.url + path
        self.session = stack.token_session()
        self.events: list[dict] = []
        self.connections = 0
        self.breaks = 0
        self.last_id: str | None = None
        self._stop = threading.Event()
        self._response: requests.Response | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            headers = {"Last-Event-ID": self.last_id} if self.last_id else {}
            try:
                with self.session.get(self.url, headers=headers, stream=True, timeout=(5, 30)) as response:
                    self._response = response
                    if response.status_code != 200:
                        raise requests.ConnectionError(f"HTTP {response.status_code}")
                    self.connections += 1
                    event_id = None
                    for line in response.iter_lines(decode_unicode=True):
                        if line.startswith("id: "):
                            event_id = line[4:]
                        elif line.startswith("data: "):
                            self.events.append(json.loads(line[6:]))
                            self.last_id = event_id or self.last_id
            except (requests.RequestException, ValueError, AttributeError):
                pass
            if not self._stop.is_set():
                self.breaks += 1
                time.sleep(0.5)

    def seqs(self) -> list[int]:
        return [e["seq"] for e in self.events if e.get("type") == "power"]

    def wait(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.seqs()) < count:
            assert time.monotonic() < deadline, f"only {len(self.seqs())} power events after {timeout}s"
            time.sleep(0.1)

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(Exception):
            if self._response is not None:
                self._response.close()
        self.thread.join(10)


def consecutive(seqs: list[int]) -> bool:
    return all(b == a + 1 for a, b in itertools.pairwise(seqs))


def serving(stack: Stack, protocol: str):
    """The instances with at least one open ``protocol`` stream, by their own metrics."""
    return [app for app in stack.apps if app.metric("kcloud_stream_connections", protocol=protocol) > 0]


def wait_for(predicate, timeout: float = 30, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, message or "condition not met in time"
        time.sleep(0.2)


# --- The happy paths -------------------------------------------------------------------------


def test_production_settings_pass_the_deploy_check_and_are_served_securely(stack):
    assert "System check identified no issues" in stack.deploy_check
    response = stack.session().get(f"{stack.url}/accounts/login/", timeout=30)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Secure" in response.headers["Set-Cookie"]  # the CSRF cookie
    # Plain HTTP on the proxy is sent to HTTPS.
    plain = requests.get(f"http://127.0.0.1:{stack.nginx.http_port}/", allow_redirects=False, timeout=10)
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")


def test_staff_login_a_page_and_static_files_with_cache_headers(stack, fleet_prometheus):
    session = stack.login()
    page = session.get(f"{stack.url}/", timeout=60)
    assert page.status_code == 200
    for cluster in fleet_prometheus.fleet.clusters:
        assert cluster.name in page.text
    # Pages link content-hashed static files; the proxy serves them from disk for a year.
    links = re.findall(r'/static/[^"]+\.[0-9a-f]{12}\.(?:css|js)', page.text)
    assert links, "no hashed static file linked"
    for link in links:
        static = session.get(stack.url + link, timeout=10)
        assert static.status_code == 200
        assert static.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "X-Request-ID" not in static.headers  # nginx answered, not an app instance
    plain = session.get(f"{stack.url}/static/css/kcloud.css", timeout=10)
    assert plain.status_code == 200 and plain.headers["Cache-Control"] == "public, max-age=3600"


def test_token_api_with_request_ids_and_one_json_log_line_per_request(stack):
    api = stack.token_session()
    listed = api.get(f"{stack.url}/api/v1/clusters", timeout=30)
    assert listed.status_code == 200 and listed.json()["count"] >= 3
    request_id = listed.headers["X-Request-ID"]
    missing = api.get(f"{stack.url}/api/v1/clusters/no-such-cluster", timeout=30)
    assert missing.status_code == 404
    assert missing.json()["error"]["request_id"] == missing.headers["X-Request-ID"]
    time.sleep(0.5)
    text = "\n".join(app.log.read_text() for app in stack.apps)
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("request_id") == request_id]
    assert len(mine) == 1, mine
    assert mine[0]["logger"] == "kcloud.request" and mine[0]["token"] == "e2e" and mine[0]["user"] == STAFF
    assert mine[0]["status"] == 200 and mine[0]["duration_ms"] >= 0
    every_log = "\n".join(app.log.read_text() for app in stack.apps)
    assert stack.token not in every_log and STAFF_PASSWORD not in every_log


def test_streams_through_the_proxy_on_both_instances_share_one_poller(stack):
    readers: list[SseReader] = []
    try:
        # Round robin: a few connections put subscribers of the same topic on both instances.
        while len(serving(stack, "sse")) < 2:
            assert len(readers) < 8, "nginx never used the second instance"
            readers.append(SseReader(stack))
            readers[-1].wait(1)
        before = [app.metric("kcloud_stream_polls_total") for app in stack.apps]
        window = 8.0
        time.sleep(window)
        polls = sum(app.metric("kcloud_stream_polls_total") for app in stack.apps) - sum(before)
        # One poll per 1 s interval across both instances (twice that would mean one poller each).
        assert window - 2 <= polls <= window + 2, polls
        for reader in readers:
            assert consecutive(reader.seqs()), reader.seqs()
        # Every reader saw the same numbered messages, whichever instance it was on.
        common = set.intersection(*(set(r.seqs()) for r in readers))
        assert len(common) >= window - 3
    finally:
        for reader in readers:
            reader.close()


def test_a_websocket_stream_through_the_proxy(stack, browser_page):
    page = browser_page()
    page.goto(f"{stack.url}/monitoring/live/?interval=1")
    page.wait_for_function("() => document.querySelector('.live-state').dataset.liveState === 'live-ws'", timeout=30000)
    _wait_points(page, 2)
    assert len(serving(stack, "websocket")) == 1


# --- Faults ------------------------------------------------------------------------------------


def _wait_points(page, at_least: int, timeout_ms: int = 45000) -> None:
    page.wait_for_function(
        "n => Number(document.querySelector('figure[data-live-chart]').dataset.points) >= n",
        arg=at_least,
        timeout=timeout_ms,
    )


def _points(page) -> int:
    return int(page.get_attribute("figure[data-live-chart]", "data-points") or 0)


def test_an_instance_killed_mid_stream_clients_reconnect_to_the_other_without_a_gap(stack, browser_page):
    reader = SseReader(stack)
    page = browser_page()
    try:
        page.goto(f"{stack.url}/monitoring/live/?interval=1")
        _wait_points(page, 2)
        reader.wait(3)
        # The SSE client's instance crashes.
        (victim,) = serving(stack, "sse")
        victim.kill()
        seen = len(reader.seqs())
        reader.wait(seen + 5, timeout=45)
        assert reader.connections == 2, (reader.connections, reader.breaks)
        seqs = reader.seqs()
        assert consecutive(seqs), seqs  # Last-Event-ID resumed exactly after the last one received
        victim.start()
        stack.wait_healthy()
        # Then the browser's instance (whichever it is now) crashes: the page reconnects by itself.
        wait_for(lambda: len(serving(stack, "websocket")) == 1, message="the page's WebSocket is not open")
        (victim,) = serving(stack, "websocket")
        before = _points(page)
        victim.kill()
        page.wait_for_function(
            "() => document.querySelector('.live-state').dataset.liveState === 'reconnecting'", timeout=30000
        )
        page.wait_for_function(
            "() => document.querySelector('.live-state').dataset.liveState === 'live-ws'", timeout=60000
        )
        _wait_points(page, before + 2)
        victim.start()
        stack.wait_healthy()
    finally:
        reader.close()


def test_a_redis_restart_streams_and_cache_recover_on_their_own(stack):
    reader = SseReader(stack)
    api = stack.token_session()
    try:
        reader.wait(3)
        stack.redis.stop()
        # Redis down: the API still answers (the cache is an optimisation).
        down = api.get(f"{stack.url}/api/v1/monitoring/power", timeout=60)
        assert down.status_code == 200 and down.json()["total_power_watts"] > 0
        time.sleep(3)
        stack.redis.start()
        seen = reader.seqs()
        reader.wait(len(seen) + 5, timeout=60)
        after = reader.seqs()[len(seen) :]
        assert consecutive(after[1:]) and after[0] > seen[-1], (seen[-3:], after)  # never backwards
        # The cache works again: a repeated question is served from it (same timestamp, fast).
        first = api.get(f"{stack.url}/api/v1/monitoring/power", timeout=60).json()
        second = api.get(f"{stack.url}/api/v1/monitoring/power", timeout=60).json()
        assert first["timestamp"] == second["timestamp"]
        keys = subprocess.run(
            ["redis-cli", "-p", str(stack.redis.port), "--scan", "--pattern", "kcloud:*"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
        assert keys.strip(), "nothing cached in the restarted Redis"
    finally:
        reader.close()


def test_a_postgres_restart_is_a_clean_503_then_recovers_without_restarting_the_app(stack):
    api = stack.token_session()
    pages = stack.login()
    pids = [app.process.pid for app in stack.apps]
    stack.postgres.stop()
    try:
        down = api.get(f"{stack.url}/api/v1/clusters", timeout=30)
        assert down.status_code == 503, down.text[:300]
        error = down.json()["error"]
        assert error["code"] == "database_unavailable" and error["request_id"] == down.headers["X-Request-ID"]
        assert down.headers["Retry-After"]
        page = pages.get(f"{stack.url}/", timeout=30)
        assert page.status_code == 503 and "Traceback" not in page.text and "Temporarily unavailable" in page.text
    finally:
        stack.postgres.start()
    wait_for(lambda: api.get(f"{stack.url}/api/v1/clusters", timeout=30).status_code == 200, timeout=30)
    assert pages.get(f"{stack.url}/", timeout=60).status_code == 200  # the session survived
    assert [app.process.pid for app in stack.apps] == pids


@contextlib.contextmanager
def _tmpfs_over(path: str, options: str):
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", path], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", path], check=True, capture_output=True)


@pytest.mark.parametrize("disk", ["read-only", "full"])
def test_exports_on_a_full_or_read_only_disk_fail_clearly_and_send_no_file(stack, disk):
    require(os.geteuid() == 0, "mounting a small tmpfs over the instances' TMPDIR needs root")
    api = stack.token_session()
    url = f"{stack.url}/api/v1/export/power?format=xlsx"
    tmpdir = stack.env["TMPDIR"]
    # Servers that have exported before (Python settles on its temp dir at the first use, and
    # would quietly pick /tmp instead if TMPDIR were unwritable then).
    for _ in range(2 * len(stack.apps)):
        assert api.get(url, timeout=60).status_code == 200
    with _tmpfs_over(tmpdir, "ro,size=64k" if disk == "read-only" else "size=64k"):
        if disk == "full":
            with contextlib.suppress(OSError), open(os.path.join(tmpdir, "filler"), "wb") as filler:
                filler.write(b"\0" * (1 << 20))
        for _ in stack.apps:  # each instance in turn (round robin)
            failed = api.get(url, timeout=60)
            assert failed.status_code == 507, (failed.status_code, failed.headers.get("Content-Type"))
            assert failed.json()["error"]["code"] == "storage_unavailable"
            assert "Content-Disposition" not in failed.headers
        # CSV streams without touching the disk: still fine.
        assert api.get(f"{stack.url}/api/v1/export/power?format=csv", timeout=60).status_code == 200
    recovered = api.get(url, timeout=60)
    assert recovered.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(recovered.content)).testzip() is None


def test_prometheus_killed_slow_or_garbage_gives_partial_answers_within_the_deadline(stack, fleet_prometheus):
    deployment = fleet_prometheus.deployment
    direct = deployment.clusters[1]  # a cluster's own Prometheus, no auth
    slow = FaultProxy(direct.url, "slow", delay_seconds=30)
    garbage = FaultProxy(direct.url, "garbage")
    try:
        stack.manage("register_cluster", "slow-site", "--url", slow.url, "--timeout", "3")
        stack.manage("register_cluster", "garbage-site", "--url", garbage.url, "--timeout", "3")
        killed = deployment.clusters[0]  # reached directly (behind basic auth), not via the global querier
        os.killpg(killed.server.pid, signal.SIGKILL)
        api = stack.token_session()
        # Until the killed cluster's last answer leaves the cache (aligned times: at most a minute).
        deadline = time.monotonic() + 90
        while True:
            started = time.monotonic()
            answer = api.get(f"{stack.url}/api/v1/monitoring/power", timeout=60)
            elapsed = time.monotonic() - started
            assert answer.status_code == 200, answer.text[:300]
            assert elapsed < 15, elapsed  # the slow cluster's 3 s timeout, not its 30 s delay
            status = {c["name"]: c for c in answer.json()["clusters"]}
            if status[killed.name]["status"] == "error" or time.monotonic() > deadline:
                break
            time.sleep(2)
        body = answer.json()
        assert status[killed.name]["status"] == "error"
        assert status["slow-site"]["status"] == "error" and "within 3 s" in status["slow-site"]["error"]
        assert status["garbage-site"]["status"] == "error"
        healthy = [c.name for c in deployment.clusters[1:]]
        assert all(status[name]["status"] == "ok" for name in healthy), status
        assert body["partial"] is True and set(body["missing_clusters"]) >= {killed.name, "slow-site", "garbage-site"}
        assert body["total_power_watts"] > 0
        assert garbage.requests > 0 and slow.requests > 0
    finally:
        slow.close()
        garbage.close()
