"""What a subscriber asks for: parsing of the stream parameters and the topic they name.

A topic is the kind of stream plus every parameter that changes what the poller
queries (clusters, grouping, node, interval). Subscribers with the same topic
share one poller and one channel-layer group; per-subscriber options
(``threshold_watts``) are not part of it. The clusters are the *resolved* ones
(after scope), so two principals with different scopes never share a topic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs

from kcloud.api.errors import BadParameter
from kcloud.api.params import parse_choice, parse_float, parse_k8s_name

KINDS = ("power", "gpus")
GROUP_BY = ("cluster", "resource_type")
MIN_INTERVAL_SECONDS = 1
MAX_INTERVAL_SECONDS = 300
DEFAULT_INTERVAL_SECONDS = 5

ALLOWED = {
    "power": ("cluster", "group_by", "interval", "threshold_watts"),
    "gpus": ("cluster", "node", "interval"),
}


@dataclass(frozen=True)
class Topic:
    """One shared stream: every subscriber of the same topic gets the same messages."""

    kind: str
    clusters: tuple[str, ...]
    interval_seconds: int
    group_by: str = "cluster"
    node: str | None = None

    @property
    def key(self) -> str:
        """Canonical text of the topic (stable across processes: it names the Redis lease)."""
        parts = [self.kind, self.group_by, self.node or "", str(self.interval_seconds), ",".join(self.clusters)]
        return "|".join(parts)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()[:32]

    @property
    def group(self) -> str:
        """Channel-layer group name (ASCII, < 100 characters, whatever the cluster names)."""
        return f"kcloud.stream.{self.digest}"


@dataclass(frozen=True)
class StreamRequest:
    """Validated parameters of one subscription, before the clusters are resolved."""

    kind: str
    cluster_names: list[str]
    interval_seconds: int
    group_by: str = "cluster"
    node: str | None = None
    threshold_watts: float | None = None

    def topic(self, clusters: Sequence[str]) -> Topic:
        """The topic for the resolved (visible) cluster names."""
        return Topic(
            kind=self.kind,
            clusters=tuple(sorted(set(clusters))),
            interval_seconds=self.interval_seconds,
            group_by=self.group_by if self.kind == "power" else "",
            node=self.node,
        )


def parse_interval(value: str | None) -> int:
    """Seconds between polls: an integer from 1 to 300 (default 5)."""
    if value is None or value == "":
        return DEFAULT_INTERVAL_SECONDS
    try:
        seconds = int(value)
    except ValueError:
        raise BadParameter("interval", f"{value[:40]!r} is not a whole number of seconds.") from None
    if not MIN_INTERVAL_SECONDS <= seconds <= MAX_INTERVAL_SECONDS:
        raise BadParameter("interval", f"must be from {MIN_INTERVAL_SECONDS} to {MAX_INTERVAL_SECONDS} seconds.")
    return seconds


def _one(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise BadParameter(name, "must be given once.")
    return values[0] if values else None


def parse_stream_params(kind: str, params: Mapping[str, list[str]]) -> StreamRequest:
    """Validate a subscription's query parameters (raises :class:`BadParameter`)."""
    for name in params:
        if name not in ALLOWED[kind]:
            raise BadParameter(name, "is not a parameter of this stream.")
    interval = parse_interval(_one(params, "interval"))
    names = list(params.get("cluster", []))  # same semantics as the REST API's getlist("cluster")
    if kind == "power":
        group_by = parse_choice("group_by", _one(params, "group_by"), GROUP_BY, default="cluster")
        threshold = parse_float("threshold_watts", _one(params, "threshold_watts"), minimum=0)
        return StreamRequest(kind, names, interval, group_by=group_by, threshold_watts=threshold)
    node = _one(params, "node")
    return StreamRequest(kind, names, interval, node=parse_k8s_name("node", node) if node else None)


def query_params(query_string: bytes | str) -> dict[str, list[str]]:
    """Parse a raw query string (WebSocket scopes carry bytes)."""
    text = query_string.decode("latin1") if isinstance(query_string, bytes) else query_string
    return parse_qs(text, keep_blank_values=True)
