"""Cluster credentials never reach an export, in any format, even when a cluster refuses them."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest
from pypdf import PdfReader

from tests.exports.readers import body_of
from tests.monitoring.helpers import window_end

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

WRONG_PASSWORD = "wrong-Pa55word-kcloud-7f3e"


def _text(fmt: str, content: bytes) -> str:
    """Everything a reader of the file could see, decompressed."""
    if fmt == "xlsx":
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    if fmt == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(content))
        return repr(table.to_pylist()) + repr(table.schema.metadata)
    if fmt == "pdf":
        return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return content.decode("utf-8")


def _secrets(fleet_prometheus) -> list[str]:
    out = [WRONG_PASSWORD, base64.b64encode(f"kcloud:{WRONG_PASSWORD}".encode()).decode()]
    for endpoint in fleet_prometheus.deployment.registry():
        if endpoint.password:
            out += [endpoint.password, base64.b64encode(f"{endpoint.username}:{endpoint.password}".encode()).decode()]
    return out


def test_no_export_contains_a_credential(staff_api, fleet_clusters, fleet_prometheus, make_cluster):
    # A cluster that rejects its (wrong) password: its error message is in every file.
    secured = next(e for e in fleet_prometheus.deployment.registry() if e.password)
    make_cluster("refused", url=secured.url, username="kcloud", password=WRONG_PASSWORD)
    secrets = _secrets(fleet_prometheus)
    assert len(secrets) == 4, "the fleet has a basic-auth cluster"
    end = int(window_end(fleet_prometheus.fleet))
    window = {"start": end - 1800, "end": end}
    cases = [(d, f, {}) for d in ("power", "energy") for f in ("json", "csv", "parquet", "xlsx")]
    cases += [("metrics", f, {"metric": "gpu_power_watts", "resource": "gpus"}) for f in ("json", "csv", "xlsx")]
    cases += [("report", f, {"period": "custom"}) for f in ("pdf", "xlsx")]
    for dataset, fmt, extra in cases:
        response = staff_api.get(f"/api/v1/export/{dataset}", {"format": fmt, **window, **extra})
        assert response.status_code == 200, (dataset, fmt, body_of(response)[:300])
        text = _text(fmt, body_of(response))
        if dataset != "report":
            assert response["X-KCloud-Partial"] == "true", (dataset, fmt)
            assert "refused=error" in response["X-KCloud-Clusters"], (dataset, fmt)
        if fmt != "csv":  # CSV names it in the headers only
            assert "refused" in text, (dataset, fmt)  # the failing cluster is named...
        for secret in secrets:
            assert secret not in text, (dataset, fmt)  # ...but nothing of its credentials
