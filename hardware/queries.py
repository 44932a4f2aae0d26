"""PromQL of the hardware domain (ipmi_exporter), as functions of a cluster's :class:`Scope`.

One instant selector brings every sensor reading, every ``*_state``, the DCMI
wall power, BMC info and the collectors' ``ipmi_up`` of every node of a
cluster: the cost is one request per cluster whatever the fleet size.
"""

from __future__ import annotations

from clusters import placement
from clusters.prometheus.promql import Scope, names_regex, union

# value family -> (sensor type, unit)
VALUE_FAMILIES: dict[str, tuple[str, str | None]] = {
    "ipmi_temperature_celsius": ("temperature", "celsius"),
    "ipmi_fan_speed_rpm": ("fan", "rpm"),
    "ipmi_fan_speed_ratio": ("fan", "ratio"),
    "ipmi_voltage_volts": ("voltage", "volts"),
    "ipmi_current_amperes": ("current", "amperes"),
    "ipmi_power_watts": ("power", "watts"),
    "ipmi_sensor_value": ("other", None),
}
STATE_FAMILIES = (
    "ipmi_temperature_state",
    "ipmi_fan_speed_state",
    "ipmi_voltage_state",
    "ipmi_current_state",
    "ipmi_power_state",
    "ipmi_sensor_state",
)
NODE_FAMILIES = ("ipmi_dcmi_power_consumption_watts", "ipmi_bmc_info", "ipmi_up", "ipmi_chassis_power_state")


def ipmi(scope: Scope) -> str:
    """Every IPMI sensor value and state, DCMI power, BMC info and collector health of a cluster.

    With the cluster's placement inputs, to put each series on its node (one request).
    """
    sensors = scope.sel(None, names_regex((*VALUE_FAMILIES, *STATE_FAMILIES, *NODE_FAMILIES)))
    return union(sensors, *placement.parts(scope))
