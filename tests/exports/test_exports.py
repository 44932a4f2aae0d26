"""``/api/v1/export/{power,energy,metrics}``: every format read back equals the JSON API, which equals the truth."""

from __future__ import annotations

import pytest
from django.test import override_settings

from clusters.models import Cluster
from tests.exports.readers import body_of, read
from tests.exports.stamps import stamp
from tests.monitoring.helpers import ENERGY, PARTS, close, get, window_end

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

FORMATS = ("json", "csv", "parquet", "xlsx")
SERIES = "/api/v1/monitoring/timeseries/power"
METRICS = "/api/v1/monitoring/timeseries/metrics"
STEP = 120
_FLOATS = (*(f"{p}_energy_kwh" for p in PARTS), "energy_kwh", "facility_energy_kwh", "carbon_grams", "cost", "pue")


@pytest.fixture
def api(staff_api, fleet_clusters, fleet_prometheus):
    staff_api.fleet = fleet_prometheus
    return staff_api


def _window(api, seconds: int = 1800) -> dict:
    end = int(window_end(api.fleet.fleet))
    return {"start": end - seconds, "end": end}


def _export(api, dataset: str, fmt: str, **params):
    response = api.get(f"/api/v1/export/{dataset}", {"format": fmt, **params})
    assert response.status_code == 200, body_of(response)[:500]
    return response


def _rows(api, dataset: str, fmt: str, **params) -> tuple[list[str], list[dict]]:
    return read(fmt, body_of(_export(api, dataset, fmt, **params)))


def _same(fmt: str, got, expected) -> bool:
    """Exact equality, except Excel: openpyxl writes numbers with 16 significant digits ("%.16g")."""
    if fmt != "xlsx":
        return got == expected
    if set(got) != set(expected):
        return False
    for key, want in expected.items():
        value = got[key]
        if (value is None) != (want is None) or (want is not None and value != pytest.approx(want, rel=1e-15)):
            return False
    return True


def _long(body: dict, fields: tuple[str, ...], value_key: str, out_key: str) -> dict:
    """JSON API series → {(timestamp, *group fields): value}."""
    out = {}
    for row in body["results"]:
        for ts, value in zip(body["timestamps"], row[value_key], strict=True):
            out[(ts, *(row.get(f) for f in fields))] = value
    return out


@pytest.mark.parametrize(("group_by", "fields"), [("cluster", ("cluster",)), ("namespace", ("cluster", "namespace"))])
def test_power_files_equal_the_json_api(api, group_by, fields):
    params = {**_window(api), "step": f"{STEP}s", "group_by": group_by}
    expected = _long(get(api, SERIES, **params), fields, "power_watts", "power_watts")
    assert expected and any(v is not None for v in expected.values())
    for fmt in FORMATS:
        columns, rows = _rows(api, "power", fmt, **params)
        assert columns == ["timestamp", *fields, "power_watts"], fmt
        got = {(r["timestamp"], *(r[f] for f in fields)): r["power_watts"] for r in rows}
        assert len(got) == len(rows) == len(expected), fmt
        assert _same(fmt, got, expected), fmt  # the same floats through every format


def test_power_by_resource_type_equals_the_truth(api):
    """Accelerator power is a gauge: the exported GPU/NPU series are the fleet's truth at each instant."""
    truth = api.fleet.truth
    params = {**_window(api), "step": f"{STEP}s", "group_by": "resource_type"}
    _columns, rows = _rows(api, "power", "csv", **params)
    from django.utils.dateparse import parse_datetime

    checked = 0
    for row in rows:
        if row["resource_type"] not in ("gpu", "npu"):
            continue
        t = parse_datetime(row["timestamp"]).timestamp()
        want = sum(
            truth.cluster_power(c.name, t)[f"{row['resource_type']}_power_watts"] for c in api.fleet.fleet.clusters
        )
        assert close(row["power_watts"], want), row
        checked += 1
    assert checked == 2 * (1800 // STEP + 1)


def test_power_json_summary_and_excel_chart(api):
    from io import BytesIO

    from openpyxl import load_workbook

    params = {**_window(api), "step": f"{STEP}s", "group_by": "node"}
    import json

    body = json.loads(body_of(_export(api, "power", "json", **params)))
    summary = body["summary"]
    assert summary["group_by"] == "node" and summary["step_seconds"] == STEP
    assert summary["rows"] == len(body["rows"]) == summary["series"] * summary["timestamps"]
    assert summary["partial"] is False and summary["total"]["max_power_watts"] > 0
    assert {c["name"] for c in body["columns"] if c["unit"]} == {"power_watts"}
    wb = load_workbook(BytesIO(body_of(_export(api, "power", "xlsx", **params))))
    assert wb.sheetnames == ["Summary", "Data", "Chart"]
    assert wb["Data"].freeze_panes == "A2" and wb["Chart"].freeze_panes == "A2"
    assert '"W"' in wb["Data"]["C2"].number_format or '"W"' in wb["Data"]["D2"].number_format
    charts = wb["Chart"]._charts
    assert len(charts) == 1 and charts[0].tagname == "lineChart"


def test_energy_files_equal_the_json_api_and_the_truth(api):
    fp = api.fleet
    end = window_end(fp.fleet)
    params = {"start": int(end - 3600), "end": int(end), "group_by": "namespace"}
    body = get(api, ENERGY, **params)
    expected = body["results"]
    names = list(expected[0])
    assert names[:4] == ["cluster", "namespace", "node", "idle"]
    for fmt in FORMATS:
        columns, rows = _rows(api, "energy", fmt, **params)
        assert columns == names, fmt
        assert [{k: v for k, v in r.items() if k not in _FLOATS} for r in rows] == [
            {k: v for k, v in r.items() if k not in _FLOATS} for r in expected
        ], fmt
        for got, want in zip(rows, expected, strict=True):
            assert _same(fmt, {k: got[k] for k in _FLOATS if k in got}, {k: want[k] for k in _FLOATS if k in want})
    for row in expected:
        if row["idle"]:
            continue
        # NPU power is a gauge: compare with its scraped integral (demo/truth.py says why).
        truth = fp.truth.namespace_energy_kwh(row["cluster"], row["namespace"], end - 3600, end, scraped=True)
        for part in PARTS:
            assert close(row[f"{part}_energy_kwh"], truth[part]), (row, part)


def test_energy_summary_has_the_totals(api):
    import json

    end = window_end(api.fleet.fleet)
    params = {"start": int(end - 3600), "end": int(end), "group_by": "cluster"}
    totals = get(api, ENERGY, **params)["totals"]
    body = json.loads(body_of(_export(api, "energy", "json", **params)))
    assert body["summary"]["totals"] == totals
    assert body["parameters"]["group_by"] == "cluster" and body["parameters"]["cluster"] == "all"


def test_metrics_files_equal_the_json_api_and_the_truth(api, monkeypatch):
    from exports.datasets import metrics

    truth = api.fleet.truth
    params = {**_window(api), "step": f"{STEP}s", "metric": "gpu_power_watts"}
    body = get(api, METRICS, **params, group_by="gpu")
    fields = ("cluster", "node", "uuid", "index", "model")
    expected = _long(body, fields, "gpu_power_watts", "gpu_power_watts")
    # Small chunks: the file is assembled from several range queries and must not notice.
    monkeypatch.setattr(metrics, "FIRST_CHUNK_STEPS", 4)
    monkeypatch.setattr(metrics, "CHUNK_POINTS", 200)
    for fmt in FORMATS:
        columns, rows = _rows(api, "metrics", fmt, **params, resource="gpus")
        assert columns == ["timestamp", *fields, "gpu_power_watts"], fmt
        got = {(r["timestamp"], *(r[f] for f in fields)): r["gpu_power_watts"] for r in rows}
        assert len(got) == len(rows) and _same(fmt, got, expected), fmt
    from django.utils.dateparse import parse_datetime

    for (ts, _cluster, _node, uuid, _index, _model), value in expected.items():
        want = truth.gpu(uuid, parse_datetime(ts).timestamp())["power_watts"]
        assert value == pytest.approx(want, rel=1e-9), (uuid, ts)


def test_filename_and_content_type(api):
    cluster = api.fleet.fleet.clusters[0].name
    end = int(window_end(api.fleet.fleet))
    params = {"start": end - 86400, "end": end, "cluster": cluster, "group_by": "cluster"}
    response = _export(api, "energy", "xlsx", **params)
    start_text, end_text = stamp(end - 86400), stamp(end)
    assert response["Content-Disposition"] == (
        f'attachment; filename="kcloud-energy-{cluster}-{start_text}-{end_text}.xlsx"'
    )
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    csv_response = _export(api, "power", "csv", **params)
    assert csv_response.streaming and csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response["Content-Disposition"].endswith('.csv"')
    plain = body_of(csv_response)
    assert not plain.startswith(b"\xef\xbb\xbf")
    # bom=true (what the exports page sends): the same bytes after a UTF-8 byte-order mark.
    marked = body_of(_export(api, "power", "csv", bom="true", **params))
    assert marked == b"\xef\xbb\xbf" + plain
    # Formats that carry their encoding ignore it.
    assert not body_of(_export(api, "power", "json", bom="true", **params)).startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize(
    ("path", "params", "parameter", "hint"),
    [
        ("power", {"format": "pdf"}, "format", "json, csv, parquet, xlsx"),
        ("energy", {"format": "docx"}, "format", "json, csv, parquet, xlsx"),
        ("power", {"group_by": "pod"}, "group_by", ""),
        ("power", {"step": "10s"}, "step", ""),
        ("power", {"start": "2026-01-01T00:00:00Z", "end": "2026-01-05T00:00:00Z", "step": "30s"}, "step", ""),
        ("energy", {"start": "yesterday"}, "start", ""),
        ("energy", {"idle": "spread"}, "idle", ""),
        ("energy", {"window": "1h"}, "window", ""),
        ("metrics", {}, "metric", "gpu_power_watts"),
        ("metrics", {"metric": "gpu_power_watts", "resource": "nodes"}, "resource", ""),
        ("metrics", {"metric": "gpu_power_watts", "resource": "racks"}, "resource", ""),
        ("metrics", {"metric": "gpu_power_watts", "cluster": "no such!"}, "cluster", ""),
    ],
)
def test_bad_parameters_are_400(staff_api, db, path, params, parameter, hint):
    response = staff_api.get(f"/api/v1/export/{path}", params)
    assert response.status_code == 400, body_of(response)[:300]
    error = response.json()["error"]
    assert error["details"]["parameter"] == parameter
    assert hint in error["message"]


def test_unknown_cluster_is_404(staff_api, db):
    response = staff_api.get("/api/v1/export/energy", {"cluster": "nowhere"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_anonymous_is_refused(client, db):
    assert client.get("/api/v1/export/energy").status_code in (401, 403)


def test_point_limit_suggests_a_larger_step(api):
    params = {**_window(api, 3600), "step": "30s", "group_by": "node"}
    with override_settings(KCLOUD_EXPORT_MAX_POINTS=1000):
        response = api.get("/api/v1/export/power", {"format": "csv", **params})
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["details"]["parameter"] == "step" and "larger step" in error["message"]
        window = {k: v for k, v in params.items() if k != "group_by"}
        metrics = api.get("/api/v1/export/metrics", {"format": "csv", **window, "metric": "gpu_power_watts"})
        assert metrics.status_code == 400 and metrics.json()["error"]["details"]["parameter"] == "step"
    _export(api, "power", "csv", **params)  # within the default limit


def test_a_scoped_token_exports_only_its_clusters(api, partner_operator, token_client):
    clusters = api.fleet.fleet.clusters
    mine, other = clusters[0].name, clusters[1].name
    from clusters.models import Cluster

    client = token_client(partner_operator, clusters=[Cluster.objects.get(name=mine)])
    end = int(window_end(api.fleet.fleet))
    params = {"start": end - 3600, "end": end, "format": "csv"}
    assert client.get("/api/v1/export/energy", {**params, "cluster": other}).status_code == 404
    assert client.get("/api/v1/export/power", {**params, "cluster": other}).status_code == 404
    response = client.get("/api/v1/export/energy", {**params, "group_by": "cluster"})
    assert response.status_code == 200
    _columns, rows = read("csv", body_of(response))
    assert rows and {r["cluster"] for r in rows} == {mine}
    assert "kcloud-energy-all-" in response["Content-Disposition"]


def test_a_dead_cluster_makes_the_file_partial(api, make_cluster):
    import json

    make_cluster("dead-cluster")
    end = window_end(api.fleet.fleet)
    params = {"start": int(end - 3600), "end": int(end), "group_by": "cluster"}
    body = json.loads(body_of(_export(api, "energy", "json", **params)))
    outcomes = {c["name"]: c["status"] for c in body["clusters"]}
    assert outcomes["dead-cluster"] == "error"
    assert body["summary"]["totals"]["partial"] is True
    assert "dead-cluster" not in {r["cluster"] for r in body["rows"]}
    power = json.loads(body_of(_export(api, "power", "json", **params, step="120s")))
    assert power["summary"]["missing_clusters"] == ["dead-cluster"]
    # A CSV has no outcomes inside: its headers say which clusters it holds.
    csv_response = _export(api, "energy", "csv", **params)
    assert csv_response["X-KCloud-Partial"] == "true"
    assert "dead-cluster=error" in csv_response["X-KCloud-Clusters"]
    assert "seoul-a=ok" in csv_response["X-KCloud-Clusters"]
    Cluster.objects.filter(name="dead-cluster").delete()
    assert _export(api, "energy", "csv", **params)["X-KCloud-Partial"] == "false"
