"""A production-shaped KCloud Monitor on this machine, from the shipped deploy/ files.

:class:`Stack` starts, each as its own process: a PostgreSQL cluster (``initdb``,
own port, so restarting it touches nothing else), a Redis server (own port),
two ASGI instances through ``scripts/entrypoint.sh web`` with production
settings (``DEBUG=0``, secure cookies, HSTS, behind a TLS proxy), and nginx with
``deploy/vm/nginx/kcloud.conf`` (only ports, paths and the self-signed
certificate substituted). The fleet's Prometheus servers come from the caller
(``demo.deployment``). :class:`FaultProxy` stands between the app and one
Prometheus to make it slow or make it answer garbage.

Used by ``tests/e2e`` (``make e2e``) and ``bench/load.py``.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
NGINX_SITE = REPO / "deploy" / "vm" / "nginx" / "kcloud.conf"
HOSTNAME = "localhost"
STAFF, STAFF_PASSWORD = "ops", "ops-e2e-pass-8c1f2a"


class StackError(RuntimeError):
    """A part of the stack did not start."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float, process: subprocess.Popen | None = None, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        if process is not None and process.poll() is not None:
            raise StackError(f"{what or 'process'} exited with {process.returncode}")
        time.sleep(0.1)
    raise StackError(f"{what or 'port'} {port} not listening after {timeout:.0f}s")


def _root() -> bool:
    return os.geteuid() == 0


def _stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def postgres_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


class Postgres:
    """A PostgreSQL cluster of its own (trust auth on 127.0.0.1), restartable at will."""

    def __init__(self) -> None:
        bindir = postgres_bindir()
        if bindir is None:
            raise StackError("PostgreSQL server binaries not installed (apt-get install postgresql)")
        self.bin = bindir
        self.port = free_port()
        # Not under pytest's 0700 temp root: the server runs as `postgres` when we are root.
        self.dir = Path(tempfile.mkdtemp(prefix="kcloud-e2e-pg-"))
        self.data = self.dir / "data"
        if _root():
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
        command = [*(["runuser", "-u", "postgres", "--"] if _root() else []), *argv]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise StackError(f"{argv[0]} failed: {done.stderr[-1500:]}")
        return done

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/kcloud"

    def start(self) -> Postgres:
        if not self.data.exists():
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
            first = True
        else:
            first = False
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.dir / "log")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", log, "-w", "start")
        if first:
            self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "kcloud")
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(StackError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    """A Redis server of its own (no persistence, like a restarted production cache)."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        log = (self.workdir / "redis.log").open("a")
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_port(self.port, 20, self.process, "redis")
        return self

    def stop(self) -> None:
        _stop(self.process)


@dataclass
class AppInstance:
    """One ASGI web process: ``scripts/entrypoint.sh web`` as the systemd unit runs it."""

    name: str
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AppInstance:
        env = {**self.env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        out = self.log.open("a")
        argv = ["bash", str(REPO / "scripts" / "entrypoint.sh"), "web"]
        self.process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_port(self.port, 60, self.process, self.name)
        return self

    def kill(self) -> None:
        """A crash: SIGKILL, no graceful shutdown."""
        _stop(self.process, signal.SIGKILL)

    def stop(self) -> None:
        _stop(self.process)

    def rss_bytes(self) -> int:
        """Resident memory of the server process (the shell execs into daphne)."""
        if self.process is None or self.process.poll() is not None:
            return 0
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def metric(self, name: str, **labels: str) -> float:
        """The sum of the instance's ``name`` samples having ``labels`` (its own /api/v1/system/metrics)."""
        text = requests.get(f"{self.url}/api/v1/system/metrics", timeout=5).text
        total = 0.0
        for line in text.splitlines():
            sample = re.match(r"^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$", line)
            if sample and sample.group(1) == name:
                found = sample.group(2) or ""
                if all(f'{k}="{v}"' in found for k, v in labels.items()):
                    total += float(sample.group(3))
        return total


TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


class Nginx:
    """nginx (Debian) running the shipped site config, TLS with a throw-away certificate."""

    def __init__(self, workdir: Path, upstreams: list[int], static_root: Path) -> None:
        self.binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.dir = workdir
        self.https_port = free_port()
        self.http_port = free_port()
        self.upstreams = upstreams
        self.static_root = static_root
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"https://{HOSTNAME}:{self.https_port}"

    def render(self) -> Path:
        cert, key = self.dir / "cert.pem", self.dir / "key.pem"
        if not cert.exists():
            subprocess.run(
                [
                    *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
                    *("-keyout", str(key), "-out", str(cert), "-subj", f"/CN={HOSTNAME}"),
                    *("-addext", f"subjectAltName=DNS:{HOSTNAME},IP:127.0.0.1"),
                ],
                check=True,
                capture_output=True,
            )
        site = NGINX_SITE.read_text()
        site = site.replace("/etc/ssl/kcloud/fullchain.pem", str(cert)).replace("/etc/ssl/kcloud/privkey.pem", str(key))
        site = site.replace("listen 80;", f"listen 127.0.0.1:{self.http_port};")
        site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{self.https_port} ssl http2;")
        site = site.replace("/opt/kcloud/staticfiles/", f"{self.static_root}/")
        ports = iter(self.upstreams)
        site = re.sub(r"server 127\.0\.0\.1:800\d", lambda _m: f"server 127.0.0.1:{next(ports)}", site)
        if "/opt/kcloud" in site or re.search(r":800\d\b", site):
            raise StackError("the nginx site names a path or port the stack does not substitute")
        (self.dir / "site.conf").write_text(site)
        conf = self.dir / "nginx.conf"
        user = "user root root;\n" if _root() else ""  # workers must read the static root
        conf.write_text(
            f"{user}pid {self.dir}/nginx.pid;\nerror_log {self.dir}/error.log warn;\nworker_processes 2;\n"
            "events { worker_connections 4096; }\n"
            "http {\n  include /etc/nginx/mime.types;\n"
            f"  access_log {self.dir}/access.log;\n"
            + "".join(f"  {kind}_temp_path {self.dir}/{kind};\n" for kind in TEMP_PATHS)
            + f"  include {self.dir}/site.conf;\n}}\n"
        )
        return conf

    def start(self) -> Nginx:
        conf = self.render()
        argv = [self.binary, "-c", str(conf), "-p", str(self.dir), "-g", "daemon off;"]
        self.process = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=(self.dir / "stderr.log").open("a"), start_new_session=True
        )
        wait_port(self.https_port, 20, self.process, "nginx")
        return self

    def stop(self) -> None:
        _stop(self.process, signal.SIGQUIT)


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    server: _ProxyServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _serve(self) -> None:
        owner = self.server.owner
        owner.requests += 1
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if owner.mode == "garbage":
            payload = b"<html><body>502 upstream says hello</body></html>\x00\xff"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        if owner.mode == "slow":
            time.sleep(owner.delay_seconds)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in {"host", "connection", "content-length"}}
        try:
            upstream = requests.request(self.command, owner.target + self.path, data=body, headers=headers, timeout=60)
        except requests.RequestException:
            self.send_error(502)
            return
        with contextlib.suppress(OSError):  # the client gave up waiting (a slow proxy's point)
            self.send_response(upstream.status_code)
            self.send_header("Content-Type", upstream.headers.get("Content-Type") or "application/json")
            self.send_header("Content-Length", str(len(upstream.content)))
            self.end_headers()
            self.wfile.write(upstream.content)

    do_GET = do_POST = _serve


class _ProxyServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    owner: FaultProxy


class FaultProxy:
    """An HTTP proxy in front of one Prometheus: ``mode`` is ``pass``, ``slow`` or ``garbage``."""

    def __init__(self, target: str, mode: str = "pass", delay_seconds: float = 30.0) -> None:
        self.target = target.rstrip("/")
        self.mode = mode
        self.delay_seconds = delay_seconds
        self.requests = 0
        self.server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        self.server.owner = self
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def production_env(workdir: Path, database_url: str, redis_url: str) -> dict[str, str]:
    """What /etc/kcloud/kcloud.env holds on a production VM (see .env.example), for this stack."""
    from cryptography.fernet import Fernet

    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "LANG", "LC_ALL", "HOME"}}
    (workdir / "tmp").mkdir(exist_ok=True)
    return {
        **keep,
        "PYTHON": PYTHON,
        "DJANGO_SETTINGS_MODULE": "kcloud.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "KCLOUD_CREDENTIALS_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": f"{HOSTNAME},127.0.0.1",
        "KCLOUD_BEHIND_PROXY": "1",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "KCLOUD_VAR_DIR": str(workdir / "var"),
        "STATIC_ROOT": str(workdir / "static"),
        "LOG_FORMAT": "json",
        "TMPDIR": str(workdir / "tmp"),
    }


class Stack:
    """PostgreSQL, Redis, two app instances and nginx, set up like a production VM."""

    def __init__(self, workdir: Path, instances: int = 2) -> None:
        self.dir = workdir
        self.postgres = Postgres()
        self.redis = Redis(workdir)
        self.env: dict[str, str] = {}
        self.apps: list[AppInstance] = []
        self.instances = instances
        self.nginx: Nginx | None = None
        self.token = ""

    def manage(self, *argv: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *argv], cwd=REPO, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise StackError(f"manage.py {argv[0]} failed:\n{done.stdout[-1000:]}\n{done.stderr[-2000:]}")
        return done.stdout + done.stderr

    def start(self, registrations: list[list[str]], secrets_env: dict[str, str] | None = None) -> Stack:
        self.postgres.start()
        self.redis.start()
        self.env = production_env(self.dir, self.postgres.url, self.redis.url)
        self.env.update(secrets_env or {})
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.deploy_check = self.manage("check", "--deploy", "--fail-level", "WARNING")
        for argv in registrations:
            self.manage("register_cluster", *argv)
        self.manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model\n"
            "from kcloud.auth import roles\n"
            f"u = get_user_model().objects.create_user({STAFF!r}, password={STAFF_PASSWORD!r}, is_staff=True)\n"
            "roles.grant(u, roles.OPERATOR, all_clusters=True)\n",
        )
        self.token = self.manage("create_api_token", STAFF, "--name", "e2e").strip().splitlines()[-1].strip()
        names = [f"web-{i + 1}" for i in range(self.instances)]
        self.apps = [AppInstance(name, self.env, self.dir / f"{name}.log") for name in names]
        for app in self.apps:
            app.start()
        self.nginx = Nginx(self.dir / "nginx", [app.port for app in self.apps], Path(self.env["STATIC_ROOT"]))
        self.nginx.dir.mkdir(exist_ok=True)
        self.nginx.start()
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if all(requests.get(f"{a.url}/api/v1/system/health", timeout=5).status_code == 200 for a in self.apps):
                    return
            time.sleep(0.3)
        raise StackError("app instances not healthy")

    @property
    def url(self) -> str:
        assert self.nginx is not None
        return self.nginx.url

    @property
    def certificate(self) -> str:
        assert self.nginx is not None
        return str(self.nginx.dir / "cert.pem")

    def session(self) -> requests.Session:
        """A client of the proxy that trusts the stack's own certificate (and no proxy settings)."""
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE would override `verify`
        session.verify = self.certificate
        return session

    def token_session(self) -> requests.Session:
        session = self.session()
        session.headers["Authorization"] = f"Token {self.token}"
        return session

    def login(self) -> requests.Session:
        """A staff browser session: the login form, CSRF and all, through the proxy."""
        session = self.session()
        form = session.get(f"{self.url}/accounts/login/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        done = session.post(
            f"{self.url}/accounts/login/",
            data={"username": STAFF, "password": STAFF_PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.url}/accounts/login/"},
            timeout=30,
        )
        if done.url.rstrip("/") != self.url:
            raise StackError(f"login did not reach the overview: {done.status_code} {done.url}")
        return session

    def logs(self) -> str:
        return "\n".join(f"--- {a.name}\n" + a.log.read_text()[-3000:] for a in self.apps if a.log.exists())

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        for app in self.apps:
            app.stop()
        self.redis.stop()
        self.postgres.remove()


@contextlib.contextmanager
def running_stack(workdir: Path, deployment: Any, instances: int = 2) -> Iterator[Stack]:
    """A :class:`Stack` with every cluster of ``deployment`` registered as an operator would."""
    from tests.prometheus_fixtures import registrations

    argvs, secret_env = registrations(deployment, "KCLOUD_E2E_SECRET_")
    stack = Stack(workdir, instances)
    try:
        yield stack.start(argvs, secret_env)
    finally:
        stack.stop()
