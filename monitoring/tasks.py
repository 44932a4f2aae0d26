"""Background tasks (huey, run by ``manage.py run_huey``): evaluation and delivery every minute.

Every app instance may run a worker: an evaluation slot is claimed in the
database by one of them, and each notification is claimed before it is sent
(see :mod:`monitoring.alerting`), so running two changes nothing but resilience.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kcloud import logs
from monitoring.alerting import evaluate, notify


@db_periodic_task(crontab(minute="*"))
def evaluate_alerts() -> None:
    with logs.activity("evaluate"):
        run = evaluate.run()
    if run is not None:
        deliver_notifications()  # what the evaluation raised goes out now, not at the next minute


@db_task()
def deliver_notifications() -> None:
    with logs.activity("deliver"):
        notify.deliver_due()


@db_periodic_task(crontab(minute="*"))
def deliver_due_notifications() -> None:
    # Retries and anything a stopped worker left behind.
    with logs.activity("deliver"):
        notify.deliver_due()
