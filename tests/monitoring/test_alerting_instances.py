"""Two app instances on one PostgreSQL: each evaluation runs once, each notification is sent once,
and a worker that dies holding a notification loses nothing.

Each "instance" is its own Python process with the product's settings, as two
workers in production are; they share the database and the simulated fleet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.monitoring.receivers import webhook_receiver
from tests.monitoring.test_power import history_time

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.prometheus]

SETUP = """
import json, os, sys, django
django.setup()
from django.core.management import call_command
from clusters.models import Cluster
from monitoring.models import AlertRule, NotificationChannel
spec = json.loads(sys.argv[1])
for c in spec["clusters"]:
    argv = [c["name"], "--url", c["url"], "--timeout", "10"]
    if c["selector"]:
        argv += ["--selector", c["selector"]]
    if c["password"]:
        os.environ["PW"] = c["password"]
        argv += ["--username", c["username"], "--password-env", "PW"]
    call_command("register_cluster", *argv)
channel = NotificationChannel(name="hook", kind="webhook")
channel.url = spec["hook"]
channel.save()
rule = AlertRule.objects.create(name="power", kind="power_above", level="cluster", threshold=0)
rule.channels.set([channel])
"""

INSTANCE = """
import sys, django
django.setup()
from kcloud.timeutil import from_unix
from monitoring.alerting import evaluate, notify
sys.stdin.readline()  # both start together
run = evaluate.run(from_unix(float(sys.argv[1])))
print("evaluated" if run else "skipped", notify.deliver_due(), flush=True)
"""

CRASH = """
import os, signal, sys, django
django.setup()
from monitoring.alerting import notify
from monitoring.models import Notification
pk = Notification.objects.get().pk
assert notify._claim(pk)
os.kill(os.getpid(), signal.SIGKILL)  # dies holding the claim, before sending
"""

DELIVER = """
import django
django.setup()
from monitoring.alerting import notify
print(notify.deliver_due(), flush=True)
"""

LAPSE = """
import django
django.setup()
from datetime import timedelta
from kcloud.timeutil import utcnow
from monitoring.models import Notification
assert Notification.objects.filter(status="sending", claimed_until__gt=utcnow()).count() == 1
Notification.objects.update(claimed_until=utcnow() - timedelta(seconds=1))
"""

COUNT = """
import django
django.setup()
from monitoring.models import AlertEvent, EvaluationRun, Notification
print(EvaluationRun.objects.count(), AlertEvent.objects.count(), Notification.objects.filter(status="sent").count())
"""


def _python(env: dict, code: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, **kwargs
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run


@pytest.fixture
def instance_env(postgres_database):
    env = {
        **os.environ,
        "DATABASE_URL": postgres_database,
        "DJANGO_SETTINGS_MODULE": "kcloud.settings",
    }
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    return env


def _setup(env: dict, fleet_prometheus, hook_url: str) -> int:
    clusters = [
        {
            "name": e.name,
            "url": e.url,
            "selector": e.label_selector,
            "username": e.username,
            "password": e.password,
        }
        for e in fleet_prometheus.deployment.registry()
    ]
    _python(env, SETUP, json.dumps({"clusters": clusters, "hook": hook_url}))
    return len(clusters)


def test_two_instances_evaluate_once_and_notify_once(instance_env, fleet_prometheus):
    at = history_time(fleet_prometheus.fleet) // 60 * 60
    with webhook_receiver() as hook:
        clusters = _setup(instance_env, fleet_prometheus, hook.url)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", INSTANCE, str(at)],
                cwd=ROOT,
                env=instance_env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(input="go\n", timeout=300) for p in procs]
        assert all(p.returncode == 0 for p in procs), [err[-2000:] for _out, err in outputs]
        said = sorted(out.split()[0] for out, _err in outputs)
        assert said == ["evaluated", "skipped"]
        assert len(hook.received) == clusters  # one alert per cluster, each notified once
        assert len({h["X-KCloud-Notification"] for h in hook.headers}) == clusters
    runs, events, sent = map(int, _python(instance_env, COUNT).stdout.split())
    assert (runs, events, sent) == (1, clusters, clusters)


def test_a_worker_that_dies_holding_a_notification_loses_nothing(instance_env, fleet_prometheus):
    at = history_time(fleet_prometheus.fleet) // 60 * 60
    with webhook_receiver() as hook:
        _setup(instance_env, fleet_prometheus, hook.url)
        # Only the first cluster's rule: one notification to follow.
        _python(
            instance_env,
            "import django; django.setup()\n"
            "from clusters.models import Cluster\nfrom monitoring.models import AlertRule\n"
            "AlertRule.objects.update(cluster=Cluster.objects.order_by('pk').first())\n",
        )
        evaluate = (
            "import django, sys; django.setup()\nfrom kcloud.timeutil import from_unix\n"
            "from monitoring.alerting import evaluate\nevaluate.run(from_unix(float(sys.argv[1])))\n"
        )
        _python(instance_env, evaluate, str(at))
        crashed = subprocess.run([sys.executable, "-c", CRASH], cwd=ROOT, env=instance_env, capture_output=True)
        assert crashed.returncode == -9, crashed.stderr[-2000:]
        assert _python(instance_env, DELIVER).stdout.strip() == "0"  # still claimed by the dead worker
        assert hook.received == []
        # The claim lapses (KCLOUD_NOTIFICATION_CLAIM_SECONDS after it was taken; moved into the
        # past here instead of waiting two minutes): the next run sends it, once.
        _python(instance_env, LAPSE)
        assert _python(instance_env, DELIVER).stdout.strip() == "1"
        assert len(hook.received) == 1
        assert _python(instance_env, DELIVER).stdout.strip() == "0"
