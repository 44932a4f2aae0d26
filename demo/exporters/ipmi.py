"""prometheus-community/ipmi_exporter (local ``/metrics`` of one server's BMC).

client_golang: families sorted, labels ``{id,name}`` (+ ``type`` for generic
sensors) sorted, every family a gauge.  ``*_state`` is 0 nominal, 1 warning,
2 critical, NaN unknown.  ``ipmi_dcmi_power_consumption_watts`` exists only on
BMCs with DCMI; elsewhere the dcmi collector reports ``ipmi_up{collector="dcmi"} 0``.
Sensor names contain spaces and slashes as real SDRs do.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from demo.expo import go_float, labels_sorted

if TYPE_CHECKING:
    from demo.fleet import Fleet, SimCluster, SimNode, Target


NAN = math.nan
HELP = {
    "ipmi_bmc_info": "Constant metric with value '1' providing details about the BMC.",
    "ipmi_chassis_power_state": "Current power state (1=on, 0=off).",
    "ipmi_current_amperes": "Current reading in Amperes.",
    "ipmi_current_state": "Reported state of a current sensor (0=nominal, 1=warning, 2=critical).",
    "ipmi_dcmi_power_consumption_watts": "Current power consumption in Watts.",
    "ipmi_fan_speed_ratio": "Fan speed as a proportion of the maximum speed.",
    "ipmi_fan_speed_rpm": "Fan speed in rotations per minute.",
    "ipmi_fan_speed_state": "Reported state of a fan speed sensor (0=nominal, 1=warning, 2=critical).",
    "ipmi_power_state": "Reported state of a power sensor (0=nominal, 1=warning, 2=critical).",
    "ipmi_power_watts": "Power reading in Watts.",
    "ipmi_scrape_duration_seconds": "Returns how long the scrape took to complete in seconds.",
    "ipmi_sensor_state": "Indicates the severity of the state reported by an IPMI sensor"
    " (0=nominal, 1=warning, 2=critical).",
    "ipmi_sensor_value": "Generic data read from an IPMI sensor of unknown type, relying on labels for context.",
    "ipmi_temperature_celsius": "Temperature reading in degree Celsius.",
    "ipmi_temperature_state": "Reported state of a temperature sensor (0=nominal, 1=warning, 2=critical).",
    "ipmi_up": "'1' if a scrape of the IPMI device was successful, '0' otherwise.",
    "ipmi_voltage_state": "Reported state of a voltage sensor (0=nominal, 1=warning, 2=critical).",
    "ipmi_voltage_volts": "Voltage reading in Volts.",
}
FANS = ("Fan1A", "Fan1B", "Fan2A", "Fan2B", "Fan3A", "Fan3B", "Fan4A", "Fan4B")
CRITICAL_FAN = "Fan3B"
NAN_TEMP = "M2/NVMe Temp"


def sensors(node: SimNode, t: float) -> list[tuple[str, str, str, str, float, float]]:
    """Every sensor reading: (kind, id, name, type, value, state); kind picks the metric family."""
    cpu, dram, gpu, npu = node.cpu_power(t), node.dram_power(t), node.gpu_power(t), node.npu_power(t)
    it = cpu + dram + gpu + npu
    wall = node.other_watts + (1.0 + node.psu_loss) * it
    inlet = 21 + node.index % 6
    rpm = min(16800, int((3600 + 0.9 * wall) // 120 * 120))
    q = node.ipmi_quirks
    out: list[tuple[str, str, str, str, float, float]] = [
        ("temperature", "1", "Inlet Temp", "", float(inlet), 0.0),
        ("temperature", "2", "Exhaust Temp", "", float(inlet + round(wall / 1000.0 * 6.0)), 0.0),
        ("temperature", "3", "CPU1 Temp", "", float(35 + round(cpu / 8.0)), 0.0),
        ("temperature", "4", "CPU2 Temp", "", float(34 + round(cpu / 8.0)), 0.0),
        ("temperature", "5", "PCIe Riser 1/2 Temp", "", float(inlet + 8 + round((gpu + npu) / 400.0)), 0.0),
        ("temperature", "6", NAN_TEMP, "", NAN if "nan_temp" in q else 41.0, NAN if "nan_temp" in q else 0.0),
    ]
    for k, fan in enumerate(FANS):
        bad = fan == CRITICAL_FAN and "fan_critical" in q
        out.append(("fan", str(20 + k), fan, "", 840.0 if bad else float(rpm + 120 * (k % 2)), 2.0 if bad else 0.0))
    out.append(("fan_ratio", "30", "Fan 1 DutyCycle", "", round(rpm / 16800.0, 4), 0.0))
    out += [
        ("voltage", "40", "12V", "", 12.06, 0.0),
        ("voltage", "41", "5V", "", 5.04, 0.0),
        ("voltage", "42", "3.3V", "", 3.31, 0.0),
        ("voltage", "43", "CPU1 VCORE", "", 1.79, 0.0),
        ("current", "50", "PSU1 Current", "", round(wall / 2.0 / 230.0, 1), 0.0),
        ("current", "51", "PSU2 Current", "", round(wall / 2.0 / 230.0, 1), 0.0),
        ("power", "60", "PSU1 Input Power", "", float(round(wall / 20.0) * 10), 0.0),
        ("power", "61", "PSU2 Input Power", "", float(round(wall / 20.0) * 10), 0.0),
    ]
    if node.has_dcmi:
        out.append(("power", "62", "Pwr Consumption", "", float(round(wall)), 0.0))
    out += [
        ("sensor", "70", "Power Cable", "Cable/Interconnect", NAN, 0.0),
        ("sensor", "71", "PS Redundancy", "Power Supply", NAN, 0.0),
    ]
    return out


FAMILY = {
    "temperature": ("ipmi_temperature_celsius", "ipmi_temperature_state"),
    "fan": ("ipmi_fan_speed_rpm", "ipmi_fan_speed_state"),
    "fan_ratio": ("ipmi_fan_speed_ratio", "ipmi_fan_speed_state"),
    "voltage": ("ipmi_voltage_volts", "ipmi_voltage_state"),
    "current": ("ipmi_current_amperes", "ipmi_current_state"),
    "power": ("ipmi_power_watts", "ipmi_power_state"),
    "sensor": ("ipmi_sensor_value", "ipmi_sensor_state"),
}


def _labels(sid: str, name: str, stype: str) -> str:
    pairs = [("id", sid), ("name", name)] + ([("type", stype)] if stype else [])
    return labels_sorted(pairs)


def render(fleet: Fleet, cluster: SimCluster, node: SimNode, target: Target, t: float) -> str:
    """The ipmi_exporter page of ``node`` at ``t``."""
    lab_cache: dict[str, str] = fleet.static(target.path, dict)
    fam: dict[str, list[str]] = {k: [] for k in HELP}
    for kind, sid, name, stype, value, state in sensors(node, t):
        key = f"{sid}/{name}/{stype}"
        lab = lab_cache.get(key)
        if lab is None:
            lab = lab_cache[key] = _labels(sid, name, stype)
        vname, sname = FAMILY[kind]
        fam[vname].append(f"{vname}{lab} {go_float(value)}\n")
        fam[sname].append(f"{sname}{lab} {go_float(state)}\n")
    fam["ipmi_bmc_info"].append(
        'ipmi_bmc_info{bmc_url="N/A",firmware_revision="1.66",manufacturer_id="Dell Inc. (674)",'
        'system_firmware_version="2.6.1"} 1\n'
    )
    fam["ipmi_chassis_power_state"].append("ipmi_chassis_power_state 1\n")
    dcmi = node.dcmi_watts(t)
    if dcmi is not None:
        fam["ipmi_dcmi_power_consumption_watts"].append(f"ipmi_dcmi_power_consumption_watts {dcmi}\n")
    fam["ipmi_scrape_duration_seconds"].append(f"ipmi_scrape_duration_seconds {go_float(1.5 + 0.1 * (int(t) % 7))}\n")
    for coll in ("bmc", "chassis", "dcmi", "ipmi"):
        up = 0 if (coll == "dcmi" and dcmi is None) else 1
        fam["ipmi_up"].append(f'ipmi_up{{collector="{coll}"}} {up}\n')
    out = []
    for name in sorted(fam):
        lines = fam[name]
        if lines:
            out.append(f"# HELP {name} {HELP[name]}\n# TYPE {name} gauge\n")
            out.extend(sorted(lines))
    return "".join(out)
