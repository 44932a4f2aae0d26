"""``/api/v1/hardware/...``: IPMI sensors, DCMI power and BMC facts per node.

Sensor ``state`` is what ipmi_exporter's ``*_state`` series say (0 ok, 1 warning,
2 critical, NaN unknown), never derived from names or thresholds. A NaN
reading is ``value: null`` with the exporter's state.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from clusters.api.base import CLUSTER
from clusters.api.base import ClusterScopedView as ClusterScopedView
from clusters.lookup import resolve_one
from clusters.prometheus.cache import evaluation_time
from hardware import services
from hardware.api import serializers as s
from kcloud.api.params import k8s_many, many, parse_k8s_name
from kcloud.api.views import PAGE, TIME
from kcloud.timeutil import from_unix

BMC_FIELDS = ("manufacturer", "firmware_revision", "system_firmware_version", "bmc_url")
NODE = OpenApiParameter("node", str, many=True, description="Only these nodes (repeat for several).")
FILTERS = [
    CLUSTER,
    NODE,
    OpenApiParameter("type", str, many=True, enum=list(services.SENSOR_TYPES)),
    OpenApiParameter("state", str, many=True, enum=list(services.STATES)),
    TIME,
    *PAGE,
]


class _IpmiView(ClusterScopedView):
    allowed_params = ("cluster", "node", "time")

    def fetch(self):
        nodes = k8s_many(self.request.query_params, "node")
        clusters, at = self.clusters(), evaluation_time(self.eval_time())
        results = services.ipmi_results(clusters, at)
        return results, services.all_nodes(results, nodes), at


class SensorListView(_IpmiView):
    """Every IPMI sensor, filtered by cluster, node, type and state."""

    serializer_class = s.HardwareSensorSerializer
    allowed_params = ("cluster", "node", "type", "state", "time")
    fixed_type: str | None = None

    @extend_schema(
        operation_id="hardware_ipmi_sensors_list",
        responses=s.HardwareSensorSerializer(many=True),
        description=__doc__,
        parameters=FILTERS,
    )
    def get(self, request):
        self.check_params()
        q = request.query_params
        types = (self.fixed_type,) if self.fixed_type else many("type", services.SENSOR_TYPES, q.getlist("type"))
        states = many("state", services.STATES, q.getlist("state"))
        results, entries, at = self.fetch()
        return self.page(services.sensors(entries, types, states), s.HardwareSensorSerializer, results, at)


class _TypedSensorView(SensorListView):
    allowed_params = ("cluster", "node", "state", "time")

    @extend_schema(
        responses=s.HardwareSensorSerializer(many=True),
        description=__doc__,
        parameters=[CLUSTER, NODE, OpenApiParameter("state", str, many=True, enum=list(services.STATES)), TIME, *PAGE],
    )
    def get(self, request):
        return super().get(request)


class TemperatureView(_TypedSensorView):
    """Temperature sensors (°C)."""

    fixed_type = "temperature"


class FanView(_TypedSensorView):
    """Fan sensors (RPM, or a ratio for duty-cycle fans)."""

    fixed_type = "fan"


class VoltageView(_TypedSensorView):
    """Voltage sensors (V)."""

    fixed_type = "voltage"


class CurrentView(_TypedSensorView):
    """Current sensors (A)."""

    fixed_type = "current"


class NodeSensorsView(_IpmiView):
    """Every sensor of one node; ``?cluster=`` only when the name exists in several clusters."""

    serializer_class = s.HardwareNodeSensorsSerializer
    allowed_params = ("cluster", "time")

    @extend_schema(description=__doc__, parameters=[OpenApiParameter("cluster", str), TIME])
    def get(self, request, node: str):
        self.check_params()
        parse_k8s_name("node", node)
        clusters, at = self.clusters(), evaluation_time(self.eval_time())
        results = services.ipmi_results(clusters, at)
        found = [(r, r.value[node]) for r in results if r.ok and node in r.value]
        _result, entry = resolve_one(found, [r for r in results if not r.ok], what="node", name=node)
        body = {
            "node": entry.node,
            "cluster": entry.cluster,
            "worst_state": entry.worst_state,
            "counts": entry.counts(),
            "dcmi_power_watts": entry.dcmi_power_watts,
            "sensors": entry.sensors,
            "timestamp": from_unix(at),
        }
        return Response(s.HardwareNodeSensorsSerializer(body).data)


class PowerView(_IpmiView):
    """Per node: PSU power sensors and DCMI wall power (null where the BMC has no DCMI)."""

    serializer_class = s.HardwareNodePowerSerializer

    @extend_schema(
        operation_id="hardware_ipmi_power_list",
        responses=s.HardwareNodePowerSerializer(many=True),
        parameters=[CLUSTER, NODE, TIME, *PAGE],
    )
    def get(self, request):
        self.check_params()
        results, entries, at = self.fetch()
        rows = []
        for e in entries:
            psus = [x for x in e.sensors if x.type == "power"]
            inputs = [x.value for x in psus if "PSU" in x.name.upper() and x.value is not None]
            rows.append(
                {
                    "node": e.node,
                    "cluster": e.cluster,
                    "dcmi_power_watts": e.dcmi_power_watts,
                    "dcmi_available": e.collectors.get("dcmi"),
                    # Sum of the PSU input power sensors, when the SDR names them so.
                    "psu_input_power_watts": sum(inputs) if inputs else None,
                    "sensors": psus,
                }
            )
        return self.page(rows, s.HardwareNodePowerSerializer, results, at)


class SummaryView(_IpmiView):
    """Per node sensor counts by state; nodes with critical, then warning sensors first."""

    serializer_class = s.HardwareSummarySerializer

    @extend_schema(
        operation_id="hardware_ipmi_summary_list",
        responses=s.HardwareSummarySerializer(many=True),
        parameters=[CLUSTER, NODE, TIME, *PAGE],
    )
    def get(self, request):
        self.check_params()
        results, entries, at = self.fetch()
        return self.page(services.summary(entries), s.HardwareSummarySerializer, results, at)


class BmcView(_IpmiView):
    """BMC manufacturer and firmware per node (``ipmi_bmc_info``)."""

    serializer_class = s.HardwareBmcSerializer

    @extend_schema(
        operation_id="hardware_bmc_list",
        responses=s.HardwareBmcSerializer(many=True),
        parameters=[CLUSTER, NODE, TIME, *PAGE],
    )
    def get(self, request):
        self.check_params()
        results, entries, at = self.fetch()
        rows = [
            {
                "node": e.node,
                "cluster": e.cluster,
                **{k: e.bmc.get(k) for k in BMC_FIELDS},
                "chassis_power": e.chassis_power,
                "collectors": e.collectors,
            }
            for e in entries
        ]
        return self.page(rows, s.HardwareBmcSerializer, results, at)
