"""Live HTTP endpoints for every simulated exporter target.

One threaded server on a free loopback port serves each target's ``path``
with the fleet's exposition at the moment of the scrape, so a real Prometheus
scraping it keeps the demo moving. A target that is down at that moment
answers 503, which Prometheus records as ``up == 0`` exactly like a real
failed scrape.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from demo.fleet import Fleet, Target

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, like a real exporter

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        owner = self.server.owner
        if path in ("/", "/-/healthy"):
            self._send(200, b"kcloud demo fleet: %d targets\n" % len(owner.targets))
            return
        target = owner.targets.get(path)
        if target is None:
            self._send(404, b"unknown target\n")
            return
        try:
            text = owner.fleet.render(target, owner.clock())
        except Exception as exc:  # a simulator bug must show up as a failed scrape, not kill the thread
            owner.errors.append(f"{path}: {exc!r}")
            self._send(500, f"render failed: {exc!r}\n".encode())
            return
        owner.count_request()
        if text is None:
            self._send(503, b"target down\n")
            return
        self._send(200, text.encode())

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request stderr line: Prometheus scrapes every few seconds."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: FleetServer


class FleetServer:
    """Serve `fleet`'s targets on ``host:port`` (port 0: a free one) in a background thread."""

    def __init__(
        self,
        fleet: Fleet,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.fleet = fleet
        self.clock = clock
        self.targets: dict[str, Target] = {t.path: t for t in fleet.targets()}
        self.errors: list[str] = []
        self.requests = 0
        self._lock = threading.Lock()
        self._httpd = _Server((host, port), _Handler)
        self._httpd.owner = self
        self._thread: threading.Thread | None = None

    def count_request(self) -> None:
        with self._lock:
            self.requests += 1

    @property
    def address(self) -> str:
        """``host:port`` as a Prometheus static target."""
        host, port = self._httpd.server_address[:2]
        return f"{host}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def start(self) -> FleetServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, name="fleet-server", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FleetServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
