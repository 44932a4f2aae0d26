"""Real receivers for notifications: a local webhook server and a local SMTP server (aiosmtpd)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Webhook:
    """What the receiver got; ``fail_first`` answers that many requests with 503 first."""

    url: str = ""
    fail_first: int = 0
    received: list[dict] = field(default_factory=list)  # bodies of the requests it accepted
    headers: list[dict] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextlib.contextmanager
def webhook_receiver(fail_first: int = 0) -> Iterator[Webhook]:
    hook = Webhook(fail_first=fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with hook.lock:
                if hook.refused < hook.fail_first:
                    hook.refused += 1
                    status = 503
                else:
                    hook.received.append(json.loads(body))
                    hook.headers.append(dict(self.headers))
                    status = 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_port}/hook/secret-token-in-path"
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    port: int = 0
    messages: list = field(default_factory=list)  # aiosmtpd Envelope objects


@contextlib.contextmanager
def smtp_server() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    box = Mailbox()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            box.messages.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
