"""Placeholder pages for areas whose dashboards arrive with later issues.

They say plainly that the area is not available yet instead of pretending.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path


@login_required
def area_unavailable(request, area: str, api_url: str | None = None):
    return render(request, "area_unavailable.html", {"area": area, "api_url": api_url}, status=200)


def placeholder(prefix: str, area: str, name: str):
    """A URL pattern for an area page that is not built yet."""
    return path(f"{prefix}/", area_unavailable, {"area": area}, name=name)
