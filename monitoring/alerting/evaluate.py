"""One evaluation: fetch what the enabled rules and budgets need, then move every alert's state.

The fetches do not depend on how many rules there are, only on which kinds
exist (requests per evaluation stay constant as rules are added on the same
clusters): power now for every cluster (power, temperature, reachability,
budget rates), the energy of each budget period in use, the idle accelerator
energy of the day when an idle rule exists, IPMI sensors when an IPMI rule
exists. Each is one fan-out over the clusters.

States: a true condition makes an alert ``pending``, and ``firing`` once it has
held ``for_seconds`` (an :class:`~monitoring.models.AlertEvent` ``fired``); a
false one resolves a firing alert (``resolved``) and drops a pending one. A
subject with no data keeps its state: a dead cluster does not resolve its
alerts. Every event gets one notification per channel of its rule, marked
suppressed when the alert is silenced (or, for a resolution, acknowledged).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from clusters.models import Cluster
from clusters.prometheus.cache import evaluation_time
from clusters.prometheus.errors import PrometheusError
from clusters.prometheus.fanout import ClusterResult, fan_out
from clusters.prometheus.metrics import REQUESTS_TOTAL
from clusters.prometheus.threads import Pending, beside
from kcloud import audience
from kcloud.timeutil import from_unix, utcnow
from monitoring.alerting import budgets as B
from monitoring.alerting.periods import bounds
from monitoring.economics import J_PER_KWH
from monitoring.models import Alert, AlertEvent, AlertRule, Budget, EvaluationRun, Notification
from monitoring.services import grouping
from monitoring.services.answers import sites_of
from monitoring.services.energy import fetch_energy
from monitoring.services.power import cluster_power, fetch_now

logger = logging.getLogger(__name__)


@dataclass
class Observation:
    """What a rule sees for one subject at this evaluation."""

    subject: str
    cluster: str
    value: float | None
    active: bool
    text: str  # what happened, in words a partner may read (no address, no exporter internals)


@dataclass
class Facts:
    """Everything one evaluation fetched."""

    at: datetime
    clusters: list
    sites: dict
    now: list  # ClusterResult[ClusterNow]
    energy: dict[str, tuple[list[dict], list[dict], list[str]]] = field(default_factory=dict)
    idle_kwh: dict[str, float] = field(default_factory=dict)
    ipmi: list = field(default_factory=list)
    progress: dict[int, B.Progress] = field(default_factory=dict)


def _requests_so_far() -> float:
    return sum(
        sample.value
        for metric in REQUESTS_TOTAL.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


def _part(cluster: Any, pending: Pending | None) -> ClusterResult | None:
    """One kind of fetch of one cluster as a result of its own: a failed energy query is not a dead cluster."""
    if pending is None:
        return None
    try:
        return ClusterResult(cluster, "ok", value=pending.result())
    except PrometheusError as exc:
        return ClusterResult(cluster, "error", error=exc.message, error_code=exc.code)


def gather(rules: list[AlertRule], budgets: list[Budget], at: datetime) -> Facts:
    """Fetch what ``rules`` and ``budgets`` need (see the module docstring): one fan-out over the clusters.

    Inside a cluster the kinds run side by side (power now, each budget period's
    energy, the day's idle energy, IPMI): an evaluation costs its slowest request.
    """
    clusters = list(Cluster.objects.enabled())
    sites = sites_of(clusters)
    t = evaluation_time(at.timestamp())
    facts = Facts(at=from_unix(t), clusters=clusters, sites=sites, now=[])
    kinds = {r.kind for r in rules}
    windows = {p: max(300, int(t - bounds(p, facts.at)[0].timestamp())) for p in sorted({b.period for b in budgets})}
    day = max(300, int(t - bounds("day", facts.at)[0].timestamp()))
    idle, ipmi = AlertRule.Kind.IDLE_ENERGY_ABOVE in kinds, AlertRule.Kind.IPMI_CRITICAL in kinds

    def fetch(client: Any, cluster: Any) -> dict:
        from accelerators import devices
        from hardware import services as hardware
        from monitoring.services.efficiency import fetch_efficiency

        site = sites[cluster.name]
        # The devices first, once: every kind below places its series with them (two requests, cached
        # for the snapshot too), instead of each fetching them at the same moment.
        inventory = devices.fetch_accelerators(client, cluster, at=t)
        energy = {p: beside(fetch_energy, client, cluster, site, t, w, inventory) for p, w in windows.items()}
        efficiency = beside(fetch_efficiency, client, cluster, site, t, day, inventory) if idle else None
        sensors = beside(hardware.fetch_ipmi, client, cluster, t) if ipmi else None
        now = fetch_now(client, cluster, site, t)  # its failure is the cluster's: unreachable
        return {
            "now": now,
            "energy": {p: _part(cluster, pending) for p, pending in energy.items()},
            "efficiency": _part(cluster, efficiency),
            "ipmi": _part(cluster, sensors),
        }

    results = fan_out(clusters, fetch)
    facts.now = [
        ClusterResult(r.cluster, r.status, r.value and r.value["now"], r.error, r.error_code, r.latency_ms)
        for r in results
    ]
    answered = [r.value for r in results if r.ok]
    failed = [r.cluster.name for r in results if not r.ok]
    for period in windows:
        parts = [v["energy"][period] for v in answered]
        by_cluster, _totals, _pues = grouping.group_energy(parts, sites, "cluster", "node")
        by_namespace, _totals, _pues = grouping.group_energy(parts, sites, "namespace", "node")
        facts.energy[period] = (by_cluster, by_namespace, failed + [p.cluster.name for p in parts if not p.ok])
    for v in answered:
        eff = v["efficiency"]
        if eff is not None and eff.ok:
            facts.idle_kwh[eff.cluster.name] = sum(d.idle_joules for d in eff.value.devices) / J_PER_KWH
    facts.ipmi = [v["ipmi"] for v in answered if v["ipmi"] is not None]
    for budget in budgets:
        progress = B.progress(
            budget, bounds(budget.period, facts.at), facts.at, facts.energy[budget.period], facts.now, sites
        )
        facts.progress[budget.pk] = progress
        budget.progress = progress.as_dict(facts.at)
        budget.save(update_fields=["progress"])
    return facts


# -- what each kind of rule sees ------------------------------------------------------------------
def _mine(rule: AlertRule, cluster: str) -> bool:
    return rule.cluster_id is None or rule.cluster.name == cluster


def _answering(rule: AlertRule, facts: Facts) -> Iterator[tuple[str, Any]]:
    """(cluster name, power-now answer) of the rule's clusters that answered."""
    for result in facts.now:
        if result.ok and _mine(rule, result.cluster.name):
            yield result.cluster.name, result.value


def _power(rule: AlertRule, facts: Facts) -> list[Observation]:
    out = []
    for c, now in _answering(rule, facts):
        snap = now.snapshot
        if rule.level == AlertRule.Level.CLUSTER:
            watts = cluster_power(snap, facts.sites[c], now.facility).it_power_watts
            readings = [(c, watts)]
        elif rule.level == AlertRule.Level.NODE:
            readings = [(f"{c}/{n.name}", n.power.power_watts) for n in snap.nodes.values()]
        else:
            readings = [(f"{c}/{d.node}/{d.id}", d.power_watts) for d in [*snap.gpus, *snap.npus]]
        for subject, watts in readings:
            if watts is not None:
                text = f"{subject} draws {watts:,.0f} W (threshold {rule.threshold:,.0f} W)"
                out.append(Observation(subject, c, watts, watts > rule.threshold, text))
    return out


def _temperature(rule: AlertRule, facts: Facts) -> list[Observation]:
    out = []
    for c, now in _answering(rule, facts):
        for d in [*now.snapshot.gpus, *now.snapshot.npus]:
            if d.temperature_celsius is not None:
                subject = f"{c}/{d.node}/{d.id}"
                text = f"{d.kind.upper()} {d.id} on {d.node} at {d.temperature_celsius:.0f} °C"
                out.append(Observation(subject, c, d.temperature_celsius, d.temperature_celsius > rule.threshold, text))
    return out


def _unreachable(rule: AlertRule, facts: Facts) -> list[Observation]:
    out = []
    for result in facts.now:
        c = result.cluster.name
        if _mine(rule, c):
            reason = audience.public_error(result.error_code)  # "timeout", "unreachable": never an address
            text = f"cluster {c} is answering" if result.ok else f"cluster {c} does not answer ({reason})"
            out.append(Observation(c, c, 0.0 if result.ok else 1.0, not result.ok, text))
    return out


def _idle_energy(rule: AlertRule, facts: Facts) -> list[Observation]:
    return [
        Observation(c, c, kwh, kwh > rule.threshold, f"idle accelerators in {c} used {kwh:,.1f} kWh today")
        for c, kwh in sorted(facts.idle_kwh.items())
        if _mine(rule, c)
    ]


def _ipmi(rule: AlertRule, facts: Facts) -> list[Observation]:
    out = []
    for result in facts.ipmi:
        if not result.ok or not _mine(rule, result.cluster.name):
            continue
        for node in result.value.values():
            for s in node.sensors:
                critical = s.state == "critical"
                text = f"IPMI sensor {s.name} on {node.node} is {s.state}"
                out.append(Observation(f"{node.cluster}/{node.node}/{s.id}", node.cluster, s.value, critical, text))
    return out


def _budget(rule: AlertRule, facts: Facts) -> list[Observation]:
    p = facts.progress.get(rule.budget_id)
    if p is None or p.percent is None:
        return []
    budget = rule.budget
    text = (
        f"budget {budget.name}: {p.percent:.0f} % of {budget.limit:,g} {budget.get_measure_display()} used this "
        f"{budget.period} (threshold {rule.threshold:g} %)"
    )
    cluster = budget.cluster.name if budget.cluster_id else ""
    return [Observation(f"budget/{budget.name}", cluster, p.percent, p.percent >= rule.threshold, text)]


CHECKS = {
    AlertRule.Kind.POWER_ABOVE: _power,
    AlertRule.Kind.TEMPERATURE_ABOVE: _temperature,
    AlertRule.Kind.CLUSTER_UNREACHABLE: _unreachable,
    AlertRule.Kind.IDLE_ENERGY_ABOVE: _idle_energy,
    AlertRule.Kind.IPMI_CRITICAL: _ipmi,
    AlertRule.Kind.BUDGET_THRESHOLD: _budget,
}


# -- state changes ------------------------------------------------------------------------------
def _event(alert: Alert, kind: str, at: datetime, observation: Observation) -> None:
    event = AlertEvent.objects.create(alert=alert, kind=kind, at=at, value=observation.value, message=observation.text)
    silenced = alert.silenced_until is not None and alert.silenced_until > at
    quiet = silenced or (kind == AlertEvent.Kind.RESOLVED and alert.acknowledged_at is not None)
    status = Notification.Status.SUPPRESSED if quiet else Notification.Status.PENDING
    for channel in alert.rule.channels.filter(enabled=True):
        Notification.objects.create(event=event, channel=channel, status=status, next_attempt_at=at)


def apply(rule: AlertRule, observations: list[Observation], at: datetime) -> int:
    """Move the rule's alerts by what it observed; returns how many events were recorded.

    Only state changes are written one by one (each with its event and notifications,
    in one transaction); the latest values of alerts that stay as they are go in one
    bulk update, so an evaluation's writes grow with what changed, not with the fleet.
    """
    events = 0
    alerts = {a.subject: a for a in rule.alerts.all()}
    held_for = timedelta(seconds=rule.for_seconds)
    unchanged: list[Alert] = []
    for o in observations:
        alert = alerts.get(o.subject)
        if o.active and (alert is None or alert.state == Alert.State.RESOLVED):
            alert = _start(rule, o, at)
        if alert is None:
            continue
        if o.active and alert.state == Alert.State.PENDING and at - alert.active_since >= held_for:
            _change(alert, Alert.State.FIRING, at, o)
            events += 1
        elif not o.active and alert.state == Alert.State.FIRING:
            _change(alert, Alert.State.RESOLVED, at, o)
            events += 1
        elif not o.active and alert.state == Alert.State.PENDING:
            alert.delete()  # it never fired: nothing to tell
        elif alert.state != Alert.State.RESOLVED and alert.value != o.value:
            alert.value = o.value
            unchanged.append(alert)
    Alert.objects.bulk_update(unchanged, ["value"], batch_size=500)
    return events


def _change(alert: Alert, state: str, at: datetime, o: Observation) -> None:
    """Fire or resolve: the new state, its event and the event's notifications, all or nothing."""
    with transaction.atomic():
        alert.state, alert.value = state, o.value
        if state == Alert.State.FIRING:
            alert.fired_at = at
        else:
            alert.resolved_at = at
        alert.save()
        kind = AlertEvent.Kind.FIRED if state == Alert.State.FIRING else AlertEvent.Kind.RESOLVED
        _event(alert, kind, at, o)


def _start(rule: AlertRule, o: Observation, at: datetime) -> Alert:
    """A new episode: a pending alert (a resolved one is reused, its handling cleared; a silence stays)."""
    alert, _created = Alert.objects.update_or_create(
        rule=rule,
        subject=o.subject,
        defaults={
            "cluster": o.cluster,
            "state": Alert.State.PENDING,
            "active_since": at,
            "value": o.value,
            "fired_at": None,
            "resolved_at": None,
            "acknowledged_at": None,
            "acknowledged_by": None,
        },
    )
    return alert


def claim(at: datetime) -> EvaluationRun | None:
    """The evaluation slot containing ``at``, if no other worker has claimed it."""
    interval = settings.KCLOUD_EVALUATION_SECONDS
    slot = int(at.timestamp()) // interval * interval
    try:
        with transaction.atomic():
            return EvaluationRun.objects.create(slot=slot)
    except IntegrityError:
        return None  # another instance evaluates this slot


def run(at: datetime | None = None) -> EvaluationRun | None:
    """Evaluate every enabled rule once for this slot (None when another worker has it)."""
    at = at or utcnow()
    slot = claim(at)
    if slot is None:
        return None
    before = _requests_so_far()
    rules = list(AlertRule.objects.filter(enabled=True).select_related("cluster", "budget", "budget__cluster"))
    budgets = list(Budget.objects.filter(enabled=True).select_related("cluster"))
    try:
        facts = gather(rules, budgets, at)
        for rule in rules:
            apply(rule, CHECKS[rule.kind](rule, facts), facts.at)
    except Exception as exc:  # the next slot tries again; the reason is kept on the run
        logger.exception("alert evaluation failed")
        slot.error = f"{type(exc).__name__}"[:300]
    slot.requests = int(_requests_so_far() - before)
    slot.finished_at = utcnow()
    slot.save()
    return slot
