"""Who an answer is for: staff see internal details, everyone else sees what failed, not where.

Prometheus addresses, exporter hosts and adapter error texts are for staff (and
for the command line). A partner sees a per-cluster outcome in plain words
(:data:`PUBLIC_ERRORS`). The audience of the current request is a context
variable: the access middleware resets it to *public* for every request, and
the authentication layer (pages, API, streams) raises it to *internal* for staff
only. Code that builds an answer asks :func:`internal` or calls
:func:`error_text`; outside any request (commands, the demo) details are shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_internal: ContextVar[bool] = ContextVar("kcloud_internal_audience", default=True)

# Adapter error code -> what a partner is told.
PUBLIC_ERRORS = {
    "prometheus_timeout": "timeout",
    "prometheus_unavailable": "unreachable",
    "prometheus_auth_failed": "refused credentials",
    "prometheus_bad_response": "bad answer",
    "prometheus_bad_query": "bad answer",
    "credentials_undecryptable": "refused credentials",
    "busy": "busy",
}
PUBLIC_DEFAULT = "error"


def internal() -> bool:
    """Whether the current answer may show internal details (staff, or no request at all)."""
    return _internal.get()


def set_internal(value: bool) -> None:
    """Set the current request's audience (the access middleware and the authentication layer)."""
    _internal.set(value)


@contextmanager
def public() -> Iterator[None]:
    """Build what is inside for a public audience (e.g. stream messages every subscriber gets)."""
    token = _internal.set(False)
    try:
        yield
    finally:
        _internal.reset(token)


def public_error(code: str | None) -> str:
    """What a partner is told about a cluster that failed with ``code``."""
    return PUBLIC_ERRORS.get(code or "", PUBLIC_DEFAULT)


def error_text(message: str | None, code: str | None) -> str | None:
    """``message`` for staff; the plain public word for everyone else (None stays None)."""
    if message is None:
        return None
    return message if internal() else public_error(code)
