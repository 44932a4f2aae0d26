"""URL map: pages at the top, the JSON API under /api/v1/."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

import kcloud.api.schema  # noqa: F401  (registers OpenAPI extensions)
from kcloud.api.root import ApiRootView
from kcloud.forms import StaffAuthenticationForm
from monitoring import urls as monitoring_urls
from monitoring.api.fleet_metrics import FleetMetricsView

api_v1 = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Split view: the page's script is a separate static-like request (no inline script).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Before the registry's clusters/<name>: clusters/compare is not a cluster.
    path("", include("monitoring.api.cluster_urls")),
    path("", include("clusters.api.urls")),
    path("", include("accelerators.api.urls")),
    path("", include("infrastructure.api.urls")),
    path("", include("hardware.api.urls")),
    path("", include("monitoring.api.urls")),
    path("", include("monitoring.api.alerting_urls")),
    path("", include("monitoring.streams.urls")),
    path("", include("exports.api.urls")),
    path("system/", include("system.api.urls")),
]

urlpatterns = [
    path("", include("clusters.urls")),
    path("", include(monitoring_urls.fleet_urlpatterns)),
    path("system/", include("system.urls")),
    path("accelerators/", include("accelerators.urls")),
    path("infrastructure/", include("infrastructure.urls")),
    path("hardware/", include("hardware.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("exports/", include("exports.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=StaffAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The header's language switcher posts here (set_language: a cookie, then back to the page).
    path("i18n/", include("django.conf.urls.i18n")),
    # gettext() and interpolate() for the pages' scripts, in the page's language.
    path("i18n/catalog.js", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    # Our numbers for Prometheus: a conventional path outside the versioned JSON API.
    path("metrics/fleet", FleetMetricsView.as_view(), name="fleet-metrics"),
]

handler404 = "kcloud.api.handlers.not_found"
handler500 = "kcloud.api.handlers.server_error"
