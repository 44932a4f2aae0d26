"""WebSocket power and GPU streams against the real fleet's Prometheus servers."""

from __future__ import annotations

import asyncio
import math

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from monitoring.streams.consumers import StreamConsumer
from monitoring.streams.poller import REGISTRY
from tests.conftest import CLOSED_URL
from tests.monitoring.streams.conftest import GPUS, POWER, close_code, connect_ws, receive_type

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db(transaction=True)]

RESOURCE_TYPES = {"gpu", "npu", "cpu", "dram", "other"}


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


async def _open(path: str, **auth):
    comm = connect_ws(path, **auth)
    connected, _ = await comm.connect()
    assert connected
    return comm


def _node_sums(staff_api, timestamp: str) -> dict:
    """Power of every cluster and part from the infrastructure nodes API at the message's instant."""
    body = staff_api.get("/api/v1/infrastructure/nodes", {"time": timestamp, "page_size": 1000}).json()
    by_cluster: dict[str, float] = {}
    parts = {"gpu": 0.0, "npu": 0.0, "cpu": 0.0, "dram": 0.0}
    for row in body["results"]:
        if row["power_watts"] is None:
            continue
        by_cluster[row["cluster"]] = by_cluster.get(row["cluster"], 0.0) + row["power_watts"]
        for part in parts:
            parts[part] += row[f"{part}_power_watts"] or 0.0
    parts["other"] = sum(by_cluster.values()) - sum(parts.values())
    return {"by_cluster": by_cluster, "parts": parts}


async def test_token_stream_schema_values_and_seq(fleet_clusters, staff_key, staff_api):
    comm = await _open(f"{POWER}?interval=1", key=staff_key)
    first = await receive_type(comm, "power")
    second = await receive_type(comm, "power")
    await comm.disconnect()

    names = sorted(c.name for c in fleet_clusters)
    assert set(first) == {
        "type",
        "seq",
        "timestamp",
        "interval_seconds",
        "group_by",
        "clusters",
        "total_power_watts",
        "groups",
    }
    assert first["interval_seconds"] == 1 and first["group_by"] == "cluster"
    assert sorted(c["name"] for c in first["clusters"]) == names
    assert all(c["status"] == "ok" for c in first["clusters"])
    assert second["seq"] > first["seq"]
    assert second["timestamp"] > first["timestamp"]
    for message in (first, second):
        assert sorted(message["groups"]) == names
        assert _close(message["total_power_watts"], sum(message["groups"].values()))
        # The same instant through the infrastructure API: the same per-cluster sums.
        sums = await sync_to_async(_node_sums)(staff_api, message["timestamp"])
        for name, watts in message["groups"].items():
            assert _close(watts, sums["by_cluster"][name]), name


async def test_group_by_resource_type_adds_up(fleet_clusters, staff_key, staff_api):
    comm = await _open(f"{POWER}?interval=1&group_by=resource_type", key=staff_key)
    message = await receive_type(comm, "power")
    await comm.disconnect()
    assert set(message["groups"]) == RESOURCE_TYPES
    assert _close(message["total_power_watts"], sum(v for v in message["groups"].values() if v is not None))
    sums = await sync_to_async(_node_sums)(staff_api, message["timestamp"])
    for part, watts in sums["parts"].items():
        assert math.isclose(message["groups"][part] or 0.0, watts, rel_tol=1e-9, abs_tol=1e-6), part
    assert message["groups"]["gpu"] > 0 and message["groups"]["cpu"] > 0


async def test_session_stream(fleet_clusters, staff_session):
    comm = await _open(f"{POWER}?interval=1&cluster=seoul-a", session=staff_session)
    message = await receive_type(comm, "power")
    await comm.disconnect()
    assert list(message["groups"]) == ["seoul-a"]


async def test_scoped_token_only_gets_its_cluster(fleet_clusters, partner_operator, issue_key):
    seoul = next(c for c in fleet_clusters if c.name == "seoul-a")
    key = await sync_to_async(issue_key)(partner_operator, clusters=[seoul])
    comm = await _open(f"{POWER}?interval=1", key=key)  # no cluster: the token's scope
    message = await receive_type(comm, "power")
    await comm.disconnect()
    assert [c["name"] for c in message["clusters"]] == ["seoul-a"] and list(message["groups"]) == ["seoul-a"]

    comm = connect_ws(f"{POWER}?interval=1&cluster=busan-b", key=key)
    await comm.connect()
    assert (await comm.receive_json_from())["code"] == "not_found"
    assert await close_code(comm) == 4404


async def test_threshold_event(fleet_clusters, staff_key):
    comm = await _open(f"{POWER}?interval=1&cluster=seoul-a&threshold_watts=1", key=staff_key)
    power = await receive_type(comm, "power")
    event = await comm.receive_json_from(timeout=5)
    assert event["type"] == "threshold_exceeded"
    assert event["threshold_watts"] == 1 and event["total_power_watts"] == power["total_power_watts"] > 1
    assert event["seq"] == power["seq"]
    # Still above: no second event, only power messages.
    again = await comm.receive_json_from(timeout=5)
    assert again["type"] == "power"
    await comm.disconnect()


async def test_dead_cluster_sends_error_and_the_stream_goes_on_then_recovers(fleet_clusters, staff_key):
    seoul = next(c for c in fleet_clusters if c.name == "seoul-a")
    url = seoul.prometheus_url
    comm = await _open(f"{POWER}?interval=1&cluster=seoul-a&cluster=busan-b", key=staff_key)
    assert (await receive_type(comm, "power"))["groups"]["seoul-a"] is not None

    seoul.prometheus_url = CLOSED_URL
    await sync_to_async(seoul.save)()
    error = await receive_type(comm, "error")
    assert error["cluster"] == "seoul-a" and error["message"]
    power = await receive_type(comm, "power")
    statuses = {c["name"]: c["status"] for c in power["clusters"]}
    assert statuses == {"seoul-a": "error", "busan-b": "ok"}
    assert power["groups"]["seoul-a"] is None and power["total_power_watts"] == power["groups"]["busan-b"]

    seoul.prometheus_url = url
    await sync_to_async(seoul.save)()
    for _ in range(5):
        power = await receive_type(comm, "power")
        if power["groups"]["seoul-a"] is not None:
            break
    assert all(c["status"] == "ok" for c in power["clusters"])
    await comm.disconnect()


async def test_leaving_cleans_up(fleet_clusters, staff_key):
    comms = [await _open(f"{POWER}?interval=1&cluster=busan-b", key=staff_key) for _ in range(3)]
    for comm in comms:
        await receive_type(comm, "power")
    (topic_key,) = REGISTRY.pollers
    poller = REGISTRY.pollers[topic_key]
    assert poller.subscribers == 3
    group = poller.topic.group
    layer = get_channel_layer()
    assert len(layer.groups[group]) == 3

    await comms[0].disconnect()
    await asyncio.sleep(0.1)
    assert poller.subscribers == 2 and len(layer.groups[group]) == 2
    for comm in comms[1:]:
        await comm.disconnect()
    await asyncio.sleep(0.2)
    assert REGISTRY.pollers == {}
    assert poller.task.done()
    assert not layer.groups.get(group)


async def test_one_poll_per_interval_whatever_the_subscribers(fleet_clusters, staff_key):
    requests_before = _prometheus_requests("daejeon-c")
    comms = [await _open(f"{POWER}?interval=1&cluster=daejeon-c", key=staff_key) for _ in range(8)]
    (poller,) = REGISTRY.pollers.values()
    seen: list[list[int]] = [[] for _ in comms]
    for _ in range(3):
        for index, comm in enumerate(comms):
            seen[index].append((await receive_type(comm, "power"))["seq"])
    polls = poller.polls
    requests = _prometheus_requests("daejeon-c") - requests_before
    for comm in comms:
        await comm.disconnect()
    # Late joiners may miss the first message; after that everyone gets the same ones.
    common = set.intersection(*(set(s) for s in seen))
    assert len(common) >= 2
    all_seqs = set().union(*(set(s) for s in seen))
    assert polls <= len(all_seqs) + 1  # one poll per message (plus one in flight), not one per subscriber
    # Each poll costs one request for the cluster (monitoring.streams.queries), not one per subscriber.
    assert 0 < requests <= polls


def _prometheus_requests(cluster: str) -> float:
    from prometheus_client import REGISTRY as METRICS

    return sum(
        sample.value
        for metric in METRICS.collect()
        if metric.name == "kcloud_prometheus_requests"
        for sample in metric.samples
        if sample.name.endswith("_total") and sample.labels.get("cluster") == cluster
    )


async def test_slow_client_is_dropped(fleet_clusters, staff_key, settings, monkeypatch):
    settings.KCLOUD_STREAM_CLIENT_QUEUE = 1
    real_send = StreamConsumer.send_json

    async def stuck_send(self, content, close=False):
        if content.get("type") == "power":
            await asyncio.sleep(60)  # a client that never reads
        await real_send(self, content, close)

    monkeypatch.setattr(StreamConsumer, "send_json", stuck_send)
    comm = await _open(f"{POWER}?interval=1&cluster=busan-b", key=staff_key)
    assert await close_code(comm, timeout=15) == 4408
    await asyncio.sleep(0.1)
    assert REGISTRY.pollers == {}


async def test_gpu_stream_rows(fleet_clusters, staff_key, staff_api):
    gpus = await sync_to_async(staff_api.get)("/api/v1/accelerators/gpus", {"cluster": "seoul-a", "page_size": 1000})
    node = gpus.json()["results"][0]["node"]
    comm = await _open(f"{GPUS}?interval=1&cluster=seoul-a&node={node}", key=staff_key)
    message = await receive_type(comm, "gpus")
    await comm.disconnect()
    assert message["node"] == node and message["clusters"] == [{"name": "seoul-a", "status": "ok"}]
    assert message["gpus"] and all(row["node"] == node and row["cluster"] == "seoul-a" for row in message["gpus"])
    assert {"uuid", "power_watts", "temperature_celsius", "utilization_percent", "status"} <= set(message["gpus"][0])


async def test_joining_a_running_topic_gets_the_latest_snapshot_at_once(fleet_clusters, staff_key):
    first = await _open(f"{POWER}?interval=300&cluster=seoul-a", key=staff_key)
    latest = await receive_type(first, "power")
    second = await _open(f"{POWER}?interval=300&cluster=seoul-a", key=staff_key)
    # Not after up to 300 s: the topic's latest message from the replay buffer.
    assert (await receive_type(second, "power", timeout=3))["seq"] == latest["seq"]
    for comm in (first, second):
        await comm.disconnect()
