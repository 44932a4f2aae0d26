"""Template context shared by every page: the navigation of the seven areas."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

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
        items.append({"label": label, "url": url, "active": request.path == url})
    return {"navigation": items}
