"""The cluster detail (topology graph) and comparison pages in a real headless Chromium, on the real fleet.

Each test finds real fleet values on the page (compared with the truth or with the JSON
API the page itself uses), counts the SVG graph's vertices, and saves a screenshot in
var/screenshots/ for a human to look at.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.prometheus, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
TIMEOUT_MS = 20_000
GRAPH_DONE = "() => document.querySelector('figure[data-topology]').dataset.state === 'done'"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def _economics(clusters) -> None:
    seoul = next(c for c in clusters if c.name == "seoul-a")
    seoul.design_pue, seoul.carbon_intensity_g_per_kwh = 1.4, 415.0
    seoul.electricity_price_per_kwh, seoul.currency = Decimal("140"), "KRW"
    seoul.save()


def _devices(fleet, cluster: str, node: str | None = None) -> int:
    nodes = [n for n in fleet.cluster(cluster).nodes if node is None or n.name == node]
    return sum(len(n.gpus) + len(n.npus) for n in nodes)


def test_cluster_detail_draws_the_topology(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    _economics(fleet_clusters)
    fleet = fleet_prometheus.fleet
    page = logged_in_page
    errors = _watch_errors(page)
    page.goto(f"{live_server.url}/")
    page.click("table.ov-clusters tr[data-cluster='seoul-a'] a")
    page.wait_for_url(f"{live_server.url}/clusters/seoul-a/")
    assert page.locator("nav.nav a.active").inner_text() == "Clusters"
    sim = fleet.cluster("seoul-a")
    assert page.locator("[data-fact=nodes]").inner_text().endswith(f"/ {len(sim.nodes)}")
    assert page.locator("[data-fact=pods]").inner_text() == str(sum(1 for p in sim.pods if p.running))
    assert "configured" in page.locator("[data-kpi=pue]").inner_text().lower()
    assert "KRW" in page.locator(".kpis").inner_text()
    page.wait_for_function(GRAPH_DONE, timeout=TIMEOUT_MS)
    svg = page.locator("figure[data-topology] svg")
    devices = _devices(fleet, "seoul-a")
    assert page.locator("svg .topo-v[data-kind=gpu], svg .topo-v[data-kind=npu]").count() == devices
    assert int(svg.get_attribute("data-devices")) == devices
    assert page.locator("svg .topo-v[data-kind=node]").count() == len(sim.nodes)
    assert page.locator("svg .topo-v[data-kind=mig]").count() == sum(len(g.mig) for n in sim.nodes for g in n.gpus)
    # The graph's values are the topology API's: the hover text of a GPU names its power.
    api = page.evaluate("async () => (await fetch(document.querySelector('figure[data-topology]').dataset.url)).json()")
    gpu = next(v for v in api["nodes"] if v["kind"] == "gpu" and v["power_watts"])
    title = page.locator(f"svg .topo-v[data-id='{gpu['id']}'] title").text_content()
    assert f"{gpu['power_watts']:,.0f} W" in title and gpu["name"] in title
    assert page.locator("svg path.allocated").count() == sum(1 for e in api["edges"] if e["kind"] == "allocated_to")
    assert "power, relative to the largest of its kind" in page.locator(".topo-legend").inner_text()
    _shot(page, "cluster-detail")
    # One node: the select narrows the graph.
    node = next(n for n in sim.nodes if n.gpus)
    page.select_option("select[data-topology-node]", node.name)
    page.wait_for_function(
        "() => document.querySelectorAll('svg .topo-v[data-kind=node]').length === 1"
        " && document.querySelector('figure[data-topology]').dataset.state === 'done'",
        timeout=TIMEOUT_MS,
    )
    assert page.locator("svg .topo-v[data-kind=gpu], svg .topo-v[data-kind=npu]").count() == _devices(
        fleet, "seoul-a", node.name
    )
    _shot(page, "cluster-detail-one-node")
    assert errors == []


def test_the_busiest_node_alone(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    """The node with the most pods: every pod has its own box, none overlaps another."""
    fleet = fleet_prometheus.fleet
    cluster, node = max(
        ((c.name, n) for c in fleet.clusters for n in c.nodes), key=lambda item: len(item[1].pods) + len(item[1].gpus)
    )
    page = logged_in_page
    page.goto(f"{live_server.url}/clusters/{cluster}/")
    page.wait_for_function(GRAPH_DONE, timeout=TIMEOUT_MS)
    page.select_option("select[data-topology-node]", node.name)
    page.wait_for_function(
        "() => document.querySelectorAll('svg .topo-v[data-kind=node]').length === 1"
        " && document.querySelector('figure[data-topology]').dataset.state === 'done'",
        timeout=TIMEOUT_MS,
    )
    boxes = page.evaluate(
        """() => Array.from(document.querySelectorAll('svg .topo-v:not(.topo-node) rect')).map(r => {
            const b = r.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; })"""
    )
    assert len(boxes) >= len(node.gpus)
    _no_overlap(boxes)
    _shot(page, "cluster-detail-busiest-node")


def _dense_node_graph(cluster: str) -> dict:
    """A node with 8 GPUs (one split into 3 MIG instances) and 48 pods, 10 of them holding devices.

    Layout only: the real fleet's nodes are small, so the page is fed this graph in place of
    the API's answer to check that a big node stays legible (values are not checked here).
    """
    node = "dense-node-0"
    vertices = [
        {
            "id": f"node:{node}",
            "kind": "node",
            "label": node,
            "name": node,
            "node": node,
            "status": "ready",
            "power_watts": 6400.0,
            "parent": None,
        }
    ]
    edges = []
    for i in range(8):
        gid = f"gpu:GPU-{i}"
        vertices.append(
            {
                "id": gid,
                "kind": "gpu",
                "label": f"GPU {i}",
                "name": f"GPU-{i}",
                "node": node,
                "model": "NVIDIA H100 80GB HBM3",
                "vendor": "nvidia",
                "status": "active",
                "power_watts": 300.0 + 40 * i,
                "parent": f"node:{node}",
                "utilization_percent": 50.0,
            }
        )
        edges.append({"source": f"node:{node}", "target": gid, "kind": "hosts", "share": None})
    for k, (profile, share) in enumerate((("3g.40gb", 3 / 7), ("2g.20gb", 2 / 7), ("1g.10gb", 1 / 7))):
        mid = f"mig:GPU-0/{k}"
        vertices.append(
            {
                "id": mid,
                "kind": "mig",
                "label": f"MIG {k} {profile}",
                "name": str(k),
                "node": node,
                "status": "active",
                "power_watts": 300.0 * share,
                "power_share": share,
                "parent": "gpu:GPU-0",
                "profile": profile,
            }
        )
        edges.append({"source": "gpu:GPU-0", "target": mid, "kind": "contains", "share": None})
    sources = ["mig:GPU-0/0", "mig:GPU-0/1", *(f"gpu:GPU-{i}" for i in range(1, 8)), "gpu:GPU-7"]
    for j in range(48):
        pid = f"pod:team-{j % 5}/worker-{j:02d}-abcdef"
        vertices.append(
            {
                "id": pid,
                "kind": "pod",
                "label": pid[4:],
                "name": pid.split("/")[1],
                "namespace": f"team-{j % 5}",
                "node": node,
                "status": "Running",
                "power_watts": 5.0 + j,
                "parent": f"node:{node}",
            }
        )
        edges.append({"source": f"node:{node}", "target": pid, "kind": "hosts", "share": None})
        if j < 10:
            edges.append({"source": sources[j], "target": pid, "kind": "allocated_to", "share": 0.5})
    counts = {k: sum(1 for v in vertices if v["kind"] == k) for k in ("node", "gpu", "mig", "npu", "partition", "pod")}
    return {
        "cluster": cluster,
        "node": None,
        "status": "ok",
        "error": None,
        "partial": False,
        "timestamp": None,
        "clusters": [],
        "nodes": vertices,
        "edges": edges,
        "totals": {"counts": counts, "edges": len(edges)},
    }


def test_a_node_with_8_gpus_and_48_pods_stays_legible(logged_in_page, live_server, fleet_clusters):
    import json

    graph = _dense_node_graph("seoul-a")
    page = logged_in_page
    page.route(
        "**/api/v1/clusters/seoul-a/topology*",
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(graph)),
    )
    page.goto(f"{live_server.url}/clusters/seoul-a/")
    page.wait_for_function(GRAPH_DONE, timeout=TIMEOUT_MS)
    assert page.locator("svg .topo-v[data-kind=gpu]").count() == 8
    assert page.locator("svg .topo-v[data-kind=pod]").count() == 48
    boxes = page.evaluate(
        """() => Array.from(document.querySelectorAll('svg .topo-v:not(.topo-node) rect')).map(r => {
            const b = r.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; })"""
    )
    _no_overlap(boxes)
    # Every box fits in the figure (no horizontal overflow at this width).
    width = page.evaluate("() => document.querySelector('figure[data-topology]').clientWidth")
    right = page.evaluate("() => document.querySelector('figure[data-topology]').getBoundingClientRect().left")
    assert max(b[2] for b in boxes) <= right + width + 1
    _shot(page, "cluster-detail-dense-node")


def _no_overlap(boxes: list) -> None:
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap = min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1
            assert not overlap, (a, b)


def test_a_stopped_node_is_drawn_as_unknown(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    cluster, name = fleet_prometheus.fleet.stopped
    page = logged_in_page
    page.goto(f"{live_server.url}/clusters/{cluster}/")
    page.wait_for_function(GRAPH_DONE, timeout=TIMEOUT_MS)
    box = page.locator(f"svg .topo-v[data-id='node:{name}']")
    assert "power: —" in box.locator("title").text_content()
    assert box.locator("rect.unknown").count() == 1
    _shot(page, "cluster-detail-stopped-node")


def test_cluster_detail_of_a_dead_cluster(logged_in_page, live_server, make_cluster):
    make_cluster("dead-cluster")
    page = logged_in_page
    page.goto(f"{live_server.url}/clusters/dead-cluster/")
    assert "not answering" in page.locator(".notice-error").first.inner_text()
    assert "Topology not available" in page.locator("figure[data-topology]").inner_text()
    _shot(page, "cluster-detail-dead")


def test_compare_page(logged_in_page, live_server, fleet_clusters, fleet_prometheus, make_cluster):
    _economics(fleet_clusters)
    make_cluster("dead-cluster")
    page = logged_in_page
    errors = _watch_errors(page)
    page.goto(f"{live_server.url}/clusters/compare/?range=1h")
    assert page.locator("h1").inner_text() == "Compare clusters"
    api = page.evaluate("async () => (await fetch('/api/v1/clusters/compare?window=1h')).json()")
    rows = {r["cluster"]: r for r in api["results"]}
    for name in ("seoul-a", "busan-b", "daejeon-c"):
        row = page.locator(f"table.cl-compare tr[data-cluster='{name}']")
        assert row.is_visible()
        energy = float(row.locator("td[data-field=energy_kwh] .text").inner_text().replace(",", ""))
        # The API call may land one aligned live step (15 s) after the page: the 1 h window moves a little.
        assert energy == pytest.approx(rows[name]["energy_kwh"], rel=0.02, abs=0.01)
        assert row.locator("td[data-field=power_watts] .track span").count() == 1
    assert "Not answering" in page.locator("tr[data-cluster='dead-cluster']").inner_text()
    assert "KRW" in page.locator("tr[data-cluster='seoul-a']").inner_text()
    assert "configured" in page.locator("tr[data-cluster='seoul-a']").inner_text().lower()
    page.click(".time-range .tr-presets a:text-is('6 h')")
    page.wait_for_url("**/clusters/compare/?range=6h")
    assert "energy, 6 h" in page.locator(".page-head").inner_text()
    # The table fits the page: no column pushed off to the right.
    assert page.evaluate(
        "() => { const w = document.querySelector('table.cl-compare').parentElement;"
        " return w.scrollWidth <= w.clientWidth + 1; }"
    )
    _shot(page, "clusters-compare")
    assert errors == []
