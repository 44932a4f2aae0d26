"""Typed errors of the Prometheus adapter.

Each carries a human message, whether it is permanent (retrying the same request
will not help), a stable ``code`` for the API envelope and the HTTP status the
API answers with. The cluster name travels with the error so multi-cluster
answers can say which cluster failed.
"""

from __future__ import annotations

from kcloud.api.errors import UpstreamError


class PrometheusError(UpstreamError):
    """Base class: something went wrong talking to a cluster's Prometheus."""

    code = "prometheus_error"
    http_status = 502
    permanent = False

    def __init__(self, message: str, *, cluster: str | None = None):
        super().__init__(message)
        self.cluster = cluster

    def details(self) -> dict:
        return {"cluster": self.cluster, "permanent": self.permanent}

    def __str__(self) -> str:
        return f"{self.cluster}: {self.message}" if self.cluster else self.message


class PrometheusUnavailable(PrometheusError):
    """Connection refused/reset, DNS failure, or a 5xx after the retries ran out."""

    code = "prometheus_unavailable"
    http_status = 503


class PrometheusTimeout(PrometheusError):
    """No complete answer within the cluster's timeout."""

    code = "prometheus_timeout"
    http_status = 504


class PrometheusBadResponse(PrometheusError):
    """An answer that is not the Prometheus API's JSON (HTML, truncated, wrong shape)."""

    code = "prometheus_bad_response"
    http_status = 502


class PrometheusBadQuery(PrometheusError):
    """Prometheus rejected our PromQL (400/422): a bug on our side, logged and surfaced."""

    code = "prometheus_bad_query"
    http_status = 502
    permanent = True


class PrometheusAuthError(PrometheusError):
    """Prometheus answered 401/403: the cluster's credentials are wrong."""

    code = "prometheus_auth_failed"
    http_status = 502
    permanent = True
