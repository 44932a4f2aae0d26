"""Delivery of notifications: claim, send, record; retry with backoff; nothing lost across restarts.

A notification is claimed with one conditional UPDATE (pending, due, not
claimed by a live worker), so two workers never send the same one at the same
time; a worker that dies mid-send leaves a claim that expires, and the next run
takes it again. Webhooks carry ``X-KCloud-Notification`` (the notification's id)
so a receiver can drop the rare repeat of a send whose answer was lost.

Payloads say what happened (rule, subject, cluster, state, value, words) and
never carry a credential, a Prometheus address or an exporter's error text.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q

from clusters.prometheus.client import USER_AGENT
from kcloud.timeutil import isoformat, utcnow
from monitoring.models import Notification, NotificationChannel

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 10
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = (10, 30, 60, 300, 900, 1800, 3600)  # after attempt 1, 2, ...


class DeliveryError(Exception):
    """A send that did not go through (the message says why, in words safe to store)."""


def message(notification: Notification) -> dict:
    """The facts of a notification, the same for every channel."""
    event = notification.event
    alert = event.alert
    return {
        "id": notification.pk,
        "rule": alert.rule.name,
        "kind": alert.rule.kind,
        "subject": alert.subject,
        "cluster": alert.cluster or None,
        "state": "firing" if event.kind == "fired" else "resolved",
        "value": event.value,
        "at": isoformat(event.at),
        "text": event.message,
    }


def _title(facts: dict) -> str:
    mark = "FIRING" if facts["state"] == "firing" else "RESOLVED"
    return f"[{mark}] {facts['rule']}: {facts['subject']}"


def payload(channel: NotificationChannel, facts: dict) -> dict:
    """The webhook body: our JSON, or a Slack / Teams incoming-webhook message."""
    if channel.payload == NotificationChannel.Payload.SLACK:
        return {"text": f"*{_title(facts)}*\n{facts['text']}"}
    if channel.payload == NotificationChannel.Payload.TEAMS:
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": _title(facts),
            "title": _title(facts),
            "text": facts["text"],
            "themeColor": "D13438" if facts["state"] == "firing" else "2EB886",
        }
    return {"version": 1, **facts}


def _send(notification: Notification) -> None:
    channel = notification.channel
    facts = message(notification)
    if channel.kind == NotificationChannel.Kind.EMAIL:
        recipients = channel.recipient_list()
        if not recipients:
            raise DeliveryError("no recipients")
        try:
            send_mail(_title(facts), f"{facts['text']}\n\nAt {facts['at']} (UTC).", None, recipients)
        except Exception as exc:  # smtplib and socket errors: the class name is enough to store
            raise DeliveryError(f"e-mail not accepted ({type(exc).__name__})") from None
        return
    try:
        response = requests.post(
            channel.url,
            json=payload(channel, facts),
            headers={"User-Agent": USER_AGENT, "X-KCloud-Notification": str(notification.pk)},
            timeout=WEBHOOK_TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        # Not str(exc): it contains the URL, which is the channel's secret.
        raise DeliveryError(f"webhook unreachable ({type(exc).__name__})") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"webhook answered HTTP {response.status_code}")


def _claim(pk: int) -> bool:
    now = utcnow()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    claimed = (
        Notification.objects.filter(free, pk=pk, next_attempt_at__lte=now)
        .filter(status__in=(Notification.Status.PENDING, Notification.Status.SENDING))
        .update(
            status=Notification.Status.SENDING,
            claimed_until=now + timedelta(seconds=settings.KCLOUD_NOTIFICATION_CLAIM_SECONDS),
        )
    )
    return claimed == 1


def deliver(notification: Notification) -> bool:
    """Send one claimed notification and record the outcome; True when it went through."""
    notification.attempts += 1
    try:
        _send(notification)
    except DeliveryError as exc:
        notification.last_error = str(exc)[:300]
        if notification.attempts >= MAX_ATTEMPTS:
            notification.status = Notification.Status.FAILED
            logger.error("notification %s failed for good: %s", notification.pk, exc)
        else:
            delay = BACKOFF_SECONDS[min(notification.attempts, len(BACKOFF_SECONDS)) - 1]
            notification.status = Notification.Status.PENDING
            notification.next_attempt_at = utcnow() + timedelta(seconds=delay)
        notification.claimed_until = None
        notification.save(update_fields=["attempts", "last_error", "status", "next_attempt_at", "claimed_until"])
        return False
    notification.status, notification.sent_at, notification.claimed_until = Notification.Status.SENT, utcnow(), None
    notification.last_error = ""
    notification.save(update_fields=["attempts", "last_error", "status", "sent_at", "claimed_until"])
    return True


def deliver_due(limit: int = 100) -> int:
    """Send what is due (oldest first); returns how many went through."""
    now = utcnow()
    due = Notification.objects.filter(
        status__in=(Notification.Status.PENDING, Notification.Status.SENDING), next_attempt_at__lte=now
    ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    sent = 0
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            if not _claim(pk):
                continue  # another worker has it
        notification = Notification.objects.select_related("event__alert__rule", "channel").get(pk=pk)
        sent += deliver(notification)
    return sent
