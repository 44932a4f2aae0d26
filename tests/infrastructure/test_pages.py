"""The infrastructure pages (Django test client) against the real Prometheus fleet.

The pages call the same services as the API; here we check they show the
fleet's real nodes, pods and VMs, that filters and ordering work, that a bad
filter is a message on the page (400, never a 500), that unknown names are a
404 page, that missing values print "—" (never 0) and that a dead cluster is
announced while the others' rows are listed.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from tests.conftest import CLOSED_URL

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

CELL_RE = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
TAG_RE = re.compile(r"<[^>]+>")


def _get(client, url: str, expect: int = 200, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == expect, response.content[:800]
    return response.content.decode()


def _rows(html: str, attr: str) -> dict[str, list[str]]:
    """``{data-<attr> value: [cell text, ...]}`` of a page's table rows."""
    out = {}
    for key, body in re.findall(rf'<tr[^>]* data-{attr}="([^"]+)"[^>]*>(.*?)</tr>', html, re.S):
        out[unescape(key)] = [unescape(TAG_RE.sub("", c)).strip() for c in CELL_RE.findall(body)]
    return out


def _live_nodes(fleet):
    return [n for key, n in fleet.nodes.items() if key != fleet.stopped]


def test_anonymous_users_are_sent_to_login(client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    node = fleet.clusters[0].nodes[0]
    pod = next(p for p in fleet.clusters[0].pods if p.running)
    for url in (
        reverse("infrastructure-page"),
        reverse("infrastructure-node", args=[node.name]),
        reverse("infrastructure-pods"),
        reverse("infrastructure-pod", args=[pod.namespace, pod.name]),
        reverse("infrastructure-vms"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_node_list_shows_every_node_with_its_power_composition(staff_client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    html = _get(staff_client, reverse("infrastructure-page"))
    rows = _rows(html, "node")
    assert set(rows) == {n.name for n in fleet.nodes.values()}
    for node in _live_nodes(fleet):
        cells = rows[node.name]
        assert cells[1] == node.cluster and cells[2] == "ready", cells
        assert cells[4] == str(len(node.gpus)) and cells[5] == str(len(node.npus))
        assert cells[7] != "—" and float(cells[7].replace(",", "")) > 0  # power now
        assert cells[13] == ("—" if not node.has_dcmi else cells[7]), cells  # wall power is the total when metered
    stopped = rows[fleet.stopped[1]]
    assert stopped[2] == "unknown" and stopped[7] == "—" and stopped[9] == "—"  # silent: unknown, never 0
    assert stopped[8] == "—"  # no composition bar without a reading
    # The composition bar and its legend.
    assert html.count('class="power-bar infra-bar"') == len(fleet.nodes) - 1
    for part in ("pb-cpu", "pb-dram", "pb-gpu", "pb-npu", "pb-other", "pb-idle"):
        assert f'<i class="{part}"></i>' in html
    assert "Other (wall - parts)" in html


def test_node_list_filters_and_ordering(staff_client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    url = reverse("infrastructure-page")
    gpu_nodes = _rows(_get(staff_client, url, has_gpu="true"), "node")
    assert set(gpu_nodes) == {n.name for n in fleet.nodes.values() if n.gpus}
    seoul = _rows(_get(staff_client, url, cluster="seoul-a"), "node")
    assert set(seoul) == {n.name for n in fleet.cluster("seoul-a").nodes}
    unknown = _rows(_get(staff_client, url, status="unknown"), "node")
    assert list(unknown) == [fleet.stopped[1]]
    ordered = _rows(_get(staff_client, url, ordering="-power_watts"), "node")
    watts = [float(c[7].replace(",", "")) for c in ordered.values() if c[7] != "—"]
    assert watts == sorted(watts, reverse=True)
    assert list(ordered)[-1] == fleet.stopped[1]  # unknown power sorts last
    # Empty form fields mean "any".
    assert len(_rows(_get(staff_client, url, cluster="", status="", role=""), "node")) == len(fleet.nodes)


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"status": "sleepy"}, "status"),
        ({"has_gpu": "maybe"}, "has_gpu"),
        ({"role": "Bad Role!"}, "role"),
        ({"ordering": "-nonsense"}, "ordering"),
    ],
)
def test_bad_node_filters_are_a_message(staff_client, fleet_clusters, params, parameter):
    html = _get(staff_client, reverse("infrastructure-page"), expect=400, **params)
    assert "Invalid filter." in html and parameter in html


def test_unknown_cluster_filter_is_a_message(staff_client, fleet_clusters):
    html = _get(staff_client, reverse("infrastructure-page"), expect=400, cluster="nowhere")
    assert "Invalid filter." in html


def test_node_detail_shows_parts_devices_pods_and_ipmi(staff_client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    node = fleet.cluster("seoul-a").nodes[0]  # MIG GPU, the NaN temperature sensor
    html = _get(staff_client, reverse("infrastructure-node", args=[node.name]), cluster="seoul-a")
    assert f"<h1>{node.name}</h1>" in html
    for g in node.gpus:
        assert f'href="/accelerators/gpus/{g.uuid}/"' in html
    pods = _rows(html, "pod")
    on_node = [p for p in fleet.cluster("seoul-a").pods if p.node == node.name]
    assert set(pods) == {f"{p.namespace}/{p.name}" for p in on_node}
    for p in on_node:
        cells = pods[f"{p.namespace}/{p.name}"]
        assert cells[2] == p.phase
        if not p.running:
            assert cells[3] == "0.0"  # not running: draws nothing (a fact, not a missing value)
    sensors = _rows(html, "sensor")
    nan = sensors["M2/NVMe Temp"]
    assert nan[3] == "—" and nan[5] == "unknown"  # NaN reading, the exporter's NaN state
    assert sensors["PCIe Riser 1/2 Temp"][5] == "ok"
    assert sensors["Inlet Temp"][4] == "°C"
    assert 'class="s-row s-unknown" data-sensor="M2/NVMe Temp"' in html
    # The chart reads the node power API of that cluster over the page's range (24 h by default).
    chart = unescape(re.search(r'data-node-chart data-url="([^"]+)"', html).group(1))
    assert re.fullmatch(
        rf"/api/v1/infrastructure/nodes/{node.name}/power\?cluster=seoul-a&window=86400s&time=\d+", chart
    )
    assert "Energy in range" in html and "Over 24 h" in html and "Dell Inc. (674)" in html


def test_node_detail_of_an_npu_node_links_its_npus(staff_client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    node = next(n for n in _live_nodes(fleet) if n.npus)
    html = _get(staff_client, reverse("infrastructure-node", args=[node.name]))
    for x in node.npus:
        assert f'href="/accelerators/npus/{x.uuid}/"' in html


def test_node_detail_chart_api_answers_for_the_session(staff_client, fleet_clusters, fleet_prometheus):
    node = fleet_prometheus.fleet.cluster("busan-b").nodes[0]
    html = _get(staff_client, reverse("infrastructure-node", args=[node.name]))
    url = unescape(re.search(r'data-node-chart data-url="([^"]+)"', html).group(1))
    body = staff_client.get(url).json()
    series = body["window"]["series"]
    assert len(series) >= 140 and any(p["cpu_power_watts"] for p in series)


def test_stopped_node_detail_says_power_is_unknown(staff_client, fleet_clusters, fleet_prometheus):
    cluster, name = fleet_prometheus.fleet.stopped
    html = _get(staff_client, reverse("infrastructure-node", args=[name]), cluster=cluster)
    assert "Kepler reports no power for this node right now" in html


@pytest.mark.parametrize("name", ["no-such-node", "Bad_Name!"])
def test_unknown_node_is_a_404_page(staff_client, fleet_clusters, name):
    html = _get(staff_client, reverse("infrastructure-node", args=[name]), expect=404)
    assert "Not found." in html and "All nodes" in html


def _pod_pages(client, **params) -> dict[tuple[str, str], list[str]]:
    """Every row of the pod list over all its pages, in page order: ``{(cluster, ns/name): cells}``."""
    out: dict[tuple[str, str], list[str]] = {}
    for number in (1, 2, 3):
        html = _get(client, reverse("infrastructure-pods"), page=number, **params)
        rows = re.findall(r'<tr data-pod="([^"]+)" data-cluster="([^"]+)">(.*?)</tr>', html, re.S)
        for key, cluster, body in rows:
            out[(cluster, unescape(key))] = [unescape(TAG_RE.sub("", c)).strip() for c in CELL_RE.findall(body)]
        if "Next →</a>" not in html:
            break
    return out


def test_pod_list_top_consumers_and_filters(staff_client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    rows = _pod_pages(staff_client)
    assert set(rows) == {(c, f"{ns}/{name}") for c, ns, name in fleet.pods}  # 62 pods over two pages
    watts = [float(c[5].replace(",", "")) for c in rows.values() if c[5] != "—"]
    assert watts == sorted(watts, reverse=True)  # largest consumers first
    assert next(iter(rows.values()))[4] == "Running"
    ns = _pod_pages(staff_client, namespace="kube-system")
    assert ns and {k.split("/")[0] for _c, k in ns} == {"kube-system"}
    pending = _pod_pages(staff_client, phase="Pending")
    assert len(pending) == sum(1 for p in fleet.pods.values() if p.phase == "Pending")
    assert all(c[3] == "—" and c[5] == "0.0" for c in pending.values())  # not scheduled: no node, draws nothing
    cluster, g = next((g.cluster, g) for g in fleet.gpus.values() if g.pod is not None and g.pod.running)
    cells = rows[(cluster, f"{g.pod.namespace}/{g.pod.name}")]
    assert cells[3] == g.pod.node and "GPU" in cells[12]


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"phase": "Sleeping"}, "phase"),
        ({"namespace": "Bad NS"}, "namespace"),
        ({"min_power_watts": "-3"}, "min_power"),
    ],
)
def test_bad_pod_filters_are_a_message(staff_client, fleet_clusters, params, parameter):
    html = _get(staff_client, reverse("infrastructure-pods"), expect=400, **params)
    assert "Invalid filter." in html and parameter in html


def test_pod_detail_has_containers_devices_and_energy(staff_client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    g = next(g for g in fleet.gpus.values() if g.pod is not None and not g.mig and (g.cluster, g.node) != fleet.stopped)
    pod = g.pod
    html = _get(staff_client, reverse("infrastructure-pod", args=[pod.namespace, pod.name]), cluster=g.cluster)
    assert pod.name in html and "Running" in html
    containers = _rows(html, "container")
    assert set(containers) == {c.name for c in pod.containers}
    devices = _rows(html, "device")
    assert g.uuid in devices and f'href="/accelerators/gpus/{g.uuid}/"' in html
    energy = _rows(html, "window")
    assert set(energy) == {"1h", "24h"}  # the last hour, then the page's range
    assert all(c[1] != "—" and float(c[1].replace(",", "")) > 0 for c in energy.values())


def test_pod_that_ended_draws_nothing(staff_client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    (cluster, ns, name), _pod = next((k, p) for k, p in fleet.pods.items() if p.phase == "Succeeded")
    html = _get(staff_client, reverse("infrastructure-pod", args=[ns, name]), cluster=cluster)
    assert "Succeeded" in html and "This pod holds no GPU or NPU." in html


@pytest.mark.parametrize("args", [("default", "no-such-pod"), ("Bad NS", "x"), ("default", "Bad_Name!")])
def test_unknown_pod_is_a_404_page(staff_client, fleet_clusters, args):
    html = _get(staff_client, reverse("infrastructure-pod", args=args), expect=404)
    assert "Not found." in html and "All pods" in html


def test_vm_list_shows_vms_with_their_hosts(staff_client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    rows = _rows(_get(staff_client, reverse("infrastructure-vms")), "vm")
    vms = [vm for c in fleet.clusters for vm in c.vms]
    assert vms and set(rows) == {vm.uuid for vm in vms}
    for vm in vms:
        cells = rows[vm.uuid]
        assert cells[0].startswith(vm.name)
        assert cells[2] == vm.node and cells[3] == vm.status.lower()
        assert cells[4] == vm.project_name and cells[5] == vm.flavor
        assert cells[6] == str(vm.vcpus) and cells[7] == f"{vm.memory_bytes / 2**30:,.0f}"
        assert cells[9] == "—"  # no Kepler VM series in the fleet: unknown, never 0
    active = _rows(_get(staff_client, reverse("infrastructure-vms"), state="active"), "vm")
    assert set(active) == {vm.uuid for vm in vms if vm.status == "ACTIVE"}
    html = _get(staff_client, reverse("infrastructure-vms"), expect=400, host="Bad Host!")
    assert "Invalid filter." in html and "host" in html


def test_dead_cluster_is_announced_and_others_listed(staff_client, fleet_clusters, fleet_prometheus, make_cluster):
    make_cluster("dead-a", url=CLOSED_URL)
    for name in ("infrastructure-page", "infrastructure-pods", "infrastructure-vms"):
        html = _get(staff_client, reverse(name))
        assert "not answering" in html and "dead-a" in html, name
        assert "Figures from the other clusters are still shown." in html
    assert len(_rows(_get(staff_client, reverse("infrastructure-page")), "node")) == len(fleet_prometheus.fleet.nodes)
    # A name that is not found while a cluster is down cannot be called unknown.
    html = _get(staff_client, reverse("infrastructure-node", args=["no-such-node"]), expect=503)
    assert "Cannot be shown right now." in html


def test_ambiguous_node_name_offers_each_cluster(staff_client, fleet_clusters):
    from clusters.models import Cluster

    seoul = Cluster.objects.get(name="seoul-a")
    twin = Cluster(name="seoul-twin", prometheus_url=seoul.prometheus_url, timeout_seconds=10)
    twin.auth_type, twin.username, twin.password = seoul.auth_type, seoul.username, seoul.password
    twin.save()
    url = reverse("infrastructure-node", args=["seoul-a-gpu-00"])
    html = _get(staff_client, url, expect=400)
    assert "Which one?" in html and "seoul-twin" in html
    assert f'href="{url}?cluster=seoul-twin"' in html and f'href="{url}?cluster=seoul-a"' in html
    assert "<h1>seoul-a-gpu-00</h1>" in _get(staff_client, url, cluster="seoul-twin")
