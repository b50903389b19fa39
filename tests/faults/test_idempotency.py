"""The same Idempotency-Key posted concurrently is one task."""

import asyncio

import httpx
import pytest

from services.cli.demo import demo_sessions
from tests.faults.conftest import StackFactory

pytestmark = [pytest.mark.faults, pytest.mark.timeout(120)]


def test_same_key_posted_concurrently_50_times_is_one_task(fault_stack: StackFactory) -> None:
    stack, probe = fault_stack()
    session = demo_sessions()[0]
    httpx.post(f"{stack.url}/sessions", json=session, headers=stack.auth).raise_for_status()
    body = {"session_id": session["session_id"], "candidate_id": session["candidate_id"]}

    async def post_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=stack.url, timeout=30, headers=stack.auth) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        "/summarization/summarize-session",
                        json=body,
                        headers={"Idempotency-Key": "offer-42"},
                    )
                    for _ in range(50)
                )
            )

    responses = asyncio.run(post_all())
    assert {r.status_code for r in responses} == {202}
    task_ids = {r.json()["task_id"] for r in responses}
    assert len(task_ids) == 1
    probe.wait_terminal(sorted(task_ids), 60, stack)
    assert probe.r.xlen(probe.env["STREAM_REQUESTED"]) == 1, "enqueued once"
    figures = probe.report("same key x50 concurrently", sorted(task_ids), "50 posts, 1 task")
    assert figures.duplicate_effects == 0
    assert probe.statuses(sorted(task_ids))["SUCCESS"] == 1
