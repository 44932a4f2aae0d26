"""The System page: the same health and version the public endpoints give, for staff."""

from __future__ import annotations

import platform

import django
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from kcloud.version import API_VERSION, __version__, git_revision
from system import checks


@login_required
def system_page(request):
    database = checks.check_database()
    cache_status = checks.check_cache()
    channel_layer = checks.check_channel_layer()
    clusters = checks.check_clusters()
    context = {
        "status": checks.overall_status(database, cache_status, channel_layer, clusters),
        "components": [("Database", database), ("Cache", cache_status), ("Channel layer", channel_layer)],
        "clusters": clusters,
        "version": {
            "KCloud Monitor": __version__,
            "Git revision": git_revision() or "unknown",
            "API": API_VERSION,
            "Python": platform.python_version(),
            "Django": django.get_version(),
        },
    }
    return render(request, "system/system.html", context)
