"""The alerts page: firing first, budgets with their progress, operator actions."""

from __future__ import annotations

import pytest

from kcloud.auth import roles
from kcloud.timeutil import utcnow
from monitoring.models import Alert, AlertRule, Budget

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerting(make_cluster):
    seoul = make_cluster("seoul-a")
    rule = AlertRule.objects.create(name="seoul too hot", kind="temperature_above", cluster=seoul, threshold=85)
    now = utcnow()
    firing = Alert.objects.create(
        rule=rule,
        subject="seoul-a/n1/GPU-1",
        cluster="seoul-a",
        state="firing",
        value=91.0,
        active_since=now,
        fired_at=now,
    )
    Alert.objects.create(
        rule=rule, subject="seoul-a/n2/GPU-7", cluster="seoul-a", state="resolved", value=60.0, active_since=now
    )
    Budget.objects.create(
        name="seoul today",
        scope="cluster",
        cluster=seoul,
        period="day",
        limit=100,
        progress={"used": 120.0, "used_percent": 120.0, "projected": 300.0, "projected_percent": 300.0},
    )
    return firing


def test_the_page_shows_firing_alerts_and_budget_progress(staff_client, alerting):
    body = staff_client.get("/monitoring/alerts/").content.decode()
    assert "seoul too hot" in body and "seoul-a/n1/GPU-1" in body
    assert "seoul-a/n2/GPU-7" not in body.split('id="budgets-h"')[0]  # resolved: history, not active
    assert "Firing" in body  # the state in words, not only a colour
    assert "seoul today" in body and "120 %" in body and "over" in body


def test_operators_acknowledge_and_silence(staff_client, alerting):
    response = staff_client.post(f"/monitoring/alerts/{alerting.pk}/", {"action": "acknowledge"})
    assert response.status_code == 302
    response = staff_client.post(f"/monitoring/alerts/{alerting.pk}/", {"action": "silence", "hours": "4"})
    alerting.refresh_from_db()
    assert alerting.acknowledged_at is not None and alerting.silenced_until is not None
    staff_client.post(f"/monitoring/alerts/{alerting.pk}/", {"action": "silence", "hours": "999"})
    assert "Unknown action" in staff_client.get("/monitoring/alerts/").content.decode()


def test_viewers_see_but_cannot_act(client, django_user_model, alerting):
    viewer = django_user_model.objects.create_user("viewer", password="viewer-pass-1234", is_staff=True)
    roles.grant(viewer, roles.VIEWER, all_clusters=True)
    client.force_login(viewer)
    body = client.get("/monitoring/alerts/").content.decode()
    assert "seoul too hot" in body and "Acknowledge" not in body
    assert client.post(f"/monitoring/alerts/{alerting.pk}/", {"action": "acknowledge"}).status_code == 403


def test_overview_and_cluster_page_show_budgets_and_firing_alerts(staff_client, alerting):
    for url in ("/", "/clusters/seoul-a/"):
        body = staff_client.get(url).content.decode()
        assert "Budgets and alerts" in body and "seoul today" in body, url
        assert "1 firing" in body and "seoul-a/n1/GPU-1" in body, url


def test_the_history_is_the_pages_time_range(staff_client, alerting):
    from datetime import timedelta

    from monitoring.models import AlertEvent

    now = utcnow()
    AlertEvent.objects.create(alert=alerting, kind="fired", at=now - timedelta(minutes=30), message="fired recently")
    AlertEvent.objects.create(alert=alerting, kind="resolved", at=now - timedelta(days=3), message="resolved days ago")
    history = staff_client.get("/monitoring/alerts/").content.decode().split('id="history-h"')[1]
    assert "fired recently" in history and "resolved days ago" not in history and "(1)" in history  # 24 h
    history = staff_client.get("/monitoring/alerts/", {"range": "7d"}).content.decode().split('id="history-h"')[1]
    assert "fired recently" in history and "resolved days ago" in history and "(2)" in history
    history = staff_client.get("/monitoring/alerts/", {"range": "1h"}).content.decode().split('id="history-h"')[1]
    assert "fired recently" in history and "resolved days ago" not in history
    span = {
        "from": (now - timedelta(days=4)).strftime("%Y-%m-%dT%H:%M"),
        "to": (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
    }
    history = staff_client.get("/monitoring/alerts/", span).content.decode().split('id="history-h"')[1]
    assert "fired recently" not in history and "resolved days ago" in history
