"""Entries the dispatcher cannot read, on a real Redis through the real read paths: the
FastStream subscriber (the dispatcher service itself, sending to Celery's queues on that
Redis) and the reclaimer. Each bad entry is dead-lettered at once with its own reason;
the entries read with it are dispatched; nothing is left pending."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis

from services.dispatcher.app import DispatcherService
from services.dispatcher.reclaim import Reclaimer
from services.dispatcher.settings import DispatcherSettings
from shared import keys
from tests.integration.test_dispatch import Recorder, dispatcher


def event(task_id: str) -> dict[str, str]:
    return {"task_id": task_id, "kind": "profile", "candidate_id": "c"}


def envelope(data: str, headers: object) -> dict[str, str]:
    return {"__data__": json.dumps({"data": data, "headers": headers})}


NOT_UTF8 = json.dumps({"data": json.dumps(event("bad-6")), "headers": {}}).encode() + b"\xff"
POISON: dict[str, tuple[dict[str, str | bytes], str]] = {
    "headers a string": (
        envelope(json.dumps(event("bad-1")), "traceparent"),
        "envelope headers is a string, expected an object",
    ),
    "headers null": (
        envelope(json.dumps(event("bad-2")), None),
        "envelope headers is null, expected an object",
    ),
    "traceparent a number": (
        envelope(json.dumps(event("bad-3")), {"traceparent": 123}),
        "envelope header 'traceparent' is a number, expected a string",
    ),
    "plain field not UTF-8": (
        {**event("bad-4"), "kind": b"\xffprofile"},
        "field 'kind' is not UTF-8 (byte 0xff at offset 0)",
    ),
    "plain field name not UTF-8": (
        {**event("bad-5"), b"\xfekind": "profile"},  # type: ignore[dict-item]
        "field name '\\xfekind' is not UTF-8 (byte 0xfe at offset 0)",
    ),
    "__data__ not UTF-8": (
        {"__data__": NOT_UTF8},
        f"__data__ is not UTF-8 (byte 0xff at offset {len(NOT_UTF8) - 1})",
    ),
    "event with a lone surrogate": (
        envelope('{"task_id": "bad-7", "kind": "profile", "candidate_id": "\\ud800"}', {}),
        "payload is not a JSON object",
    ),
}  # fmt: skip


@pytest.fixture
def settings(stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> DispatcherSettings:
    for key, value in stack_env.items():
        monkeypatch.setenv(key, value)
    return DispatcherSettings()


@pytest.fixture
async def raw(settings: DispatcherSettings) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(settings.redis_url)
    yield client
    await client.aclose()


async def dead_letters(client: aioredis.Redis, stream: str) -> list[dict[str, str]]:
    return [
        {k.decode(): v.decode() for k, v in fields.items()}
        for _, fields in await client.xrange(stream)
    ]


async def wait_until(predicate: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll ``predicate`` for up to 30 s; then fail, naming ``what``."""
    for _ in range(600):
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("shape", list(POISON))
async def test_a_poison_entry_in_a_batch_is_dead_lettered_and_its_neighbours_sent(
    settings: DispatcherSettings, raw: aioredis.Redis, shape: str
) -> None:
    """The three entries are on the stream before the dispatcher starts: it reads them
    in one batch. No reclaimer runs, so the good ones are sent only if that batch is."""
    fields, reason = POISON[shape]
    stream, group = settings.stream_requested, settings.consumer_group
    await raw.xadd(stream, event("good-1"))  # type: ignore[arg-type]
    poison_id = (await raw.xadd(stream, fields)).decode()  # type: ignore[arg-type]
    await raw.xadd(stream, event("good-2"))  # type: ignore[arg-type]
    service = DispatcherService(settings)
    await service.start()
    try:

        async def settled() -> bool:
            sent = await raw.exists(
                *(keys.dispatched(settings.key_prefix, t) for t in ("good-1", "good-2"))
            )
            return sent == 2 and (await raw.xpending(stream, group))["pending"] == 0

        await wait_until(settled, "the good entries sent and the batch acknowledged")
    finally:
        await service.stop()
    [letter] = await dead_letters(raw, settings.stream_requested_dlq)
    assert letter["source_id"] == poison_id
    assert reason in letter["reason"], letter
    assert letter["payload"], "what was sent is kept, readable"
    assert "deliveries" not in letter, "dead-lettered on its first delivery"


@pytest.mark.parametrize("shape", list(POISON))
async def test_the_reclaimer_dead_letters_a_poison_entry_on_its_first_claim(
    settings: DispatcherSettings, raw: aioredis.Redis, shape: str
) -> None:
    """Entries a dead dispatcher left pending: claimed once, each poison entry goes to the
    dead letters with its reason (not after MAX_DELIVERIES claims)."""
    fields, reason = POISON[shape]
    settings = settings.model_copy(update={"reclaim_idle": 0.001})
    stream, group = settings.stream_requested, settings.consumer_group
    await raw.xgroup_create(stream, group, id="0", mkstream=True)
    await raw.xadd(stream, event("good-1"))  # type: ignore[arg-type]
    poison_id = (await raw.xadd(stream, fields)).decode()  # type: ignore[arg-type]
    await raw.xreadgroup(group, "dead-consumer", {stream: ">"})
    await asyncio.sleep(0.01)  # idle past reclaim_idle
    client = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
    sender = Recorder()
    try:
        reclaimer = Reclaimer(settings, raw, dispatcher(settings, client, sender))
        assert await reclaimer.reclaim_once() == 2
    finally:
        await client.aclose()
    assert sender.sent == ["good-1"]
    assert (await raw.xpending(stream, group))["pending"] == 0
    [letter] = await dead_letters(raw, settings.stream_requested_dlq)
    assert letter["source_id"] == poison_id
    assert reason in letter["reason"], letter
