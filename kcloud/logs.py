"""Structured logs: one JSON object per line, a request id on every line of a request, one line per request.

* :class:`RequestLogMiddleware` (first in ``MIDDLEWARE``) gives each request an id
  (the caller's ``X-Request-ID`` when it is a sane token, else a new one), returns
  it in the ``X-Request-ID`` header, and writes one ``request`` line when the
  answer is ready: method, path (never the query string), status, duration,
  who (user name, API token name) and each cluster's outcome.
* :class:`JsonFormatter` writes every record as JSON with that id; the background
  worker's tasks run inside :func:`activity`, so their lines carry an id too.
* Nothing here writes a secret: no headers, no query strings, no bodies; error
  texts of clusters are the short codes (``prometheus_timeout``), not messages.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

_request_id: ContextVar[str | None] = ContextVar("kcloud_request_id", default=None)
_outcomes: ContextVar[list | None] = ContextVar("kcloud_cluster_outcomes", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
HEADER = "X-Request-ID"
logger = logging.getLogger("kcloud.request")

# Attributes every LogRecord has: what is left over is a caller's ``extra``.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def request_id() -> str | None:
    """The id of the request (or background activity) being served, if any."""
    return _request_id.get()


def cluster_outcome(name: str, status: str, code: str | None) -> None:
    """Note a cluster's outcome for this request's log line (the fan-out calls it)."""
    outcomes = _outcomes.get()
    if outcomes is not None:
        outcomes.append({"cluster": name, "status": status, **({"code": code} if code else {})})


@contextlib.contextmanager
def activity(name: str) -> Iterator[str]:
    """A background task's own id, so the worker's lines can be followed like a request's."""
    token = _request_id.set(f"{name}-{uuid.uuid4().hex[:12]}")
    try:
        yield _request_id.get() or ""
    finally:
        _request_id.reset(token)


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", "request_id", ...extra, "exc"}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = _request_id.get()  # the handler formats in the thread that logs, within the request
        if rid:
            entry["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class RequestLogMiddleware:
    """See the module docstring."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request):
        offered = request.headers.get(HEADER, "")
        rid = offered if _SANE_ID.match(offered) else uuid.uuid4().hex
        id_token, outcomes_token = _request_id.set(rid), _outcomes.set([])
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = rid
            self._log(request, response.status_code, started)
            return response
        finally:
            _outcomes.reset(outcomes_token)
            _request_id.reset(id_token)

    @staticmethod
    def _log(request, status: int, started: float) -> None:
        user = getattr(request, "user", None)
        fields: dict[str, Any] = {
            "event": "request",
            "request_id": _request_id.get(),  # on the record itself: this line may be formatted later
            "method": request.method,
            "path": request.path,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        if user is not None and user.is_authenticated:
            fields["user"] = user.get_username()
        token = getattr(request, "kcloud_token_name", None)
        if token:
            fields["token"] = token
        outcomes = _outcomes.get()
        if outcomes:
            fields["clusters"] = outcomes
        level = logging.WARNING if status >= 500 else logging.INFO
        logger.log(level, "%s %s %s", request.method, request.path, status, extra=fields)
