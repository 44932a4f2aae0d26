"""``GET /api/v1/export/report``: the management report of a period as PDF or XLSX.

``period`` = ``daily`` (the previous full UTC day), ``weekly`` (the previous full
ISO week), ``monthly`` (the previous full month) or ``custom`` (``start`` and
``end`` required, aligned like ``/monitoring/energy``). ``format`` = ``pdf`` or
``xlsx``; ``cluster`` narrows the clusters (repeat for several; default every
cluster the caller may see). The file is named like
``kcloud-report-seoul-a-20261101-20261108.pdf``. Errors are the usual JSON envelope.
The report's words follow the request's language (the language cookie, else
``Accept-Language``: English or Korean); its numbers, units, cluster names and the
XLSX data sheets' column names (the API's field names) do not.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from clusters.scope import Principal, select_clusters
from exports.api.throttle import OperatorExports
from exports.api.views import IgnoreFormatParameter
from exports.filenames import content_disposition
from exports.formats import formats_for, parse_format
from exports.report import PERIODS, render_report, resolve_window
from kcloud.api.params import reject_unknown

DOC = __doc__ or ""


class ReportExportView(OperatorExports, APIView):
    """The management report (PDF or XLSX) of a period, from the same numbers as the JSON API."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = IgnoreFormatParameter
    allowed_params = ("period", "start", "end", "cluster", "format")

    @extend_schema(
        operation_id="export_report",
        description=DOC,
        parameters=[
            OpenApiParameter("period", str, required=True, enum=list(PERIODS)),
            OpenApiParameter("start", str, description="With period=custom: ISO 8601 or Unix seconds."),
            OpenApiParameter("end", str, description="With period=custom: ISO 8601 or Unix seconds."),
            OpenApiParameter("format", str, required=True, enum=list(formats_for("report"))),
            OpenApiParameter("cluster", str, many=True, description="Only these clusters (repeat for several)."),
        ],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF report."),
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiResponse(OpenApiTypes.BINARY, description="The XLSX report."),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Bad parameter (the error envelope names it)."),
            404: OpenApiResponse(OpenApiTypes.OBJECT, description="Unknown or invisible cluster."),
        },
    )
    def get(self, request):
        q = request.query_params
        reject_unknown(q, self.allowed_params)
        requested = [v for v in q.getlist("cluster") if v]
        # Every parameter is checked before a cluster is looked up or asked anything.
        fmt = parse_format("report", q.get("format"))
        resolve_window(q.get("period"), q.get("start"), q.get("end"))
        clusters = select_clusters(Principal.from_request(request), requested)
        rendered = render_report(
            clusters, period=q.get("period"), start=q.get("start"), end=q.get("end"), fmt=fmt, requested=requested
        )
        response = HttpResponse(rendered.content, content_type=rendered.content_type)
        response["Content-Disposition"] = content_disposition(rendered.filename)
        response["Cache-Control"] = "no-store"
        return response
