"""Finding one named thing (a node, a pod, a BMC) across the answers of a fan-out.

A detail request names an object without saying which cluster holds it; the
answer is the one cluster that has it, 400 when several do, 404 when none do,
and 503 when it was not found but some clusters could not answer ("not found"
would then be a guess).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from clusters.prometheus.fanout import ClusterResult, outcomes
from kcloud.api.errors import ApiError, NotFound

T = TypeVar("T")


@dataclass
class Lookup(Generic[T]):
    """Where a name was found across clusters, and which clusters could not answer."""

    found: list[tuple[ClusterResult[T], Any]] = field(default_factory=list)
    failed: list[ClusterResult[T]] = field(default_factory=list)

    @property
    def clusters(self) -> list[str]:
        return [result.cluster.name for result, _item in self.found]


def lookup(results: list[ClusterResult[T]], pick: Callable[[T], Any]) -> Lookup[T]:
    """Apply ``pick(value) -> item | None`` to every answering cluster."""
    out: Lookup[T] = Lookup()
    for result in results:
        if not result.ok:
            out.failed.append(result)
            continue
        item = pick(result.value)
        if item is not None:
            out.found.append((result, item))
    return out


def resolve_one(found: list[tuple[Any, Any]], failed: list, *, what: str, name: str, param: str = "cluster"):
    """The one (result, item) a detail request names (see the module docstring)."""
    if len(found) > 1:
        clusters = sorted(result.cluster.name for result, _item in found)
        raise ApiError(
            f"{what} {name!r} exists in several clusters ({', '.join(clusters)}); add ?{param}= to choose one.",
            code="ambiguous_name",
            status_code=400,
            details={"parameter": param, "clusters": clusters},
        )
    if found:
        return found[0]
    if failed:
        raise ApiError(
            f"{what} {name!r} was not found, and some clusters did not answer.",
            code="clusters_unavailable",
            status_code=503,
            details={"clusters": outcomes(failed)},
        )
    raise NotFound(f"Unknown {what}: {name}", details={what: name})
