"""Pieces of the streams without a server: topics, thresholds, the client queue, resume, backlog."""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace

import pytest

from kcloud.api.errors import BadParameter
from monitoring.streams.sse import event, resume_from
from monitoring.streams.subscription import ClientQueue, ThresholdWatch, unsent_bytes
from monitoring.streams.topics import parse_stream_params


def test_topic_is_canonical_and_excludes_per_subscriber_options():
    a = parse_stream_params("power", {"cluster": ["b", "a"], "threshold_watts": ["5"]}).topic(["b", "a"])
    b = parse_stream_params("power", {"cluster": ["a", "b"]}).topic(["a", "b"])
    assert a == b and a.group == b.group and a.group.startswith("kcloud.stream.") and len(a.group) < 100
    other = parse_stream_params("power", {"group_by": ["resource_type"]}).topic(["a", "b"])
    assert other.group != a.group


@pytest.mark.parametrize(
    ("kind", "params", "parameter"),
    [
        ("power", {"interval": ["0"]}, "interval"),
        ("power", {"interval": ["1", "2"]}, "interval"),
        ("power", {"node": ["n1"]}, "node"),
        ("gpus", {"node": ["Bad Name"]}, "node"),
        ("gpus", {"threshold_watts": ["1"]}, "threshold_watts"),
    ],
)
def test_bad_parameters_name_the_parameter(kind, params, parameter):
    with pytest.raises(BadParameter) as caught:
        parse_stream_params(kind, params)
    assert caught.value.details == {"parameter": parameter}


def test_threshold_fires_on_crossing_only():
    watch = ThresholdWatch(100.0)
    totals = [50.0, 150.0, 160.0, None, 90.0, 120.0]
    fired = [watch.check({"type": "power", "seq": i, "total_power_watts": t}) for i, t in enumerate(totals)]
    assert [f is not None for f in fired] == [False, True, False, False, False, True]
    assert ThresholdWatch(None).check({"type": "power", "total_power_watts": 1e9}) is None


async def test_client_queue_is_bounded_and_skips_repeats(settings):
    settings.KCLOUD_STREAM_CLIENT_QUEUE = 2
    client = ClientQueue(ThresholdWatch(None))
    assert client.offer({"type": "power", "seq": 1}) and client.offer({"type": "power", "seq": 1})
    assert client.queue.qsize() == 1
    assert client.offer({"type": "power", "seq": 2})
    assert not client.offer({"type": "power", "seq": 3})  # full: the caller drops the client


def test_resume_from_replay_buffer():
    buffer = [{"type": "power", "seq": s} for s in (5, 6, 7)] + [{"type": "error", "seq": 8}]
    assert [m["seq"] for m in resume_from(buffer, "5", "power")] == [6, 7, 8]
    assert [m["seq"] for m in resume_from(buffer, "4", "power")] == [5, 6, 7, 8]
    assert [m["seq"] for m in resume_from(buffer, "8", "power")] == []
    # A gap (the buffer moved on), garbage or no id: the latest snapshot.
    for last in ("2", "x", None):
        assert [m["seq"] for m in resume_from(buffer, last, "power")] == [7]
    assert resume_from([], "3", "power") == []
    assert event({"type": "power", "seq": 9}) == 'id: 9\ndata: {"type":"power","seq":9}\n\n'


def test_unsent_bytes_reads_daphne_transport():
    async def handle_reply(protocol, message):
        return None

    transport = SimpleNamespace(dataBuffer=b"x" * 100, offset=40, _tempDataLen=2000)
    assert unsent_bytes(partial(handle_reply, SimpleNamespace(transport=transport))) == 2060
    assert unsent_bytes(lambda message: None) is None  # not daphne: unknown
