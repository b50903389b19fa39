"""Live task status (Server-Sent Events) from a real gateway process on a real Redis; the
status record changed by its one writer, as the projector changes it."""

import os
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from contracts.events import SummarizationRequested
from shared.api_keys import Scope
from shared.redis_client import sync_redis
from shared.task_state import Change, StateConfig, StateWriter, TransitionName, accept
from tests.conftest import cleanup, isolated_env
from tests.sse import Comment, Event, events, read
from tests.stack import Stack, bearer, make_key

T = TransitionName


class Gateway:
    """A gateway process, and the status records' writer of its namespace."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        env = stack.env
        self.redis = sync_redis(env["REDIS_URL"])
        self.writer = StateWriter(
            self.redis,
            StateConfig(
                prefix=env["KEY_PREFIX"],
                ttl=3600,
                maxlen=10_000,
                completed=env["STREAM_COMPLETED"],
                failed=env["STREAM_FAILED"],
                tasks_dlq=env["STREAM_TASKS_DLQ"],
                changes=env["STREAM_STATUS_CHANGES"],
            ),
        )
        self.http = stack.client()

    def submit(self) -> str:
        body = {"session_id": "s1", "candidate_id": f"c-{uuid.uuid4().hex[:8]}"}
        accepted = self.http.post("/summarization/summarize-session", json=body)
        assert accepted.status_code == 202, accepted.text
        return str(accepted.json()["task_id"])

    def step(self, task_id: str, name: TransitionName, attempt: int = 1) -> None:
        """Apply a transition now (later than any before it)."""
        applied = self.writer.apply(Change(name, task_id, time.time(), {}, attempt=attempt))
        assert applied.code >= 1, (name, applied)

    @contextmanager
    def stream(
        self, task_id: str, key: str | None = None, last_event_id: str | None = None
    ) -> Iterator[httpx.Response]:
        headers = bearer(key or self.stack.api_key)
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        path = f"/summarization/task-status/{task_id}/events"
        with (
            httpx.Client(base_url=self.stack.url, timeout=10) as client,
            client.stream("GET", path, headers=headers) as response,
        ):
            yield response

    def status(self, task_id: str) -> object:
        return self.http.get(f"/summarization/task-status/{task_id}").json()


def start_gateway(redis_url: str, tmp: Path, **settings: str) -> Iterator[Gateway]:
    namespace = f"t{uuid.uuid4().hex[:10]}"
    stack = Stack({**isolated_env(redis_url, namespace, tmp), **settings}, tmp)
    gateway = Gateway(stack)
    try:
        stack.start("gateway")
        yield gateway
    finally:
        gateway.http.close()
        stack.stop()
        gateway.redis.close()
        cleanup(redis_url, namespace)


@pytest.fixture(scope="module")
def gw(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from start_gateway(redis_url, tmp_path_factory.mktemp("sse"))


def statuses(received: list[Event]) -> list[tuple[str, str]]:
    return [(e.event, e.status) for e in received]


def ids(received: list[Event]) -> list[tuple[int, int]]:
    return [(int(e.id.split("-")[0]), int(e.id.split("-")[1])) for e in received]


def test_changes_arrive_in_order_through_the_terminal_one_then_the_stream_closes(
    gw: Gateway,
) -> None:
    task_id, other = gw.submit(), gw.submit()
    with gw.stream(task_id) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        received = events(response)
        first = next(received)
        assert (first.event, first.body) == ("status", gw.status(task_id))
        assert first.status == "PENDING"
        gw.step(task_id, T.START)
        gw.step(other, T.START)  # another task's change: not in this stream
        gw.step(task_id, T.RETRY)
        gw.step(task_id, T.START, attempt=2)
        gw.step(task_id, T.SUCCEED, attempt=2)
        rest = list(received)  # to the end of the stream: the server closes it
    assert statuses(rest) == [
        ("change", "STARTED"),
        ("change", "RETRY"),
        ("change", "STARTED"),
        ("status", "SUCCESS"),
    ]
    assert [e.body["transition"] for e in rest[:3]] == ["start", "retry", "start"]
    assert [e.body["attempt"] for e in rest[:3]] == [1, 1, 2]
    assert {e.body["task_id"] for e in rest} == {task_id}
    assert rest[-1].body == gw.status(task_id), "the last event is the finished task's status"
    assert ids([first, *rest]) == sorted(set(ids([first, *rest]))), "ids increase"


def test_last_event_id_resumes_after_that_event(gw: Gateway) -> None:
    task_id = gw.submit()
    with gw.stream(task_id) as response:
        received = events(response)
        first = next(received)
        gw.step(task_id, T.START)
        started = next(received)
    assert (started.event, started.status) == ("change", "STARTED")
    gw.step(task_id, T.RETRY)  # while no client follows the task
    gw.step(task_id, T.START, attempt=2)
    with gw.stream(task_id, last_event_id=started.id) as response:
        assert response.status_code == 200
        received = events(response)
        replayed = [next(received), next(received)]
        gw.step(task_id, T.FAIL, attempt=2)
        live = list(received)
    assert statuses(replayed) == [("change", "RETRY"), ("change", "STARTED")]
    assert statuses(live) == [("status", "FAILURE")]

    with gw.stream(task_id, last_event_id=first.id) as response:
        assert statuses(list(events(response))) == [
            ("change", "STARTED"),
            ("change", "RETRY"),
            ("change", "STARTED"),
            ("status", "FAILURE"),
        ]
    with gw.stream(task_id, last_event_id=live[-1].id) as response:
        assert response.status_code == 204, "nothing comes after the last event"


def test_a_trimmed_or_foreign_last_event_id_gets_the_status_first(gw: Gateway) -> None:
    task_id = gw.submit()
    gw.step(task_id, T.START)
    for last_event_id in ("1-0", "not-an-id", "99999999999999-0"):
        with gw.stream(task_id, last_event_id=last_event_id) as response:
            received = events(response)
            first = next(received)
            assert (first.event, first.status) == ("status", "STARTED"), last_event_id
    gw.step(task_id, T.REVOKE)
    stream = gw.stack.env["STREAM_STATUS_CHANGES"]
    [(newest, _)] = gw.redis.xrevrange(stream, count=1)
    gw.redis.xtrim(stream, maxlen=0)  # every entry after the client's last one trimmed away
    with gw.stream(task_id, last_event_id="1-0") as response:
        assert statuses(list(events(response))) == [("status", "REVOKED")]
    with gw.stream(task_id, last_event_id=newest) as response:
        assert statuses(list(events(response))) == [("status", "REVOKED")]


def test_another_tenants_task_or_an_unknown_id_is_404_as_for_task_status(gw: Gateway) -> None:
    task_id = gw.submit()
    globex = make_key(gw.stack.env["DATABASE_URL"], "globex")
    with gw.stream(task_id, key=globex) as theirs, gw.stream("never-seen") as nobodys:
        assert theirs.status_code == nobodys.status_code == 404
        assert theirs.read() == nobodys.read().replace(b"never-seen", task_id.encode())
    with gw.stream(task_id, key=globex, last_event_id="1-0") as theirs:
        assert theirs.status_code == 404
    submitter = make_key(gw.stack.env["DATABASE_URL"], scopes=frozenset({Scope.SUBMIT}))
    with gw.stream(task_id, key=submitter) as response:
        assert response.status_code == 403, "the read scope, as for task-status"


def test_a_request_still_on_the_stream_is_followed_from_pending_by_its_tenant_only(
    gw: Gateway,
) -> None:
    """A request another service XADDed has no record before a dispatcher reads it: its
    first event is PENDING all the same, for its tenant, and the dispatch follows."""
    task_id = f"raw-{uuid.uuid4().hex[:8]}"
    fields = {"task_id": task_id, "kind": "profile", "candidate_id": "c1"}
    gw.redis.xadd(gw.stack.env["STREAM_REQUESTED"], fields)  # tenant: default, the stack key's
    globex = make_key(gw.stack.env["DATABASE_URL"], "globex")
    with gw.stream(task_id, key=globex) as theirs:
        assert theirs.status_code == 404
    with gw.stream(task_id) as response:
        received = events(response)
        assert next(received).status == "PENDING"
        request = SummarizationRequested(task_id=task_id, kind="profile", candidate_id="c1")
        gw.writer.apply(accept(request))  # what the dispatcher does
        gw.step(task_id, T.START)
        gw.step(task_id, T.SUCCEED)
        rest = list(received)
    assert statuses(rest) == [("change", "PENDING"), ("change", "STARTED"), ("status", "SUCCESS")]


@pytest.fixture
def limited(redis_url: str, tmp_path: Path) -> Iterator[Gateway]:
    yield from start_gateway(
        redis_url,
        tmp_path,
        SSE_MAX_STREAMS="1",
        SSE_KEEPALIVE_SECONDS="0.2",
        SSE_MAX_SECONDS="2",
    )


def test_keep_alives_a_bound_on_open_streams_and_a_longest_stream(limited: Gateway) -> None:
    task_id = limited.submit()
    with limited.stream(task_id) as response:
        items = read(response)
        assert isinstance(next(items), Event)
        assert next(items) == Comment("keep-alive"), "an idle stream gets keep-alive comments"
        with limited.stream(task_id) as refused:
            assert refused.status_code == 503
            assert refused.headers["Retry-After"] == "5"
        rest = list(items)  # ends at SSE_MAX_SECONDS though the task is not finished
    assert {type(item) for item in rest} == {Comment}
    with limited.stream(task_id) as again:
        assert again.status_code == 200, "a closed stream frees its place"


@pytest.fixture
def own_gateway(redis_url: str, tmp_path: Path) -> Iterator[Gateway]:
    yield from start_gateway(redis_url, tmp_path)


def test_a_stopping_gateway_ends_its_open_streams(own_gateway: Gateway) -> None:
    """uvicorn waits for open responses before it exits: the streams end (cleanly, for
    the client to resume elsewhere) instead of holding the gateway up."""
    task_id = own_gateway.submit()
    with own_gateway.stream(task_id) as response:
        items = read(response)
        assert isinstance(next(items), Event)
        process = own_gateway.stack.services["gateway"].process
        assert process is not None
        os.killpg(process.pid, signal.SIGTERM)
        list(items)  # the stream ends; an unfinished chunked body would raise here
    process.wait(timeout=10)
