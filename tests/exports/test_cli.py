"""``manage.py export``: the same bytes (or rows) as the API for the same parameters."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.exports.readers import body_of, read
from tests.monitoring.helpers import window_end

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]


@pytest.fixture
def window(fleet_clusters, fleet_prometheus) -> dict:
    end = int(window_end(fleet_prometheus.fleet))
    return {"start": str(end - 3600), "end": str(end)}


def _cli(tmp_path, *args: str) -> tuple[bytes, str]:
    out = tmp_path / "export.out"
    err = StringIO()
    call_command("export", *args, "--output", str(out), stderr=err, stdout=StringIO())
    return out.read_bytes(), err.getvalue()


def _api(staff_api, dataset: str, **params) -> bytes:
    response = staff_api.get(f"/api/v1/export/{dataset}", params)
    assert response.status_code == 200
    return body_of(response)


def test_energy_csv_is_byte_for_byte_the_api(staff_api, window, tmp_path):
    args = ["--start", window["start"], "--end", window["end"], "--group-by", "pod"]
    data, err = _cli(tmp_path, "energy", "--format", "csv", *args)
    assert data == _api(staff_api, "energy", format="csv", group_by="pod", **window)
    assert "wrote" in err and "kcloud-energy-all-" in err


def test_power_csv_and_parquet_equal_the_api(staff_api, window, tmp_path):
    args = ["--start", window["start"], "--end", window["end"], "--step", "60s", "--group-by", "node"]
    params = {"step": "60s", "group_by": "node", **window}
    data, _err = _cli(tmp_path, "power", "--format", "csv", *args)
    assert data == _api(staff_api, "power", format="csv", **params)
    # Parquet carries the clusters' latencies in its metadata: compare what it holds, not its bytes.
    data, _err = _cli(tmp_path, "power", "--format", "parquet", *args)
    assert read("parquet", data) == read("parquet", _api(staff_api, "power", format="parquet", **params))


def test_metrics_with_a_progress_bar(staff_api, window, fleet_clusters, tmp_path):
    cluster = fleet_clusters[0].name
    args = ["--metric", "gpu_power_watts", "--step", "30s", "--cluster", cluster, "--progress"]
    data, err = _cli(tmp_path, "metrics", "--format", "csv", "--start", window["start"], "--end", window["end"], *args)
    params = {"metric": "gpu_power_watts", "step": "30s", "cluster": cluster, **window}
    assert data == _api(staff_api, "metrics", format="csv", **params)
    assert "rows" in err and "100%" in err and "#" in err


def test_report_goes_through_the_report_renderer(window, tmp_path):
    data, err = _cli(
        tmp_path, "report", "--format", "pdf", "--period", "custom", "--start", window["start"], "--end", window["end"]
    )
    assert data.startswith(b"%PDF") and "kcloud-report-all-" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["energy", "--format", "pdf"], "format"),
        (["power", "--group-by", "rack"], "group_by"),
        (["energy", "--cluster", "nowhere"], "nowhere"),
        (["metrics", "--metric", "nope"], "metric"),
    ],
)
def test_bad_options_are_command_errors_and_leave_no_file(window, tmp_path, args, message):
    out = tmp_path / "never.csv"
    with pytest.raises(CommandError, match=message):
        call_command("export", *args, "--output", str(out), stderr=StringIO())
    assert not out.exists() and not list(tmp_path.iterdir())


def test_an_option_the_dataset_does_not_take_is_an_error(window, tmp_path):
    with pytest.raises(CommandError, match="idle"):
        call_command("export", "power", "--idle", "share", "--output", str(tmp_path / "x"), stderr=StringIO())
