"""The hardware health page (Django test client) against the real Prometheus fleet.

States are the exporter's ``*_state`` series: the critical fan is red and its
node comes first, the NaN temperature reads "—" with its unknown state, sensor
names keep their spaces and slashes, DCMI wall power is "—" where the BMC has
none, and a dead cluster is announced.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from tests.conftest import CLOSED_URL

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

CELL_RE = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)
TAG_RE = re.compile(r"<[^>]+>")
URL = "/hardware/"


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def _get(client, expect: int = 200, **params) -> str:
    response = client.get(reverse("hardware-page"), params)
    assert response.status_code == expect, response.content[:800]
    return response.content.decode()


def _node_rows(html: str) -> list[tuple[str, list[str]]]:
    """The nodes table, in page order: (node, [cell text, ...])."""
    table = html.split('class="data hw-nodes"', 1)[1].split("</table>", 1)[0]
    return [
        (unescape(node), [unescape(TAG_RE.sub("", c)).strip() for c in CELL_RE.findall(body)])
        for node, body in re.findall(r'<tr data-node="([^"]+)"[^>]*>(.*?)</tr>', table, re.S)
    ]


def _cell(html: str, node: str, sensor: str) -> tuple[str, str]:
    """(text, state) of one sensor cell of the by-type grids."""
    pattern = rf'data-sensor="{re.escape(sensor)}" data-state="(\w+)"[^>]*>(.*?)</td>'
    cell = re.search(pattern, _grid_row(html, node, sensor))
    return unescape(TAG_RE.sub("", cell.group(2))).strip(), cell.group(1)


def _grid_row(html: str, node: str, sensor: str) -> str:
    for section in html.split('<section class="panel sensor-grid"')[1:]:
        match = re.search(rf'<tr data-node="{re.escape(node)}">(.*?)</tr>', section, re.S)
        if match and f'data-sensor="{sensor}"' in match.group(1):
            return match.group(1)
    raise AssertionError((node, sensor))


def test_anonymous_is_sent_to_login(client, fleet_clusters):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_critical_fan_node_comes_first_in_red(staff_client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    fan_node = next(n for n in fleet.nodes.values() if "fan_critical" in n.ipmi_quirks)
    html = _get(staff_client)
    rows = _node_rows(html)
    live = [n.name for key, n in fleet.nodes.items() if key != fleet.stopped]
    assert {node for node, _cells in rows} == set(live)  # the stopped node's BMC exporter is silent
    first, cells = rows[0]
    assert first == fan_node.name and cells[2] == "critical" and cells[3] == "1"
    assert "Fan3B" in cells[7]
    text, state = _cell(html, fan_node.name, "Fan3B")
    assert state == "critical" and text.startswith("840")
    assert 'class="kpi"><div class="label">Critical</div><div class="value warn">1<' in html


def test_nan_sensor_is_a_dash_with_its_state(staff_client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    nan_node = next(n for n in fleet.nodes.values() if "nan_temp" in n.ipmi_quirks)
    html = _get(staff_client)
    text, state = _cell(html, nan_node.name, "M2/NVMe Temp")
    assert text == "— unknown" and state == "unknown"
    other = next(n for key, n in fleet.nodes.items() if key != fleet.stopped and not n.ipmi_quirks)
    text, state = _cell(html, other.name, "M2/NVMe Temp")
    assert text == "41" and state == "ok"
    nodes = dict(_node_rows(html))
    assert nodes[nan_node.name][2] == "unknown" and "M2/NVMe Temp" in nodes[nan_node.name][7]


def test_sensor_grids_by_type_keep_real_names(staff_client, fleet_clusters):
    html = _get(staff_client)
    types = re.findall(r'<section class="panel sensor-grid" data-type="(\w+)">', html)
    assert types == ["temperature", "fan", "voltage", "current", "power", "other"]
    for name in ("PCIe Riser 1/2 Temp", "M2/NVMe Temp", "CPU1 VCORE", "PSU1 Input Power", "PS Redundancy"):
        assert f">{name}" in html, name
    assert ">Fan 1 DutyCycle (%)<" in html  # a ratio fan among RPM fans names its unit
    assert "Temperature (°C)" in html and "Voltage (V)" in html


def test_dcmi_wall_power_and_bmc(staff_client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    rows = dict(_node_rows(_get(staff_client)))
    for key, node in fleet.nodes.items():
        if key == fleet.stopped:
            continue
        cells = rows[node.name]
        if node.has_dcmi:
            assert cells[8] != "—" and float(cells[8].replace(",", "")) > 0
        else:
            assert cells[8] == "—", cells
        assert cells[9] != "—"  # PSU input power sensors exist everywhere
        assert cells[10] == "on" and cells[11] == "Dell Inc. (674) · 1.66 / 2.6.1"


def test_filters(staff_client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    html = _get(staff_client, cluster="busan-b", type="fan")
    assert {n for n, _c in _node_rows(html)} == {n.name for n in fleet.cluster("busan-b").nodes}
    assert re.findall(r'sensor-grid" data-type="(\w+)"', html) == ["fan"]
    critical = _get(staff_client, state="critical")
    assert [n for n, _c in _node_rows(critical)] == [
        next(n.name for n in fleet.nodes.values() if "fan_critical" in n.ipmi_quirks)
    ]
    assert critical.count('data-state="critical"') == 1 and 'data-state="ok"' not in critical


@pytest.mark.parametrize(
    "params, parameter", [({"type": "smell"}, "type"), ({"state": "fine"}, "state"), ({"node": "Bad Node!"}, "node")]
)
def test_bad_filters_are_a_message(staff_client, fleet_clusters, params, parameter):
    html = _get(staff_client, expect=400, **params)
    assert "Invalid filter." in html and parameter in html


def test_dead_cluster_notice(staff_client, fleet_clusters, make_cluster):
    make_cluster("dead-a", url=CLOSED_URL)
    html = _get(staff_client)
    assert "not answering" in html and "dead-a" in html
    assert _node_rows(html)
