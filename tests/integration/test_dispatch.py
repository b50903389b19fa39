"""The dispatcher's batch decisions on a real Redis (the Celery sender replaced by a
recorder: what reaches Celery is the e2e and fault tests' business)."""

import asyncio
from collections.abc import AsyncIterator, Sequence

import orjson
import pytest
import redis.asyncio as aioredis

from contracts.events import SummarizationFailed
from contracts.status import TaskStatus
from contracts.types import Kind
from services.dispatcher.dispatch import Dispatcher, Entry, Outcome
from services.dispatcher.redispatch import Redispatcher
from services.dispatcher.sender import Send, SendFailed
from services.dispatcher.settings import DispatcherSettings
from shared import keys
from shared.status_view import read_record, to_response
from shared.task_state import AsyncStateWriter, StateConfig


class Recorder:
    """Records sends; ``fail_after`` sends, the next one fails."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.sent: list[str] = []
        self.sends: list[Send] = []
        self.fail_after = fail_after

    async def send_many(self, batch: Sequence[Send]) -> None:
        for count, send in enumerate(batch):
            if self.fail_after is not None and count == self.fail_after:
                raise SendFailed(count, ConnectionError("broker gone"))
            self.sent.append(send.event.task_id)
            self.sends.append(send)


def entry(n: int, task_id: str | None = None) -> Entry:
    body = {"task_id": task_id or f"t{n}", "kind": "session", "candidate_id": "c"}
    return Entry(f"{n}-0", {**body, "session_id": "s"}, {})


@pytest.fixture
async def parts(
    stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[DispatcherSettings, aioredis.Redis]]:
    for key, value in stack_env.items():
        monkeypatch.setenv(key, value)
    settings = DispatcherSettings()
    client = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
    yield settings, client
    await client.aclose()


def dispatcher(
    settings: DispatcherSettings, client: aioredis.Redis, sender: Recorder
) -> Dispatcher:
    return Dispatcher(settings, client, sender, AsyncStateWriter(client, StateConfig.of(settings)))


async def test_a_batch_is_sent_once_per_task_and_bad_entries_are_dead_lettered(
    parts: tuple[DispatcherSettings, aioredis.Redis],
) -> None:
    settings, client = parts
    sender = Recorder()
    batch = [entry(1), Entry("2-0", {"kind": "session"}, {}), entry(3), entry(4, task_id="t1")]
    outcomes = await dispatcher(settings, client, sender).handle_batch(batch)
    assert outcomes == [Outcome.SENT, Outcome.DEAD_LETTERED, Outcome.SENT, Outcome.DUPLICATE]
    assert sender.sent == ["t1", "t3"]
    [(_, letter)] = await client.xrange(settings.stream_requested_dlq)
    assert letter["source_id"] == "2-0"
    assert "task_id" in letter["reason"]
    record = await client.hgetall(keys.status(settings.key_prefix, "t1"))
    assert record["status"] == "PENDING"
    # the same entries again (a redelivery): nothing is sent twice
    again = await dispatcher(settings, client, sender).handle_batch([entry(1), entry(3)])
    assert again == [Outcome.DUPLICATE, Outcome.DUPLICATE]
    assert sender.sent == ["t1", "t3"]


async def test_a_send_failing_mid_batch_keeps_the_rest_for_redelivery(
    parts: tuple[DispatcherSettings, aioredis.Redis],
) -> None:
    settings, client = parts
    batch = [entry(1), entry(2), entry(3)]
    failing = Recorder(fail_after=1)
    with pytest.raises(ConnectionError):
        await dispatcher(settings, client, failing).handle_batch(batch)
    assert failing.sent == ["t1"]
    assert await client.exists(keys.dispatched(settings.key_prefix, "t1"))
    assert not await client.exists(keys.dispatched(settings.key_prefix, "t2"))
    # the batch was not acknowledged: its redelivery sends only what did not go out
    healthy = Recorder()
    outcomes = await dispatcher(settings, client, healthy).handle_batch(batch)
    assert outcomes == [Outcome.DUPLICATE, Outcome.SENT, Outcome.SENT]
    assert healthy.sent == ["t2", "t3"]


async def test_a_task_sent_but_never_started_is_sent_again(
    parts: tuple[DispatcherSettings, aioredis.Redis],
) -> None:
    """The broker can lose a message it handed out (Redis gone between BRPOP and the
    unacked record): a task still PENDING long after it was sent goes out again, from
    its original entry and with its task id; a started task is left alone."""
    settings, client = parts
    settings = settings.model_copy(update={"redispatch_after": 0.05})
    raw = aioredis.Redis.from_url(settings.redis_url)
    fields = {"task_id": "t1", "kind": "session", "candidate_id": "c", "session_id": "s"}
    entry_id = (await raw.xadd(settings.stream_requested, fields)).decode()
    sender = Recorder()
    sending = dispatcher(settings, client, sender)
    await sending.handle_batch([Entry(entry_id, fields, {})])
    assert sender.sent == ["t1"]
    redispatcher = Redispatcher(settings, raw, sending)
    assert await redispatcher.redispatch_once() == 0, "not yet: sent moments ago"
    await asyncio.sleep(0.1)
    assert await redispatcher.redispatch_once() == 1
    assert sender.sent == ["t1", "t1"]
    await client.hset(keys.status(settings.key_prefix, "t1"), "status", "STARTED")
    await asyncio.sleep(0.1)
    assert await redispatcher.redispatch_once() == 0
    await raw.aclose()


async def test_a_batch_is_acknowledged_only_once_every_entry_has_its_outcome(
    parts: tuple[DispatcherSettings, aioredis.Redis],
) -> None:
    settings, client = parts
    stream, group = settings.stream_requested, settings.consumer_group
    await client.xgroup_create(stream, group, id="0", mkstream=True)
    for n in (1, 2, 3):
        await client.xadd(stream, {"n": str(n)})
    [(_, read)] = await client.xreadgroup(group, "c1", {stream: ">"})
    batch = [Entry(entry_id, entry(n).body, {}) for n, (entry_id, _) in enumerate(read, 1)]

    with pytest.raises(ConnectionError):
        await dispatcher(settings, client, Recorder(fail_after=1)).handle_batch(batch, ack=True)
    assert (await client.xpending(stream, group))["pending"] == 3  # all kept for redelivery

    outcomes = await dispatcher(settings, client, Recorder()).handle_batch(batch, ack=True)
    assert outcomes == [Outcome.DUPLICATE, Outcome.SENT, Outcome.SENT]
    assert (await client.xpending(stream, group))["pending"] == 0
    # a batch with nothing to send (a bad entry, a repeat) is acknowledged all the same
    await client.xadd(stream, {"n": "4"})
    await client.xadd(stream, {"n": "5"})
    [(_, read)] = await client.xreadgroup(group, "c1", {stream: ">"})
    nothing = [Entry(read[0][0], {"kind": "session"}, {}), Entry(read[1][0], entry(2).body, {})]
    outcomes = await dispatcher(settings, client, Recorder()).handle_batch(nothing, ack=True)
    assert outcomes == [Outcome.DEAD_LETTERED, Outcome.DUPLICATE]
    assert (await client.xpending(stream, group))["pending"] == 0


def _failed_events(raw: list[tuple[str, dict[str, str]]]) -> list[SummarizationFailed]:
    return [
        SummarizationFailed.model_validate_json(orjson.loads(fields["__data__"])["data"])
        for _, fields in raw
    ]


async def test_an_invalid_request_with_a_task_id_ends_in_failure_with_one_event(
    parts: tuple[DispatcherSettings, aioredis.Redis],
) -> None:
    """A publisher learns the outcome of a bad request where it learns a good one's: the
    task's status is FAILURE (not 404) and one ``summarization.failed`` event says why."""
    settings, client = parts
    body = {"task_id": "bad-1", "kind": "session", "candidate_id": "c", "session_id": "s"}
    bad = Entry("1-0", {**body, "mode": "GOSSIP"}, {})
    sending = dispatcher(settings, client, Recorder())
    assert await sending.handle_batch([bad]) == [Outcome.DEAD_LETTERED]
    [(_, letter)] = await client.xrange(settings.stream_requested_dlq)
    assert "mode: Input should be" in letter["reason"]

    record = await read_record(client, settings.key_prefix, "bad-1")
    status = to_response("bad-1", record)
    assert status.status is TaskStatus.FAILURE
    assert status.error_detail is not None
    assert status.error_detail.type == "InvalidRequest"
    assert status.error_detail.message == letter["reason"]
    assert not status.error_detail.retryable
    [event] = _failed_events(await client.xrange(settings.stream_failed))
    assert (event.task_id, event.kind, event.session_id) == ("bad-1", Kind.SESSION, "s")
    assert event.status == "FAILURE"
    assert event.error.type == "InvalidRequest"
    assert event.error.message == letter["reason"]
    assert not event.error.retryable

    # a redelivery of the entry adds a dead letter, never a second outcome
    assert await sending.handle_batch([bad]) == [Outcome.DEAD_LETTERED]
    assert await client.xlen(settings.stream_failed) == 1


async def test_an_invalid_request_leaves_an_unusable_or_dispatched_task_id_alone(
    parts: tuple[DispatcherSettings, aioredis.Redis],
) -> None:
    settings, client = parts
    sending = dispatcher(settings, client, Recorder())
    await sending.handle_batch([entry(1)])  # t1 sent
    batch = [
        Entry("2-0", {"task_id": "no spaces allowed", "kind": "profile"}, {}),
        Entry("3-0", {"task_id": "t1", "kind": "meeting", "candidate_id": "c"}, {}),
    ]
    assert await sending.handle_batch(batch) == [Outcome.DEAD_LETTERED] * 2
    assert await client.xlen(settings.stream_failed) == 0
    assert await read_record(client, settings.key_prefix, "no spaces allowed") is None
    record = await read_record(client, settings.key_prefix, "t1")
    assert record is not None
    assert record["status"] == "PENDING", "the task already sent is not failed by a copy"
