"""In a real browser: a non-staff account is refused by every sign-in form and by every page.

Every page route of the URL map without parameters is opened (and a few with
them), first with a session the account cannot get through any form (made by the
test, as an old session or another login path would), then anonymously: each
ends on the sign-in form, and the account's session is gone.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# metrics/: for Prometheus, token-only; i18n/: the language switch and the scripts' catalogue, open to all.
NOT_PAGES = ("api/", "admin/", "accounts/", "static/", "metrics/", "i18n/")


def _page_routes(patterns=None, prefix: str = "") -> list[str]:
    out = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(NOT_PAGES) or "<" in route:
            continue
        if isinstance(entry, URLResolver):
            out.extend(_page_routes(entry.url_patterns, route))
        elif isinstance(entry, URLPattern):
            out.append("/" + route.lstrip("^").rstrip("$"))
    return sorted(set(out))


@pytest.fixture
def partner(django_user_model):
    from kcloud.auth import roles

    user = django_user_model.objects.create_user("acme", password="acme-pass-1234")
    roles.grant(user, roles.OPERATOR, all_clusters=True)  # even the highest role but admin: no session
    return user


def test_every_sign_in_form_refuses_a_non_staff_account(page, live_server, partner):
    for form in ("/accounts/login/", "/admin/login/"):
        page.goto(f"{live_server.url}{form}")
        page.fill("#id_username", "acme")
        page.fill("#id_password", "acme-pass-1234")
        page.click("form:has(#id_password) [type=submit]")  # not the header's language switch
        page.wait_for_load_state()
        assert page.url.startswith(f"{live_server.url}{form}"), (form, page.url)
        assert page.locator("[role=alert], .errornote").count() > 0, form  # ours, Django admin's
        assert not any(c["name"] == "sessionid" for c in page.context.cookies()), form


def test_every_page_refuses_a_non_staff_session(page, live_server, partner, client):
    routes = [*_page_routes(), "/clusters/seoul-a/", "/infrastructure/nodes/n1/", "/accelerators/gpus/GPU-x/"]
    assert len(routes) >= 15, routes
    client.force_login(partner)  # however it was made: the session exists
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    for index, route in enumerate(routes):
        page.goto(f"{live_server.url}{route}")
        assert page.url.startswith(f"{live_server.url}/accounts/login/"), (route, page.url)
        if index == 0:  # the page that signed the session out says why
            assert "for staff" in page.locator("body").inner_text()
    # Signed out at the first page: the cookie no longer names a session.
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=client.cookies["sessionid"].value).exists()
    page.context.clear_cookies()
    for route in routes:
        page.goto(f"{live_server.url}{route}")
        assert page.url.startswith(f"{live_server.url}/accounts/login/"), (route, page.url)
