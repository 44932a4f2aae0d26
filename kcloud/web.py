"""Plumbing of the server-rendered pages: reading their GET forms, sortable list headers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.http import HttpRequest


def values(request: HttpRequest, name: str) -> list[str]:
    """Non-empty values of a GET parameter (an empty form field means "any", not an invalid value)."""
    return [v.strip() for v in request.GET.getlist(name) if v.strip()]


def first(request: HttpRequest, name: str) -> str | None:
    """The first non-empty value of a GET parameter, or None."""
    found = values(request, name)
    return found[0] if found else None


@dataclass(frozen=True)
class Column:
    """A list column: header text (with its unit), the ordering field it sorts by, alignment."""

    label: str
    field: str | None = None
    numeric: bool = False


def headers(columns: Sequence[Column], ordering: tuple[str, bool] | None) -> list[dict]:
    """Header cells with the ``ordering`` value a click asks for (numbers sort high→low first)."""
    out = []
    for column in columns:
        cell = {"label": column.label, "numeric": column.numeric, "field": column.field}
        if column.field:
            active = ordering is not None and ordering[0] == column.field
            descending = active and ordering[1]
            if active:
                cell["next"] = column.field if descending else f"-{column.field}"
            else:
                cell["next"] = f"-{column.field}" if column.numeric else column.field
            cell["sorted"] = active
            cell["ascending"] = active and not descending
        out.append(cell)
    return out
