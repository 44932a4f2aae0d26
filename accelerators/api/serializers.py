"""JSON shapes of the accelerators API: the serializers write the answers and describe them in the schema.

They read the merged :class:`~accelerators.devices.Gpu` and
:class:`~accelerators.devices.Npu` objects directly; :class:`RowSerializer`
keeps a 1,000-row page of the big fleet fast.
"""

from __future__ import annotations

from rest_framework import serializers

from clusters.api.serializers import ClusterOutcomeSerializer
from kcloud.api.serializers import RowSerializer

ATTRIBUTION_RULE = (
    "Power attribution: a device held whole by a pod gives it share 1.0; a MIG instance gives its pod "
    "compute slices / 7 of the physical GPU's power (DCGM reports power per physical GPU, repeated on each "
    "GPU_I_ID row, so it is counted once; the share of unallocated slices stays unattributed); a Furiosa "
    "partition gives its pod partition cores / card cores (e.g. 0-3 of 8 = 0.5; the whole-card series is "
    "counted once). Status: unavailable = reported within the last hour but no fresh sample (last_seen says "
    "when; live values are null); active = utilization >= 1 % (without a utilization reading: "
    "allocated to a pod); idle otherwise. "
    "Missing data is null, never 0."
)


def _f(**kw):
    return serializers.FloatField(allow_null=True, **kw)


def _i(**kw):
    return serializers.IntegerField(allow_null=True, **kw)


def _s(**kw):
    return serializers.CharField(allow_null=True, **kw)


STATUS_HELP = "active | idle | unavailable"


class AllocationSerializer(RowSerializer):
    namespace = serializers.CharField()
    pod = serializers.CharField()
    container = _s()
    share = serializers.FloatField(help_text="Fraction of the device's power attributed to this pod.")
    gpu_instance_id = _s(help_text="MIG GPU instance id.")
    profile = _s(help_text="MIG profile, e.g. 3g.40gb.")
    cores = _s(help_text="Furiosa partition cores, e.g. 0-3.")


class MigInstanceSerializer(RowSerializer):
    gpu_instance_id = serializers.IntegerField()
    profile = _s()
    namespace = _s()
    pod = _s()
    container = _s()
    memory_used_mb = _i()
    memory_free_mb = _i()
    utilization_percent = _f(help_text="Graphics-engine activity of the instance (DCGM_FI_PROF_GR_ENGINE_ACTIVE).")
    power_share = _f(help_text="Compute slices / 7.")
    power_watts = _f(help_text="The GPU's power times power_share.")


class GpuMetricsSerializer(RowSerializer):
    uuid = serializers.CharField()
    cluster = serializers.CharField()
    status = serializers.CharField(help_text=STATUS_HELP)
    last_seen = serializers.DateTimeField(allow_null=True, help_text="Time of the latest sample.")
    power_watts = _f()
    temperature_celsius = _f()
    memory_temperature_celsius = _f(help_text="null where DCGM reports its 'not supported' sentinel.")
    utilization_percent = _f(
        help_text=(
            "GPU_UTIL; under MIG the instances' graphics-engine activity weighted by their slices / 7 "
            "(null when not reported)."
        )
    )
    memory_copy_utilization_percent = _f()
    memory_used_mb = _i()
    memory_free_mb = _i()
    memory_total_mb = _i(help_text="used + free + reserved (summed over MIG instances).")
    sm_clock_mhz = _i()
    memory_clock_mhz = _i()
    total_energy_joules = _f(help_text="DCGM's energy counter (millijoules) in joules.")
    xid_errors = _i(help_text="The last XID error (0 = none).")
    pcie_replay_total = _i()
    remapped_rows_correctable = _i()
    remapped_rows_uncorrectable = _i()


class GpuSerializer(GpuMetricsSerializer):
    node = _s()
    index = _i()
    device = _s()
    model_name = _s()
    pci_bus_id = _s()
    driver_version = _s()
    namespace = _s()
    pod = _s()
    container = _s()
    mig_enabled = serializers.BooleanField()
    mig_instances = MigInstanceSerializer(many=True)
    allocations = AllocationSerializer(many=True)


class GpuListItemSerializer(GpuSerializer):
    """A GPU in a list: the error counters are shown by ``/gpus/{uuid}`` and ``/metrics`` only."""

    xid_errors = None
    pcie_replay_total = None
    remapped_rows_correctable = None
    remapped_rows_uncorrectable = None


class NpuCoreSerializer(RowSerializer):
    core = serializers.IntegerField()
    utilization_percent = _f()
    frequency_mhz = _f()


class NpuPartitionSerializer(RowSerializer):
    cores = serializers.CharField()
    core_count = serializers.IntegerField()
    namespace = _s()
    pod = _s()
    container = _s()
    power_share = _f(help_text="Partition cores / card cores.")
    power_watts = _f()


class NpuMetricsSerializer(RowSerializer):
    id = serializers.CharField()
    cluster = serializers.CharField()
    status = serializers.CharField(help_text=STATUS_HELP)
    last_seen = serializers.DateTimeField(allow_null=True)
    power_watts = _f()
    temperature_celsius = _f(help_text="Hottest sensor (Furiosa 'peak').")
    ambient_temperature_celsius = _f(help_text="Furiosa board sensor.")
    utilization_percent = _f(help_text="Furiosa: mean over the card's cores.")
    cores = NpuCoreSerializer(many=True)
    memory_used_mb = _f()
    memory_total_mb = _f()
    memory_used_bytes = _i()
    memory_total_bytes = _i()
    health = _s(help_text="healthy | unhealthy (Furiosa alive, Rebellions health).")


class NpuSerializer(NpuMetricsSerializer):
    vendor = serializers.CharField(help_text="furiosa | rebellions")
    model = _s(help_text="Furiosa arch (rngd, warboy) or Rebellions card (RBLN-CA22).")
    node = _s()
    device = _s()
    index = _i()
    pci_bus_id = _s()
    driver_version = _s()
    firmware_version = _s()
    core_count = _i()
    namespace = _s()
    pod = _s()
    container = _s()
    partitions = NpuPartitionSerializer(many=True)
    allocations = AllocationSerializer(many=True)


class AcceleratorSerializer(RowSerializer):
    id = serializers.CharField(source="uuid", help_text="GPU UUID or NPU card id.")
    kind = serializers.CharField(help_text="gpu | npu")
    vendor = serializers.CharField(help_text="nvidia | furiosa | rebellions")
    model = _s()
    cluster = serializers.CharField()
    node = _s()
    power_watts = _f()
    temperature_celsius = _f()
    utilization_percent = _f()
    memory_used_mb = _f()
    memory_total_mb = _f()
    namespace = _s()
    pod = _s()
    status = serializers.CharField(help_text=STATUS_HELP)
    last_seen = serializers.DateTimeField(allow_null=True)


class _Envelope(RowSerializer):
    count = serializers.IntegerField()
    next = _s()
    previous = _s()
    clusters = ClusterOutcomeSerializer(many=True)
    timestamp = serializers.DateTimeField()
    evaluated_at = serializers.DateTimeField(help_text="The instant the live values were evaluated at.")


class GpuListSerializer(_Envelope):
    results = GpuListItemSerializer(many=True)


class NpuListSerializer(_Envelope):
    results = NpuSerializer(many=True)


class AcceleratorListSerializer(_Envelope):
    results = AcceleratorSerializer(many=True)


class SummaryStatsSerializer(RowSerializer):
    count = serializers.IntegerField()
    active = serializers.IntegerField()
    idle = serializers.IntegerField()
    unavailable = serializers.IntegerField()
    power_watts_total = _f()
    power_watts_avg = _f()
    utilization_percent_avg = _f()


class SummaryGroupSerializer(SummaryStatsSerializer):
    name = serializers.CharField()


class GpuSummaryStatsSerializer(SummaryStatsSerializer):
    temperature_celsius_max = _f()
    temperature_celsius_avg = _f()
    memory_used_mb_total = _i()
    memory_total_mb_total = _i()


class GpuSummaryGroupSerializer(GpuSummaryStatsSerializer):
    name = serializers.CharField()


class SummarySerializer(RowSerializer):
    evaluated_at = serializers.DateTimeField()
    clusters = ClusterOutcomeSerializer(many=True)
    totals = SummaryStatsSerializer()
    by_kind = SummaryGroupSerializer(many=True, required=False)
    by_vendor = SummaryGroupSerializer(many=True, required=False)
    by_model = SummaryGroupSerializer(many=True)
    by_cluster = SummaryGroupSerializer(many=True)


class GpuSummarySerializer(RowSerializer):
    evaluated_at = serializers.DateTimeField()
    clusters = ClusterOutcomeSerializer(many=True)
    totals = GpuSummaryStatsSerializer()
    by_model = GpuSummaryGroupSerializer(many=True)
    by_cluster = GpuSummaryGroupSerializer(many=True)


class PowerSerializer(RowSerializer):
    id = serializers.CharField()
    kind = serializers.CharField()
    vendor = serializers.CharField()
    cluster = serializers.CharField()
    window = serializers.CharField(help_text="PromQL duration, e.g. 1h.")
    window_seconds = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    power_watts = _f(help_text="Power at the end of the window.")
    avg_power_watts = _f()
    min_power_watts = _f()
    max_power_watts = _f()
    energy_joules = _f()
    energy_kwh = _f()
    energy_source = serializers.CharField(
        help_text="counter: increase() of DCGM's energy counter (GPUs, reset-safe); gauge_integral: the power "
        "gauge integrated at the scrape interval (NPUs have no counter)."
    )
    samples = _i(help_text="Raw power samples in the window.")


class SeriesSerializer(RowSerializer):
    id = serializers.CharField()
    kind = serializers.CharField()
    cluster = serializers.CharField()
    metric = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    step_seconds = serializers.IntegerField()
    timestamps = serializers.ListField(child=serializers.FloatField(), help_text="Unix seconds.")
    values = serializers.ListField(child=serializers.FloatField(allow_null=True))
