"""Static facts the fleet is built from: accelerator models, names, versions.

Power levels are fractions of the (TDP - idle) range measured on the real H200
trace (``demo/reference/real-gpu``): compute-bound 678.9 W and memory-bound
415.8 W against 80.4 W idle and a 700 W limit, then a fall to ~123 W that
decays slowly.  Other models reuse those fractions with their own TDP/idle.
"""

from __future__ import annotations

from dataclasses import dataclass

# Fractions of the (tdp - idle) range, from the H200 trace.
COMPUTE_FRAC = (678.9 - 80.4) / (700.0 - 80.4)  # ~0.966
MEMORY_FRAC = (415.8 - 80.4) / (700.0 - 80.4)  # ~0.541
DECAY_FRAC = (123.0 - 80.4) / (700.0 - 80.4)  # ~0.069, the step down right after load
DECAY_TAU_S = 300.0  # slow fall back to idle after load


@dataclass(frozen=True)
class GpuModel:
    """One NVIDIA GPU model as DCGM reports it (``modelName`` has spaces)."""

    key: str
    name: str
    tdp_watts: float
    idle_watts: float
    memory_mib: int
    reserved_mib: int
    max_sm_clock: int
    idle_sm_clock: int
    compute_sm_clock: int
    mem_clock: int
    idle_temp: int
    hot_temp: int
    # GDDR boards (L40S) do not report a memory temperature: DCGM returns its
    # "not supported" blank sentinel, which the app must turn into null.
    mem_temp_supported: bool = True


GPU_MODELS: dict[str, GpuModel] = {
    m.key: m
    for m in (
        GpuModel("H100", "NVIDIA H100 80GB HBM3", 700.0, 72.0, 81559, 542, 1980, 345, 1755, 2619, 33, 58),
        GpuModel("H200", "NVIDIA H200", 700.0, 80.4, 143771, 616, 1980, 345, 1485, 3201, 35, 58),
        GpuModel("A100", "NVIDIA A100-SXM4-80GB", 400.0, 58.0, 81920, 571, 1410, 210, 1275, 1593, 31, 62),
        GpuModel("L40S", "NVIDIA L40S", 350.0, 34.0, 46068, 573, 2520, 210, 2235, 9001, 30, 66, False),
    )
}

# dcgm-exporter's DCGM_INT64_NOT_SUPPORTED (DCGM_INT64_BLANK + 2).
DCGM_INT64_NOT_SUPPORTED = 9223372036854775794

# Typical SXM board PCI bus numbers (DGX H100 layout), reused for every model.
GPU_BUSES = (0x18, 0x2A, 0x3A, 0x5D, 0x9A, 0xAB, 0xBA, 0xDB)

# MIG layout of the one MIG-mode GPU: (GPU instance id, profile, compute slices of 7, MiB).
MIG_LAYOUT = ((1, "3g.40gb", 3, 40192), (5, "2g.20gb", 2, 19968), (13, "1g.10gb", 1, 9856))
MIG_SLICES = 7


@dataclass(frozen=True)
class NpuModel:
    """One NPU model."""

    vendor: str  # "furiosa" | "rebellions"
    arch: str
    tdp_watts: float
    idle_watts: float
    memory_bytes: int
    cores: int
    core_clock_mhz: int
    idle_temp: float
    hot_temp: float


RNGD = NpuModel("furiosa", "rngd", 180.0, 38.0, 48 * 1024**3, 8, 1750, 41.0, 68.0)
ATOM = NpuModel("rebellions", "RBLN-CA22", 90.0, 22.0, 16 * 1024**3, 1, 1000, 38.0, 61.0)

# Resource names as kube-state-metrics sanitizes them.
RES_GPU = "nvidia_com_gpu"
RES_RNGD = "furiosa_ai_rngd"
# Furiosa's device plugin names partitioned resources with "_cores_" in them.
RES_RNGD_PART = "furiosa_ai_rngd_4_cores_24gb"
RES_ATOM = "rebellions_ai_ATOM"

CLUSTER_NAMES = (
    "seoul-a",
    "busan-b",
    "daejeon-c",
    "gwangju-d",
    "incheon-e",
    "ulsan-f",
    "suwon-g",
    "daegu-h",
    "jeju-i",
    "sejong-j",
)

DRIVER_VERSIONS = ("550.127.05", "570.133.20", "580.105.08")

WORK_NAMESPACES = ("ml-training", "llm-inference", "research", "batch-jobs")
SYSTEM_NAMESPACES = ("kube-system", "monitoring", "default")

APPS = (
    ("ml-training", "llama-finetune", "StatefulSet", "nvcr.io/nvidia/pytorch:24.05-py3"),
    ("ml-training", "bert-pretrain", "StatefulSet", "nvcr.io/nvidia/pytorch:24.05-py3"),
    ("llm-inference", "vllm-serve", "ReplicaSet", "docker.io/vllm/vllm-openai:v0.6.3"),
    ("llm-inference", "triton-infer", "ReplicaSet", "nvcr.io/nvidia/tritonserver:24.08-py3"),
    ("research", "diffusion-train", "StatefulSet", "ghcr.io/kcloud/diffusion:1.4.2"),
    ("research", "rag-indexer", "ReplicaSet", "ghcr.io/kcloud/rag-indexer:0.9.1"),
    ("batch-jobs", "resnet-train", "Job", "nvcr.io/nvidia/pytorch:24.05-py3"),
    ("batch-jobs", "embedding-svc", "ReplicaSet", "ghcr.io/kcloud/embedder:2.1.0"),
)

# NPU workloads use the vendors' serving stacks.
NPU_APPS = {
    "furiosa": (
        ("llm-inference", "furiosa-llm-serve", "ReplicaSet", "registry.furiosa.ai/furiosa-llm:2025.1.0"),
        ("research", "rngd-bench", "Job", "registry.furiosa.ai/furiosa-sdk:2025.1.0"),
    ),
    "rebellions": (
        ("llm-inference", "vllm-rbln", "ReplicaSet", "docker.io/rebellions/vllm-rbln:0.8.1"),
        ("research", "optimum-rbln-train", "StatefulSet", "docker.io/rebellions/optimum-rbln:0.7.3"),
    ),
}

PAUSE_IMAGE = "registry.k8s.io/pause:3.9"
DOCKER_PAUSE_IMAGE = "k8s.gcr.io/pause:3.6"

# Node software per container runtime: containerd clusters run a current
# Kubernetes; the "docker" cluster is a Kubernetes 1.23 dockershim-era cluster,
# whose kubelet labels the pause container ``container="POD"`` in cAdvisor rows
# and uses cgroupfs paths (both forms exist in real fleets).
RUNTIMES = {
    "containerd": {"kubelet": "v1.30.5", "runtime_version": "containerd://1.7.22", "id_prefix": "containerd://"},
    "docker": {"kubelet": "v1.23.17", "runtime_version": "docker://20.10.24", "id_prefix": "docker://"},
}
WATTS_PER_CORE = 4.0  # package watts one busy core draws: links Kepler power to cAdvisor CPU seconds
