"""Template context shared by every page: the navigation (as the user's role allows) and the time range."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from kcloud import timerange
from kcloud.auth import roles
from kcloud.version import __version__

# (label, url name) of each area's first page.
NAVIGATION = [
    (_("Overview"), "overview"),
    (_("Clusters"), "clusters-page"),
    (_("Accelerators"), "accelerators-page"),
    (_("Infrastructure"), "infrastructure-page"),
    (_("Hardware"), "hardware-page"),
    (_("Monitoring"), "monitoring-page"),
    (_("Exports"), "exports-page"),  # operators (OPERATOR_AREAS)
    (_("System"), "system-page"),
]


OPERATOR_AREAS = {"exports-page"}


def navigation(request) -> dict:
    """Resolve the navigation entries that exist and the user may open; mark the current one."""
    user = getattr(request, "user", None)
    operator = roles.can_operate(user)
    time_range = timerange.for_request(request)
    items = []
    for label, name in NAVIGATION:
        if name in OPERATOR_AREAS and not operator:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)
        # A range chosen on one page follows the user to the next.
        items.append({"label": label, "url": timerange.with_range(url, time_range), "active": active})
    return {
        "navigation": items,
        "kcloud_version": __version__,
        "can_operate": operator,
        "time_range": time_range,
        "time_range_links": timerange.preset_links(request, time_range),
        "time_range_keep": timerange.kept_params(request),
    }
