"""The budgets and alerts API: roles, scope, validation, and secrets that are written but never read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kcloud.auth import roles
from kcloud.timeutil import isoformat, utcnow
from monitoring.models import Alert, AlertRule, Budget, NotificationChannel

pytestmark = pytest.mark.django_db

BUDGETS, RULES, ALERTS, CHANNELS = (
    "/api/v1/budgets",
    "/api/v1/alerts/rules",
    "/api/v1/alerts",
    "/api/v1/alerts/channels",
)


@pytest.fixture
def clusters(make_cluster):
    return make_cluster("seoul-a"), make_cluster("busan-b")


@pytest.fixture
def admin_api(django_user_model, token_client):
    user = django_user_model.objects.create_user("root-admin", password="admin-pass-1234")
    roles.grant(user, roles.ADMIN, all_clusters=True)
    return token_client(user, all_clusters=True)


def test_operators_create_budgets_whose_thresholds_become_rules(token_client, partner_operator, clusters):
    api = token_client(partner_operator, all_clusters=True)
    body = {
        "name": "seoul month",
        "scope": "cluster",
        "cluster": "seoul-a",
        "period": "month",
        "measure": "cost",
        "limit": 1_000_000,
        "currency": "KRW",
        "warn_at_percent": [80, 100],
    }
    response = api.post(BUDGETS, body, format="json")
    assert response.status_code == 201, response.content
    budget = Budget.objects.get(name="seoul month")
    assert sorted(AlertRule.objects.filter(budget=budget).values_list("threshold", flat=True)) == [80.0, 100.0]
    response = api.patch(f"{BUDGETS}/{budget.pk}", {"warn_at_percent": [90]}, format="json")
    assert response.status_code == 200, response.content
    assert list(AlertRule.objects.filter(budget=budget).values_list("threshold", flat=True)) == [90.0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "cluster"}, "cluster"),
        ({"scope": "namespace"}, "namespace"),
        ({"scope": "fleet", "measure": "cost"}, "currency"),
        ({"scope": "fleet", "warn_at_percent": 5}, "warn_at_percent"),
        ({"scope": "fleet", "warn_at_percent": [0]}, "warn_at_percent"),
        ({"scope": "fleet", "limit": -1}, "limit"),
        ({"scope": "cluster", "cluster": "nowhere"}, "cluster"),
    ],
)
def test_bad_budgets_are_refused_naming_the_field(token_client, partner_operator, clusters, body, field):
    api = token_client(partner_operator, all_clusters=True)
    response = api.post(BUDGETS, {"name": "b", "period": "day", "limit": 10, **body}, format="json")
    assert response.status_code == 400, response.content
    assert field in str(response.json()["error"]), response.json()


def test_viewers_read_and_cannot_change(token_client, partner_user, clusters):
    api = token_client(partner_user, all_clusters=True)
    assert api.get(BUDGETS).status_code == 200
    assert api.get(ALERTS).status_code == 200
    assert (
        api.post(BUDGETS, {"name": "x", "scope": "fleet", "period": "day", "limit": 1}, format="json").status_code
        == 403
    )


def test_scope_hides_other_clusters_budgets_rules_and_alerts(token_client, partner_user, clusters):
    seoul, busan = clusters
    Budget.objects.create(name="seoul", scope="cluster", cluster=seoul, limit=1)
    Budget.objects.create(name="busan", scope="cluster", cluster=busan, limit=1)
    Budget.objects.create(name="fleet", scope="fleet", limit=1)
    rule = AlertRule.objects.create(name="busan hot", kind="temperature_above", cluster=busan, threshold=80)
    Alert.objects.create(rule=rule, subject="busan-b/n1/GPU-1", cluster="busan-b", active_since=utcnow())
    scoped = token_client(partner_user, clusters=[seoul])
    assert [b["name"] for b in scoped.get(BUDGETS).json()["results"]] == ["seoul"]
    assert scoped.get(RULES).json()["results"] == []
    assert scoped.get(ALERTS).json()["results"] == []
    everything = token_client(partner_user, all_clusters=True)
    assert [b["name"] for b in everything.get(BUDGETS).json()["results"]] == ["busan", "fleet", "seoul"]
    assert len(everything.get(ALERTS).json()["results"]) == 1


def test_a_scoped_token_cannot_make_fleet_wide_budgets_or_rules(token_client, partner_operator, clusters):
    seoul, _busan = clusters
    api = token_client(partner_operator, clusters=[seoul])
    fleet = {"name": "fleet", "scope": "fleet", "period": "day", "limit": 10}
    assert api.post(BUDGETS, fleet, format="json").status_code == 400
    everywhere = {"name": "hot anywhere", "kind": "temperature_above", "threshold": 80}
    assert api.post(RULES, everywhere, format="json").status_code == 400
    mine = {"name": "hot in seoul", "kind": "temperature_above", "threshold": 80, "cluster": "seoul-a"}
    assert api.post(RULES, mine, format="json").status_code == 201


def test_alerts_firing_first_acknowledge_and_silence(token_client, partner_operator, clusters):
    rule = AlertRule.objects.create(name="power", kind="power_above", threshold=1)
    now = utcnow()
    for subject, state in (("seoul-a", "resolved"), ("busan-b", "firing"), ("seoul-a/n1", "pending")):
        Alert.objects.create(rule=rule, subject=subject, cluster=subject.split("/")[0], state=state, active_since=now)
    api = token_client(partner_operator, all_clusters=True)
    states = [a["state"] for a in api.get(ALERTS).json()["results"]]
    assert states == ["firing", "pending", "resolved"]
    firing = Alert.objects.get(state="firing")
    assert api.post(f"{ALERTS}/{firing.pk}/acknowledge").json()["acknowledged_by"] == "partner-ops"
    until = isoformat(now + timedelta(hours=2))
    assert api.post(f"{ALERTS}/{firing.pk}/silence", {"until": until}, format="json").status_code == 200
    firing.refresh_from_db()
    assert firing.silenced_until is not None and firing.acknowledged_at is not None
    for bad in (isoformat(now - timedelta(hours=1)), isoformat(now + timedelta(days=400)), "soon"):
        assert api.post(f"{ALERTS}/{firing.pk}/silence", {"until": bad}, format="json").status_code == 400
    assert api.get(ALERTS, {"state": "nope"}).status_code == 400


def test_channels_are_for_admins_and_the_url_is_never_read_back(admin_api, token_client, partner_operator):
    secret = "https://hooks.example.com/services/T000/B000/very-secret-token"
    response = admin_api.post(
        CHANNELS, {"name": "slack", "kind": "webhook", "payload": "slack", "url": secret}, format="json"
    )
    assert response.status_code == 201, response.content
    assert "very-secret-token" not in response.content.decode()
    assert "very-secret-token" not in admin_api.get(CHANNELS).content.decode()
    channel = NotificationChannel.objects.get(name="slack")
    assert channel.url == secret and "very-secret-token" not in channel._url  # encrypted at rest
    assert "very-secret-token" not in repr(channel)
    assert token_client(partner_operator, all_clusters=True).get(CHANNELS).status_code == 403
    assert admin_api.post(CHANNELS, {"name": "no-url", "kind": "webhook"}, format="json").status_code == 400


def test_admin_list_of_channels_does_not_show_the_url(admin_client):
    channel = NotificationChannel(name="teams", kind="webhook", payload="teams")
    channel.url = "https://example.webhook.office.com/webhookb2/very-secret-token"
    channel.save()
    assert "very-secret-token" not in admin_client.get("/admin/monitoring/notificationchannel/").content.decode()
    page = admin_client.get(f"/admin/monitoring/notificationchannel/{channel.pk}/change/").content.decode()
    assert "very-secret-token" not in page
