"""The live power page (``/monitoring/live/``): a chart fed by the power stream, WebSocket or SSE.

The page itself queries nothing: it validates the pickers with the stream's own
rules (the same 400/404 a subscription would get), then the browser subscribes
to ``/api/v1/monitoring/stream/power`` (``static/js/live-stream.js``) and draws
every message as it comes.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clusters.scope import Principal, select_clusters
from kcloud.api.errors import ApiError
from kcloud.auth import roles
from kcloud.auth.middleware import requires
from kcloud.web import values
from monitoring.streams.topics import DEFAULT_INTERVAL_SECONDS, GROUP_BY, parse_stream_params

WS_PATH = "/api/v1/monitoring/stream/power"  # monitoring.routing
GROUP_LABELS = {"cluster": _("Cluster"), "resource_type": _("Resource type")}
INTERVALS = (1, 2, 5, 10, 15, 30, 60)


@requires(roles.OPERATE)
def live_page(request: HttpRequest) -> HttpResponse:
    """Fleet power as it happens, one point per interval, with the connection state."""
    principal = Principal.from_request(request)
    selected = {
        "cluster": values(request, "cluster"),
        "group_by": request.GET.get("group_by") or "cluster",
        "interval": request.GET.get("interval") or str(DEFAULT_INTERVAL_SECONDS),
    }
    context: dict = {
        "tab": "live",
        "all_clusters": [c.name for c in principal.visible_clusters()],
        "group_bys": [(g, GROUP_LABELS[g]) for g in GROUP_BY],
        "selected": selected,
        "error": None,
    }
    try:
        params = {"group_by": [selected["group_by"]], "interval": [selected["interval"]]}
        if selected["cluster"]:
            params["cluster"] = selected["cluster"]
        stream = parse_stream_params("power", params)
        clusters = select_clusters(principal, stream.cluster_names)
    except ApiError as exc:
        context["error"] = str(exc.detail)
        context["intervals"] = INTERVALS
        return render(request, "monitoring/live.html", context, status=exc.status_code)
    query = urlencode(
        [("group_by", stream.group_by), ("interval", stream.interval_seconds)]
        + [("cluster", name) for name in selected["cluster"]]
    )
    interval = stream.interval_seconds
    context.update(
        intervals=sorted({*INTERVALS, interval}),
        interval=interval,
        group_by=stream.group_by,
        group_label=GROUP_LABELS[stream.group_by],
        clusters=[c.name for c in clusters],
        ws_path=f"{WS_PATH}?{query}",
        sse_path=f"{reverse('api-monitoring-stream-power-sse')}?{query}",
    )
    return render(request, "monitoring/live.html", context)
