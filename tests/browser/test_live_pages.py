"""Live pages in a real browser against the real ASGI app (daphne) and the real fleet's Prometheus.

pytest-django's ``live_server`` is WSGI (no WebSockets), so this module runs
``daphne kcloud.asgi:application`` in a subprocess on its own SQLite database,
with the fleet's clusters registered as an operator would (plus one dead
cluster, which the page must name while the stream goes on) and a staff user.
The SSE fallback is tested with WebSockets blocked in the page (a proxy that
refuses upgrades: the constructor fails before any message).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.browser.conftest import log_in
from tests.prometheus_fixtures import registrations as prometheus_registrations

pytestmark = [pytest.mark.browser, pytest.mark.prometheus]

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "var" / "screenshots"
STAFF, PASSWORD = "live-staff", "live-staff-pass-1234"
DEAD_CLUSTER = "dead-cluster"

# What a proxy that refuses WebSocket upgrades looks like to the page: no open, no message, a 1006 close.
BLOCK_WEBSOCKETS = """
window.WebSocket = class {
  constructor(url) {
    this.url = url; this.readyState = 0;
    setTimeout(() => {
      this.readyState = 3;
      if (this.onerror) this.onerror(new Event("error"));
      if (this.onclose) this.onclose({code: 1006, reason: "", wasClean: false});
    }, 20);
  }
  send() {}
  close() {}
};
"""

SETUP = """
import os
from io import StringIO
from django.contrib.auth import get_user_model
from django.core.management import call_command
from clusters.models import Cluster
from kcloud.auth import roles
staff = get_user_model().objects.create_user({staff!r}, password={password!r}, is_staff=True)
roles.grant(staff, roles.OPERATOR, all_clusters=True)
for argv in {registrations!r}:
    call_command("register_cluster", *argv, stdout=StringIO())
Cluster.objects.create(name={dead!r}, prometheus_url="http://127.0.0.1:9", timeout_seconds=2.0)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(argv: list[str], env: dict) -> None:
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture(scope="module")
def asgi_server(fleet_prometheus, tmp_path_factory):
    """Base URL of a daphne serving ``kcloud.asgi`` with the fleet registered (own database)."""
    workdir = tmp_path_factory.mktemp("live-daphne")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "KCLOUD_VAR_DIR": str(workdir),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REDIS_URL": "",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    registrations, secrets = prometheus_registrations(fleet_prometheus.deployment, "KCLOUD_LIVE_SECRET_")
    env.update(secrets)
    python = sys.executable
    _run([python, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    code = SETUP.format(staff=STAFF, password=PASSWORD, registrations=registrations, dead=DEAD_CLUSTER)
    _run([python, "manage.py", "shell", "-c", code], env)
    port = _free_port()
    log = (workdir / "daphne.log").open("w")
    process = subprocess.Popen(
        [python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "kcloud.asgi:application"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                requests.get(f"{url}/api/v1/system/health", timeout=1)
                break
            except requests.RequestException:
                assert process.poll() is None, (workdir / "daphne.log").read_text()[-2000:]
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def live_page(browser, asgi_server):
    """A logged-in page on the daphne server; ``live_page(block_ws=True)`` blocks WebSockets first."""
    contexts = []

    def make(block_ws: bool = False):
        context = browser.new_context(viewport={"width": 1360, "height": 900})
        contexts.append(context)
        if block_ws:
            context.add_init_script(BLOCK_WEBSOCKETS)
        return log_in(context.new_page(), asgi_server, STAFF, PASSWORD)

    yield make
    for context in contexts:
        context.close()


def _points(page) -> int:
    return int(page.get_attribute("figure[data-live-chart]", "data-points") or 0)


def _wait_points(page, at_least: int, timeout_ms: int = 30000) -> None:
    page.wait_for_function(
        "n => Number(document.querySelector('figure[data-live-chart]').dataset.points) >= n",
        arg=at_least,
        timeout=timeout_ms,
    )


def _wait_updates(page, selector: str, at_least: int = 1) -> None:
    page.wait_for_function(
        "([selector, n]) => Number(document.querySelector(selector).dataset.updates) >= n",
        arg=[selector, at_least],
        timeout=30000,
    )


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_live_page_over_websocket_grows_and_names_the_dead_cluster(live_page, asgi_server, fleet_prometheus):
    page = live_page()
    page.goto(f"{asgi_server}/monitoring/live/?interval=1")
    assert page.locator(".subnav a.active").inner_text() == "Live"
    _wait_points(page, 1)
    first = _points(page)
    _wait_points(page, first + 1)
    _wait_points(page, first + 2)  # the chart grew twice
    state = page.locator(".live-state")
    assert state.get_attribute("data-live-state") == "live-ws"
    assert state.inner_text() == "Live via WebSocket"
    # The age of the last value is on screen, ticking, and fresh while messages flow every second.
    age = page.locator(".live-bar [data-live-age]")
    assert age.inner_text().startswith("Last value ") and age.get_attribute("data-stale") == "false"
    assert int(age.get_attribute("data-age-seconds")) <= 10  # stamped with the second it was read
    assert page.locator(".chart-body .uplot").count() == 1
    # Every fleet cluster answers with a value; the dead one is named and marked, the stream goes on.
    for cluster in fleet_prometheus.fleet.clusters:
        row = page.locator(f'tr[data-cluster="{cluster.name}"]')
        assert row.locator(".badge").inner_text() == "OK" or row.locator(".badge").inner_text().lower() == "ok"
        assert row.locator(".live-cluster-power").inner_text() != "—"
    dead = page.locator(f'tr[data-cluster="{DEAD_CLUSTER}"]')
    assert dead.locator(".badge").inner_text().lower() == "error"
    assert dead.locator(".live-cluster-power").inner_text() == "—"
    page.wait_for_selector(".live-errors:not([hidden])")
    assert DEAD_CLUSTER in page.locator(".live-errors").inner_text()
    assert page.locator("[data-live-total]").inner_text() != "—"
    _shot(page, "live-power-websocket")


def test_live_page_falls_back_to_sse_when_websockets_are_blocked(live_page, asgi_server, fleet_prometheus):
    page = live_page(block_ws=True)
    names = [c.name for c in fleet_prometheus.fleet.clusters]
    page.goto(f"{asgi_server}/monitoring/live/?interval=1&group_by=resource_type&cluster={names[0]}")
    _wait_points(page, 1)
    first = _points(page)
    _wait_points(page, first + 1)
    _wait_points(page, first + 2)
    state = page.locator(".live-state")
    assert state.get_attribute("data-live-state") == "live-sse"
    assert "SSE" in state.inner_text()
    groups = page.locator(".live-groups tr[data-group]")
    assert sorted(groups.evaluate_all("rows => rows.map(r => r.dataset.group)")) == sorted(
        ["cpu", "dram", "gpu", "npu", "other"]
    )
    assert page.locator(f'tr[data-cluster="{names[0]}"] .live-cluster-power').inner_text() != "—"
    _shot(page, "live-power-sse-fallback")


def test_gpu_and_node_pages_update_live(live_page, asgi_server, fleet_prometheus):
    page = live_page()
    cluster = fleet_prometheus.fleet.clusters[0]
    node = next(n for n in cluster.nodes if n.gpus and n.up(time.time()))
    gpu = node.gpus[0]
    page.goto(f"{asgi_server}/accelerators/gpus/{gpu.uuid}/")
    bar = page.locator("[data-gpu-live]")
    page.wait_for_function(
        "() => Number(document.querySelector('[data-gpu-live]').dataset.updates) >= 1", timeout=30000
    )
    assert bar.locator(".live-state").get_attribute("data-live-state") == "live-ws"
    assert bar.locator("[data-live-age]").inner_text().startswith("Last value ")
    power = page.locator('[data-live-field="power_watts"]')
    assert power.get_attribute("data-live-value") not in (None, "")
    assert power.locator(".value").inner_text().endswith("W")
    _shot(page, "live-gpu-detail")

    page.goto(f"{asgi_server}/infrastructure/nodes/{node.name}/?cluster={cluster.name}")
    page.wait_for_function(
        "() => Number(document.querySelector('[data-node-live]').dataset.updates) >= 1", timeout=30000
    )
    live = page.locator("[data-node-live]")
    assert live.locator(".live-state").get_attribute("data-live-state") == "live-ws"
    assert live.locator('[data-live-sum="power_watts"]').inner_text() != "—"
    assert page.locator(f'tr[data-device="{gpu.uuid}"] [data-live-power]').inner_text() != "—"
    _shot(page, "live-node-detail")


# Records every connection state the page shows, in order.
RECORD_STATES = """
window.__liveStates = [];
document.addEventListener("DOMContentLoaded", () => {
  const el = document.querySelector(".live-state");
  if (!el) return;
  new MutationObserver(() => window.__liveStates.push(el.dataset.liveState))
    .observe(el, {attributes: true, attributeFilter: ["data-live-state"]});
});
"""


def test_a_broken_websocket_reconnects_and_the_chart_goes_on(live_page, asgi_server):
    page = live_page()
    page.add_init_script(RECORD_STATES)
    connections = []

    def through(ws):  # pass every WebSocket through to daphne, keeping hold of both ends
        connections.append((ws, ws.connect_to_server()))

    page.route_web_socket(lambda url: "/stream/power" in url, through)
    page.goto(f"{asgi_server}/monitoring/live/?interval=1")
    _wait_points(page, 2)
    page_side, server_side = connections[0]
    server_side.close()  # the server goes away mid-stream (a deploy, a proxy timeout)
    page_side.close(code=1012, reason="service restart")
    page.wait_for_function("() => window.__liveStates.includes('reconnecting')", timeout=10000)
    before = _points(page)
    _wait_points(page, before + 2)  # back, and the chart grows again
    assert len(connections) == 2, "one new WebSocket after the break (backoff, not a storm)"
    states = page.evaluate("window.__liveStates")
    assert states[-1] == "live-ws", states
    assert states.index("reconnecting") < len(states) - 1, states
