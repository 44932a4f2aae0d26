"""Pages are for staff with a role, enforced for every page at once (a new page cannot forget it).

For every request outside the API, the admin, the login/logout forms and static
files, :class:`StaffPagesMiddleware`:

* sends anonymous visitors to the sign-in form;
* signs out a session that is not a staff account's (however it was made) and
  sends it to the sign-in form, which refuses it with a message;
* answers 403 to staff without the role the page needs: ``read`` by default,
  more where the view says so with :func:`requires` (exports and live streams
  need ``operate``).

It also resets the answer's audience for every request (:mod:`kcloud.audience`):
public, raised to internal for staff. The API's own permission classes
(:mod:`kcloud.auth.permissions`) do the same once DRF has authenticated a caller.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.views import APIView

from kcloud import audience
from kcloud.auth import roles

# Paths that have their own door: the API (tokens, staff sessions, roles), the admin (Django's
# staff check and model permissions), the sign-in and sign-out forms, static files.
EXEMPT = ("/api/", "/admin/", "/accounts/login/", "/accounts/logout/", "/i18n/", "/favicon.ico")
REQUIRED = "kcloud_required_permission"


def requires(permission: str) -> Callable:
    """Mark a page view as needing ``permission`` (default: :data:`kcloud.auth.roles.READ`)."""

    def mark(view: Callable) -> Callable:
        setattr(view, REQUIRED, permission)
        return view

    return mark


def _is_api_view(view: Callable) -> bool:
    """A DRF view, wherever it is mounted: it authenticates and checks roles itself."""
    cls = getattr(view, "cls", None)
    return isinstance(cls, type) and issubclass(cls, APIView)


class StaffPagesMiddleware:
    """See the module docstring."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The audience is this request's: whatever it became is undone afterwards, so a server
        # thread (or a test) that serves the next request in the same context starts clean.
        # Reading the user may fail (the session store's database down): restore even then.
        previous = audience.internal()
        try:
            audience.set_internal(False)
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and user.is_staff:
                audience.set_internal(True)
            return self.get_response(request)
        finally:
            audience.set_internal(previous)

    def process_view(self, request: HttpRequest, view: Callable, args: Any, kwargs: Any) -> HttpResponse | None:
        path = request.path_info
        if path.startswith(EXEMPT) or path.startswith(settings.STATIC_URL) or _is_api_view(view):
            return None
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not (user.is_staff and user.is_active):
            logout(request)
            messages.error(request, _("The dashboards are for staff. Partners use API tokens."))
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        needed = getattr(view, REQUIRED, roles.READ)
        if not roles.can(user, needed):
            role = {roles.READ: roles.VIEWER, roles.OPERATE: roles.OPERATOR}.get(needed, roles.ADMIN)
            context = {"role": role, "user_role": roles.role_of(user)}
            return render(request, "errors/403.html", context, status=403)
        return None
