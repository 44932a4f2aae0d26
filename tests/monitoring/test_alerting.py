"""Budgets and alerts against the simulated fleet: one notification per state change, to real receivers."""

from __future__ import annotations

import pytest

from kcloud.api.params import parse_time
from kcloud.timeutil import from_unix
from monitoring.alerting import evaluate, notify
from monitoring.alerting.periods import bounds
from monitoring.models import Alert, AlertEvent, AlertRule, Budget, EvaluationRun, Notification, NotificationChannel
from tests.monitoring.helpers import ENERGY, get
from tests.monitoring.receivers import webhook_receiver
from tests.monitoring.test_power import history_time
from tests.promcount import counting_requests

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]


@pytest.fixture
def t(fleet_prometheus) -> int:
    """An instant in the history, on a minute (each evaluation below is its own slot)."""
    return history_time(fleet_prometheus.fleet) // 60 * 60


def _webhook(url: str, name: str = "ops-hook", payload: str = "generic") -> NotificationChannel:
    channel = NotificationChannel(name=name, kind="webhook", payload=payload)
    channel.url = url
    channel.save()
    return channel


def _rule(name: str, channels: list, **fields) -> AlertRule:
    rule = AlertRule.objects.create(name=name, **fields)
    rule.channels.set(channels)
    return rule


def test_a_budget_crossing_its_threshold_fires_once_and_resolves_once(staff_api, fleet_clusters, t, mail):
    cluster = fleet_clusters[0]
    with webhook_receiver() as hook:
        webhook = _webhook(hook.url)
        email = NotificationChannel.objects.create(name="ops-mail", kind="email", recipients="ops@example.com")
        budget = Budget.objects.create(
            name="seoul today", scope="cluster", cluster=cluster, period="day", measure="energy_kwh", limit=0.001
        )
        _rule("seoul over budget", [webhook, email], kind="budget_threshold", budget=budget, threshold=100)

        # The last of three evaluations on a whole hour (not midnight): the energy API below aligns its
        # window to its step, and an hour-aligned day-so-far window is on every step's grid.
        hour = t // 3600 * 3600 - (3600 if (t // 3600 * 3600) % 86400 == 0 else 0)
        for step in range(3):  # over the budget at three evaluations: one notification
            assert evaluate.run(from_unix(hour - 120 + 60 * step)) is not None
            notify.deliver_due()
        assert [m["state"] for m in hook.received] == ["firing"]
        assert len(mail.messages) == 1 and "[FIRING] seoul over budget" in mail.messages[0].content.decode()

        # The budget's figure is the energy API's for the same cluster and period so far.
        budget.refresh_from_db()
        end = int(parse_time("at", budget.progress["evaluated_at"]).timestamp())  # the last evaluation's instant
        assert end == hour
        start, _end = bounds("day", from_unix(end))
        rows = get(staff_api, ENERGY, start=int(start.timestamp()), end=end, group_by="cluster", cluster=cluster.name)
        assert budget.progress["used"] == pytest.approx(sum(r["energy_kwh"] for r in rows["results"]), rel=1e-6)
        assert budget.progress["projected"] >= budget.progress["used"]

        budget.limit = 1e9
        budget.save()
        for step in range(2):
            evaluate.run(from_unix(hour + 60 + 60 * step))
            notify.deliver_due()
        assert [m["state"] for m in hook.received] == ["firing", "resolved"]
        assert len(mail.messages) == 2 and "[RESOLVED]" in mail.messages[1].content.decode()
    assert AlertEvent.objects.count() == 2
    # What a receiver sees names the rule and the cluster, never an address or a credential.
    for body in hook.received:
        text = str(body)
        assert cluster.prometheus_url not in text and "127.0.0.1" not in text and "password" not in text
        assert body["cluster"] == cluster.name and body["rule"] == "seoul over budget"
    assert hook.headers[0]["X-KCloud-Notification"] == str(hook.received[0]["id"])


def test_an_evaluation_slot_runs_once(fleet_clusters, t):
    assert evaluate.run(from_unix(t)) is not None
    assert evaluate.run(from_unix(t + 1)) is None  # the same minute: another worker's
    assert EvaluationRun.objects.count() == 1


def test_a_receiver_that_fails_twice_gets_the_message_once(fleet_clusters, t, monkeypatch):
    monkeypatch.setattr(notify, "BACKOFF_SECONDS", (0,) * 7)  # retry at once instead of in 10 s, 30 s
    with webhook_receiver(fail_first=2) as hook:
        one = fleet_clusters[0]
        _rule("hot", [_webhook(hook.url)], kind="power_above", level="cluster", threshold=0, cluster=one)
        evaluate.run(from_unix(t))
        for _ in range(4):
            notify.deliver_due()
        assert hook.refused == 2 and len(hook.received) == 1 and hook.received[0]["cluster"] == one.name
    (sent,) = Notification.objects.all()
    assert sent.status == "sent" and sent.attempts == 3


def test_condition_must_hold_for_its_duration(fleet_clusters, t):
    _rule("power over a while", [], kind="power_above", level="cluster", threshold=0, for_seconds=120)
    evaluate.run(from_unix(t))
    assert set(Alert.objects.values_list("state", flat=True)) == {"pending"}
    evaluate.run(from_unix(t + 60))
    assert not AlertEvent.objects.exists()
    evaluate.run(from_unix(t + 120))
    assert set(Alert.objects.values_list("state", flat=True)) == {"firing"}
    assert AlertEvent.objects.filter(kind="fired").count() == len(fleet_clusters)


@pytest.mark.parametrize("how", ["silence", "acknowledge"])
def test_silence_and_acknowledge_suppress(fleet_clusters, t, how):
    with webhook_receiver() as hook:
        rule = _rule("hot nodes", [_webhook(hook.url)], kind="power_above", level="cluster", threshold=0)
        evaluate.run(from_unix(t))
        notify.deliver_due()
        assert len(hook.received) == len(fleet_clusters)
        if how == "silence":
            Alert.objects.update(silenced_until=from_unix(t + 3600))
        else:
            Alert.objects.update(acknowledged_at=from_unix(t))
        rule.threshold = 1e12
        rule.save()
        evaluate.run(from_unix(t + 60))
        notify.deliver_due()
        assert len(hook.received) == len(fleet_clusters)  # the resolutions were not sent
    assert set(Alert.objects.values_list("state", flat=True)) == {"resolved"}
    resolved = Notification.objects.filter(event__kind="resolved")
    assert resolved.count() == len(fleet_clusters) and set(resolved.values_list("status", flat=True)) == {"suppressed"}


def test_an_unreachable_cluster_fires_in_plain_words(fleet_clusters, t, make_cluster):
    make_cluster("dead-one")
    with webhook_receiver() as hook:
        _rule("unreachable", [_webhook(hook.url, payload="slack")], kind="cluster_unreachable")
        evaluate.run(from_unix(t))
        notify.deliver_due()
    assert len(hook.received) == 1
    text = hook.received[0]["text"]
    assert "dead-one" in text and "does not answer (unreachable)" in text
    assert "127.0.0.1" not in text and "http" not in text


def test_requests_per_evaluation_do_not_grow_with_the_rules(fleet_clusters, t, settings, monkeypatch):
    settings.KCLOUD_CACHE_ENABLED = False
    budget = Budget.objects.create(
        name="fleet month", scope="fleet", period="month", measure="cost", limit=1e6, currency="KRW"
    )

    def make(n: int) -> None:
        for i in range(n):
            _rule(f"power {n}-{i}", [], kind="power_above", level="node", threshold=1000 + i)
            _rule(f"hot {n}-{i}", [], kind="temperature_above", threshold=80 + i)
            _rule(f"budget {n}-{i}", [], kind="budget_threshold", budget=budget, threshold=50 + i)

    counts = []
    for n in (1, 20):
        AlertRule.objects.all().delete()
        EvaluationRun.objects.all().delete()  # the same slot again: the same data, only the rules differ
        make(n)
        with counting_requests(monkeypatch) as requests:
            evaluate.run(from_unix(t))
        counts.append(sum(requests.values()))
    assert counts[0] == counts[1] and counts[0] > 0


def test_temperature_and_ipmi_rules_see_what_the_api_sees(staff_api, fleet_clusters, t):
    _rule("hot", [], kind="temperature_above", threshold=60)
    _rule("ipmi", [], kind="ipmi_critical")
    evaluate.run(from_unix(t))
    devices = get(staff_api, "/api/v1/accelerators", time=t)["results"]
    hot = {f"{d['cluster']}/{d['node']}/{d['id']}" for d in devices if (d["temperature_celsius"] or 0) > 60}
    firing = set(Alert.objects.filter(rule__name="hot", state="firing").values_list("subject", flat=True))
    assert firing == hot and hot  # the fleet has accelerators above 60 °C
    sensors = get(staff_api, "/api/v1/hardware/ipmi/sensors", time=t, state="critical")["results"]
    critical = {f"{s['cluster']}/{s['node']}/{s['id']}" for s in sensors}
    assert set(Alert.objects.filter(rule__name="ipmi", state="firing").values_list("subject", flat=True)) == critical


def test_idle_energy_rule_fires_with_the_days_idle_energy(fleet_clusters, t):
    _rule("idle today", [], kind="idle_energy_above", threshold=0)
    evaluate.run(from_unix(t))
    values = dict(Alert.objects.filter(state="firing").values_list("cluster", "value"))
    assert values and all(v > 0 for v in values.values())
