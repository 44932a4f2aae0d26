"""How pages print a device's status: one set of words for the accelerator, node and pod pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# The words shown for a device status (the value itself stays in CSS classes and the filters' GET).
STATUS_LABELS = {"active": _("active"), "idle": _("idle"), "unavailable": _("unavailable")}


def status_label(status: str):
    """The word shown for ``status`` (a status without one is shown as it is)."""
    return STATUS_LABELS.get(status, status)
