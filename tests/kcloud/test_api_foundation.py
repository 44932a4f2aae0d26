"""API root, schema, docs, browsable API and the one error envelope."""

from __future__ import annotations

import pytest
import requests
import responses
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_root_lists_domains():
    body = APIClient().get("/api/v1/").json()
    assert {"clusters", "system", "schema", "docs"} <= set(body["domains"])


def test_schema_and_swagger(staff_api):
    schema = staff_api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/clusters" in schema.json()["paths"]
    docs = staff_api.get("/api/v1/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


def test_browsable_api_for_staff(client, staff_user, make_cluster):
    make_cluster("seoul-a")
    client.force_login(staff_user)
    response = client.get("/api/v1/clusters", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"seoul-a" in response.content and b"<html" in response.content


def test_unknown_api_path_is_json_404(staff_api):
    response = staff_api.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_method_not_allowed_envelope(staff_api):
    response = staff_api.post("/api/v1/clusters", {})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ({"body": requests.ConnectionError("refused")}, 503, "prometheus_unavailable"),
        ({"status": 503, "body": "busy"}, 503, "prometheus_unavailable"),
        ({"status": 200, "body": "<html>login</html>"}, 502, "prometheus_bad_response"),
        ({"status": 200, "body": '{"status":"success","data":{"resultType":"vec'}, 502, "prometheus_bad_response"),
    ],
)
def test_prometheus_errors_map_to_gateway_statuses(fault, status, code):
    """The handler turns adapter errors into 502/503/504 envelopes (driven through the real client)."""
    from rest_framework.views import APIView

    from clusters.models import Cluster
    from clusters.prometheus.client import client_for

    cluster = Cluster.objects.create(name="seoul-a", prometheus_url="http://prom.test:9090", timeout_seconds=1)

    class Probe(APIView):
        permission_classes: list = []

        def get(self, request):
            client_for(cluster).query("up")

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.add(responses.POST, "http://prom.test:9090/api/v1/query", **fault)
        from rest_framework.test import APIRequestFactory

        response = Probe.as_view()(APIRequestFactory().get("/x"))
    assert response.status_code == status
    assert response.data["error"]["code"] == code
    assert response.data["error"]["details"]["cluster"] == "seoul-a"
