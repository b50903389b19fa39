"""Redrive on a real Redis: a dead letter submitted again, then dispatched (the Celery
sender replaced by a recorder) and projected."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import orjson
import pytest
import redis
import redis.asyncio as aioredis

from contracts.events import SummarizationFailed
from services.cli.redrive import Redrive
from services.dispatcher.dispatch import Dispatcher, Entry, Outcome
from services.dispatcher.settings import DispatcherSettings
from shared.celery_app import make_celery
from shared.envelope import decode_entry
from shared.status_view import PendingRecords, read_record
from tests.integration.test_dispatch import Recorder


@dataclass
class Parts:
    settings: DispatcherSettings
    client: aioredis.Redis
    sync: redis.Redis
    dispatcher: Dispatcher
    redrive: Redrive


@pytest.fixture
async def parts(stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Parts]:
    for key, value in stack_env.items():
        monkeypatch.setenv(key, value)
    settings = DispatcherSettings()
    client = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
    sync = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    pending = PendingRecords(client, settings.key_prefix, settings.status_ttl_seconds)
    dispatcher = Dispatcher(settings, client, Recorder(), pending)
    yield Parts(settings, client, sync, dispatcher, Redrive(settings, sync, make_celery(settings)))
    sync.close()
    await client.aclose()


async def _dispatch_stream(parts: Parts) -> list[Outcome]:
    """Dispatch what is on the request stream, as the dispatcher reads it."""
    raw = aioredis.Redis.from_url(parts.settings.redis_url)
    try:
        entries = await raw.xrange(parts.settings.stream_requested)
    finally:
        await raw.aclose()
    batch = [Entry(entry_id.decode(), *decode_entry(fields)) for entry_id, fields in entries]
    return await parts.dispatcher.handle_batch(batch)


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
