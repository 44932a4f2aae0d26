"""Real sockets for adapter tests: a Prometheus stand-in, a refused port, a port that never answers.

``responses`` is deliberately not used for these: it would intercept every
request, and the fan-out and thread tests need real connections and real waits.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class PrometheusStandIn(BaseHTTPRequestHandler):
    """Answers every query with one sample: ``value`` (after ``delay`` seconds), labelled by ``labels()``."""

    protocol_version = "HTTP/1.1"  # keep-alive, as Prometheus does
    value = "42"
    delay = 0.0

    def labels(self) -> dict:
        return {}

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.delay:
            time.sleep(self.delay)
        result = [{"metric": self.labels(), "value": [1700000000, self.value]}]
        body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, format, *args):  # keep test output quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # bursts of concurrent requests connect without being refused


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` on a local port while the block runs; yields its base URL."""
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def closed_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now: connections are refused at once
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def hanging_url():
    # Listens (the kernel completes the handshake) but never reads or answers.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()
