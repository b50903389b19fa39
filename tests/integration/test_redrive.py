"""Redrive on a real Redis: a dead letter submitted again, then dispatched (the Celery
sender replaced by a recorder) and projected."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import orjson
import pytest
import redis
import redis.asyncio as aioredis
from celery import Celery

from contracts.events import SummarizationCompleted, SummarizationFailed
from contracts.streams import TaskHeaders
from services.cli.redrive import Redrive
from services.dispatcher.app import ensure_group
from services.dispatcher.dispatch import Dispatcher, Entry, Outcome
from services.dispatcher.sender import Send, task_call
from services.dispatcher.settings import DispatcherSettings
from services.projector.projector import Projector
from services.projector.results import ResultReader
from services.worker.settings import WorkerSettings
from services.worker.summarizer.llm import LLMUnavailable
from shared.celery_app import make_celery
from shared.dead_letters import UNDECODABLE_REASON, dead_letter
from shared.envelope import decode_entry
from shared.redis_client import sync_redis
from shared.status_view import read_record
from shared.task_state import AsyncStateWriter, StateConfig, StateWriter
from tests.integration.test_dispatch import Recorder
from tests.integration.test_task_signals import project, worker_app

TRANSCRIPT = [{"role": "candidate", "speaker": "Ada", "text": "I run the payments platform."}]


@dataclass
class Parts:
    settings: DispatcherSettings
    client: aioredis.Redis
    sync: redis.Redis
    dispatcher: Dispatcher
    redrive: Redrive
    sender: Recorder


@pytest.fixture
async def parts(stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Parts]:
    for key, value in stack_env.items():
        monkeypatch.setenv(key, value)
    settings = DispatcherSettings()
    client = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
    sync = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    sender = Recorder()
    dispatcher = Dispatcher(
        settings, client, sender, AsyncStateWriter(client, StateConfig.of(settings))
    )
    redrive = Redrive(settings, sync, make_celery(settings))
    yield Parts(settings, client, sync, dispatcher, redrive, sender)
    sync.close()
    await client.aclose()


async def _dispatch_stream(parts: Parts) -> list[Outcome]:
    """Dispatch what is new on the request stream, as the dispatcher reads it."""
    s = parts.settings
    raw = aioredis.Redis.from_url(s.redis_url)
    try:
        await ensure_group(raw, s.stream_requested, s.consumer_group)
        read = await raw.xreadgroup(s.consumer_group, "c1", {s.stream_requested: ">"})
    finally:
        await raw.aclose()
    entries = [entry for _, stream_entries in read for entry in stream_entries]
    batch = [Entry(entry_id.decode(), *decode_entry(fields)) for entry_id, fields in entries]
    return await parts.dispatcher.handle_batch(batch, ack=True)


def _failed(parts: Parts) -> list[SummarizationFailed]:
    return [
        SummarizationFailed.model_validate_json(orjson.loads(fields["__data__"])["data"])
        for _, fields in parts.sync.xrange(parts.settings.stream_failed)  # type: ignore[union-attr]
    ]


async def test_a_redriven_request_that_is_still_invalid_ends_in_failure_again(
    parts: Parts,
) -> None:
    body = {"task_id": "bad-1", "kind": "profile", "candidate_id": "c", "schema_version": "2"}
    assert await parts.dispatcher.handle_batch([Entry("1-0", body, {})]) == [Outcome.DEAD_LETTERED]
    [letter] = parts.redrive.entries("requested")
    assert parts.redrive.submit(letter).startswith("redriven")
    record = await read_record(parts.client, parts.settings.key_prefix, "bad-1")
    assert record is not None
    assert record["status"] == "PENDING"

    assert await _dispatch_stream(parts) == [Outcome.DEAD_LETTERED]
    record = await read_record(parts.client, parts.settings.key_prefix, "bad-1")
    assert record is not None
    assert record["status"] == "FAILURE", "not PENDING until the record expires"
    assert record["error_type"] == "InvalidRequest"
    assert record["redrives"] == "1"
    events = _failed(parts)
    assert [event.task_id for event in events][-1] == "bad-1"
    assert "unsupported schema_version" in events[-1].error.message
    [letter] = parts.redrive.entries("requested")  # dead-lettered again, as before
    assert letter.task_id == "bad-1"


def _work(app: Celery, send: Send) -> None:
    """Run the task as a worker would run what the dispatcher sent."""
    name, kwargs = task_call(send.event)
    headers = {TaskHeaders.ATTEMPTS_BEFORE: send.attempts_before} if send.attempts_before else None
    app.tasks[name].apply(kwargs=kwargs, task_id=send.event.task_id, headers=headers)


async def test_a_redriven_task_counts_every_attempt_and_its_redrives(parts: Parts) -> None:
    s = parts.settings
    client = sync_redis(s.redis_url, decode=False)
    view = Projector(
        StateWriter(client, StateConfig.of(s)),
        ResultReader(make_celery(s)).meta,
        s.stream_lifecycle,
    )
    worker = WorkerSettings(summarizer_engine="fake", retry_max=1, retry_backoff_base=0)
    fields = {"task_id": "t-1", "kind": "session", "candidate_id": "c", "session_id": "s"}
    parts.sync.xadd(s.stream_requested, {**fields, "transcript": orjson.dumps(TRANSCRIPT)})
    assert await _dispatch_stream(parts) == [Outcome.SENT]
    _work(worker_app(worker, LLMUnavailable("LLM endpoint timed out")), parts.sender.sends[-1])
    project(view, _lifecycle(parts))
    record = await read_record(parts.client, s.key_prefix, "t-1")
    assert record is not None
    assert (record["status"], record["attempts"]) == ("FAILURE", "2")

    [letter] = parts.redrive.entries("tasks")
    parts.redrive.submit(letter)
    assert await _dispatch_stream(parts) == [Outcome.SENT]
    assert parts.sender.sends[-1].attempts_before == 2
    _work(worker_app(worker), parts.sender.sends[-1])
    project(view, _lifecycle(parts))
    record = await read_record(parts.client, s.key_prefix, "t-1")
    assert record is not None
    assert record["status"] == "SUCCESS"
    assert record["attempts"] == "3", "the attempts before the redrive are kept"
    assert record["redrives"] == "1"
    [(_, completed)] = parts.sync.xrange(s.stream_completed)  # type: ignore[misc]
    event = SummarizationCompleted.model_validate_json(orjson.loads(completed["__data__"])["data"])
    assert event.attempts == 3
    client.close()


def _lifecycle(parts: Parts) -> list[dict[str, str]]:
    """The lifecycle entries not yet projected (each test's projector reads them all)."""
    entries = parts.sync.xrange(parts.settings.stream_lifecycle)  # type: ignore[union-attr]
    parts.sync.delete(parts.settings.stream_lifecycle)
    return [fields for _, fields in entries]


def test_a_broker_message_no_worker_could_read_is_never_redriven(parts: Parts) -> None:
    """Its payload is the raw queue item, even when that is a JSON object: published as a
    request it would only be refused again, so it stays in the dead letter."""
    s = parts.settings
    fields = dead_letter(
        reason=f"{UNDECODABLE_REASON}no task message (no task name)",
        payload=b'{"task_id": "t-raw", "kind": "profile", "candidate_id": "c1"}',
        source="long_running",
        service="worker",
    )
    entry_id = parts.sync.xadd(s.stream_tasks_dlq, fields)  # type: ignore[arg-type]
    [letter] = parts.redrive.select("tasks", [], None, everything=True)
    assert parts.redrive.submit(letter).startswith(f"skipped {entry_id}")
    assert parts.sync.xlen(s.stream_requested) == 0
    assert parts.sync.xlen(s.stream_tasks_dlq) == 1
