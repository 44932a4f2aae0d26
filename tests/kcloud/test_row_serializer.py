"""RowSerializer writes exactly what DRF's generic serializer writes, only faster.

Unit cases cover the rules it re-implements (absent keys, null, nested rows,
dotted and method sources, dates); the integration case runs real API answers
over the demo fleet twice, once with the fast path and once with DRF's own
``Serializer.to_representation``, and requires the same JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from rest_framework import serializers

from kcloud.api.serializers import RowSerializer


@dataclass
class Part:
    name: str
    watts: float | None = None


@dataclass
class Thing:
    id: str
    count: int | None = 3
    when: datetime | None = None
    parts: list[Part] = field(default_factory=list)
    inner: Part | None = None

    def label(self) -> str:
        return f"thing {self.id}"


def _pair(fields: dict) -> tuple[type, type]:
    """The same declared fields on a RowSerializer and on a plain DRF Serializer."""

    def build(base: type) -> type:
        declared = {}
        for name, make in fields.items():
            declared[name] = make(base)
        return type(f"{base.__name__}Probe", (base,), declared)

    return build(RowSerializer), build(serializers.Serializer)


def _part(base: type) -> type:
    return type(
        f"{base.__name__}Part",
        (base,),
        {"name": serializers.CharField(), "watts": serializers.FloatField(allow_null=True)},
    )


FIELDS = {
    "id": lambda b: serializers.CharField(),
    "count": lambda b: serializers.IntegerField(allow_null=True),
    "when": lambda b: serializers.DateTimeField(allow_null=True),
    "label": lambda b: serializers.CharField(),  # a method: called, as DRF does
    "inner_name": lambda b: serializers.CharField(source="inner.name", allow_null=True),
    "parts": lambda b: _part(b)(many=True),
    "inner": lambda b: _part(b)(allow_null=True),
    "absent": lambda b: serializers.CharField(allow_null=True),  # not on the object: null
    "skipped": lambda b: serializers.CharField(required=False),  # not on the object, no null: key left out
    "defaulted": lambda b: serializers.IntegerField(default=7),
    "tags": lambda b: serializers.ListField(child=serializers.CharField(), required=False),
    "flag": lambda b: serializers.BooleanField(required=False),
}


@pytest.mark.parametrize(
    "instance",
    [
        Thing("a", when=datetime(2026, 11, 30, 12, 0, tzinfo=UTC), parts=[Part("p", 1.5), Part("q")], inner=Part("i")),
        Thing("b", count=None),
        {"id": "c", "count": 2, "label": "from a dict", "parts": [{"name": "x", "watts": 2.0}], "tags": ["t"]},
        {"id": "d", "label": "d", "parts": [], "flag": True, "inner": {"name": "n", "watts": None}, "skipped": "here"},
    ],
)
def test_fast_path_writes_what_drf_writes(instance):
    fast, generic = _pair(FIELDS)
    assert fast(instance).data == generic(instance).data
    assert fast([instance, instance], many=True).data == generic([instance, instance], many=True).data


def test_a_missing_required_value_fails_as_in_drf():
    fast, generic = _pair({"id": FIELDS["id"], "label": FIELDS["label"]})
    for serializer in (fast, generic):
        with pytest.raises(KeyError):
            _ = serializer({"id": "x"}).data


def test_keys_are_exactly_the_declared_fields():
    fast, _generic = _pair({"id": FIELDS["id"], "count": FIELDS["count"]})
    row = fast({"id": "x", "count": 1, "secret": "not declared"}).data
    assert row == {"id": "x", "count": 1}


def test_values_take_the_declared_type():
    fast, generic = _pair({"n": lambda b: serializers.IntegerField(), "x": lambda b: serializers.FloatField()})
    assert fast({"n": 3.0, "x": 2}).data == generic({"n": 3.0, "x": 2}).data == {"n": 3, "x": 2.0}
    nan = fast({"n": 1, "x": float("nan")}).data["x"]
    assert math.isnan(nan)


# -- real answers ------------------------------------------------------------------------------
ENDPOINTS = [
    "/api/v1/accelerators/gpus?page_size=1000",
    "/api/v1/accelerators/npus?page_size=1000",
    "/api/v1/accelerators?page_size=1000",
    "/api/v1/accelerators/summary",
    "/api/v1/infrastructure/nodes?page_size=1000",
    "/api/v1/infrastructure/pods?page_size=1000",
    "/api/v1/infrastructure/containers?page_size=1000",
    "/api/v1/infrastructure/nodes/summary",
    "/api/v1/monitoring/power",
    "/api/v1/monitoring/power/breakdown?by=namespace",
    "/api/v1/hardware/ipmi/sensors?page_size=1000",
    "/api/v1/hardware/ipmi/power?page_size=1000",
    "/api/v1/hardware/bmc?page_size=1000",
    "/api/v1/monitoring/efficiency",
]


def _stable(answer: dict) -> dict:
    """An answer without what differs between two calls: latencies, and the wall-clock stamp of lists
    that also say when their values were evaluated (``evaluated_at``, which must agree)."""
    out = dict(answer)
    if "evaluated_at" in out:
        out.pop("timestamp", None)
    if "clusters" in out:
        out["clusters"] = [{k: v for k, v in c.items() if k != "latency_ms"} for c in out["clusters"]]
    return out


@pytest.mark.prometheus
@pytest.mark.django_db
def test_real_answers_are_the_same_through_drf(staff_api, fleet_clusters, fleet_prometheus, monkeypatch):
    at = int(fleet_prometheus.deployment.history_end)
    fast = {}
    for url in ENDPOINTS:
        response = staff_api.get(url, {"time": at})
        assert response.status_code == 200, (url, response.content[:300])
        fast[url] = _stable(response.json())
        assert fast[url].get("results", fast[url]), url  # not an empty answer compared with itself
    monkeypatch.setattr(RowSerializer, "to_representation", serializers.Serializer.to_representation)
    for url in ENDPOINTS:
        assert _stable(staff_api.get(url, {"time": at}).json()) == fast[url], url
