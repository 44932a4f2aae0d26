"""The staff login form: dashboards are for staff; partners use API tokens."""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class StaffAuthenticationForm(AuthenticationForm):
    """Refuse non-staff accounts at the door, so every session belongs to staff.

    The pages check only ``login_required``; making the session itself staff-only
    keeps that rule in one place instead of on every view.
    """

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise ValidationError(
                _("This sign-in is for staff. Partners use API tokens (Authorization: Token <key>)."),
                code="not_staff",
            )
