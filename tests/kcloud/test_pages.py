"""Server-rendered pages: login, navigation, fleet overview with health, placeholders."""

from __future__ import annotations

import pytest

from tests.conftest import CLOSED_URL

pytestmark = pytest.mark.django_db


def test_pages_require_login(client):
    for url in ("/", "/clusters/", "/system/", "/accelerators/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_login_page_and_login(client, staff_user):
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and b"Log in" in page.content
    response = client.post("/accounts/login/", {"username": "staff", "password": "staff-pass-1234"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_overview_lists_clusters_and_says_which_is_down(client, staff_user, make_cluster):
    make_cluster("dead-a", url=CLOSED_URL, display_name="Dead A")
    client.force_login(staff_user)
    body = client.get("/").content.decode()
    assert "Dead A" in body
    assert "not answering" in body and "dead-a" in body
    # The navigation names all seven areas.
    for area in ("Clusters", "Accelerators", "Infrastructure", "Hardware", "Monitoring", "Exports", "System"):
        assert f">{area}</a>" in body


def test_system_page(client, staff_user):
    client.force_login(staff_user)
    body = client.get("/system/").content.decode()
    assert "Database" in body and "Version" in body


def test_non_staff_accounts_cannot_sign_in_to_the_dashboards(client, partner_user):
    response = client.post("/accounts/login/", {"username": "partner", "password": "partner-pass-1234"})
    assert response.status_code == 200
    assert "This sign-in is for staff" in response.content.decode()
    assert client.get("/").status_code == 302  # still anonymous


def test_wrong_password_message(client, staff_user):
    response = client.post("/accounts/login/", {"username": "staff", "password": "nope"})
    assert "Please enter a correct username and password" in response.content.decode()
