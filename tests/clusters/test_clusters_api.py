"""``/api/v1/clusters``: read-only, scope-aware, no credentials, URL only for staff."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_list_envelope_and_fields(staff_api, make_cluster):
    make_cluster("seoul-a", display_name="Seoul A", region="kr-central")
    make_cluster("busan-b")
    body = staff_api.get("/api/v1/clusters").json()
    assert set(body) == {"count", "next", "previous", "results", "clusters", "warnings", "timestamp"}
    assert body["count"] == 2
    assert [r["name"] for r in body["results"]] == ["busan-b", "seoul-a"]
    seoul = body["results"][1]
    assert seoul["display_name"] == "Seoul A" and seoul["region"] == "kr-central"
    assert seoul["prometheus_url"] == "http://127.0.0.1:9"
    assert {c["name"] for c in body["clusters"]} == {"seoul-a", "busan-b"}
    assert body["timestamp"].endswith("Z")


def test_disabled_clusters_are_not_listed(staff_api, make_cluster):
    make_cluster("seoul-a")
    make_cluster("old-c", enabled=False)
    names = [r["name"] for r in staff_api.get("/api/v1/clusters").json()["results"]]
    assert names == ["seoul-a"]
    assert staff_api.get("/api/v1/clusters/old-c").status_code == 404


def test_partner_sees_no_url(partner_user, make_cluster, token_client):
    make_cluster("seoul-a")
    client = token_client(partner_user)
    body = client.get("/api/v1/clusters/seoul-a").json()
    assert body["name"] == "seoul-a"
    assert body["prometheus_url"] is None


def test_scoped_token_sees_only_its_clusters_and_404_elsewhere(partner_user, make_cluster, token_client):
    a = make_cluster("seoul-a")
    make_cluster("busan-b")
    client = token_client(partner_user, clusters=[a])
    assert [r["name"] for r in client.get("/api/v1/clusters").json()["results"]] == ["seoul-a"]
    other = client.get("/api/v1/clusters/busan-b")
    missing = client.get("/api/v1/clusters/does-not-exist")
    assert other.status_code == missing.status_code == 404
    # Same answer whether the cluster exists elsewhere or not at all: existence is not revealed.
    assert other.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    assert other.json()["error"]["message"] == "Unknown cluster: busan-b"


def test_unauthenticated_gets_401_envelope(make_cluster):
    make_cluster("seoul-a")
    response = APIClient().get("/api/v1/clusters")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("bad", ['a"b', "a\\b", "a\nb", ".*", "a}", "or vector(1)", "x" * 300])
def test_nasty_cluster_names_are_rejected_or_unknown(staff_api, make_cluster, bad):
    make_cluster("seoul-a")
    response = staff_api.get("/api/v1/clusters/" + bad.replace("\n", "%0A"))
    assert response.status_code in (400, 404)
    assert "error" in response.json()


def test_pagination_limits(staff_api, make_cluster):
    for i in range(5):
        make_cluster(f"c{i}")
    body = staff_api.get("/api/v1/clusters", {"page_size": 2, "page": 2}).json()
    assert body["count"] == 5 and len(body["results"]) == 2 and body["previous"] and body["next"]
    assert staff_api.get("/api/v1/clusters", {"page": 99}).status_code == 404
    # A malformed number is a 400 naming the parameter, not a silent default or a "not found".
    for params in ({"page": "abc"}, {"page": 0}, {"page_size": "abc"}, {"page_size": 0}, {"page_size": 5000}):
        response = staff_api.get("/api/v1/clusters", params)
        assert response.status_code == 400, params
        assert response.json()["error"]["details"]["parameter"] == next(iter(params))
