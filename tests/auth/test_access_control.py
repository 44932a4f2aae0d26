"""Access control: the bypasses found by trying, then the role x way-in matrix and the limits.

Each ``test_bypass_*`` reproduces one way partners got further than they should
(DRF's own login form, a non-staff session on pages, a token whose clusters were
deleted, anonymous health naming clusters); they fail on the code before roles
and scopes existed. The matrix checks pages, API, exports and live streams for
viewer, operator and admin staff, and for partner tokens.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from kcloud.auth import roles
from kcloud.auth.models import ApiToken
from tests.monitoring.streams.conftest import POWER, POWER_SSE, close_code, connect_ws

pytestmark = pytest.mark.django_db(transaction=True)


def _user(django_user_model, name: str, *, staff: bool, role: str | None, all_clusters: bool = True):
    user = django_user_model.objects.create_user(name, password=f"{name}-pass-1234", is_staff=staff)
    if role is not None:
        roles.grant(user, role, all_clusters=all_clusters)
    return user


def _token(user, **kwargs) -> APIClient:
    _token_row, key = ApiToken.issue(user, name="t", **kwargs)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# -- the bypasses ----------------------------------------------------------------------------------
def test_bypass_drf_login_is_gone_and_no_login_gives_a_non_staff_session(client, django_user_model):
    partner = _user(django_user_model, "acme", staff=False, role=roles.VIEWER)
    assert client.get("/api-auth/login/").status_code == 404
    response = client.post("/accounts/login/", {"username": "acme", "password": "acme-pass-1234"})
    assert response.status_code == 200 and "for staff" in response.content.decode()
    assert "_auth_user_id" not in client.session
    response = client.post("/admin/login/", {"username": "acme", "password": "acme-pass-1234"})
    assert "_auth_user_id" not in client.session
    assert partner.pk  # the account exists and is valid: only the door is closed


def test_bypass_a_non_staff_session_however_made_opens_no_page_and_no_api(client, django_user_model):
    partner = _user(django_user_model, "acme", staff=False, role=roles.VIEWER)
    client.force_login(partner)  # e.g. a session made before the rule, or by another login path
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session  # signed out, not just turned away
    client.force_login(partner)
    assert client.get("/api/v1/clusters").status_code == 401


def test_bypass_a_token_whose_clusters_are_deleted_sees_nothing(make_cluster, django_user_model):
    partner = _user(django_user_model, "acme", staff=False, role=roles.VIEWER)
    a, _b = make_cluster("a"), make_cluster("b")
    api = _token(partner, clusters=[a])
    assert [c["name"] for c in api.get("/api/v1/clusters").json()["results"]] == ["a"]
    a.delete()
    assert api.get("/api/v1/clusters").json()["results"] == []  # not "every cluster"


def test_bypass_anonymous_health_names_no_cluster(make_cluster):
    make_cluster("secret-site-a")
    response = APIClient().get("/api/v1/system/health")
    assert "secret-site-a" not in response.content.decode()


# -- the role matrix ---------------------------------------------------------------------------------
PAGES = {"/": roles.READ, "/accelerators/": roles.READ, "/monitoring/": roles.READ, "/exports/": roles.OPERATE}
PAGES["/monitoring/live/"] = roles.OPERATE
CAN = {
    roles.VIEWER: {roles.READ},
    roles.OPERATOR: {roles.READ, roles.OPERATE},
    roles.ADMIN: {roles.READ, roles.OPERATE, roles.ADMINISTER},
    None: set(),
}


@pytest.mark.parametrize("role", [roles.VIEWER, roles.OPERATOR, roles.ADMIN, None])
def test_pages_by_role(client, django_user_model, make_cluster, role):
    make_cluster("dead-a")
    client.force_login(_user(django_user_model, "staffer", staff=True, role=role))
    for url, needed in PAGES.items():
        status = client.get(url).status_code
        assert status == (200 if needed in CAN[role] else 403), (role, url, status)
    admin = client.get("/admin/clusters/cluster/").status_code
    assert admin == (200 if role == roles.ADMIN else 403), (role, admin)


@pytest.mark.parametrize("role", [roles.VIEWER, roles.OPERATOR, roles.ADMIN, None])
@pytest.mark.parametrize("via", ["staff session", "partner token"])
def test_api_and_exports_by_role(django_user_model, make_cluster, role, via):
    make_cluster("dead-a")
    user = _user(django_user_model, "someone", staff=via == "staff session", role=role)
    if via == "staff session":
        api = APIClient()
        api.force_login(user)
    else:
        api = _token(user)
    read = api.get("/api/v1/clusters").status_code
    assert read == (200 if roles.READ in CAN[role] else 403), (role, via, read)
    export = api.get("/api/v1/export/power", {"format": "csv"}).status_code
    assert export == (200 if roles.OPERATE in CAN[role] else 403), (role, via, export)
    report = api.get("/api/v1/export/report", {"format": "xlsx", "period": "daily"}).status_code
    assert report == (200 if roles.OPERATE in CAN[role] else 403), (role, via, report)


@pytest.mark.parametrize("role", [roles.VIEWER, roles.OPERATOR])
async def test_live_streams_by_role(django_user_model, make_cluster, role):
    await sync_to_async(make_cluster)("dead-a")
    user = await sync_to_async(_user)(django_user_model, "watcher", staff=False, role=role)
    _row, key = await sync_to_async(ApiToken.issue)(user, "live")
    comm = connect_ws(f"{POWER}?interval=5", key=key)
    await comm.connect()
    if role == roles.VIEWER:
        error = await comm.receive_json_from()
        assert error["code"] == "permission_denied"
        assert await close_code(comm) == 4403
    else:
        message = await comm.receive_json_from(timeout=20)
        assert message["type"] in ("power", "error")
        await comm.disconnect()


def test_scope_of_people_comes_from_their_groups(client, django_user_model, make_cluster):
    from kcloud.auth.models import ClusterScope

    a, _b = make_cluster("a"), make_cluster("b")
    staffer = _user(django_user_model, "seoul-team", staff=True, role=roles.VIEWER, all_clusters=False)
    scope = ClusterScope.objects.create(group=Group.objects.create(name="seoul"))
    scope.clusters.set([a])
    staffer.groups.add(scope.group)
    api = APIClient()
    api.force_login(staffer)
    assert [c["name"] for c in api.get("/api/v1/clusters").json()["results"]] == ["a"]
    assert api.get("/api/v1/clusters/b").status_code == 404
    client.force_login(staffer)
    assert b'value="b"' not in client.get("/infrastructure/nodes/").content


# -- limits --------------------------------------------------------------------------------------------
async def test_stream_subscriptions_are_limited_per_token(django_user_model, make_cluster, settings):
    settings.KCLOUD_STREAM_MAX_PER_PRINCIPAL = 2
    await sync_to_async(make_cluster)("dead-a")
    user = await sync_to_async(_user)(django_user_model, "busy", staff=False, role=roles.OPERATOR)
    _row, key = await sync_to_async(ApiToken.issue)(user, "busy")
    open_ = []
    for interval in (5, 6):
        comm = connect_ws(f"{POWER}?interval={interval}", key=key)
        assert (await comm.connect())[0]
        open_.append(comm)
    third = connect_ws(f"{POWER}?interval=7", key=key)
    await third.connect()
    error = await third.receive_json_from()
    assert error["code"] == "throttled"
    assert await close_code(third) == 4429
    await open_[0].disconnect()  # closing one gives its place back
    again = connect_ws(f"{POWER}?interval=8", key=key)
    await again.connect()
    message = await again.receive_json_from(timeout=20)
    assert message["type"] != "error" or message["code"] != "throttled"
    for comm in (open_[1], again):
        await comm.disconnect()


def test_sse_over_the_limit_is_a_429_with_retry_after(django_user_model, make_cluster, settings):
    from django.core.cache import cache

    from monitoring.streams import access

    settings.KCLOUD_STREAM_MAX_PER_PRINCIPAL = 1
    make_cluster("dead-a")
    user = _user(django_user_model, "busy", staff=False, role=roles.OPERATOR)
    token, key = ApiToken.issue(user, "busy")
    cache.set(access.KEY.format(f"token:{token.pk}"), 1)  # one stream already open elsewhere
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    response = async_to_sync(AsyncClient().get)(POWER_SSE, headers={"Authorization": f"Token {key}"})
    assert response.status_code == 429 and response["Retry-After"]


def test_exports_have_their_own_throttle_with_retry_after(django_user_model, make_cluster, settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], exports="2/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    make_cluster("dead-a")
    api = _token(_user(django_user_model, "exporter", staff=False, role=roles.OPERATOR))
    for _ in range(2):
        assert api.get("/api/v1/export/power", {"format": "csv"}).status_code == 200
    response = api.get("/api/v1/export/power", {"format": "csv"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert api.get("/api/v1/clusters").status_code == 200  # the read API has its own budget
