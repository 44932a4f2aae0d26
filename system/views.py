"""The System page: the same health and version the public endpoints give, for staff."""

from __future__ import annotations

import platform

import django
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from kcloud.version import API_VERSION, __version__, git_revision
from system import checks


@login_required
def system_page(request):
    database = checks.check_database()
    cache_status = checks.check_cache()
    channel_layer = checks.check_channel_layer()
    clusters = checks.check_clusters()
    status = checks.overall_status(database, cache_status, channel_layer, clusters)
    components = [(_("Database"), database), (_("Cache"), cache_status), (_("Channel layer"), channel_layer)]
    context = {
        "status": status,
        "status_label": _status_label(status),
        # (name, status, the word shown for the status)
        "components": [(name, state, _status_label(state)) for name, state in components],
        "clusters": [{**c, "status_label": _status_label(c["status"])} for c in clusters],
        "version": {
            "KCloud Monitor": __version__,
            _("Git revision"): git_revision() or _("unknown"),
            "API": API_VERSION,
            "Python": platform.python_version(),
            "Django": django.get_version(),
        },
    }
    return render(request, "system/system.html", context)


def _status_label(status: str) -> str:
    """The word shown for a health status (the status itself stays in the badge's CSS class)."""
    labels = {"ok": _("ok"), "error": _("error"), "degraded": _("degraded"), "down": _("down")}
    return labels.get(status, status)
