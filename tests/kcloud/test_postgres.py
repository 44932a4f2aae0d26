"""The schema migrates on a real PostgreSQL, and credentials are ciphertext there too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres

SNIPPET = """
import django; django.setup()
from django.db import connection
from clusters.models import Cluster
c = Cluster(name="pg-a", prometheus_url="http://127.0.0.1:9", auth_type="basic", username="u")
c.password = "pg-plaintext-secret"
c.full_clean(); c.save()
with connection.cursor() as cur:
    cur.execute("SELECT password_encrypted FROM clusters_cluster WHERE name = 'pg-a'")
    raw = cur.fetchone()[0]
assert "pg-plaintext-secret" not in raw and raw.startswith("gAAAA"), raw
assert Cluster.objects.get(name="pg-a").password == "pg-plaintext-secret"
print("vendor", connection.vendor)
"""


def test_migrate_and_encrypted_credentials_on_postgres(postgres_database):
    env = {**os.environ, "DATABASE_URL": postgres_database, "DJANGO_SETTINGS_MODULE": "kcloud.settings"}
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    run = subprocess.run([sys.executable, "-c", SNIPPET], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "vendor postgresql" in run.stdout
