"""Serializers that write rows fast: every API answer goes through a serializer, and stays quick.

A serializer is the API's one way to turn objects into JSON: the fields it
declares are exactly the keys it writes, so the OpenAPI schema (generated from
the same class) cannot drift from the answers. DRF's generic path costs about
0.35 ms per 30-field row (a page of 1,000 GPUs: ~0.3 s); :class:`RowSerializer`
keeps DRF's semantics for the fields our answers use and computes, once per
serializer class, a plan of (key, getter, converter) so a row costs a few
microseconds per field. Fields it does not know (method fields, ``source="*"``)
take DRF's own path, so it never gives a different answer, only a faster one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from types import MethodType
from typing import Any

from rest_framework import serializers
from rest_framework.fields import SkipField, empty

from kcloud.timeutil import isoformat

_MISSING = object()


def _datetime(value: Any) -> Any:
    return isoformat(value) if isinstance(value, datetime) else value


def _same(value: Any) -> Any:
    return value


# DRF's to_representation of these field classes, for values that are not None.
_CONVERTERS: tuple[tuple[type, Callable[[Any], Any]], ...] = (
    (serializers.BooleanField, bool),
    (serializers.IntegerField, int),
    (serializers.FloatField, float),
    (serializers.DateTimeField, _datetime),
    (serializers.ChoiceField, _same),  # our choices are plain strings
    (serializers.CharField, str),
    (serializers.DictField, dict),
)


# type -> is it a Mapping: an ABC isinstance check per field would cost more than the rest of the row.
_MAPPING_TYPES: dict[type, bool] = {dict: True}


def _is_mapping(cls: type) -> bool:
    known = _MAPPING_TYPES.get(cls)
    if known is None:
        known = _MAPPING_TYPES[cls] = issubclass(cls, Mapping)
    return known


def _read(instance: Any, attr: str) -> Any:
    value = instance.get(attr, _MISSING) if _is_mapping(type(instance)) else getattr(instance, attr, _MISSING)
    return value() if type(value) is MethodType else value  # as DRF does: a source may name a method


def _getter(source_attrs: list[str]) -> Callable[[Any], Any]:
    """``instance -> value`` following a (dotted) source through mappings and attributes."""
    if len(source_attrs) == 1:
        (attr,) = source_attrs
        return lambda instance: _read(instance, attr)

    def get(instance: Any) -> Any:
        value = instance
        for attr in source_attrs:
            if value is None:
                return None
            value = _read(value, attr)
            if value is _MISSING:
                return _MISSING
        return value

    return get


def _missing_value(field: serializers.Field) -> Any:
    """DRF's rule for an absent attribute: the default, else null if allowed, else skip the key."""
    if field.default is not empty:
        return field.get_default()
    if field.allow_null:
        return None
    if not field.required:
        raise SkipField()
    raise KeyError(field.source)


def _plan_of(field: serializers.Field) -> tuple | None:
    """(key, attr or None, getter, converter) for a field we can write without DRF, or None."""
    if field.source == "*" or isinstance(field, serializers.SerializerMethodField):
        return None
    attrs = field.source_attrs
    attr = attrs[0] if len(attrs) == 1 else None
    getter = None if attr else _getter(attrs)
    convert = _converter(field)
    return None if convert is None else (field.field_name, attr, getter, convert)


def _converter(field: serializers.Field) -> Callable[[Any], Any] | None:
    if isinstance(field, serializers.ListSerializer) and isinstance(field.child, RowSerializer):
        child = field.child
        return lambda items: [child.to_representation(item) for item in items]
    if isinstance(field, RowSerializer):
        return field.to_representation
    if isinstance(field, serializers.ListField) and type(field.child) in (
        serializers.FloatField,
        serializers.IntegerField,
        serializers.CharField,
        serializers.ListField,
    ):
        # Series points and label lists: already plain JSON values.
        return list
    for cls, convert in _CONVERTERS:
        if type(field) is cls:
            return convert
    return None


class RowSerializer(serializers.Serializer):
    """A read-only serializer with a fast path for plain fields (see the module docstring)."""

    def _plan(self) -> list:
        plan = self.__dict__.get("_row_plan")
        if plan is None:
            plan = [(field, _plan_of(field)) for field in self._readable_fields]
            self.__dict__["_row_plan"] = plan
        return plan

    def to_representation(self, instance: Any) -> dict:
        out: dict[str, Any] = {}
        mapping = _is_mapping(type(instance))
        for field, fast in self._plan():
            try:
                if fast is None:
                    value = field.get_attribute(instance)
                    out[field.field_name] = None if value is None else field.to_representation(value)
                    continue
                key, attr, get, convert = fast
                if attr is None:
                    value = get(instance)
                else:
                    value = instance.get(attr, _MISSING) if mapping else getattr(instance, attr, _MISSING)
                    if type(value) is MethodType:
                        value = value()  # as DRF does: a source may name a method
                if value is _MISSING:
                    out[key] = _missing_value(field)
                elif value is None:
                    out[key] = None
                else:
                    out[key] = convert(value)
            except SkipField:
                continue
        return out
