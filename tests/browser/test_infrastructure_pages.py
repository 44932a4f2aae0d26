"""The infrastructure and hardware pages in a real headless Chromium, as staff, on the real fleet.

Each test opens a page, finds real values of the demo fleet on it, waits for
the node page's stacked uPlot chart (drawn from the node power API with the
session cookie) and saves a screenshot in var/screenshots/ for a human to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CLOSED_URL

pytestmark = [pytest.mark.browser, pytest.mark.prometheus, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHART_TIMEOUT_MS = 20_000


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_node_list_with_composition_bars(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    page = logged_in_page
    page.goto(f"{live_server.url}/infrastructure/")
    assert page.locator("h1").inner_text() == "Nodes"
    assert page.locator("nav.nav a.active").inner_text() == "Infrastructure"
    assert page.locator("table.infra-list tbody tr[data-node]").count() == len(fleet.nodes)
    node = fleet.cluster("seoul-a").nodes[0]
    row = page.locator(f"tr[data-node='{node.name}']")
    assert "seoul-a" in row.inner_text()
    assert row.locator(".power-bar span").count() >= 4  # idle, CPU, DRAM, GPU (+ other where metered)
    assert page.locator(".power-legend").inner_text().count("GPU") == 1
    stopped = page.locator(f"tr[data-node='{fleet.stopped[1]}'] .badge").inner_text()
    assert stopped == "UNKNOWN"
    _shot(page, "infrastructure-nodes")

    page.click("th >> text=Power (W)")
    page.wait_for_url("**ordering=-power_watts**")
    page.select_option("select[name=has_gpu]", "false")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**has_gpu=false**")
    names = page.locator("tbody tr[data-node]").evaluate_all("rows => rows.map(r => r.dataset.node)")
    assert set(names) == {n.name for n in fleet.nodes.values() if not n.gpus}
    _shot(page, "infrastructure-nodes-npu-only")


def test_node_detail_draws_the_24h_power_parts(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    node = fleet.cluster("seoul-a").nodes[0]
    page = logged_in_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server.url}/infrastructure/")
    page.click(f"tr[data-node='{node.name}'] a")
    page.wait_for_url(f"**/infrastructure/nodes/{node.name}/?cluster=seoul-a")
    assert page.locator("h1").inner_text() == node.name
    page.wait_for_function(
        "() => document.querySelector('figure[data-node-chart]').dataset.state === 'done'", timeout=CHART_TIMEOUT_MS
    )
    assert page.locator("figure[data-node-chart] .uplot canvas").count() == 1
    legend = page.locator("figure[data-node-chart] .u-legend").inner_text()
    for part in ("CPU", "DRAM", "GPU"):
        assert part in legend
    nan = page.locator("tr[data-sensor='M2/NVMe Temp']").inner_text()
    assert "—" in nan and "UNKNOWN" in nan
    for g in node.gpus:
        assert page.locator(f"a[href='/accelerators/gpus/{g.uuid}/']").count() >= 1
    _shot(page, "infrastructure-node-detail")

    # An NPU node with the wall meter (so the "other" part is drawn).
    npu_node = next(n for key, n in fleet.nodes.items() if n.npus and n.has_dcmi and key != fleet.stopped)
    page.goto(f"{live_server.url}/infrastructure/nodes/{npu_node.name}/")
    page.wait_for_function(
        "() => document.querySelector('figure[data-node-chart]').dataset.state === 'done'", timeout=CHART_TIMEOUT_MS
    )
    assert page.locator("figure[data-node-chart] .uplot canvas").count() == 1
    assert "NPU" in page.locator("figure[data-node-chart] .u-legend").inner_text()
    assert page.locator(f"a[href='/accelerators/npus/{npu_node.npus[0].uuid}/']").count() >= 1
    _shot(page, "infrastructure-node-detail-npu")

    # The node that stopped reporting: live parts unknown, its history still drawn.
    cluster, name = fleet.stopped
    page.goto(f"{live_server.url}/infrastructure/nodes/{name}/?cluster={cluster}")
    assert "Kepler reports no power for this node" in page.locator(".notice-error").inner_text()
    page.wait_for_function(
        "() => document.querySelector('figure[data-node-chart]').dataset.state === 'done'", timeout=CHART_TIMEOUT_MS
    )
    assert page.locator("figure[data-node-chart] .uplot canvas").count() == 1
    _shot(page, "infrastructure-node-detail-stopped")
    assert errors == []


def test_pods_and_pod_detail(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    g = next(g for g in fleet.gpus.values() if g.pod is not None and not g.mig and (g.cluster, g.node) != fleet.stopped)
    page = logged_in_page
    page.goto(f"{live_server.url}/infrastructure/pods/?namespace={g.pod.namespace}")
    assert page.locator("h1").inner_text() == "Pods"
    row = page.locator(f"tr[data-pod='{g.pod.namespace}/{g.pod.name}'][data-cluster='{g.cluster}']")
    assert g.node in row.inner_text()
    _shot(page, "infrastructure-pods-namespace")
    page.goto(f"{live_server.url}/infrastructure/pods/")
    _shot(page, "infrastructure-pods")

    page.goto(f"{live_server.url}/infrastructure/pods/?namespace={g.pod.namespace}")
    row.locator("td.pod-name a").click()
    page.wait_for_url(f"**/infrastructure/pods/{g.pod.namespace}/{g.pod.name}/**")
    assert page.locator(f"tr[data-device='{g.uuid}']").is_visible()
    assert page.locator("tr[data-window='24h']").is_visible()
    for c in g.pod.containers:
        assert page.locator(f"tr[data-container='{c.name}']").is_visible()
    _shot(page, "infrastructure-pod-detail")

    page.goto(f"{live_server.url}/infrastructure/pods/default/no-such-pod/")
    assert "Not found." in page.locator(".notice").inner_text()
    _shot(page, "infrastructure-pod-unknown")


def test_vms(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    vms = [vm for c in fleet_prometheus.fleet.clusters for vm in c.vms]
    page = logged_in_page
    page.goto(f"{live_server.url}/infrastructure/vms/")
    for vm in vms:
        text = page.locator(f"tr[data-vm='{vm.uuid}']").inner_text()
        assert vm.name in text and vm.node in text and vm.flavor in text
    _shot(page, "infrastructure-vms")


def test_hardware_health(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    fan_node = next(n for n in fleet.nodes.values() if "fan_critical" in n.ipmi_quirks)
    page = logged_in_page
    page.goto(f"{live_server.url}/hardware/")
    assert page.locator("h1").inner_text() == "Hardware health"
    assert page.locator("nav.nav a.active").inner_text() == "Hardware"
    assert page.locator("table.hw-nodes tbody tr").first.get_attribute("data-node") == fan_node.name
    cell = page.locator(f"section[data-type=fan] tr[data-node='{fan_node.name}'] td[data-sensor=Fan3B]")
    assert cell.get_attribute("data-state") == "critical" and "840" in cell.inner_text()
    color = cell.evaluate("td => getComputedStyle(td).backgroundColor")
    assert color == "rgb(255, 235, 233)"  # --err-bg
    _shot(page, "hardware-health")

    page.select_option("select[name=state]", "critical")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**state=critical**")
    assert page.locator("table.hw-nodes tbody tr[data-node]").count() == 1
    _shot(page, "hardware-health-critical")


def test_dead_cluster_notice_on_infrastructure_and_hardware(logged_in_page, live_server, fleet_clusters, make_cluster):
    make_cluster("dead-a", url=CLOSED_URL)
    page = logged_in_page
    page.goto(f"{live_server.url}/infrastructure/")
    assert "dead-a" in page.locator(".notice-error").inner_text()
    assert page.locator("tbody tr[data-node]").count() > 0
    _shot(page, "infrastructure-nodes-dead-cluster")
    page.goto(f"{live_server.url}/hardware/")
    assert "dead-a" in page.locator(".notice-error").inner_text()
