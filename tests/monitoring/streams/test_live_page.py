"""The live power page: pickers validated with the stream's rules, stream paths, the Live tab.

The page queries nothing itself (the browser subscribes), so no Prometheus is needed
here; tests/browser/test_live_pages.py drives it against daphne and the real fleet.
Requests go through Django's ``AsyncClient`` (an ASGI request, as under daphne); under
a WSGI server the page says streams are not served there instead of failing to connect.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

pytestmark = pytest.mark.django_db

LIVE = "/monitoring/live/"


class AsgiClient:
    """``AsyncClient`` (ASGI requests, like daphne's) with a synchronous ``get``."""

    def __init__(self, user):
        self.client = AsyncClient()
        async_to_sync(self.client.aforce_login)(user)

    def get(self, path: str, data: dict | None = None):
        return async_to_sync(self.client.get)(path, data or {})


@pytest.fixture
def staff_client(staff_user) -> AsgiClient:
    return AsgiClient(staff_user)


def _attr(html: str, name: str) -> str:
    start = html.index(f'{name}="') + len(name) + 2
    return html[start : html.index('"', start)].replace("&amp;", "&")


def test_login_required(client):
    response = client.get(LIVE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_page_names_the_streams_with_the_chosen_parameters(staff_client, make_cluster):
    make_cluster("seoul-a")
    make_cluster("busan-b")
    response = staff_client.get(LIVE, {"cluster": "busan-b", "group_by": "resource_type", "interval": "15"})
    assert response.status_code == 200
    html = response.content.decode()
    ws, sse = _attr(html, "data-ws-path"), _attr(html, "data-sse-path")
    assert urlsplit(ws).path == "/api/v1/monitoring/stream/power"
    assert urlsplit(sse).path == "/api/v1/monitoring/stream/power/sse"
    for path in (ws, sse):
        assert parse_qs(urlsplit(path).query) == {
            "cluster": ["busan-b"],
            "group_by": ["resource_type"],
            "interval": ["15"],
        }
    assert 'data-cluster="busan-b"' in html and 'data-cluster="seoul-a"' not in html
    assert 'class="active" aria-current="page">Live</a>' in html
    assert "js/live-stream.js" in html and "js/monitoring-live.js" in html


def test_defaults_every_cluster_by_cluster_every_5_seconds(staff_client, make_cluster):
    make_cluster("seoul-a")
    html = staff_client.get(LIVE).content.decode()
    query = parse_qs(urlsplit(_attr(html, "data-ws-path")).query)
    assert query == {"group_by": ["cluster"], "interval": ["5"]}
    assert 'data-cluster="seoul-a"' in html


@pytest.mark.parametrize(
    ("params", "status", "text"),
    [
        ({"group_by": "namespace"}, 400, "group_by"),
        ({"interval": "0"}, 400, "interval"),
        ({"interval": "301"}, 400, "interval"),
        ({"interval": "soon"}, 400, "interval"),
        ({"cluster": "nowhere"}, 404, "nowhere"),
    ],
)
def test_bad_pickers_are_explained_not_streamed(staff_client, make_cluster, params, status, text):
    make_cluster("seoul-a")
    response = staff_client.get(LIVE, params)
    assert response.status_code == status
    html = response.content.decode()
    assert "Invalid stream." in html and text in html
    assert "data-ws-path" not in html


def test_disabled_clusters_are_not_offered(staff_client, make_cluster):
    make_cluster("seoul-a")
    make_cluster("retired", enabled=False)
    html = staff_client.get(LIVE).content.decode()
    assert 'data-cluster="seoul-a"' in html and "retired" not in html


def test_under_wsgi_the_page_says_streams_need_the_asgi_server(staff_user, make_cluster):
    make_cluster("seoul-a")
    client = Client()
    client.force_login(staff_user)
    response = client.get(LIVE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Live streams are not served here." in html and "data-ws-path" not in html
