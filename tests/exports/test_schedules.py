"""Scheduled reports: made once per period, e-mailed with the file, downloadable, purged after retention."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exports import schedules
from exports.models import ArchivedReport, ReportSchedule
from kcloud.timeutil import from_unix

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

URL = "/api/v1/export/schedules"


def test_a_daily_schedule_sends_its_report_once_and_keeps_it(staff_api, fleet_clusters, fleet_prometheus, mail):
    response = staff_api.post(
        URL,
        {"name": "ops daily", "period": "daily", "format": "pdf", "recipients": "ops@example.com, cfo@example.com"},
        format="json",
    )
    assert response.status_code == 201, response.content
    now = from_unix(fleet_prometheus.deployment.history_end)
    made = schedules.run_due(now)
    assert len(made) == 1 and made[0].status == "ready"
    assert schedules.run_due(now + timedelta(minutes=30)) == []  # the same period: not again
    assert len(mail.messages) == 1
    message = mail.messages[0]
    assert set(message.rcpt_tos) == {"ops@example.com", "cfo@example.com"}
    assert b"application/pdf" in message.content and b"%PDF" not in message.content  # attached, base64
    archived = ArchivedReport.objects.get()
    listed = staff_api.get(URL).json()["results"][0]["reports"]
    assert [r["id"] for r in listed] == [archived.pk]
    download = staff_api.get(listed[0]["download"])
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert download.content == bytes(archived.content)
    # Past the retention, the archive is purged.
    assert schedules.purge(archived.period_end + timedelta(days=91)) == 1


def test_two_workers_make_one_report(fleet_clusters, fleet_prometheus, mail):
    schedule = ReportSchedule.objects.create(
        name="weekly", period="weekly", format="xlsx", recipients="ops@example.com"
    )
    now = from_unix(fleet_prometheus.deployment.history_end)
    first, second = schedules.make(schedule, now), schedules.make(schedule, now)
    assert first is not None and first.status == "ready" and second is None
    assert len(mail.messages) == 1


def test_bad_schedules_are_refused(staff_api, token_client, partner_operator, make_cluster):
    seoul = make_cluster("seoul-a")
    make_cluster("busan-b")
    assert staff_api.post(URL, {"name": "x", "period": "hourly"}, format="json").status_code == 400
    bad_mail = {"name": "y", "period": "daily", "recipients": "not an address"}
    assert staff_api.post(URL, bad_mail, format="json").status_code == 400
    scoped = token_client(partner_operator, clusters=[seoul])
    # A token for one cluster cannot schedule a report of every cluster, nor of another's.
    assert scoped.post(URL, {"name": "z", "period": "daily"}, format="json").status_code == 400
    mine = {"name": "z", "period": "daily", "all_clusters": False, "clusters": ["busan-b"]}
    assert scoped.post(URL, mine, format="json").status_code == 400
    mine["clusters"] = ["seoul-a"]
    assert scoped.post(URL, mine, format="json").status_code == 201
    assert [s["name"] for s in staff_api.get(URL).json()["results"]] == ["z"]
