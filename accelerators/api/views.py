"""``/api/v1/accelerators/...``: thin views (validate, resolve clusters, call a service, shape JSON)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from accelerators.api import serializers as s
from accelerators.devices import STATUSES
from accelerators.params import ACCELERATOR_ORDERING, GPU_ORDERING, NPU_ORDERING, model_filters
from accelerators.services import history, inventory
from clusters.api.base import ClusterScopedView
from kcloud.api.errors import BadParameter
from kcloud.api.params import (
    parse_choice,
    parse_duration,
    parse_k8s_names,
    parse_ordering,
    parse_time_range,
    parse_uuid,
)
from kcloud.timeutil import from_unix, isoformat

SCRAPE_INTERVAL_SECONDS = 30  # smallest useful step of a series (the clusters' history resolution)
# --- OpenAPI parameters ---------------------------------------------------------------------------
CLUSTER = OpenApiParameter("cluster", str, many=True, description="Cluster name; repeat for several (default: all).")
TIME = OpenApiParameter("time", str, description="Evaluate at this instant (ISO 8601 or Unix seconds; default now).")
NODE = OpenApiParameter("node", str, many=True, description="Node name; repeatable.")
MODEL = OpenApiParameter("model", str, many=True, description="Model name (case-insensitive); repeatable.")
NAMESPACE = OpenApiParameter("namespace", str, many=True, description="Pod namespace (also MIG instances/partitions).")
POD = OpenApiParameter("pod", str, many=True, description="Pod name (also MIG instances/partitions); repeatable.")
STATUS = OpenApiParameter("status", str, many=True, enum=list(STATUSES), description="Device status; repeatable.")
KIND = OpenApiParameter("kind", str, many=True, enum=["gpu", "npu"])
VENDOR = OpenApiParameter("vendor", str, many=True, enum=["nvidia", "furiosa", "rebellions"])
PAGE = OpenApiParameter("page", int)
PAGE_SIZE = OpenApiParameter("page_size", int, description="At most 1000 (default 100).")
WINDOW = OpenApiParameter("window", str, description="Window length, e.g. 15m, 1h, 24h, 7d (default 1h).")
START = OpenApiParameter("start", str, description="ISO 8601 or Unix seconds (default end - 24 h).")
END = OpenApiParameter("end", str, description="ISO 8601 or Unix seconds (default now).")
STEP = OpenApiParameter("step", str, description="Seconds or a duration (>= 30 s); chosen automatically when absent.")
UUID_PATH = OpenApiParameter("uuid", str, OpenApiParameter.PATH, description="GPU UUID (GPU-...).")
ID_PATH = OpenApiParameter("id", str, OpenApiParameter.PATH, description="NPU card UUID.")


def _ordering_param(fields: tuple[str, ...]) -> OpenApiParameter:
    return OpenApiParameter("ordering", str, description=f"One of {', '.join(fields)}; prefix '-' for descending.")


class _AcceleratorsView(ClusterScopedView):
    """Shared parameter handling; subclasses say which parameters they accept."""

    allowed_params: tuple[str, ...] = ("cluster", "time")
    serializer_class = s.AcceleratorSerializer

    def clusters(self) -> list:
        self.check_params()
        return super().clusters()

    def at(self) -> float | None:
        when = self.eval_time()
        return None if when is None else when.timestamp()

    def filters(self) -> inventory.Filters:
        q = self.request.query_params
        return inventory.Filters(
            kinds={parse_choice("kind", v, ("gpu", "npu")) for v in q.getlist("kind")},
            vendors={parse_choice("vendor", v, ("nvidia", "furiosa", "rebellions")) for v in q.getlist("vendor")},
            nodes=set(parse_k8s_names("node", q.getlist("node"))),
            models=model_filters(q.getlist("model")),
            namespaces=set(parse_k8s_names("namespace", q.getlist("namespace"), label=True)),
            pods=set(parse_k8s_names("pod", q.getlist("pod"))),
            statuses={parse_choice("status", v, STATUSES) for v in q.getlist("status")},
        )

    def page_of(self, devices: list, serializer_class: type, fleet: inventory.FleetAccelerators) -> Response:
        """The list envelope of ``devices`` (only the requested page is serialized)."""
        return self.page(
            devices, serializer_class, fleet.results, None, evaluated_at=isoformat(from_unix(fleet.evaluated_at))
        )


_FILTERS = [CLUSTER, TIME, NODE, MODEL, NAMESPACE, POD, STATUS, PAGE, PAGE_SIZE]
_LIST_PARAMS = ("cluster", "time", "node", "model", "namespace", "pod", "status", "ordering")


class AcceleratorListView(_AcceleratorsView):
    """Every GPU and NPU as vendor-neutral rows."""

    allowed_params = (*_LIST_PARAMS, "kind", "vendor")

    @extend_schema(
        operation_id="accelerators_list",
        description=s.ATTRIBUTION_RULE,
        parameters=[*_FILTERS, KIND, VENDOR, _ordering_param(ACCELERATOR_ORDERING)],
        responses=s.AcceleratorListSerializer,
    )
    def get(self, request):
        clusters = self.clusters()
        filters, at = self.filters(), self.at()
        ordering = parse_ordering(request.query_params.get("ordering"), ACCELERATOR_ORDERING)
        fleet = inventory.collect(clusters, at=at)
        devices = inventory.order(inventory.apply(fleet.devices, filters), _neutral(ordering))
        return self.page_of(devices, s.AcceleratorSerializer, fleet)


def _neutral(ordering: tuple[str, bool] | None) -> tuple[str, bool] | None:
    """Vendor-neutral ``id`` is the device's ``uuid`` attribute on both dataclasses."""
    if ordering and ordering[0] == "id":
        return "uuid", ordering[1]
    return ordering


class AcceleratorSummaryView(_AcceleratorsView):
    """Counts, status split, total/average power and average utilisation by kind, vendor, model and cluster."""

    allowed_params = ("cluster", "time")

    @extend_schema(
        operation_id="accelerators_summary",
        description=s.ATTRIBUTION_RULE,
        parameters=[CLUSTER, TIME],
        responses=s.SummarySerializer,
    )
    def get(self, request):
        clusters = self.clusters()
        fleet = inventory.collect(clusters, at=self.at())
        body = {"evaluated_at": isoformat(from_unix(fleet.evaluated_at)), "clusters": fleet.outcomes}
        body.update(inventory.summary(fleet.devices))
        return Response(body)


class _KindListView(_AcceleratorsView):
    kind = "gpu"
    ordering_fields: tuple[str, ...] = GPU_ORDERING
    allowed_params = _LIST_PARAMS

    def get(self, request):
        clusters = self.clusters()
        filters, at = self.filters(), self.at()
        ordering = parse_ordering(request.query_params.get("ordering"), self.ordering_fields)
        if ordering and ordering[0] == "id":
            ordering = ("uuid", ordering[1])
        fleet = inventory.collect(clusters, at=at)
        pool = fleet.gpus if self.kind == "gpu" else fleet.npus
        devices = inventory.order(inventory.apply(pool, filters), ordering)
        return self.page_of(devices, s.GpuListItemSerializer if self.kind == "gpu" else s.NpuSerializer, fleet)


class GpuListView(_KindListView):
    """GPUs (DCGM), MIG instances merged into their physical GPU."""

    serializer_class = s.GpuSerializer

    @extend_schema(
        operation_id="accelerators_gpus_list",
        description=s.ATTRIBUTION_RULE,
        parameters=[*_FILTERS, _ordering_param(GPU_ORDERING)],
        responses=s.GpuListSerializer,
    )
    def get(self, request):
        return super().get(request)


class NpuListView(_KindListView):
    """NPUs (Furiosa, Rebellions), partition series merged into their card."""

    kind = "npu"
    ordering_fields = NPU_ORDERING
    serializer_class = s.NpuSerializer

    @extend_schema(
        operation_id="accelerators_npus_list",
        description=s.ATTRIBUTION_RULE,
        parameters=[*_FILTERS, _ordering_param(NPU_ORDERING)],
        responses=s.NpuListSerializer,
    )
    def get(self, request):
        return super().get(request)


class _KindSummaryView(_AcceleratorsView):
    kind = "gpu"
    allowed_params = ("cluster", "time")

    def get(self, request):
        clusters = self.clusters()
        fleet = inventory.collect(clusters, at=self.at())
        pool = fleet.gpus if self.kind == "gpu" else fleet.npus
        body = {"evaluated_at": isoformat(from_unix(fleet.evaluated_at)), "clusters": fleet.outcomes}
        if self.kind == "gpu":
            body.update(inventory.summary(pool, kinds=False, gpu_extras=True))
        else:
            body.update(inventory.summary(pool))
        return Response(body)


class GpuSummaryView(_KindSummaryView):
    """GPU counts, power, utilisation, temperature max/avg and memory totals by model and cluster."""

    @extend_schema(
        operation_id="accelerators_gpus_summary", parameters=[CLUSTER, TIME], responses=s.GpuSummarySerializer
    )
    def get(self, request):
        return super().get(request)


class NpuSummaryView(_KindSummaryView):
    """NPU counts, power and utilisation by vendor, model and cluster."""

    kind = "npu"

    @extend_schema(operation_id="accelerators_npus_summary", parameters=[CLUSTER, TIME], responses=s.SummarySerializer)
    def get(self, request):
        return super().get(request)


# --- one device ----------------------------------------------------------------------------------


class _DeviceView(_AcceleratorsView):
    kind = "gpu"
    allowed_params = ("cluster", "time")

    def find(self, raw_id: str, *, at: float | None = None) -> inventory.Found:
        name = "uuid" if self.kind == "gpu" else "id"
        device_id = parse_uuid(name, raw_id)
        if self.kind == "npu" and device_id[:4].upper() in ("GPU-", "MIG-"):
            raise BadParameter(name, f"{device_id!r} is a GPU UUID, not an NPU id.")
        clusters = self.clusters()
        return inventory.find(clusters, self.kind, device_id, at=self.at() if at is None else at)


class GpuDetailView(_DeviceView):
    """One GPU with its MIG instances, allocations and error counters."""

    serializer_class = s.GpuSerializer

    @extend_schema(operation_id="accelerators_gpus_retrieve", parameters=[UUID_PATH, CLUSTER, TIME])
    def get(self, request, uuid: str):
        return Response(s.GpuSerializer(self.find(uuid).device).data)


class GpuMetricsView(_DeviceView):
    """The instant metrics of one GPU."""

    serializer_class = s.GpuMetricsSerializer

    @extend_schema(operation_id="accelerators_gpus_metrics", parameters=[UUID_PATH, CLUSTER, TIME])
    def get(self, request, uuid: str):
        return Response(s.GpuMetricsSerializer(self.find(uuid).device).data)


class NpuDetailView(_DeviceView):
    """One NPU with its cores, partitions and allocations."""

    kind = "npu"
    serializer_class = s.NpuSerializer

    @extend_schema(operation_id="accelerators_npus_retrieve", parameters=[ID_PATH, CLUSTER, TIME])
    def get(self, request, id: str):
        return Response(s.NpuSerializer(self.find(id).device).data)


class NpuMetricsView(_DeviceView):
    """The instant metrics of one NPU."""

    kind = "npu"
    serializer_class = s.NpuMetricsSerializer

    @extend_schema(operation_id="accelerators_npus_metrics", parameters=[ID_PATH, CLUSTER, TIME])
    def get(self, request, id: str):
        return Response(s.NpuMetricsSerializer(self.find(id).device).data)


def _power_body(p: history.DevicePower) -> dict:
    return {
        "id": p.uuid,
        "kind": p.kind,
        "vendor": p.vendor,
        "cluster": p.cluster,
        "window": p.window,
        "window_seconds": p.window_seconds,
        "start": isoformat(p.start),
        "end": isoformat(p.end),
        "power_watts": p.power_watts,
        "avg_power_watts": p.avg_power_watts,
        "min_power_watts": p.min_power_watts,
        "max_power_watts": p.max_power_watts,
        "energy_joules": p.energy_joules,
        "energy_kwh": p.energy_kwh,
        "energy_source": p.energy_source,
        "samples": p.samples,
    }


class _PowerView(_DeviceView):
    allowed_params = ("cluster", "time", "window")
    serializer_class = s.PowerSerializer

    def power(self, raw_id: str) -> Response:
        window = parse_duration("window", self.request.query_params.get("window"), default="1h", minimum=60)
        found = self.find(raw_id)
        return Response(_power_body(history.power(found, window)))


_POWER_DOC = (
    "Power now and avg/min/max over the window (raw samples, *_over_time), and the energy used in it. "
    + s.ATTRIBUTION_RULE
)


class GpuPowerView(_PowerView):
    @extend_schema(
        operation_id="accelerators_gpus_power",
        description=_POWER_DOC + " GPU energy: increase() of DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION (mJ), reset-safe.",
        parameters=[UUID_PATH, CLUSTER, TIME, WINDOW],
    )
    def get(self, request, uuid: str):
        return self.power(uuid)


class NpuPowerView(_PowerView):
    kind = "npu"

    @extend_schema(
        operation_id="accelerators_npus_power",
        description=_POWER_DOC + " NPU energy: the power gauge integrated at 30 s (sum_over_time(P[w:30s]) * 30).",
        parameters=[ID_PATH, CLUSTER, TIME, WINDOW],
    )
    def get(self, request, id: str):
        return self.power(id)


class _SeriesView(_DeviceView):
    allowed_params = ("cluster", "metric", "start", "end", "step")
    serializer_class = s.SeriesSerializer

    def series(self, raw_id: str, metrics: tuple[str, ...]) -> Response:
        q = self.request.query_params
        metric = parse_choice("metric", q.get("metric"), metrics, default="power_watts")
        time_range = parse_time_range(q, min_step=SCRAPE_INTERVAL_SECONDS)
        # Locate the device as of the end of the range, so the history of one that stopped can be charted.
        found = self.find(raw_id, at=time_range.end.timestamp())
        result = history.series(found, metric, time_range)
        return Response(
            {
                "id": result.uuid,
                "kind": result.kind,
                "cluster": result.cluster,
                "metric": result.metric,
                "start": isoformat(result.start),
                "end": isoformat(result.end),
                "step_seconds": result.step_seconds,
                "timestamps": result.timestamps,
                "values": result.values,
            }
        )


def _metric_param(metrics: tuple[str, ...]) -> OpenApiParameter:
    return OpenApiParameter("metric", str, enum=list(metrics), description="Instant field (default power_watts).")


class GpuSeriesView(_SeriesView):
    @extend_schema(
        operation_id="accelerators_gpus_timeseries",
        parameters=[UUID_PATH, CLUSTER, _metric_param(history.gpu_metrics()), START, END, STEP],
    )
    def get(self, request, uuid: str):
        return self.series(uuid, history.gpu_metrics())


class NpuSeriesView(_SeriesView):
    kind = "npu"

    @extend_schema(
        operation_id="accelerators_npus_timeseries",
        parameters=[ID_PATH, CLUSTER, _metric_param(history.npu_metrics()), START, END, STEP],
    )
    def get(self, request, id: str):
        return self.series(id, history.npu_metrics())


__all__ = [
    "AcceleratorListView",
    "AcceleratorSummaryView",
    "GpuDetailView",
    "GpuListView",
    "GpuMetricsView",
    "GpuPowerView",
    "GpuSeriesView",
    "GpuSummaryView",
    "NpuDetailView",
    "NpuListView",
    "NpuMetricsView",
    "NpuPowerView",
    "NpuSeriesView",
    "NpuSummaryView",
]
