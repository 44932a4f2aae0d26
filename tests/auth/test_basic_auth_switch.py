"""HTTP Basic on the API only when KCLOUD_BASIC_AUTH=1 (settings are read at start-up: subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import base64, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth.models import User
from rest_framework.test import APIClient
from kcloud.auth import roles
roles.grant(User.objects.create_user("script", password="script-pass-1234"), roles.VIEWER, all_clusters=True)
client = APIClient()
header = "Basic " + base64.b64encode(b"script:script-pass-1234").decode()
print("status", client.get("/api/v1/clusters", HTTP_AUTHORIZATION=header).status_code)
"""


@pytest.mark.parametrize(("flag", "status"), [("1", 200), ("0", 401)])
def test_basic_auth_follows_the_switch(tmp_path, flag, status):
    env = {**os.environ, "KCLOUD_BASIC_AUTH": flag, "KCLOUD_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"status {status}" in result.stdout
