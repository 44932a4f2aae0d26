"""Background task (huey): the report schedules, every hour (see :mod:`exports.schedules`)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from exports import schedules
from kcloud import logs


@db_periodic_task(crontab(minute="5"))
def run_report_schedules() -> None:
    with logs.activity("reports"):
        schedules.run_due()
