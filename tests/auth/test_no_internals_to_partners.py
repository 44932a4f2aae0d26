"""Nothing internal reaches a partner: no Prometheus address in any answer, error answers included.

The real fleet, plus a cluster that is down and one whose Prometheus refuses the
stored password. A partner's token (operator role, so exports and streams are
open to it too) opens every GET path of the OpenAPI schema, the error answers
(unknown ids while a cluster is down), exports in every format, the report and a
live stream; no answer may contain a registered Prometheus address. A staff
session, for contrast, still sees the details.
"""

from __future__ import annotations

import io
import json
import re
from urllib.parse import urlparse

import pytest

from tests.conftest import CLOSED_URL

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]


@pytest.fixture
def troubled(fleet_clusters, make_cluster):
    """The fleet with one refusing cluster (wrong password) and one dead one; their addresses."""
    refusing = next(c for c in fleet_clusters if c.has_password)
    refusing.password = "wrong-password"
    refusing.save()
    make_cluster("dead-a", url=CLOSED_URL)
    from clusters.models import Cluster

    return sorted({urlparse(c.prometheus_url).netloc for c in Cluster.objects.all()})


def _leaks(text: str, addresses: list[str]) -> list[str]:
    return [a for a in addresses if a in text]


def _paths(staff_api) -> list[str]:
    schema = staff_api.get("/api/v1/schema/", {"format": "json"}).json()
    first = lambda path: staff_api.get(f"/api/v1/{path}", {"page_size": 1}).json()["results"][0]  # noqa: E731
    gpu, npu, node = first("accelerators/gpus"), first("accelerators/npus"), first("infrastructure/nodes")
    pod, container = first("infrastructure/pods"), first("infrastructure/containers")
    vm = first("infrastructure/vms")
    values = {
        "uuid": gpu["uuid"],
        "id": npu["id"],
        "node": node["name"],
        "container": container["name"],
    }
    out = []
    for path, operations in schema["paths"].items():
        if "get" not in operations or path.startswith("/api/v1/export/"):
            continue
        here = dict(values)
        if path.startswith("/api/v1/clusters/{name}"):
            here["name"] = node["cluster"]
        elif path.startswith("/api/v1/infrastructure/pods/"):
            here.update(namespace=pod["namespace"], name=pod["name"])
        elif path.startswith("/api/v1/infrastructure/containers/"):
            here.update(namespace=container["namespace"], pod=container["pod"])
        elif path.startswith("/api/v1/infrastructure/vms/"):
            here["id"] = vm["id"]
        else:
            here.setdefault("name", node["name"])
        url = re.sub(r"\{(\w+)\}", lambda m, here=here: here[m.group(1)], path)
        if path.endswith("/timeseries/metrics"):
            url += "?metric=gpu_power_watts"
        out.append(url)
    return out


def test_no_answer_to_a_partner_names_a_prometheus_address(
    troubled, staff_api, token_client, partner_operator, fleet_prometheus
):
    partner = token_client(partner_operator)
    paths = _paths(staff_api)
    # Error answers too: unknown ids while a cluster is down are 503s naming the clusters.
    paths += [
        "/api/v1/accelerators/gpus/GPU-00000000-0000-0000-0000-000000000000",
        "/api/v1/infrastructure/nodes/no-such-node",
        "/api/v1/clusters/dead-a/summary",
        "/api/v1/clusters/dead-a/topology",
    ]
    checked = 0
    for url in paths:
        response = partner.get(url)
        assert response.status_code < 500 or response.status_code in (502, 503, 504), url
        body = response.content.decode()
        assert not _leaks(body, troubled), (url, _leaks(body, troubled))
        checked += 1
    assert checked >= 55
    # The refusal and the dead cluster are reported, in plain words.
    outcomes = {c["name"]: c for c in partner.get("/api/v1/infrastructure/nodes").json()["clusters"]}
    assert outcomes["dead-a"]["error"] == "unreachable"
    assert "refused credentials" in {c["error"] for c in outcomes.values()}
    # Staff still see what exactly went wrong.
    staff_outcomes = {c["name"]: c for c in staff_api.get("/api/v1/infrastructure/nodes").json()["clusters"]}
    assert staff_outcomes["dead-a"]["error"] not in (None, "unreachable")


@pytest.mark.parametrize("fmt", ["json", "csv", "parquet", "xlsx"])
def test_no_export_to_a_partner_names_a_prometheus_address(troubled, token_client, partner_operator, fmt):
    partner = token_client(partner_operator)
    response = partner.get("/api/v1/export/energy", {"format": fmt, "group_by": "cluster"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = _text_of(fmt, content) + json.dumps(dict(response.headers))
    assert not _leaks(text, troubled)
    assert "dead-a=error" in response["X-KCloud-Clusters"]


def test_no_report_to_a_partner_names_a_prometheus_address(troubled, token_client, partner_operator):
    from pypdf import PdfReader

    partner = token_client(partner_operator)
    response = partner.get("/api/v1/export/report", {"format": "pdf", "period": "daily"})
    assert response.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "dead-a" in text and not _leaks(text, troubled)


def _text_of(fmt: str, content: bytes) -> str:
    if fmt in ("json", "csv"):
        return content.decode()
    if fmt == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(content))
        metadata = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
        return json.dumps(table.to_pylist(), default=str) + json.dumps(metadata)
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return json.dumps([[list(r) for r in ws.iter_rows(values_only=True)] for ws in workbook], default=str)
