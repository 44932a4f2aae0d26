"""The exports page (``/exports/``), its download redirect, and the energy page's export link."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from pypdf import PdfReader

from exports.formats import DESCRIPTIONS

pytestmark = pytest.mark.django_db


def _redirect(client, **params) -> tuple[str, dict]:
    response = client.get("/exports/download", params)
    assert response.status_code == 302, response.content
    url = urlsplit(response["Location"])
    return url.path, parse_qs(url.query)


def test_the_page_needs_a_login(client):
    response = client.get("/exports/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/exports/download", {"what": "report"}).status_code == 302


def test_the_page_offers_every_dataset_format_and_cluster(staff_client, make_cluster):
    make_cluster("seoul-a")
    response = staff_client.get("/exports/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<a href="/exports/" class="active" aria-current="page">Exports</a>' in body
    for value in ("power", "energy", "metrics", "report"):
        assert f'name="what" value="{value}"' in body
    for fmt in ("pdf", "xlsx"):
        assert f'name="format_report" value="{fmt}"' in body
    assert 'name="format_report" value="csv"' not in body  # the report is PDF or Excel only
    for fmt in ("json", "csv", "parquet", "xlsx"):
        assert f'name="format_energy" value="{fmt}"' in body
    for description in DESCRIPTIONS.values():
        assert description in body
    assert '<option value="seoul-a">seoul-a</option>' in body
    assert 'value="gpu_power_watts"' in body  # the metric catalog
    assert "css/exports.css" in body and "js/exports-page.js" in body


def test_a_report_request_redirects_to_the_report_endpoint(staff_client):
    path, query = _redirect(staff_client, what="report", period="weekly", format_report="xlsx", cluster="seoul-a")
    assert path == "/api/v1/export/report"
    assert query == {"format": ["xlsx"], "period": ["weekly"], "cluster": ["seoul-a"]}


def test_a_custom_report_takes_whole_utc_days(staff_client):
    path, query = _redirect(
        staff_client, what="report", period="custom", report_start="2026-11-01", report_end="2026-11-07",
        format_report="pdf",
    )  # fmt: skip
    assert path == "/api/v1/export/report"
    assert query["start"] == ["2026-11-01T00:00:00Z"] and query["end"] == ["2026-11-08T00:00:00Z"]


def test_a_window_preset_ends_at_the_current_minute(staff_client):
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    path, query = _redirect(staff_client, what="energy", window="6h", energy_group_by="node", idle="share")
    assert path == "/api/v1/export/energy"
    start = datetime.fromisoformat(query["start"][0].replace("Z", "+00:00"))
    end = datetime.fromisoformat(query["end"][0].replace("Z", "+00:00"))
    assert end - start == timedelta(hours=6) and end >= before and end.second == 0
    assert query["group_by"] == ["node"] and query["idle"] == ["share"] and query["format"] == ["json"]
    # Only the energy endpoint's parameters: it refuses unknown ones.
    assert set(query) == {"format", "start", "end", "group_by", "idle"}


def test_power_and_metrics_carry_their_own_options(staff_client):
    path, query = _redirect(
        staff_client, what="power", window="custom", start="2026-11-20T08:00", end="2026-11-20T10:30",
        power_group_by="namespace", step="5m", format_power="parquet", metric="gpu_power_watts",
    )  # fmt: skip
    assert path == "/api/v1/export/power"
    assert query == {
        "format": ["parquet"],
        "start": ["2026-11-20T08:00:00Z"],
        "end": ["2026-11-20T10:30:00Z"],
        "group_by": ["namespace"],
        "step": ["5m"],
    }
    path, query = _redirect(staff_client, what="metrics", window="1h", metric="gpu_power_watts", format_metrics="csv")
    assert path == "/api/v1/export/metrics" and query["metric"] == ["gpu_power_watts"] and "group_by" not in query


def test_csv_from_the_page_carries_the_byte_order_mark_its_checkbox_asks_for(staff_client):
    page = staff_client.get("/exports/").text
    assert 'name="bom" value="true" checked' in page  # on by default
    _path, query = _redirect(staff_client, what="energy", window="24h", format_energy="csv", bom="true")
    assert query["bom"] == ["true"]
    _path, unchecked = _redirect(staff_client, what="energy", window="24h", format_energy="csv")
    assert "bom" not in unchecked
    _path, parquet = _redirect(staff_client, what="energy", window="24h", format_energy="parquet", bom="true")
    assert "bom" not in parquet  # only CSV has a use for it


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"what": "everything"}, "what"),
        ({"what": "power", "window": "3y"}, "window"),
        ({"what": "power", "window": "custom"}, "start"),
        ({"what": "energy", "window": "custom", "start": "not a time"}, "start"),
    ],
)
def test_bad_form_values_are_400_in_the_api_envelope(staff_client, params, parameter):
    response = staff_client.get("/exports/download", params)
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"parameter": parameter}


def test_the_energy_page_links_to_the_same_export(staff_client, make_cluster):
    make_cluster("seoul-a")
    body = staff_client.get("/monitoring/energy/", {"group_by": "node", "from": "2026-11-01T00:00"}).content.decode()
    start = body.index("data-download-export")
    links = body[start : body.index("</span>", start)]
    assert "/api/v1/export/energy?start=2026-11-01T00%3A00%3A00Z&amp;end=" in links
    assert "&amp;group_by=node&amp;idle=node&amp;format=xlsx" in links and "&amp;format=csv" in links


@pytest.mark.prometheus
def test_the_redirect_downloads_real_files(staff_client, fleet_clusters, fleet_prometheus):
    response = staff_client.get(
        "/exports/download", {"what": "energy", "window": "1h", "format_energy": "csv"}, follow=True
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="kcloud-energy-all-')
    content = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert rows and "energy_kwh" in rows[0]
    response = staff_client.get(
        "/exports/download", {"what": "report", "period": "daily", "format_report": "pdf"}, follow=True
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "Daily report" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


def test_the_form_starts_on_the_range_carried_from_the_pages(staff_client, db):
    """Opened from a page showing 7 days, the export window is 7 days; a custom range fills From/To."""
    body = staff_client.get("/exports/", {"range": "7d"}).content.decode()
    assert '<option value="7d" selected>' in body
    body = staff_client.get("/exports/", {"from": "2026-11-01T00:00", "to": "2026-11-02T06:30"}).content.decode()
    assert '<option value="custom" selected>' in body
    assert 'name="start" value="2026-11-01T00:00"' in body and 'name="end" value="2026-11-02T06:30"' in body
