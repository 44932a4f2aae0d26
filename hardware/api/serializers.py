"""JSON shapes of the hardware API."""

from __future__ import annotations

from rest_framework import serializers

from hardware.services import SENSOR_TYPES, STATES
from kcloud.api.serializers import RowSerializer


class HardwareSensorSerializer(RowSerializer):
    """One IPMI sensor; ``state`` is the exporter's ``*_state`` (NaN → unknown), ``value`` null for NaN."""

    node = serializers.CharField()
    cluster = serializers.CharField()
    id = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField(help_text="One of: " + ", ".join(SENSOR_TYPES) + ".")
    value = serializers.FloatField(allow_null=True)
    unit = serializers.CharField(allow_null=True)
    state = serializers.CharField(help_text="One of: " + ", ".join(STATES) + ".")
    sensor_type = serializers.CharField(allow_null=True)


class HardwareStateCountsSerializer(RowSerializer):
    ok = serializers.IntegerField()
    warning = serializers.IntegerField()
    critical = serializers.IntegerField()
    unknown = serializers.IntegerField()


class HardwareNodeSensorsSerializer(RowSerializer):
    node = serializers.CharField()
    cluster = serializers.CharField()
    worst_state = serializers.CharField(help_text="One of: " + ", ".join(STATES) + ".")
    counts = HardwareStateCountsSerializer()
    dcmi_power_watts = serializers.FloatField(allow_null=True)
    sensors = HardwareSensorSerializer(many=True)
    timestamp = serializers.DateTimeField()


class HardwareNodePowerSerializer(RowSerializer):
    """PSU readings and DCMI wall power of one node (``dcmi_power_watts`` null without DCMI)."""

    node = serializers.CharField()
    cluster = serializers.CharField()
    dcmi_power_watts = serializers.FloatField(allow_null=True)
    dcmi_available = serializers.BooleanField(allow_null=True)
    psu_input_power_watts = serializers.FloatField(allow_null=True)
    sensors = HardwareSensorSerializer(many=True)


class HardwareSummarySerializer(RowSerializer):
    node = serializers.CharField()
    cluster = serializers.CharField()
    worst_state = serializers.CharField(help_text="One of: " + ", ".join(STATES) + ".")
    sensors = serializers.IntegerField()
    counts = HardwareStateCountsSerializer()
    problems = HardwareSensorSerializer(many=True)
    unknown = HardwareSensorSerializer(many=True)
    dcmi_power_watts = serializers.FloatField(allow_null=True)


class HardwareBmcSerializer(RowSerializer):
    node = serializers.CharField()
    cluster = serializers.CharField()
    manufacturer = serializers.CharField(allow_null=True)
    firmware_revision = serializers.CharField(allow_null=True)
    system_firmware_version = serializers.CharField(allow_null=True)
    bmc_url = serializers.CharField(allow_null=True)
    chassis_power = serializers.CharField(allow_null=True)
    collectors = serializers.DictField(child=serializers.BooleanField())
