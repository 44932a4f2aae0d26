"""The accelerators pages (Django test client) against the real Prometheus fleet.

Values on the pages come from the same services as the API; here we check the
pages show the fleet's real devices (uuids, models, nodes), that filters and
ordering work, that bad filter values show the validation message (400, never a
500), that missing values render as "—" and that a dead cluster is announced
while the others' devices are listed.
"""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse

from kcloud.templatetags.display import VENDOR_LABELS
from tests.conftest import CLOSED_URL

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

ROW_RE = re.compile(r'<tr data-(?:uuid|id)="([^"]+)">(.*?)</tr>', re.S)
CELL_RE = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
TAG_RE = re.compile(r"<[^>]+>")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def _rows(html: str) -> dict[str, list[str]]:
    """``{uuid: [cell text, ...]}`` of a list page's table (tags stripped)."""
    return {
        uuid: [TAG_RE.sub("", cell).strip() for cell in CELL_RE.findall(body)] for uuid, body in ROW_RE.findall(html)
    }


def _get(client, name: str, *args, expect: int = 200, **params) -> str:
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == expect, response.content[:800]
    return response.content.decode()


def _first(fleet, kind: str, predicate=lambda d: True):
    """The first device of the fleet matching ``predicate`` on a node that did not stop."""
    pool = fleet.gpus if kind == "gpu" else fleet.npus
    return next(d for d in pool.values() if (d.cluster, d.node) != fleet.stopped and predicate(d))


def test_anonymous_users_are_sent_to_login(client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    gpu, npu = _first(fleet, "gpu"), _first(fleet, "npu")
    for url in (
        reverse("accelerators-page"),
        reverse("accelerators-gpus"),
        reverse("accelerators-gpu", args=[gpu.uuid]),
        reverse("accelerators-npus"),
        reverse("accelerators-npu", args=[npu.uuid]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_gpu_list_shows_every_gpu_with_its_model(staff_client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    rows = _rows(_get(staff_client, "accelerators-gpus"))
    live = [u for u, g in fleet.gpus.items() if (g.cluster, g.node) != fleet.stopped]
    assert set(live) <= set(rows)  # the stopped node's GPUs are listed while seen within the hour
    assert set(rows) <= set(fleet.gpus)
    for uuid in live:
        g = fleet.gpus[uuid]
        cells = rows[uuid]
        assert cells[1:4] == [g.cluster, g.node, g.model.name], cells
        assert cells[4] in ("active", "idle")
        assert cells[5] != "—"  # power of a reporting GPU


def test_mig_gpu_shows_its_instances_engine_activity_not_zero(staff_client, fleet_clusters, fleet_prometheus):
    fleet, truth = fleet_prometheus.fleet, fleet_prometheus.truth
    mig = _first(fleet, "gpu", lambda g: g.mig)
    cells = _rows(_get(staff_client, "accelerators-gpus"))[mig.uuid]
    assert "MIG" in cells[0]
    # DCGM reports no GPU_UTIL under MIG: the page shows the slice-weighted engine activity.
    want = truth.gpu(mig.uuid, time.time())["utilization_percent"]
    assert want > 1 and cells[7] != "—"
    assert float(cells[7].rstrip("%").replace(",", "")) == pytest.approx(want, abs=1.0)
    assert cells[5] != "—"


def test_gpu_list_filters_and_orders(staff_client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    g = _first(fleet, "gpu")
    rows = _rows(_get(staff_client, "accelerators-gpus", model=g.model.name.lower()))
    assert g.uuid in rows
    assert {cells[3] for cells in rows.values()} == {g.model.name}

    rows = _rows(_get(staff_client, "accelerators-gpus", cluster=g.cluster, node=g.node))
    assert set(rows) == {u for u, x in fleet.gpus.items() if (x.cluster, x.node) == (g.cluster, g.node)}

    html = _get(staff_client, "accelerators-gpus", ordering="-power_watts", status="active")
    rows = _rows(html)
    assert rows and all(cells[4] == "active" for cells in rows.values())
    powers = [float(cells[5].replace(",", "")) for cells in rows.values()]
    assert powers == sorted(powers, reverse=True)
    assert 'href="?ordering=power_watts&amp;status=active"' in html or "ordering=power_watts" in html


def test_gpu_list_empty_filter_fields_mean_any(staff_client, fleet_clusters, fleet_prometheus):
    rows = _rows(_get(staff_client, "accelerators-gpus", cluster="", node="", model="", namespace="", status=""))
    assert set(rows) >= {
        u for u, g in fleet_prometheus.fleet.gpus.items() if (g.cluster, g.node) != fleet_prometheus.fleet.stopped
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "broken"}, "status: &#x27;broken&#x27; is not one of active, idle, unavailable."),
        ({"node": "Not A Node"}, "node: &#x27;Not A Node&#x27; is not a valid Kubernetes DNS-1123 name."),
        ({"namespace": "UPPER"}, "namespace: &#x27;UPPER&#x27; is not a valid Kubernetes DNS-1123 label."),
        ({"ordering": "-colour"}, "ordering: &#x27;colour&#x27; is not orderable"),
        ({"cluster": "atlantis"}, "Unknown cluster: atlantis"),
        ({"cluster": "no spaces"}, "cluster: &#x27;no spaces&#x27; is not a cluster name"),
    ],
)
def test_bad_filter_values_show_the_validation_message(staff_client, fleet_clusters, params, message):
    for name in ("accelerators-gpus", "accelerators-npus"):
        html = _get(staff_client, name, expect=400, **params)
        assert "Invalid filter." in html and message in html, name
        assert not _rows(html)


def test_gpu_detail_shows_identity_allocation_and_chart_placeholders(staff_client, fleet_clusters, fleet_prometheus):
    fleet, truth = fleet_prometheus.fleet, fleet_prometheus.truth
    g = _first(fleet, "gpu", lambda x: x.pod is not None and not x.mig)
    html = _get(staff_client, "accelerators-gpu", g.uuid)
    want = truth.gpu(g.uuid, fleet_prometheus.deployment.history_end)
    for value in (
        g.uuid,
        g.model.name,
        g.node,
        g.cluster,
        g.pci_bus_id,
        g.driver_version,
        want["pod"],
        want["namespace"],
    ):
        assert value in html, value
    api = reverse("api-accelerators-gpu-timeseries", args=[g.uuid])
    assert html.count(f'data-url="{api}?cluster={g.cluster}&amp;start=') == 3  # over the page's range
    assert 'data-metrics="power_watts"' in html and 'data-metrics="utilization_percent"' in html
    assert "uPlot.iife.min.js" in html and "accelerators-device.js" in html
    assert "kWh" in html and "Last XID error" in html


def test_mig_gpu_detail_lists_instances_and_their_engine_activity(staff_client, fleet_clusters, fleet_prometheus):
    g = _first(fleet_prometheus.fleet, "gpu", lambda x: x.mig)
    html = _get(staff_client, "accelerators-gpu", g.uuid)
    assert "MIG instances" in html
    for instance in g.mig:
        assert instance.profile in html
        if instance.pod:
            assert instance.pod.name in html
    # No GPU_UTIL under MIG: each instance's engine activity is shown, and the page says why.
    assert "Engine activity (%)" in html and "reports no GPU utilization under MIG" in html


def test_unknown_and_malformed_devices_are_404_pages(staff_client, fleet_clusters):
    html = _get(staff_client, "accelerators-gpu", "GPU-00000000-0000-0000-0000-000000000000", expect=404)
    assert "Unknown GPU" in html
    html = _get(staff_client, "accelerators-gpu", "not-a-uuid", expect=404)
    assert "is not a device UUID" in html
    html = _get(staff_client, "accelerators-npu", "00000000-0000-0000-0000-000000000000", expect=404)
    assert "Unknown NPU" in html


def test_npu_list_and_vendor_filter(staff_client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    rows = _rows(_get(staff_client, "accelerators-npus"))
    live = [u for u, x in fleet.npus.items() if (x.cluster, x.node) != fleet.stopped]
    assert live and set(live) <= set(rows)
    for uuid in live:
        x = fleet.npus[uuid]
        assert rows[uuid][1:4] == [x.cluster, x.node, VENDOR_LABELS[x.model.vendor]]
        assert rows[uuid][0].startswith(x.device)
    rows = _rows(_get(staff_client, "accelerators-npus", vendor="rebellions"))
    assert rows and all(cells[3] == "Rebellions" for cells in rows.values())
    html = _get(staff_client, "accelerators-npus", expect=400, vendor="intel")
    assert "vendor: &#x27;intel&#x27; is not one of furiosa, rebellions." in html


def test_furiosa_detail_has_per_core_utilization(staff_client, fleet_clusters, fleet_prometheus):
    x = _first(fleet_prometheus.fleet, "npu", lambda n: n.model.vendor == "furiosa")
    html = _get(staff_client, "accelerators-npu", x.uuid)
    assert x.uuid in html and x.node in html and x.firmware_version in html
    cores = re.findall(r"<tr><td>(\d+)</td><td><span class=\"util\">", html)
    assert [int(c) for c in cores] == list(range(x.model.cores))
    for p in x.partitions:
        assert p.cores in html and p.pod.name in html
    api = reverse("api-accelerators-npu-timeseries", args=[x.uuid])
    assert html.count(f'data-url="{api}?cluster={x.cluster}&amp;start=') == 3


def test_rebellions_detail_says_utilization_is_per_card(staff_client, fleet_clusters, fleet_prometheus):
    x = _first(fleet_prometheus.fleet, "npu", lambda n: n.model.vendor == "rebellions")
    html = _get(staff_client, "accelerators-npu", x.uuid)
    assert x.uuid in html and x.device in html
    assert "reports utilization per card, not per core" in html


def test_overview_pages_show_counts_by_kind_and_vendor(staff_client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    for name in ("accelerators-page", "overview"):
        html = _get(staff_client, name)
        assert "By kind and vendor" in html or "Accelerators" in html
        table = html[html.index('class="data acc-summary"') :]
        gpu_row = re.search(r"<strong>GPUs</strong></a></td>\s*<td class=\"num\"><strong>(\d+)</strong>", table)
        npu_row = re.search(r"<strong>NPUs</strong></a></td>\s*<td class=\"num\"><strong>(\d+)</strong>", table)
        assert gpu_row and npu_row, name
        live_gpus = sum(1 for g in fleet.gpus.values() if (g.cluster, g.node) != fleet.stopped)
        live_npus = sum(1 for x in fleet.npus.values() if (x.cluster, x.node) != fleet.stopped)
        assert live_gpus <= int(gpu_row.group(1)) <= len(fleet.gpus)
        assert live_npus <= int(npu_row.group(1)) <= len(fleet.npus)
        for vendor in ("NVIDIA", "FuriosaAI", "Rebellions"):
            assert f"<td>{vendor}</td>" in table, (name, vendor)


def test_a_dead_cluster_is_announced_and_the_others_listed(
    staff_client, fleet_clusters, fleet_prometheus, make_cluster
):
    make_cluster("dead-a", url=CLOSED_URL)
    html = _get(staff_client, "accelerators-gpus")
    assert "not answering" in html and "dead-a" in html
    assert _rows(html)
    html = _get(staff_client, "accelerators-page")
    assert "not answering" in html and "dead-a" in html


def test_gpu_list_paginates_and_keeps_filters(staff_client, fleet_clusters, fleet_prometheus, monkeypatch):
    from accelerators.views import lists

    monkeypatch.setattr(lists, "PAGE_SIZE", 10)
    first = _get(staff_client, "accelerators-gpus", ordering="node")
    assert "Page 1 of" in first and 'href="?ordering=node&amp;page=2"' in first
    second = _get(staff_client, "accelerators-gpus", ordering="node", page=2)
    assert "Page 2 of" in second
    assert len(_rows(first)) == 10 and not set(_rows(first)) & set(_rows(second))
    nodes = [cells[2] for cells in [*_rows(first).values(), *_rows(second).values()]]
    assert nodes == sorted(nodes)


def test_device_page_says_when_a_cluster_could_not_be_asked(staff_client, fleet_clusters, make_cluster):
    make_cluster("dead-a", url=CLOSED_URL)
    html = _get(staff_client, "accelerators-gpu", "GPU-00000000-0000-0000-0000-000000000000", expect=503)
    assert "Cannot be shown right now." in html and "dead-a" in html
