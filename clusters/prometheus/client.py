"""HTTP client for one cluster's Prometheus-compatible API.

One :class:`PrometheusClient` (and so one pooled ``requests.Session``) per
cluster, shared by every thread; :func:`client_for` hands it out and builds a new
one when the cluster row changes. Every call:

* has explicit (connect, read) timeouts and an overall deadline of the cluster's
  ``timeout_seconds``: retries and backoff happen inside that budget, so a slow
  or dead cluster costs about one timeout, never ``retries + 1`` of them;
* retries only idempotent reads, only on connection failures (including connect
  timeouts) and HTTP 502/503/504, with bounded exponential backoff and jitter;
  a read timeout is never retried (a hanging server would just hang again);
* maps every failure to a typed :mod:`~clusters.prometheus.errors` exception that
  carries the cluster name and a message free of credentials;
* records ``kcloud_prometheus_*`` metrics.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import tempfile
import threading
import time as _time
import weakref
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from urllib.parse import quote as url_quote
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from requests.auth import HTTPBasicAuth
from urllib3.exceptions import ReadTimeoutError

from clusters.crypto import CredentialDecryptionError
from clusters.prometheus import results
from clusters.prometheus.errors import (
    PrometheusAuthError,
    PrometheusBadQuery,
    PrometheusBadResponse,
    PrometheusError,
    PrometheusTimeout,
    PrometheusUnavailable,
)
from clusters.prometheus.metrics import record_request
from clusters.prometheus.promql import check_label_name
from clusters.prometheus.results import QueryResult

logger = logging.getLogger(__name__)

USER_AGENT = "kcloud-monitor/0.1"
# Connecting should be quick even when the query is slow; the rest of the budget is for the answer.
CONNECT_TIMEOUT_CAP = 3.05
RETRY_STATUSES = frozenset({502, 503, 504})
BACKOFF_BASE = 0.1
BACKOFF_CAP = 1.0
# A runaway query_range over a big fleet must not eat the worker's memory.
MAX_RESPONSE_BYTES = 256 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
# Prometheus' limit: query_range refuses more than 11,000 points per series.
MAX_RANGE_POINTS = 11_000

TimeLike = datetime | float | int


def backoff_delay(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """Delay before retry number ``attempt + 1``: 0.1 s, 0.2 s, 0.4 s ... capped at 1 s.

    "Equal jitter": half the delay is fixed, half random, so clients that failed
    together do not retry in lockstep but still wait a predictable minimum.
    """
    delay = min(BACKOFF_CAP, BACKOFF_BASE * (2**attempt))
    return delay / 2 + rand() * delay / 2


def to_timestamp(value: TimeLike) -> float:
    """Unix seconds from a datetime (naive = UTC) or a number."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a datetime or unix seconds, got {type(value).__name__}")
    return float(value)


def _format_ts(value: TimeLike) -> str:
    return f"{to_timestamp(value):.3f}"


def _format_seconds(value: float) -> str:
    """Seconds as Prometheus' float form: "60", "0.5", never "1e+06" or "60s"."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _safe_url(url: str) -> str:
    """The URL without any user-info, for messages (the model forbids it, but be sure)."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _reason(exc: BaseException) -> str:
    """A short, credential-free reason ("Connection refused") from a requests/urllib3 error chain."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror and not isinstance(current, requests.RequestException):
            return str(current.strerror)
        for nxt in (getattr(current, "reason", None), current.__cause__, current.__context__, *current.args):
            if isinstance(nxt, BaseException):
                stack.append(nxt)
    return type(exc).__name__


def _error_fields(body: bytes) -> tuple[str | None, str | None]:
    """(errorType, error) from a Prometheus error body, or (None, None) if it is not one."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(payload, dict):
        return None, None
    error_type, error = payload.get("errorType"), payload.get("error")
    return (error_type if isinstance(error_type, str) else None, error[:500] if isinstance(error, str) else None)


class _Retryable(Exception):
    """Internal: a failed attempt that may be retried; ``error`` is raised if it is the last."""

    def __init__(self, error: PrometheusError):
        super().__init__(error.message)
        self.error = error


class PrometheusClient:
    """Talks to one cluster's Prometheus HTTP API (``/api/v1``).

    Build it with :func:`client_for` so the session is shared. Everything it
    needs is read from the row when it is built (credentials decrypted once), so
    using it never queries the database and is safe in fan-out worker threads.
    """

    def __init__(
        self,
        cluster,
        *,
        sleep: Callable[[float], None] = _time.sleep,
        retries: int | None = None,
    ):
        self.cluster = cluster
        self.name: str = cluster.name
        self.cache_version: str = cluster.cache_version
        self.base_url: str = (cluster.prometheus_url or "").rstrip("/")
        self.display_url: str = _safe_url(self.base_url)
        self.timeout: float = float(cluster.timeout_seconds or 10.0)
        self.retries: int = settings.KCLOUD_PROMETHEUS_RETRIES if retries is None else retries
        self._sleep = sleep
        self._ca_path: str | None = None

        session = requests.Session()
        pool = max(10, int(getattr(settings, "KCLOUD_FANOUT_WORKERS", 10)))
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        try:
            if cluster.auth_type == "basic":
                session.auth = HTTPBasicAuth(cluster.username, cluster.password)
            elif cluster.auth_type == "bearer":
                session.headers["Authorization"] = f"Bearer {cluster.bearer_token}"
        except CredentialDecryptionError:
            session.close()
            raise PrometheusAuthError(
                "the stored credential cannot be decrypted with the configured KCLOUD_CREDENTIALS_KEY",
                cluster=self.name,
            ) from None
        self.session = session

        self.verify: bool | str = bool(cluster.verify_tls)
        if cluster.verify_tls and (cluster.ca_bundle or "").strip():
            # requests wants a file path; mkstemp creates it 0600, removed with the client.
            fd, path = tempfile.mkstemp(prefix="kcloud-ca-", suffix=".pem")
            with os.fdopen(fd, "w") as handle:
                handle.write(cluster.ca_bundle)
            self._ca_path = path
            self.verify = path
        self._finalizer = weakref.finalize(self, _cleanup, session, self._ca_path)

    def __repr__(self) -> str:
        return f"<PrometheusClient {self.name} {self.display_url}>"

    def close(self) -> None:
        """Close the pooled connections and remove the CA bundle file."""
        self._finalizer()

    # --- public API -------------------------------------------------------------
    def query(self, expr: str, time: TimeLike | None = None) -> QueryResult:
        """Instant query (``POST /api/v1/query``), evaluated at ``time`` or Prometheus' now."""
        data = {"query": expr, "timeout": self._timeout_param()}
        if time is not None:
            data["time"] = _format_ts(time)
        with self._observe("query"):
            body = self._call("POST", "/api/v1/query", data=data, expr=expr)
            return results.parse_query_response(self._json(body), cluster=self.name)

    def query_range(self, expr: str, start: TimeLike, end: TimeLike, step_seconds: float) -> QueryResult:
        """Range query (``POST /api/v1/query_range``) from ``start`` to ``end`` every ``step_seconds``."""
        start_ts, end_ts = to_timestamp(start), to_timestamp(end)
        # A bad step or window is a bug in the calling service: surface it like any bad query.
        if not step_seconds or step_seconds <= 0:
            raise PrometheusBadQuery("query_range needs a positive step", cluster=self.name)
        if end_ts < start_ts:
            raise PrometheusBadQuery("query_range end is before start", cluster=self.name)
        if (end_ts - start_ts) / step_seconds > MAX_RANGE_POINTS:
            raise PrometheusBadQuery(
                f"query_range would return more than {MAX_RANGE_POINTS} points per series; use a larger step",
                cluster=self.name,
            )
        data = {
            "query": expr,
            "start": f"{start_ts:.3f}",
            "end": f"{end_ts:.3f}",
            "step": _format_seconds(step_seconds),
            "timeout": self._timeout_param(),
        }
        with self._observe("query_range"):
            body = self._call("POST", "/api/v1/query_range", data=data, expr=expr)
            return results.parse_query_response(self._json(body), cluster=self.name)

    def series(
        self, match: list[str], start: TimeLike | None = None, end: TimeLike | None = None
    ) -> list[dict[str, str]]:
        """Label sets of the series matching any selector in ``match`` (``GET /api/v1/series``)."""
        if not match:
            raise ValueError("series() needs at least one selector")
        params: list[tuple[str, str]] = [("match[]", m) for m in match]
        if start is not None:
            params.append(("start", _format_ts(start)))
        if end is not None:
            params.append(("end", _format_ts(end)))
        with self._observe("series"):
            body = self._call("GET", "/api/v1/series", params=params, expr=" | ".join(match))
            return results.parse_series_list(self._json(body), cluster=self.name)

    def label_values(self, label: str, match: list[str] | None = None) -> list[str]:
        """Values of ``label`` (``GET /api/v1/label/<label>/values``), optionally within ``match``."""
        check_label_name(label)
        params = [("match[]", m) for m in match or []]
        path = f"/api/v1/label/{url_quote(label)}/values"
        with self._observe("label_values"):
            body = self._call("GET", path, params=params, expr=" | ".join(match or []))
            return results.parse_string_list(self._json(body), cluster=self.name)

    def metric_names(self) -> list[str]:
        """Every metric name the server knows (label values of ``__name__``)."""
        return self.label_values("__name__")

    def buildinfo(self) -> dict:
        """``GET /api/v1/status/buildinfo`` (version, revision, goVersion ...)."""
        with self._observe("buildinfo"):
            body = self._call("GET", "/api/v1/status/buildinfo")
            data = results.unwrap_data(self._json(body), cluster=self.name)
            if not isinstance(data, dict):
                raise PrometheusBadResponse(
                    "unexpected Prometheus response: buildinfo is not an object", cluster=self.name
                )
            return data

    def runtimeinfo(self) -> dict:
        """``GET /api/v1/status/runtimeinfo`` (storageRetention, ...); Prometheus itself, not every querier."""
        with self._observe("runtimeinfo"):
            body = self._call("GET", "/api/v1/status/runtimeinfo")
            data = results.unwrap_data(self._json(body), cluster=self.name)
            if not isinstance(data, dict):
                raise PrometheusBadResponse(
                    "unexpected Prometheus response: runtimeinfo is not an object", cluster=self.name
                )
            return data

    def ready(self) -> bool:
        """``GET /-/ready``: True on 2xx, False on any other HTTP status.

        Transport failures (refused, timeout, TLS) still raise, so a health check
        can say *why* a cluster is down. 503 means "not ready" here, so it is
        not retried.
        """
        with self._observe("ready"):
            status, _body = self._attempts("GET", "/-/ready", retry_statuses=frozenset())
            return 200 <= status < 300

    # --- internals --------------------------------------------------------------
    def _timeout_param(self) -> str:
        # Tell Prometheus to give up when we do, so abandoned queries stop costing it. Plain
        # seconds, not "2.5s": Prometheus' duration syntax has no fractions, its float form does.
        return _format_seconds(self.timeout)

    @contextlib.contextmanager
    def _observe(self, endpoint: str) -> Iterator[None]:
        started = _time.monotonic()
        outcome = "ok"
        try:
            yield
        except PrometheusError as exc:
            outcome = exc.code
            raise
        except BaseException:
            outcome = "internal_error"
            raise
        finally:
            record_request(self.name, endpoint, outcome, _time.monotonic() - started)

    def _call(self, method: str, path: str, *, params=None, data=None, expr: str | None = None) -> bytes:
        """One logical request; returns the body of a 2xx answer or raises a typed error."""
        status, body = self._attempts(method, path, params=params, data=data, expr=expr)
        if 200 <= status < 300:
            return body
        raise self._http_error(status, body, path, expr)

    def _attempts(
        self,
        method: str,
        path: str,
        *,
        params=None,
        data=None,
        expr: str | None = None,
        retry_statuses: frozenset[int] = RETRY_STATUSES,
    ) -> tuple[int, bytes]:
        """Send with retries inside the deadline; returns (status, body) of the last answer."""
        url = self.base_url + path
        deadline = _time.monotonic() + self.timeout
        attempt = 0
        while True:
            remaining = deadline - _time.monotonic()
            if remaining <= 0:
                raise self._timed_out()
            try:
                status, body = self._send(method, url, params, data, remaining, deadline)
            except _Retryable as failure:
                error = failure.error
            else:
                if status not in retry_statuses or _error_fields(body)[0] == "timeout":
                    # A 503 "timeout" is Prometheus' own query timeout: the same query would time out again.
                    return status, body
                error = self._http_error(status, body, path, expr)
            if attempt >= self.retries:
                raise error
            delay = backoff_delay(attempt)
            if _time.monotonic() + delay >= deadline:
                raise error  # no time left for another attempt
            logger.info("Prometheus %s: %s; retry %d in %.2f s", self.name, error.message, attempt + 1, delay)
            self._sleep(delay)
            attempt += 1

    def _send(self, method, url, params, data, remaining: float, deadline: float) -> tuple[int, bytes]:
        """One HTTP attempt; the deadline is checked between body chunks (fan-out's is the backstop)."""
        timeout = (min(CONNECT_TIMEOUT_CAP, remaining), remaining)
        where = self.display_url
        try:
            response = self.session.request(
                method, url, params=params, data=data, timeout=timeout, verify=self.verify, stream=True
            )
            with response:
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_content(CHUNK_BYTES):
                    size += len(chunk)
                    if size > MAX_RESPONSE_BYTES:
                        raise self._error(PrometheusBadResponse, f"response larger than {MAX_RESPONSE_BYTES >> 20} MiB")
                    chunks.append(chunk)
                    if _time.monotonic() > deadline:
                        raise self._timed_out("answer not complete")
                return response.status_code, b"".join(chunks)
        except requests.exceptions.ConnectTimeout:
            # Nothing was sent yet, so another try is safe (if the deadline allows).
            raise _Retryable(self._error(PrometheusTimeout, f"connecting to {where} timed out")) from None
        except requests.exceptions.ReadTimeout:
            raise self._timed_out() from None
        except requests.exceptions.SSLError as exc:
            # Certificate problems do not fix themselves: no retry.
            raise self._error(PrometheusUnavailable, f"TLS error talking to {where} ({_reason(exc)})") from None
        except requests.exceptions.ConnectionError as exc:
            if isinstance(exc.args[0] if exc.args else None, ReadTimeoutError):
                # requests reports a read timeout *while streaming the body* as a ConnectionError.
                raise self._timed_out("answer not complete") from None
            raise _Retryable(
                self._error(PrometheusUnavailable, f"cannot connect to {where} ({_reason(exc)})")
            ) from None
        except requests.exceptions.ChunkedEncodingError as exc:
            # The connection broke mid-answer; an idempotent read may be tried again.
            raise _Retryable(
                self._error(PrometheusUnavailable, f"connection to {where} broke ({_reason(exc)})")
            ) from None
        except requests.exceptions.RequestException as exc:
            # Invalid URL, too many redirects, undecodable content: nothing a retry fixes.
            raise self._error(PrometheusBadResponse, f"request to {where} failed ({type(exc).__name__})") from None

    def _error(self, cls: type[PrometheusError], message: str) -> PrometheusError:
        return cls(message, cluster=self.name)

    def _timed_out(self, what: str = "no answer") -> PrometheusError:
        return self._error(PrometheusTimeout, f"{what} from {self.display_url} within {self.timeout:g} s")

    def _http_error(self, status: int, body: bytes, path: str, expr: str | None) -> PrometheusError:
        """Map a non-2xx answer to a typed error.

        400/422 bad query (logged with the expression); 401/403 auth; 404 bad
        response (wrong base URL); 429 unavailable; 503 with errorType "timeout"
        timeout; 502/503/504 unavailable; 500 bad response (Prometheus answered
        with an internal error); other 5xx unavailable; anything else bad response.
        """
        error_type, prom_message = _error_fields(body)
        detail = f": {prom_message}" if prom_message else ""
        if status in (400, 422):
            # Prometheus rejected PromQL we built: our bug. Log the expression, never the credentials.
            logger.warning(
                "Prometheus %s rejected a request to %s (HTTP %s)%s; expr=%s", self.name, path, status, detail, expr
            )
            return PrometheusBadQuery(f"Prometheus rejected the query (HTTP {status}){detail}", cluster=self.name)
        if status in (401, 403):
            return PrometheusAuthError(
                f"Prometheus refused the credentials (HTTP {status}); check the cluster's auth settings",
                cluster=self.name,
            )
        if status == 404:
            return PrometheusBadResponse(
                f"HTTP 404 for {path}: is {self.display_url} the Prometheus base URL (without /api/v1)?",
                cluster=self.name,
            )
        if status == 429:
            # Rate limited (Mimir/Thanos front-ends): the server is there but will not serve us now.
            return PrometheusUnavailable(f"Prometheus is rate limiting (HTTP 429){detail}", cluster=self.name)
        if status == 503 and error_type == "timeout":
            return PrometheusTimeout(f"Prometheus query timed out (HTTP 503){detail}", cluster=self.name)
        if status in RETRY_STATUSES:
            return PrometheusUnavailable(f"Prometheus unavailable (HTTP {status}){detail}", cluster=self.name)
        if status == 500:
            # Prometheus' "internal" errors: it answered, but with nothing usable.
            return PrometheusBadResponse(f"Prometheus internal error (HTTP 500){detail}", cluster=self.name)
        if status >= 500:
            return PrometheusUnavailable(f"Prometheus unavailable (HTTP {status}){detail}", cluster=self.name)
        return PrometheusBadResponse(f"unexpected HTTP {status} from Prometheus{detail}", cluster=self.name)

    def _json(self, body: bytes) -> object:
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            hint = "HTML" if body.lstrip()[:1] == b"<" else "truncated or invalid JSON"
            raise PrometheusBadResponse(
                f"the answer from {self.display_url} is not Prometheus JSON ({hint})", cluster=self.name
            ) from None


def _cleanup(session: requests.Session, ca_path: str | None) -> None:
    session.close()
    if ca_path:
        with contextlib.suppress(OSError):
            os.unlink(ca_path)


# --- one client per cluster ---------------------------------------------------
_clients: dict[object, PrometheusClient] = {}
_clients_lock = threading.Lock()


def client_for(cluster) -> PrometheusClient:
    """The shared client of ``cluster``; a new one when the row changed (``cache_version``).

    Unsaved rows (no pk) get a fresh, uncached client.
    Raises PrometheusAuthError when the stored credential cannot be decrypted.
    """
    if cluster.pk is None:
        return PrometheusClient(cluster)
    version = cluster.cache_version
    with _clients_lock:
        client = _clients.get(cluster.pk)
        if client is not None and client.cache_version == version:
            return client
        # The replaced client is not closed here: another thread may still be using it.
        # Its session and CA file go when the last reference does (weakref.finalize).
        client = PrometheusClient(cluster)
        _clients[cluster.pk] = client
        return client


def reset_clients() -> None:
    """Forget every cached client (tests, key rotation)."""
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()
