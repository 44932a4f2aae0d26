"""Template context shared by every page: the navigation of the seven areas."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from kcloud.version import __version__

# (label, url name). Areas whose pages arrive with later issues link to their API.
NAVIGATION = [
    ("Overview", "overview"),
    ("Clusters", "clusters-page"),
    ("Accelerators", "accelerators-page"),
    ("Infrastructure", "infrastructure-page"),
    ("Hardware", "hardware-page"),
    ("Monitoring", "monitoring-page"),
    ("Exports", "exports-page"),
    ("System", "system-page"),
]


def navigation(request) -> dict:
    """Resolve the navigation entries that exist; mark the current one."""
    items = []
    for label, name in NAVIGATION:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"label": label, "url": url, "active": active})
    return {"navigation": items, "kcloud_version": __version__}
