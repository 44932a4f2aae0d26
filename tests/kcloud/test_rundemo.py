"""``manage.py rundemo`` (what ``make demo`` runs): ready, healthy, logged in, and stops everything."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.prometheus_fixtures import require_prometheus

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.prometheus


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> set[int]:
    """Every descendant of ``pid`` (from /proc)."""
    found, frontier = set(), {pid}
    while frontier:
        parent = frontier.pop()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == parent and int(entry.name) not in found:
                found.add(int(entry.name))
                frontier.add(int(entry.name))
    return found


def test_rundemo_serves_a_healthy_demo_and_cleans_up(tmp_path):
    require_prometheus()
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "KCLOUD_VAR_DIR": str(tmp_path),
        "KCLOUD_DEMO_PASSWORD": "demo-pass-4321",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "rundemo", "--port", str(port), "--history-hours", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            lines.append(line)
            if "demo is ready" in line:
                break
        output = "".join(lines)
        assert f"http://127.0.0.1:{port}/" in output, output
        assert re.search(r"alerting: \d+ budgets, \d+ rules, [1-9]\d* firing", output), output
        assert proc.stdout.readline().strip() == "login: admin / demo-pass-4321"
        seconds = float(re.search(r"ready in (\d+) s", output).group(1))
        assert seconds < 60, output

        health = requests.get(f"http://127.0.0.1:{port}/api/v1/system/health", timeout=10).json()
        assert health["status"] == "ok", health
        assert health["clusters"] == {"total": 3, "ok": 3, "error": 0}  # counted, not named: anonymous

        session = requests.Session()
        login = session.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        page = session.post(
            f"http://127.0.0.1:{port}/accounts/login/",
            data={"username": "admin", "password": "demo-pass-4321", "csrfmiddlewaretoken": token},
            headers={"Referer": f"http://127.0.0.1:{port}/accounts/login/"},
            timeout=30,
        )
        assert "Fleet overview" in page.text and "3 of 3 clusters healthy" in page.text
        descendants = _children(proc.pid)
        assert descendants, "rundemo started no processes?"
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C does
        proc.wait(timeout=60)
    # The children exit as rundemo shuts them down; give them a moment, not a fixed sleep.
    deadline = time.monotonic() + 30
    alive = descendants
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pid for pid in descendants if Path(f"/proc/{pid}").exists()]
    assert alive == [], f"processes left behind: {alive}"
