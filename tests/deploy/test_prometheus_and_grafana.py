"""``deploy/prometheus`` and ``deploy/grafana``: rules that pass promtool, and a dashboard whose
every panel returns data from a real Prometheus that scraped the product's ``/metrics/fleet``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.prometheus_fixtures import register_clusters, require_prometheus

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "kcloud-rules.yml"
DASHBOARD = DEPLOY / "grafana" / "kcloud-fleet.json"
NAME = re.compile(r"\b(kcloud_[a-z_]+)\b")


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    require_prometheus()
    binary = shutil.which("promtool")
    assert binary, "promtool comes with Debian's prometheus package"
    return subprocess.run([binary, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_rules_are_valid_and_their_unit_tests_pass():
    checked = promtool("check", "rules", RULES.name, cwd=RULES.parent)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", "kcloud-rules.test.yml", cwd=RULES.parent)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_scrape_job_is_a_valid_prometheus_config(tmp_path):
    job = yaml.safe_load((DEPLOY / "prometheus" / "scrape-kcloud.yml").read_text())
    token = tmp_path / "token"
    token.write_text("not-a-real-token\n")
    job["scrape_configs"][0]["authorization"]["credentials_file"] = str(token)
    shutil.copy(RULES, tmp_path / RULES.name)
    config = {"rule_files": [RULES.name], **job}
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    checked = promtool("check", "config", "prometheus.yml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _panel_queries() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [(panel["title"], target["expr"]) for panel in dashboard["panels"] for target in panel["targets"]]


def _as_grafana_sends(expr: str) -> str:
    """What Grafana sends for a query: the variables filled in (all clusters, a 5 minute range)."""
    return expr.replace("$cluster", ".*").replace("$__range_s", "300").replace("$__range", "5m")


@pytest.mark.prometheus
@pytest.mark.django_db(transaction=True)
def test_every_panel_returns_data_from_a_prometheus_scraping_the_product(
    fleet_prometheus, live_server, prometheus_server, django_user_model
):
    from demo.deployment import SITE_PROFILES
    from kcloud.auth import roles
    from kcloud.auth.models import ApiToken

    clusters = register_clusters(fleet_prometheus.deployment)
    for cluster, site in zip(clusters, SITE_PROFILES, strict=False):
        for field, value in site.items():  # the demo's site economics: PUE, carbon, price
            setattr(cluster, field, value)
    clusters[0].power_budget_watts = 1_000_000.0  # so the budget series exists too
    for cluster in clusters:
        cluster.save()
    from monitoring.models import Budget

    # A budget as an evaluation leaves it (its progress), for the budget series the rules use.
    Budget.objects.create(
        name="fleet month", scope="fleet", limit=1000, progress={"used_percent": 40.0, "projected_percent": 120.0}
    )
    user = django_user_model.objects.create_user("prometheus-scraper", password="unused-pass-1234")
    roles.grant(user, roles.VIEWER, all_clusters=True)
    _token, key = ApiToken.issue(user, name="prometheus", all_clusters=True)
    host = live_server.url.split("//", 1)[1]
    # The shipped scrape job, pointed at the test server (plain HTTP, a token inline, a faster interval).
    job = yaml.safe_load((DEPLOY / "prometheus" / "scrape-kcloud.yml").read_text())["scrape_configs"][0]
    job.update(scheme="http", scrape_interval="3s", scrape_timeout="3s", static_configs=[{"targets": [host]}])
    job["authorization"] = {"type": "Token", "credentials": key}
    server = prometheus_server({"global": {"scrape_interval": "3s"}, "scrape_configs": [job]})

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        up = server.query("count(kcloud_cluster_up == 1)")
        scrapes = server.query("min(count_over_time(kcloud_cluster_up[1m]))")
        if up and float(up[0]["value"][1]) == len(clusters) and scrapes and float(scrapes[0]["value"][1]) >= 2:
            break
        time.sleep(1)
    else:
        pytest.fail(f"no two scrapes of every cluster in 90 s: {server.query('up')}")

    empty = [title for title, expr in _panel_queries() if not server.query(_as_grafana_sends(expr))]
    assert empty == [], f"panels without data: {empty}"

    # Every kcloud_* name the dashboard and the rules use is one the product writes.
    written = set(server.api("label/__name__/values"))
    used = set(NAME.findall(DASHBOARD.read_text())) | set(NAME.findall(RULES.read_text()))
    assert used - written == set()
