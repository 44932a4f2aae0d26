"""``/api/v1/export/{power,energy,metrics,formats}``: the JSON API's numbers as files.

* ``format``: ``json``, ``csv``, ``parquet`` or ``xlsx`` (``/export/formats`` lists
  them with their content types); another value is a 400 naming the valid ones.
* Columns are named like the JSON fields of the matching API answer, with their
  unit (``power_watts``, ``energy_kwh``, ``carbon_grams``); timestamps are ISO 8601
  UTC (CSV, JSON), ``timestamp[UTC]`` (Parquet) or UTC dates (Excel).
* The file name says what, which clusters and which window
  (``kcloud-energy-seoul-a-20261101-20261108.xlsx``).
* An export above ``KCLOUD_EXPORT_MAX_POINTS`` points is a 400 suggesting a larger
  ``step``. CSV, JSON and Parquet are streamed as they are written.
* Scope: only clusters the caller may see (an API token's clusters); an unknown or
  invisible ``cluster`` is a 404. A cluster that does not answer is ``status:
  error`` in the file's cluster outcomes and the summary says ``partial``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from clusters.api.base import CLUSTER
from clusters.scope import Principal, select_clusters
from exports import formats
from exports.api.throttle import OperatorExports
from exports.dataset import Dataset
from exports.datasets import energy, metrics, power
from exports.streaming import download
from exports.writers import render
from kcloud.api.params import parse_bool, reject_unknown
from monitoring.services import grouping, timeseries
from monitoring.services.metric_catalog import METRICS, RESOURCES


class IgnoreFormatParameter(DefaultContentNegotiation):
    """``?format=`` names the file format here, not a DRF renderer: errors are always JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def requested_clusters(params: Mapping) -> list[str]:
    """The ``cluster`` values as given (repeatable; empty values ignored)."""
    getlist = getattr(params, "getlist", None)
    values = getlist("cluster") if getlist else params.get("cluster") or []
    return [v for v in ([values] if isinstance(values, str) else values) if v]


def build_export(
    principal: Principal, dataset: str, params: Mapping, builder: Callable[[list, list[str], Mapping], Dataset]
) -> tuple[Dataset, str]:
    """Validate ``format``, resolve the clusters in the principal's scope, build the dataset.

    The one code path of the API views and ``manage.py export``.
    """
    fmt = formats.parse_format(dataset, params.get("format"), default=formats.formats_for(dataset)[0])
    names = requested_clusters(params)
    clusters = select_clusters(principal, names)
    return builder(clusters, names, params), fmt


_ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Bad parameter (the envelope names it)."),
    404: OpenApiResponse(OpenApiTypes.OBJECT, description="Unknown or invisible cluster."),
}


def _file_responses(dataset: str) -> dict:
    out: dict = {}
    for fmt in formats.formats_for(dataset):
        kind = OpenApiTypes.OBJECT if fmt == "json" else OpenApiTypes.BINARY
        out[(200, formats.content_type(fmt).split(";")[0])] = OpenApiResponse(kind, description=f"{fmt} file")
    return {**out, **_ERRORS}


def _format_param(dataset: str) -> OpenApiParameter:
    valid = formats.formats_for(dataset)
    return OpenApiParameter("format", str, enum=list(valid), description=f"File format (default {valid[0]}).")


_START = OpenApiParameter("start", str, description="ISO 8601 or Unix seconds (default end - 24 h).")
_END = OpenApiParameter("end", str, description="ISO 8601 or Unix seconds (default now); aligned to the step.")
_STEP = OpenApiParameter("step", str, description="30s, 1m, 5m, ... (default: about 240 points).")
_BOM = OpenApiParameter(
    "bom",
    bool,
    description="CSV only: start with a UTF-8 byte-order mark, so spreadsheet programs read Korean text right "
    "(default false; the exports page turns it on).",
)


class ExportView(OperatorExports, APIView):
    """Base of the data exports: parameters, scope, the file response."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = IgnoreFormatParameter
    dataset = ""
    allowed_params: tuple[str, ...] = ()
    builder: Callable[[list, list[str], Mapping], Dataset]

    def get(self, request):
        reject_unknown(request.query_params, (*self.allowed_params, "bom"))
        data, fmt = build_export(Principal.from_request(request), self.dataset, request.query_params, self.builder)
        bom = parse_bool("bom", request.query_params.get("bom"), default=False)
        chunks = render(data, fmt, bom=bool(bom))
        response = download(request, chunks, data.filename(formats.extension(fmt)), formats.content_type(fmt))
        # CSV has no place for the cluster outcomes the other formats carry: the headers
        # say which clusters are in the file, so a missing cluster is never a silent gap.
        response["X-KCloud-Clusters"] = ", ".join(f"{c['name']}={c['status']}" for c in data.clusters)
        response["X-KCloud-Partial"] = "true" if data.failed_clusters() else "false"
        return response


class PowerExportView(ExportView):
    """Power over time, grouped, in long format (``timestamp, <group>, power_watts``) plus a summary."""

    dataset = "power"
    allowed_params = ("cluster", "start", "end", "step", "group_by")
    builder = staticmethod(power.build)

    @extend_schema(
        operation_id="export_power",
        description=f"{power.__doc__}\n\n{__doc__}",
        parameters=[
            _format_param("power"),
            _START,
            _END,
            _STEP,
            OpenApiParameter("group_by", str, enum=list(timeseries.GROUP_BYS), description="Default cluster."),
            CLUSTER,
            _BOM,
        ],
        responses=_file_responses("power"),
    )
    def get(self, request):
        return super().get(request)


class EnergyExportView(ExportView):
    """The chargeback table of ``/monitoring/energy``: kWh by resource type, carbon and cost per group."""

    dataset = "energy"
    allowed_params = ("cluster", "start", "end", "group_by", "idle")
    builder = staticmethod(energy.build)

    @extend_schema(
        operation_id="export_energy",
        description=f"{energy.__doc__}\n\n{__doc__}",
        parameters=[
            _format_param("energy"),
            _START,
            _END,
            OpenApiParameter("group_by", str, enum=list(grouping.GROUP_BYS), description="Default namespace."),
            OpenApiParameter("idle", str, enum=list(grouping.IDLE_MODES), description="Default node."),
            CLUSTER,
            _BOM,
        ],
        responses=_file_responses("energy"),
    )
    def get(self, request):
        return super().get(request)


class MetricsExportView(ExportView):
    """A catalog metric as one series per GPU, NPU, node or pod (long format)."""

    dataset = "metrics"
    allowed_params = ("cluster", "start", "end", "step", "metric", "resource")
    builder = staticmethod(metrics.build)

    @extend_schema(
        operation_id="export_metrics",
        description=f"{metrics.__doc__}\n\n{__doc__}",
        parameters=[
            _format_param("metrics"),
            OpenApiParameter("metric", str, required=True, enum=list(METRICS), description="A metric of the catalog."),
            OpenApiParameter(
                "resource", str, enum=list(RESOURCES), description="The metric's resource (default: the metric's)."
            ),
            _START,
            _END,
            _STEP,
            CLUSTER,
            _BOM,
        ],
        responses=_file_responses("metrics"),
    )
    def get(self, request):
        return super().get(request)


class FormatsView(APIView):
    """The export formats, their content types, and which dataset allows which."""

    @extend_schema(operation_id="export_formats", responses=OpenApiTypes.OBJECT)
    def get(self, request):
        reject_unknown(request.query_params, ())
        return Response(formats.registry())


#: dataset -> its view (the CLI checks its options against the view's parameters)
EXPORT_VIEWS: dict[str, type[ExportView]] = {
    "power": PowerExportView,
    "energy": EnergyExportView,
    "metrics": MetricsExportView,
}
