"""One error envelope for every API error: ``{"error": {"code", "message", "details"}}``.

DRF's own handler runs first (it sets ``WWW-Authenticate`` and ``Retry-After``);
we then reshape its body. Errors from the Prometheus adapter map to 502/503/504.
Anything unexpected is logged with its traceback and answered as a bare 500
envelope: a client never sees a stack trace.

The adapter's errors reach this handler as :class:`UpstreamError` (the
Prometheus errors subclass it), so the plumbing does not import the adapter.
"""

from __future__ import annotations

import errno
import logging

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kcloud import audience, logs

logger = logging.getLogger(__name__)


class ApiError(exceptions.APIException):
    """An error raised by our own code with a stable machine-readable ``code``."""

    def __init__(self, message: str, *, code: str, status_code: int = 400, details: dict | None = None):
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.details = details or {}


class UpstreamError(Exception):
    """A service we depend on failed; the API answers with its ``http_status`` and ``code``."""

    code = "upstream_error"
    http_status = 502

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def details(self) -> dict:
        return {}


class BadParameter(ApiError):
    """A query or path parameter failed validation (400 naming the parameter)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(
            f"{parameter}: {message}",
            code="invalid_parameter",
            status_code=400,
            details={"parameter": parameter},
        )


class NotFound(ApiError):
    """An unknown id, or one outside the caller's scope (we do not reveal which)."""

    def __init__(self, message: str = "Not found.", details: dict | None = None):
        super().__init__(message, code="not_found", status_code=404, details=details)


# The database (PostgreSQL restarting, unreachable): the request cannot be answered now but
# will be shortly, without restarting anything (connections are reopened per request).
DATABASE_UNAVAILABLE = ("database_unavailable", "The database is unavailable; try again shortly.")
DATABASE_RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the database cannot be reached (not a bad query: that stays a 500)."""
    return isinstance(exc, OperationalError | InterfaceError)


# Writing a file failed for want of space or a writable disk (exports spool to the temp dir):
# say so; never hand out part of a file as if it were whole.
_STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EFBIG, errno.EDQUOT})
STORAGE_UNAVAILABLE = (
    "storage_unavailable",
    "The server could not write the file (its disk is full or read-only); nothing was sent. Try again later.",
)


def storage_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, OSError) and exc.errno in _STORAGE_ERRNOS


def envelope(code: str, message: str, details: dict | None = None) -> dict:
    """Return the error body every API error uses (with the request's id, to find it in the logs)."""
    error = {"code": code, "message": message, "details": details or {}}
    rid = logs.request_id()
    if rid:
        error["request_id"] = rid
    return {"error": error}


def _flatten(detail) -> str:
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    return str(detail)


_DRF_CODES = {
    status.HTTP_400_BAD_REQUEST: "invalid_request",
    status.HTTP_401_UNAUTHORIZED: "not_authenticated",
    status.HTTP_403_FORBIDDEN: "permission_denied",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_406_NOT_ACCEPTABLE: "not_acceptable",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


def exception_handler(exc, context):
    """DRF ``EXCEPTION_HANDLER``: every error leaves in the same envelope."""
    if isinstance(exc, UpstreamError):
        logger.warning("upstream error: %s", exc)
        message = audience.error_text(exc.message, exc.code)
        return Response(envelope(exc.code, message, exc.details()), status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None and database_unavailable(exc):
        logger.error("database unavailable: %s", exc.__class__.__name__)
        response = Response(envelope(*DATABASE_UNAVAILABLE), status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
    if response is None and storage_unavailable(exc):
        logger.error("storage unavailable: %s", exc)
        return Response(envelope(*STORAGE_UNAVAILABLE), status=status.HTTP_507_INSUFFICIENT_STORAGE)
    if response is None:
        logger.exception("unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        return Response(
            envelope("internal_error", "An internal error occurred; it has been logged."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, ApiError):
        response.data = envelope(exc.error_code, str(exc.detail), exc.details)
        return response
    details: dict = {}
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        details = {"fields": exc.detail}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        details = {"retry_after_seconds": int(exc.wait) + 1}
    code = _DRF_CODES.get(response.status_code, "error")
    response.data = envelope(code, _flatten(exc.detail), details)
    return response
