"""The status record's one writer, the transition script, against a real Redis."""

import orjson
import pytest
import redis

from contracts.events import SummarizationRequested
from contracts.status import TaskStatus
from shared import keys
from shared.redis_client import async_redis
from shared.settings import CommonSettings
from shared.task_state import (
    AsyncStateWriter,
    Change,
    StateConfig,
    StateWriter,
    TransitionName,
    accept,
    redrive,
    refuse,
)
from shared.task_state.script import SCRIPT

T = TransitionName
ENVELOPE = b'{"data": "{}", "headers": {}}'


@pytest.fixture
def writer(client: redis.Redis, settings: CommonSettings) -> StateWriter:
    return StateWriter(client, StateConfig.of(settings))


def request(task_id: str = "t1", key: str | None = None) -> SummarizationRequested:
    return SummarizationRequested(
        task_id=task_id, kind="session", candidate_id="c1", session_id="s1", idempotency_key=key
    )


def step(name: TransitionName, ts: float, attempt: int = 1, **fields: str) -> Change:
    outcome = ENVELOPE if name.target.is_terminal else b""
    return Change(name, "t1", ts, fields, attempt=attempt, outcome=outcome)


def record(writer: StateWriter, client: redis.Redis, task_id: str = "t1") -> dict[str, str]:
    raw = client.hgetall(keys.status(writer.config.prefix, task_id))
    return {k.decode(): v.decode() for k, v in raw.items()}  # type: ignore[union-attr]


def codes(writer: StateWriter, *changes: Change) -> list[int]:
    return [applied.code for applied in writer.apply_many(changes)]


def test_a_request_is_recorded_once(writer: StateWriter, client: redis.Redis) -> None:
    [created] = writer.apply_many([accept(request())])
    assert created.code == 1
    assert record(writer, client)["status"] == "PENDING"
    assert codes(writer, step(T.START, 9e9)) == [1]
    again = writer.apply(accept(request()))
    assert again.code == 0, "a redelivered request changes nothing"
    assert record(writer, client)["status"] == "STARTED"
    client.set(keys.dispatched(writer.config.prefix, "t1"), "1-0")
    assert writer.apply(accept(request())).code == -1, "already sent"
    assert client.zscore(keys.active(writer.config.prefix), "t1") is not None
    assert 0 < client.ttl(keys.status(writer.config.prefix, "t1")) <= writer.config.ttl


def test_a_late_start_never_overwrites_success(writer: StateWriter, client: redis.Redis) -> None:
    writer.apply(accept(request()))
    assert codes(writer, step(T.SUCCEED, 3.0), step(T.START, 2.0), step(T.START, 9e9)) == [2, 0, 0]
    assert record(writer, client)["status"] == "SUCCESS"
    assert client.xlen(writer.config.completed) == 1


def test_out_of_order_steps_keep_the_newest(writer: StateWriter, client: redis.Redis) -> None:
    writer.apply(accept(request()))
    now = float(record(writer, client)["ts"])
    assert codes(writer, step(T.RETRY, now + 5), step(T.START, now + 4)) == [1, 0]
    assert record(writer, client)["status"] == "RETRY"
    assert codes(writer, step(T.START, now + 6, attempt=2)) == [1]
    assert record(writer, client)["status"] == "STARTED"


def test_a_finish_reported_again_publishes_once(writer: StateWriter, client: redis.Redis) -> None:
    writer.apply(accept(request()))
    assert codes(writer, *[step(T.FAIL, 2.0 + i) for i in range(5)]) == [2, 0, 0, 0, 0]
    assert client.xlen(writer.config.failed) == 1
    assert client.zscore(keys.active(writer.config.prefix), "t1") is None


def test_steps_of_a_task_without_a_record_do_not_make_one(
    writer: StateWriter, client: redis.Redis
) -> None:
    assert codes(writer, step(T.START, 1.0), step(T.SUCCEED, 2.0)) == [0, 0]
    assert not client.exists(keys.status(writer.config.prefix, "t1"))
    assert not client.exists(writer.config.completed)


def test_a_dead_letter_carries_the_chain_of_every_attempt(
    writer: StateWriter, client: redis.Redis
) -> None:
    writer.apply(accept(request(key="k-1")))

    def failure(attempt: int, status: str) -> bytes:
        return orjson.dumps({"attempt": str(attempt), "status": status, "error_type": "E"})

    retried = [
        Change(T.RETRY, "t1", 9e9 + n, {}, attempt=n, failure=failure(n, "RETRY")) for n in (2, 1)
    ]
    retried.append(Change(T.RETRY, "t1", 9e9 + 3, {}, attempt=2, failure=b'{"twice": "1"}'))
    last = Change(
        T.FAIL, "t1", 9e9 + 4, {}, attempt=3, outcome=ENVELOPE,
        dead_letter={"reason": "retries exhausted: E: down", "task_id": "t1"},
        failure=failure(3, "FAILURE"),
    )  # fmt: skip
    assert codes(writer, *retried, last) == [1, 0, 1, 2]
    [(_, letter)] = client.xrange(writer.config.tasks_dlq)  # type: ignore[misc]
    assert letter[b"reason"] == b"retries exhausted: E: down"
    assert letter[b"idempotency_key"] == b"k-1", "from the record, for a redrive"
    chain = orjson.loads(letter[b"errors"])
    assert [(link["attempt"], link["status"]) for link in chain] == [
        ("1", "RETRY"),
        ("2", "RETRY"),
        ("3", "FAILURE"),
    ], "first attempt first (a late one too), one link per attempt (its first report)"
    assert codes(writer, last) == [0]
    assert client.xlen(writer.config.tasks_dlq) == 1


def test_a_refused_request_fails_its_task_unless_it_was_sent(
    writer: StateWriter, client: redis.Redis
) -> None:
    refused = refuse("t1", {"kind": "profile"}, {"error_type": "InvalidRequest"}, ENVELOPE)
    assert writer.apply(refused).code == 2
    assert record(writer, client)["status"] == "FAILURE"
    assert writer.apply(refused).code == 0, "once"
    other = refuse("t2", {"kind": "profile"}, {}, ENVELOPE)
    client.set(keys.dispatched(writer.config.prefix, "t2"), "1-0")
    assert writer.apply(other).code == 0
    assert not client.exists(keys.status(writer.config.prefix, "t2"))
    assert client.xlen(writer.config.failed) == 1


def test_a_redrive_keeps_the_history_of_a_finished_task(
    writer: StateWriter, client: redis.Redis
) -> None:
    writer.apply(accept(request()))
    assert writer.apply(redrive("t1")).code == 0, "not finished: nothing to redrive"
    client.set(keys.dispatched(writer.config.prefix, "t1"), "1-0")
    codes(writer, step(T.START, 9e9, attempt=4, attempts="4"), step(T.FAIL, 9e9 + 1, 4))
    assert writer.apply(redrive("t1")).code == 1
    after = record(writer, client)
    assert (after["status"], after["attempts"], after["redrives"]) == ("PENDING", "4", "1")
    assert after["transition"] == "redrive"
    assert "error" not in after
    assert not client.exists(keys.dispatched(writer.config.prefix, "t1"))
    assert client.zscore(keys.active(writer.config.prefix), "t1") is not None
    assert writer.apply(accept(request())).value == "4", "the dispatcher numbers on from 4"


def test_every_applied_transition_is_one_change_entry(
    writer: StateWriter, client: redis.Redis
) -> None:
    writer.apply(accept(request()))
    codes(writer, step(T.START, 9e9), step(T.START, 1.0), step(T.SUCCEED, 9e9 + 1))
    changes = client.xrange(writer.config.changes)
    seen = [(f[b"transition"], f[b"status"]) for _, f in changes]  # type: ignore[union-attr]
    assert seen == [(b"accept", b"PENDING"), (b"start", b"STARTED"), (b"succeed", b"SUCCESS")]
    assert all(f[b"task_id"] == b"t1" for _, f in changes)  # type: ignore[union-attr]


def test_the_script_knows_every_transition_and_refuses_others(
    writer: StateWriter, client: redis.Redis
) -> None:
    assert all(f"{name.value}='{name.target.value}'" in SCRIPT for name in TransitionName)
    unknown = Change(T.START, "t1", 1.0)
    script_keys = [keys.status(writer.config.prefix, "t1")] * 7
    with pytest.raises(redis.ResponseError, match="unknown transition: begin"):
        client.eval(SCRIPT, 7, *script_keys, "begin", unknown.task_id, "1.0", 60, 10, 10, "",
                    "", "", "")  # fmt: skip


def test_a_terminal_status_without_an_outcome_stream_is_an_error(writer: StateWriter) -> None:
    with pytest.raises(ValueError, match="no outcome stream for status UNKNOWN"):
        writer.config.outcome_stream(TaskStatus.UNKNOWN)


async def test_the_asyncio_writer_applies_the_same_transitions(
    settings: CommonSettings, writer: StateWriter, client: redis.Redis
) -> None:
    aio = async_redis(settings.redis_url)
    state = AsyncStateWriter(aio, StateConfig.of(settings))
    client.script_flush()  # a Redis that does not know the script yet
    assert [a.code for a in await state.apply_many([accept(request("a")), accept(request("b"))])]
    assert (await state.apply(accept(request("a")))).code == 0
    assert record(writer, client, "b")["status"] == "PENDING"
    await aio.aclose()


def test_trim_keeps_what_a_group_still_owes(client: redis.Redis, namespace: str) -> None:
    from shared.streams import TRIM_LUA

    stream = f"{namespace}.trim"
    ids = [client.xadd(stream, {"n": str(i)}, id=f"{1000 + i}-0") for i in range(10)]
    client.xgroup_create(stream, "g", id="0")
    client.xreadgroup("g", "c", {stream: ">"}, count=6)  # reads 0..5
    client.xack(stream, "g", *ids[:3])  # 3..5 still pending, 6..9 unread
    trim = client.register_script(TRIM_LUA)
    assert trim(keys=[stream], args=["999999-0"]) == 3, "only acknowledged entries go"
    assert client.xrange(stream)[0][0] == ids[3]
    assert trim(keys=[stream], args=["1001-0"]) == 0, "younger than the age cut-off"
