"""WebSocket handshake: authentication, Origin, parameters and scope (no Prometheus needed)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from tests.monitoring.streams.conftest import GPUS, POWER, close_code, connect_ws

pytestmark = pytest.mark.django_db(transaction=True)


async def test_unauthenticated_is_closed_4401():
    comm = connect_ws(POWER)
    connected, _ = await comm.connect()
    assert connected
    error = await comm.receive_json_from()
    assert error["type"] == "error" and error["code"] == "not_authenticated"
    assert await close_code(comm) == 4401


async def test_bad_token_is_closed_4401_even_with_a_session(staff_session):
    comm = connect_ws(POWER, key="not-a-key", session=staff_session)
    await comm.connect()
    assert await close_code(comm) == 4401


async def test_foreign_origin_is_refused(staff_session):
    comm = connect_ws(POWER, session=staff_session, origin="http://evil.example")
    connected, _ = await comm.connect()
    assert not connected


@pytest.mark.parametrize(
    "query",
    ["interval=0", "interval=301", "interval=abc", "group_by=node", "threshold_watts=-1", "bogus=1", "cluster=a%20b"],
)
async def test_bad_parameters_are_closed_4400(staff_key, make_cluster, query):
    await sync_to_async(make_cluster)("seoul-a")
    comm = connect_ws(f"{POWER}?{query}", key=staff_key)
    await comm.connect()
    error = await comm.receive_json_from()
    assert error["code"] == "invalid_parameter"
    assert await close_code(comm) == 4400


async def test_gpu_stream_rejects_power_parameters(staff_key):
    comm = connect_ws(f"{GPUS}?group_by=cluster", key=staff_key)
    await comm.connect()
    assert await close_code(comm) == 4400


async def test_unknown_and_out_of_scope_clusters_are_closed_4404(partner_operator, issue_key, make_cluster):
    seoul = await sync_to_async(make_cluster)("seoul-a")
    await sync_to_async(make_cluster)("busan-b")
    key = await sync_to_async(issue_key)(partner_operator, clusters=[seoul])
    for query in ("cluster=busan-b", "cluster=nowhere", "cluster=seoul-a&cluster=busan-b"):
        comm = connect_ws(f"{POWER}?{query}", key=key)
        await comm.connect()
        error = await comm.receive_json_from()
        # Never data: the first and only message is the refusal.
        assert error == {"type": "error", "code": "not_found", "message": error["message"]}
        assert await close_code(comm) == 4404
