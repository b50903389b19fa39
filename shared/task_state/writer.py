"""Apply changes with the transition script: one EVALSHA each, pipelined (one round
trip for a batch), from a synchronous or an asyncio Redis client.

A Redis that does not know the script yet (new, restarted, flushed) answers NOSCRIPT:
the script is loaded (``SCRIPT LOAD``) and the batch applied again, which changes
nothing twice (every transition is idempotent).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
import redis
import redis.asyncio as aioredis

from contracts.status import TaskStatus
from shared import keys
from shared.settings import CommonSettings
from shared.task_state.changes import Change
from shared.task_state.script import SCRIPT, SHA


@dataclass(frozen=True, slots=True)
class StateConfig:
    """Where the records and streams are, how long and how many are kept."""

    prefix: str
    ttl: int
    maxlen: int
    completed: str
    failed: str
    tasks_dlq: str
    changes: str

    @classmethod
    def of(cls, settings: CommonSettings) -> "StateConfig":
        return cls(
            prefix=settings.key_prefix,
            ttl=settings.status_ttl_seconds,
            maxlen=settings.stream_maxlen,
            completed=settings.stream_completed,
            failed=settings.stream_failed,
            tasks_dlq=settings.stream_tasks_dlq,
            changes=settings.stream_status_changes,
        )

    def outcome_stream(self, status: TaskStatus) -> str:
        """Where a terminal status's outcome event goes; any other terminal status is an
        error (it has no outcome event yet), never taken for another."""
        if status is TaskStatus.SUCCESS:
            return self.completed
        if status in (TaskStatus.FAILURE, TaskStatus.REVOKED):
            return self.failed
        raise ValueError(f"no outcome stream for status {status.value}")


class Applied(NamedTuple):
    """What the script did: ``code`` 0 ignored, 1 applied, 2 applied and published (an
    accept: 1 created, 0 there already, -1 the task was already sent); ``value`` an
    accept's earlier attempts, a start's ``created_at``."""

    code: int
    value: str = ""


def script_call(change: Change, config: StateConfig) -> tuple[list[str], list[Any]]:
    """The transition script's keys and arguments for ``change``."""
    p, task_id = config.prefix, change.task_id
    status = change.status
    outcome = config.outcome_stream(status) if status.is_terminal else config.failed
    script_keys = [
        keys.status(p, task_id),
        keys.errors(p, task_id),
        keys.active(p),
        keys.dispatched(p, task_id),
        config.changes,
        outcome,
        config.tasks_dlq,
    ]
    dead_letter = change.dead_letter
    args: list[Any] = [
        change.name.value,
        task_id,
        repr(change.timestamp),
        config.ttl,
        config.maxlen,
        config.maxlen,
        change.outcome,
        orjson.dumps(dict(dead_letter)) if dead_letter else b"",
        "" if change.attempt is None else str(change.attempt),
        change.failure,
    ]
    for name, value in change.fields.items():
        args.extend((name, value))
    return script_keys, args


def parse(result: Any) -> Applied:
    code, value = result
    return Applied(int(code), value.decode() if isinstance(value, bytes) else str(value or ""))


class StateWriter:
    def __init__(self, client: redis.Redis, config: StateConfig) -> None:
        self._client = client
        self.config = config

    def apply(self, change: Change) -> Applied:
        return self.apply_many([change])[0]

    def apply_many(self, changes: Sequence[Change]) -> list[Applied]:
        """Each change, in order, in one round trip."""
        if not changes:
            return []
        try:
            return self._apply_many(changes)
        except redis.exceptions.NoScriptError:
            self._client.script_load(SCRIPT)
            return self._apply_many(changes)

    def _apply_many(self, changes: Sequence[Change]) -> list[Applied]:
        pipe = self._client.pipeline(transaction=False)
        for change in changes:
            script_keys, args = script_call(change, self.config)
            pipe.evalsha(SHA, len(script_keys), *script_keys, *args)
        return [parse(result) for result in pipe.execute()]


class AsyncStateWriter:
    def __init__(self, client: aioredis.Redis, config: StateConfig) -> None:
        self._client = client
        self.config = config

    async def apply(self, change: Change) -> Applied:
        return (await self.apply_many([change]))[0]

    async def apply_many(self, changes: Sequence[Change]) -> list[Applied]:
        if not changes:
            return []
        try:
            return await self._apply_many(changes)
        except redis.exceptions.NoScriptError:
            await self._client.script_load(SCRIPT)
            return await self._apply_many(changes)

    async def _apply_many(self, changes: Sequence[Change]) -> list[Applied]:
        async with self._client.pipeline(transaction=False) as pipe:
            for change in changes:
                self.queue(pipe, change)
            return [parse(result) for result in await pipe.execute()]

    def queue(self, pipe: "aioredis.client.Pipeline", change: Change) -> None:
        """Add ``change`` to a pipeline of the caller's (its reply: ``parse`` it). The
        caller handles NOSCRIPT, for instance by ``apply``-ing the change again."""
        script_keys, args = script_call(change, self.config)
        pipe.evalsha(SHA, len(script_keys), *script_keys, *args)
