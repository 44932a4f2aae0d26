"""The alerts page (``/monitoring/alerts/``): alerts firing first, budgets with their progress, the history.

Figures come from the database (what the background evaluation wrote), so the
page costs no PromQL. Acknowledging and silencing are operator actions.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clusters.scope import Principal
from kcloud import timerange
from kcloud.auth import roles
from kcloud.auth.middleware import requires
from kcloud.timeutil import utcnow
from monitoring.alerting.scope import visible_alerts, visible_budgets
from monitoring.models import AlertEvent, EvaluationRun

SILENCE_HOURS = (1, 4, 24)
HISTORY_ROWS = 100  # the newest state changes of the range (a shorter range shows older ones)


def budget_rows(budgets) -> list[dict]:
    """A budget with its last progress, as the pages show it (bars clipped at 100 %)."""
    rows = []
    for budget in budgets:
        progress = budget.progress or {}
        used, projected = progress.get("used_percent"), progress.get("projected_percent")
        rows.append(
            {
                "budget": budget,
                "progress": progress,
                "used_width": None if used is None else min(100.0, used),
                "projected_width": None if projected is None else min(100.0, projected),
                "over": used is not None and used >= 100,
                "projected_over": projected is not None and projected >= 100,
            }
        )
    return rows


def alerting_context(principal, cluster: str | None = None) -> dict:
    """Budgets and active alerts for another page (the overview, a cluster's page): from the database only."""
    budgets = visible_budgets(principal)
    alerts = visible_alerts(principal).exclude(state="resolved")
    if cluster is not None:
        budgets, alerts = budgets.filter(cluster__name=cluster), alerts.filter(cluster=cluster)
    active = list(alerts)
    return {
        "budgets": budget_rows(budgets),
        "alerts_firing": sum(1 for a in active if a.state == "firing"),
        "active_alerts": active[:5],
    }


def alerts_page(request: HttpRequest) -> HttpResponse:
    principal = Principal.from_request(request)
    alerts = visible_alerts(principal)
    # The history is the page's time range (what fired and resolved in it), newest first.
    time_range = timerange.for_request(request)
    events = AlertEvent.objects.filter(alert__in=alerts, at__gte=time_range.start, at__lte=time_range.end)
    context = {
        "tab": "alerts",
        "active": [a for a in alerts if a.state != "resolved"],
        "budgets": budget_rows(visible_budgets(principal)),
        "events": events.select_related("alert__rule")[:HISTORY_ROWS],
        "events_count": events.count(),
        "history_rows": HISTORY_ROWS,
        "last_run": EvaluationRun.objects.first(),
        "silence_hours": SILENCE_HOURS,
        "can_act": roles.can_operate(request.user),
        "now": utcnow(),
    }
    return render(request, "monitoring/alerts.html", context)


@require_POST
@requires(roles.OPERATE)
def alert_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Acknowledge, or silence for one of :data:`SILENCE_HOURS`."""
    alert = get_object_or_404(visible_alerts(Principal.from_request(request)), pk=pk)
    action = request.POST.get("action")
    if action == "acknowledge":
        alert.acknowledged_at, alert.acknowledged_by = utcnow(), request.user
        alert.save(update_fields=["acknowledged_at", "acknowledged_by", "updated_at"])
        messages.success(
            request, _("Acknowledged: %(rule)s — %(subject)s.") % {"rule": alert.rule.name, "subject": alert.subject}
        )
    elif (
        action == "silence" and request.POST.get("hours", "").isdigit() and int(request.POST["hours"]) in SILENCE_HOURS
    ):
        hours = int(request.POST["hours"])
        alert.silenced_until = utcnow() + timedelta(hours=hours)
        alert.save(update_fields=["silenced_until", "updated_at"])
        messages.success(
            request,
            _("Silenced for %(hours)s h: %(rule)s — %(subject)s.")
            % {"hours": hours, "rule": alert.rule.name, "subject": alert.subject},
        )
    else:
        messages.error(request, _("Unknown action."))
    return redirect("monitoring-alerts")
