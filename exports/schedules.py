"""Run the report schedules: make each due period's report once, archive it, e-mail it; purge old ones.

Called every hour by the worker (:mod:`exports.tasks`): a schedule's report for
the last full period is made at the first run after the period ends (and
retried, up to :data:`MAX_ATTEMPTS`, when it failed). Workers claim a period by
creating its archive row; the unique constraint makes the second one step back.
Scheduled reports and their e-mails are in ``settings.LANGUAGE_CODE`` (English),
whoever triggers them: there is no request, so no reader's language.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import translation
from django.utils.translation import gettext

from clusters.models import Cluster
from exports.models import ArchivedReport, ReportSchedule
from exports.report import render_report, resolve_window
from kcloud.timeutil import utcnow

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


def _claim(schedule: ReportSchedule, start: datetime, end: datetime) -> ArchivedReport | None:
    try:
        with transaction.atomic():
            return ArchivedReport.objects.create(schedule=schedule, period_start=start, period_end=end)
    except IntegrityError:
        pass
    retried = ArchivedReport.objects.filter(
        schedule=schedule, period_start=start, status=ArchivedReport.Status.FAILED, attempts__lt=MAX_ATTEMPTS
    ).update(status=ArchivedReport.Status.GENERATING, attempts=F("attempts") + 1)
    return ArchivedReport.objects.get(schedule=schedule, period_start=start) if retried else None


def clusters_of(schedule: ReportSchedule) -> list[Cluster]:
    enabled = Cluster.objects.enabled()
    return list(enabled if schedule.all_clusters else enabled.filter(pk__in=schedule.clusters.values("pk")))


def make(schedule: ReportSchedule, now: datetime) -> ArchivedReport | None:
    """The report of the schedule's last full period, if no worker has made it yet."""
    window = resolve_window(schedule.period, now=now)
    archived = _claim(schedule, window.start, window.end)
    if archived is None:
        return None
    try:
        with translation.override(settings.LANGUAGE_CODE):
            rendered = render_report(clusters_of(schedule), period=schedule.period, fmt=schedule.format, now=now)
    except Exception as exc:  # kept on the row; the next hourly run retries
        logger.exception("report %s for %s failed", schedule.name, window.start)
        archived.status, archived.error = ArchivedReport.Status.FAILED, type(exc).__name__
        archived.save(update_fields=["status", "error", "updated_at"])
        return archived
    archived.content, archived.filename, archived.content_type = (
        rendered.content,
        rendered.filename,
        rendered.content_type,
    )
    archived.status, archived.error = ArchivedReport.Status.READY, ""
    archived.save()
    send(archived)
    return archived


def _message_text(archived: ArchivedReport) -> tuple[str, str]:
    """The e-mail's subject and body, in the active language."""
    start, end = archived.period_start, archived.period_end
    subject = gettext("KCloud Monitor: %(name)s (%(start)s to %(end)s)") % {
        "name": archived.schedule.name,
        "start": f"{start:%Y-%m-%d}",
        "end": f"{end:%Y-%m-%d}",
    }
    bodies = {  # the schedule's period (ReportSchedule.Period)
        "daily": gettext("The daily report of the period from %(start)s to %(end)s UTC is attached."),
        "weekly": gettext("The weekly report of the period from %(start)s to %(end)s UTC is attached."),
        "monthly": gettext("The monthly report of the period from %(start)s to %(end)s UTC is attached."),
    }
    body = bodies[archived.schedule.period] % {"start": f"{start:%Y-%m-%d %H:%M}", "end": f"{end:%Y-%m-%d %H:%M}"}
    return subject, body


def send(archived: ArchivedReport) -> bool:
    """E-mail a ready report to its schedule's recipients (once; recorded)."""
    recipients = archived.schedule.recipient_list()
    if not recipients or archived.emailed_at is not None:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _message_text(archived)
    message = EmailMessage(subject=subject, body=body, to=recipients)
    message.attach(archived.filename, bytes(archived.content), archived.content_type)
    try:
        message.send()
    except Exception as exc:
        archived.error = f"e-mail not accepted ({type(exc).__name__})"
        archived.save(update_fields=["error", "updated_at"])
        return False
    archived.emailed_at = utcnow()
    archived.save(update_fields=["emailed_at", "updated_at"])
    return True


def run_due(now: datetime | None = None) -> list[ArchivedReport]:
    """Make every enabled schedule's due report; resend ready ones whose e-mail failed; purge old ones."""
    now = now or utcnow()
    made = [r for s in ReportSchedule.objects.filter(enabled=True) if (r := make(s, now)) is not None]
    for archived in ArchivedReport.objects.filter(status=ArchivedReport.Status.READY, emailed_at__isnull=True):
        send(archived)
    purge(now)
    return made


def purge(now: datetime) -> int:
    """Delete archived reports older than ``KCLOUD_REPORT_RETENTION_DAYS``."""
    cutoff = now - timedelta(days=settings.KCLOUD_REPORT_RETENTION_DAYS)
    deleted, _ = ArchivedReport.objects.filter(period_end__lt=cutoff).delete()
    return deleted


def visible_schedules(principal):
    """Schedules over clusters the principal all sees (over every cluster: for who sees every one)."""
    visible = principal.visible_clusters().values("pk")
    outside = Count("clusters", filter=~Q(clusters__pk__in=visible))
    mine = ReportSchedule.objects.filter(all_clusters=False).annotate(outside=outside).filter(outside=0)
    if principal.sees_every_cluster():
        return ReportSchedule.objects.filter(Q(pk__in=mine.values("pk")) | Q(all_clusters=True))
    return ReportSchedule.objects.filter(pk__in=mine.values("pk"))
