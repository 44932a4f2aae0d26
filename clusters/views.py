"""HTML pages: the fleet overview."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def overview(request):
    return render(request, "clusters/overview.html", {})
