"""Real Prometheus processes for tests, the demo and benchmarks.

`PrometheusServer` runs one `prometheus` binary (Debian package) on a free
loopback port with its own data directory, optionally behind HTTP basic auth.
Every process is started in its own process group and is remembered in a
module-level registry so that an ``atexit`` hook (and pytest finalizers) can
stop whatever a crashed test left running.

The multi-cluster deployment built on top of this lives in `demo.deployment`.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROMETHEUS_BINARY = os.environ.get("KCLOUD_PROMETHEUS_BINARY", "/usr/bin/prometheus")
PROMTOOL_BINARY = os.environ.get("KCLOUD_PROMTOOL_BINARY", "/usr/bin/promtool")

# Long enough that backfilled history (a day or more) is never deleted by
# retention while a test or demo runs; Prometheus' default is 15 d.
DEFAULT_RETENTION = "30d"

_PORT_RETRIES = 5
_LOG_TAIL_LINES = 30

_live_lock = threading.Lock()
_live: set[PrometheusServer] = set()


class PrometheusError(RuntimeError):
    """A Prometheus process could not be started, or did not become ready."""


def binaries_available() -> bool:
    """Whether both `prometheus` and `promtool` are installed and executable."""
    return all(os.access(path, os.X_OK) for path in (PROMETHEUS_BINARY, PROMTOOL_BINARY))


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (bind to port 0 and let the kernel pick).

    There is an unavoidable race between closing this socket and the child
    binding the port; callers retry with a new port when the bind fails.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def bcrypt_hash(password: str, rounds: int = 10) -> str:
    """The bcrypt hash Prometheus' ``--web.config.file`` expects for a basic-auth user."""
    try:
        import bcrypt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise PrometheusError("basic auth for Prometheus needs the 'bcrypt' package (pip install bcrypt)") from exc
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=rounds)).decode()


def _set_parent_death_signal() -> None:
    """In the child: ask Linux to SIGTERM us when the parent dies (even by SIGKILL)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


class PrometheusServer:
    """One real Prometheus process on 127.0.0.1.

    The data directory exists as soon as the object is created, so history can
    be backfilled into it (``promtool tsdb create-blocks-from``) before
    `start()`. `config` is the prometheus.yml text (or a dict, written as JSON,
    which YAML accepts); ``None`` means no scrape jobs at all.
    """

    def __init__(
        self,
        config: str | dict[str, Any] | None = None,
        *,
        name: str = "prometheus",
        workdir: str | os.PathLike[str] | None = None,
        basic_auth: tuple[str, str] | None = None,
        retention: str = DEFAULT_RETENTION,
        keep: bool = False,
        binary: str = PROMETHEUS_BINARY,
        extra_args: Sequence[str] = (),
        ready_timeout: float = 30.0,
    ) -> None:
        self.name = name
        self.basic_auth = basic_auth
        self.retention = retention
        self.keep = keep
        self.binary = binary
        self.extra_args = tuple(extra_args)
        self.ready_timeout = ready_timeout
        self.dir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=workdir))
        self.data_dir = self.dir / "data"
        self.data_dir.mkdir()
        self.config_path = self.dir / "prometheus.yml"
        self.web_config_path = self.dir / "web.yml"
        self.log_path = self.dir / "prometheus.log"
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.set_config(config)

    # -- configuration -----------------------------------------------------

    def set_config(self, config: str | dict[str, Any] | None) -> None:
        """Write prometheus.yml; call before `start()` (or `reload()` afterwards)."""
        if config is None:
            config = {"global": {"scrape_interval": "30s"}, "scrape_configs": []}
        text = config if isinstance(config, str) else json.dumps(config, indent=2)
        self.config_path.write_text(text)

    def _write_web_config(self) -> None:
        assert self.basic_auth is not None
        user, password = self.basic_auth
        # JSON is valid YAML; Prometheus wants the bcrypt hash, never the password.
        self.web_config_path.write_text(json.dumps({"basic_auth_users": {user: bcrypt_hash(password)}}))

    # -- lifecycle -----------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:40123`` (without credentials)."""
        if self.port is None:
            raise PrometheusError(f"{self.name} has not been started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def launch(self) -> PrometheusServer:
        """Start the process without waiting for readiness (see `wait_ready`).

        Launching several servers first and waiting afterwards lets their
        (mostly I/O-bound) start-ups overlap.
        """
        if self.running():
            return self
        if not os.access(self.binary, os.X_OK):
            raise PrometheusError(f"prometheus binary not found at {self.binary} (apt-get install prometheus)")
        if self.basic_auth:
            self._write_web_config()
        self.port = free_port()
        args = [
            self.binary,
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.data_dir}",
            f"--storage.tsdb.retention.time={self.retention}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--web.enable-lifecycle",  # lets tests POST /-/reload after rewriting the config
            "--log.level=info",
            *self.extra_args,
        ]
        if self.basic_auth:
            args.append(f"--web.config.file={self.web_config_path}")
        # The death signal fires when the *thread* that forked exits, so only
        # ask for it from the main thread (whose end is the end of the parent).
        preexec = _set_parent_death_signal if threading.current_thread() is threading.main_thread() else None
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # own process group: signals reach it and only it
                preexec_fn=preexec,  # only a prctl() call: safe even with threads
                cwd=self.dir,
            )
        with _live_lock:
            _live.add(self)
        return self

    def start(self) -> PrometheusServer:
        """Start and wait until ``/-/ready`` answers 200; retry on a lost port race."""
        for attempt in range(_PORT_RETRIES):
            self.launch()
            try:
                self.wait_ready()
                return self
            except PrometheusError:
                port_lost = "address already in use" in self.log_tail().lower()
                self.stop(remove=False)
                if not port_lost or attempt == _PORT_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def wait_ready(self, timeout: float | None = None) -> None:
        """Poll ``/-/ready`` until it answers 200; raise with the log tail otherwise."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.ready_timeout)
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise PrometheusError(f"{self.name} exited with code {code} before it was ready:\n{self.log_tail()}")
            try:
                status, _ = self.request("/-/ready", timeout=1.0)
                if status == 200:
                    return
                last_error = f"HTTP {status}"
            except OSError as exc:
                last_error = str(exc)
            time.sleep(0.1)
        raise PrometheusError(
            f"{self.name} on port {self.port} not ready after {timeout or self.ready_timeout:.0f}s "
            f"({last_error}); log tail:\n{self.log_tail()}"
        )

    def stop(self, timeout: float = 10.0, *, remove: bool | None = None) -> None:
        """SIGTERM the process group, wait, SIGKILL if needed; remove the directory unless kept."""
        proc = self.process
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        with _live_lock:
            _live.discard(self)
        if remove if remove is not None else not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def reload(self) -> None:
        """Ask Prometheus to re-read its configuration (``POST /-/reload``)."""
        status, body = self.request("/-/reload", method="POST")
        if status != 200:
            raise PrometheusError(f"reload of {self.name} failed: HTTP {status} {body[:200]!r}")

    def __enter__(self) -> PrometheusServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"pid={self.pid} url={self.url}" if self.running() else "stopped"
        return f"<PrometheusServer {self.name} {state}>"

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """The last lines of the process log, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- HTTP helpers (tests and readiness; the app has its own client) --------

    def request(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        method: str = "GET",
        auth: tuple[str, str] | bool | None = True,
        timeout: float = 10.0,
    ) -> tuple[int, bytes]:
        """(status, body) of one request; ``auth=True`` uses this server's credentials."""
        url = self.url + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        req = urllib.request.Request(url, method=method)  # noqa: S310 - loopback http URL we built
        credentials = self.basic_auth if auth is True else (auth or None)
        if credentials:
            token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
            req.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def api(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """``data`` of a successful ``/api/v1/...`` answer; raise on any error."""
        status, body = self.request(f"/api/v1/{path}", params)
        payload = json.loads(body)
        if status != 200 or payload.get("status") != "success":
            raise PrometheusError(f"{self.name} /api/v1/{path} {params}: HTTP {status} {payload}")
        return payload["data"]

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        """Instant vector result of `promql` (at unix time `at`, or now)."""
        params: dict[str, Any] = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        return self.api("query", params)["result"]

    def query_range(self, promql: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        """Matrix result of `promql` between `start` and `end`."""
        params = {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        return self.api("query_range", params)["result"]


def running_servers() -> list[PrometheusServer]:
    """Servers started by this process and not yet stopped."""
    with _live_lock:
        return list(_live)


def stop_all() -> None:
    """Stop every Prometheus this process started (atexit hook and fixture finalizers)."""
    for server in running_servers():
        with contextlib.suppress(Exception):
            server.stop()


atexit.register(stop_all)


def __getattr__(name: str) -> Any:
    """Lazy re-export of the fleet deployment API (`demo.deployment` imports this module)."""
    if name in {"start_fleet_prometheus", "FleetDeployment", "ClusterEndpoint"}:
        from demo import deployment

        return getattr(deployment, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
