"""End to end: a client follows a task's status live (Server-Sent Events) through the real
pipeline, from PENDING to SUCCESS."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.cli.demo import demo_sessions
from tests.conftest import cleanup, isolated_env
from tests.sse import events
from tests.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    namespace = f"e{uuid.uuid4().hex[:10]}"
    stack = Stack(isolated_env(redis_url, namespace, tmp_path), tmp_path)
    try:
        yield stack
    finally:
        stack.stop()
        cleanup(redis_url, namespace)


def test_a_client_sees_its_task_go_pending_started_success_live(stack: Stack) -> None:
    stack.start("gateway", "dispatcher", "projector")  # no worker yet: the task waits
    api = stack.client()
    session = demo_sessions()[0]
    api.post("/sessions", json=session).raise_for_status()
    accepted = api.post(
        "/summarization/summarize-session",
        json={"session_id": session["session_id"], "candidate_id": session["candidate_id"]},
    )
    task_id = accepted.json()["task_id"]
    path = f"/summarization/task-status/{task_id}/events"
    with (
        httpx.Client(base_url=stack.url, headers=stack.auth, timeout=30) as client,
        client.stream("GET", path) as response,
    ):
        received = events(response)
        first = next(received)
        assert (first.event, first.status) == ("status", "PENDING")
        stack.start("worker")
        rest = list(received)
    assert [(e.event, e.status) for e in rest] == [("change", "STARTED"), ("status", "SUCCESS")], (
        stack.logs()
    )
    assert rest[0].body["transition"] == "start"
    final = rest[-1].body
    assert final["summary"]["overview"], "the last event carries the summary"
    assert final == api.get(f"/summarization/task-status/{task_id}").json()
