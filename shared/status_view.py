"""The status view: one Redis hash per task, the gateway's source of truth.

Layout (``shared.keys.status``: ``KEY_PREFIX`` + ``task:`` + task id), strings:

    task_id kind candidate_id session_id mode idempotency_key trace_id traceparent
    status    public status word (PENDING, STARTED, RETRY, SUCCESS, FAILURE, REVOKED)
    state     Celery's own state name of the last applied event (SENT, RECEIVED, ...)
    ts        epoch seconds of the last applied event (ordering key)
    terminal  "1" once SUCCESS / FAILURE / REVOKED
    attempts created_at started_at finished_at updated_at worker
    projected_at  epoch seconds when the projector wrote the terminal status
    error error_type summary (the summary as JSON, on SUCCESS)

Writers: the gateway and the dispatcher create the record (fields only set when absent);
the projector moves it forward with ``shared/lua/transition.lua``, which the dispatcher
also uses to fail the task of a request it refused. The record expires
``STATUS_TTL_SECONDS`` after its last change.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any, NamedTuple

import orjson
import redis
import redis.asyncio as aioredis

from contracts.api import ErrorDetail, TaskStatusResponse
from contracts.events import SummarizationRequested
from contracts.status import TERMINAL, TaskStatus
from contracts.types import Kind
from shared import keys
from shared.telemetry import current_traceparent

TRANSITION_LUA = resources.files("shared").joinpath("lua/transition.lua").read_text()
PENDING_LUA = resources.files("shared").joinpath("lua/pending.lua").read_text()


def iso(ts: float | None = None) -> str:
    moment = datetime.fromtimestamp(ts, UTC) if ts is not None else datetime.now(UTC)
    return moment.isoformat()


def pending_fields(event: SummarizationRequested, traceparent: str = "") -> dict[str, str]:
    """The fields a new record starts with (PENDING, created now)."""
    now = datetime.now(UTC)
    fields = {
        "task_id": event.task_id,
        "kind": event.kind.value,
        "candidate_id": event.candidate_id,
        "session_id": event.session_id or "",
        "mode": event.mode.value if event.kind is Kind.SESSION else "",
        "idempotency_key": event.idempotency_key or "",
        "traceparent": traceparent,
        "trace_id": traceparent.split("-")[1] if traceparent.count("-") == 3 else "",
        "status": TaskStatus.PENDING.value,
        "state": "PENDING",
        "terminal": "0",
        "attempts": "0",
        "ts": repr(now.timestamp()),
        "created_at": now.isoformat(),
        "updated_at": now.isoformat(),
    }
    return {k: v for k, v in fields.items() if v != ""}


class Recorded(NamedTuple):
    """What creating a PENDING record found: ``code`` 1 created, 0 already there, -1 the
    task was already dispatched; ``attempts`` the task had so far (earlier runs')."""

    code: int
    attempts: int


class PendingRecords:
    """Creates records as PENDING (the gateway's and the dispatcher's one write)."""

    def __init__(self, client: aioredis.Redis, prefix: str, ttl: int) -> None:
        self._prefix = prefix
        self._ttl = ttl
        self._client = client
        self._script = client.register_script(PENDING_LUA)

    async def record(self, event: SummarizationRequested, unless_sent: bool = False) -> int:
        """Create the task's record unless it exists, in one round trip: 1 created,
        0 already there, -1 (only with ``unless_sent``) the task was already dispatched.

        The current trace context is kept in the record so the projector's update and
        the completion event join the request's trace."""
        traceparent = current_traceparent().get("traceparent", "")
        keys_, args = self._call(event, traceparent, unless_sent)
        return Recorded(*await self._script(keys=keys_, args=args)).code

    async def record_many(
        self, events: Sequence[tuple[SummarizationRequested, str]], unless_sent: bool = False
    ) -> list["Recorded"]:
        """``record`` for (event, traceparent) pairs, pipelined: one round trip in all."""
        if not events:
            return []
        try:
            return await self._record_many(events, unless_sent)
        except redis.exceptions.NoScriptError:  # a new or flushed Redis: load it, go again
            self._script.sha = await self._client.script_load(PENDING_LUA)
            return await self._record_many(events, unless_sent)

    async def _record_many(
        self, events: Sequence[tuple[SummarizationRequested, str]], unless_sent: bool
    ) -> list["Recorded"]:
        async with self._client.pipeline(transaction=False) as pipe:
            for event, traceparent in events:
                self.queue(pipe, event, traceparent, unless_sent)
            return [Recorded(int(code), int(attempts)) for code, attempts in await pipe.execute()]

    def queue(
        self,
        pipe: "aioredis.client.Pipeline",
        event: SummarizationRequested,
        traceparent: str,
        unless_sent: bool = False,
    ) -> None:
        """Add ``record`` to a pipeline (EVALSHA: a pipelined Script would first ask
        SCRIPT EXISTS). The caller handles NoScriptError, e.g. with ``record``."""
        record_keys, args = self._call(event, traceparent, unless_sent)
        pipe.evalsha(self._script.sha, len(record_keys), *record_keys, *args)

    def _call(
        self, event: SummarizationRequested, traceparent: str, unless_sent: bool
    ) -> tuple[list[str], list[str | int]]:
        fields = pending_fields(event, traceparent)
        args: list[str | int] = [self._ttl, event.task_id, fields["ts"]]
        for name, value in fields.items():
            args += [name, value]
        record_keys = [keys.status(self._prefix, event.task_id), keys.active(self._prefix)]
        if unless_sent:
            record_keys.append(keys.dispatched(self._prefix, event.task_id))
        return record_keys, args


async def read_record(client: aioredis.Redis, prefix: str, task_id: str) -> dict[str, str] | None:
    record: dict[str, str] = await client.hgetall(keys.status(prefix, task_id))  # type: ignore[assignment]
    return record or None


@dataclass(frozen=True, slots=True)
class Transition:
    """One lifecycle step of a task, as the projector applies it."""

    task_id: str
    status: TaskStatus
    timestamp: float
    fields: Mapping[str, str] = field(default_factory=dict)
    outcome_stream: str = ""
    outcome_envelope: bytes = b""
    may_create: bool = False
    dead_letter: Mapping[str, str] | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


class TransitionWriter:
    """Applies transitions with the Lua script (one round trip, atomic)."""

    def __init__(
        self, client: redis.Redis, prefix: str, ttl: int, stream_maxlen: int, tasks_dlq: str
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl = ttl
        self._maxlen = stream_maxlen
        self._tasks_dlq = tasks_dlq
        self._script = client.register_script(TRANSITION_LUA)

    def read(self, task_id: str) -> dict[str, str]:
        record: dict[bytes | str, bytes | str] = self._client.hgetall(
            keys.status(self._prefix, task_id)
        )
        return {_s(k): _s(v) for k, v in record.items()}

    def record_error(self, task_id: str, attempt: int, entry: Mapping[str, str]) -> None:
        """Note why ``attempt`` failed (one entry per attempt: the first report wins)."""
        key = keys.errors(self._prefix, task_id)
        pipe = self._client.pipeline(transaction=False)
        pipe.hsetnx(key, str(attempt), orjson.dumps({"attempt": str(attempt), **entry}))
        pipe.expire(key, self._ttl)
        pipe.execute()

    def error_chain(self, task_id: str) -> list[dict[str, str]]:
        """The failures of a task's attempts, first attempt first."""
        raw: dict[bytes, bytes] = self._client.hgetall(keys.errors(self._prefix, task_id))  # type: ignore[assignment]
        return [orjson.loads(raw[k]) for k in sorted(raw, key=int)]

    def stale_active(self, older_than: float, limit: int) -> list[str]:
        """Ids of non-terminal tasks created before ``older_than`` (epoch seconds)."""
        ids: list[bytes | str] = self._client.zrangebyscore(  # type: ignore[assignment]
            keys.active(self._prefix), 0, older_than, start=0, num=limit
        )
        return [_s(i) for i in ids]

    def forget_active(self, task_id: str) -> None:
        self._client.zrem(keys.active(self._prefix), task_id)

    def read_many(self, task_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        """``read`` for several tasks in one round trip (a missing record reads as {})."""
        pipe = self._client.pipeline(transaction=False)
        for task_id in task_ids:
            pipe.hgetall(keys.status(self._prefix, task_id))
        records = pipe.execute() if task_ids else []
        return {
            task_id: {_s(k): _s(v) for k, v in record.items()}
            for task_id, record in zip(task_ids, records, strict=True)
        }

    def apply(self, transition: Transition) -> int:
        """0 ignored (stale or already terminal), 1 applied, 2 applied and published."""
        return self.apply_many([transition])[0]

    def apply_many(self, transitions: Sequence[Transition]) -> list[int]:
        """``apply`` for each transition, in order, in one round trip."""
        if not transitions:
            return []
        try:
            return self._apply_many(transitions)
        except redis.exceptions.NoScriptError:  # a new or flushed Redis: load it, go again
            self._script.sha = self._client.script_load(TRANSITION_LUA)
            return self._apply_many(transitions)

    def _apply_many(self, transitions: Sequence[Transition]) -> list[int]:
        # EVALSHA directly: a pipelined Script would first ask SCRIPT EXISTS every time
        pipe = self._client.pipeline(transaction=False)
        for transition in transitions:
            self._call(transition, pipe)
        return [int(result) for result in pipe.execute()]

    def _call(self, transition: Transition, pipe: "redis.client.Pipeline") -> None:
        script_keys, args = transition_call(
            transition, self._prefix, self._ttl, self._maxlen, self._tasks_dlq
        )
        pipe.evalsha(self._script.sha, len(script_keys), *script_keys, *args)


def transition_call(
    transition: Transition,
    prefix: str,
    ttl: int,
    maxlen: int,
    tasks_dlq: str,
    unless_sent: bool = False,
) -> tuple[list[str], list[Any]]:
    """The keys and arguments of the transition script for ``transition``; with
    ``unless_sent`` nothing changes once the dispatcher sent the task."""
    dead_letter = orjson.dumps(transition.dead_letter) if transition.dead_letter else b""
    args: list[Any] = [
        transition.status.value,
        repr(transition.timestamp),
        "1" if transition.terminal else "0",
        ttl,
        transition.outcome_envelope,
        maxlen,
        "1" if transition.may_create else "0",
        dead_letter,
        transition.task_id,
    ]
    for name, value in transition.fields.items():
        args.extend((name, value))
    stream = transition.outcome_stream or tasks_dlq
    script_keys = [keys.status(prefix, transition.task_id), stream, tasks_dlq, keys.active(prefix)]
    if unless_sent:
        script_keys.append(keys.dispatched(prefix, transition.task_id))
    return script_keys, args


async def apply_unless_sent(
    client: aioredis.Redis,
    transition: Transition,
    prefix: str,
    ttl: int,
    maxlen: int,
    tasks_dlq: str,
) -> int:
    """Apply ``transition`` unless the dispatcher already sent its task (the
    dispatcher's own transition: a request it refused); as ``TransitionWriter.apply``."""
    script = client.register_script(TRANSITION_LUA)
    script_keys, args = transition_call(transition, prefix, ttl, maxlen, tasks_dlq, True)
    return int(await script(keys=script_keys, args=args))


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def to_response(task_id: str, record: Mapping[str, str] | None) -> TaskStatusResponse:
    """The API view of a record; ``None`` is an id this system has never seen."""
    if record is None:
        return TaskStatusResponse(
            task_id=task_id,
            status=TaskStatus.UNKNOWN,
            message="Task not found: unknown task id, or its status has expired",
        )
    status = TaskStatus(record.get("status", "PENDING"))
    error_type = record.get("error_type")
    error = record.get("error")
    detail = (
        ErrorDetail(
            type=error_type or "Error",
            message=error or "",
            retryable=record.get("retryable") == "1",
        )
        if error
        else None
    )
    summary = orjson.loads(record["summary"]) if record.get("summary") else None
    return TaskStatusResponse.model_validate(
        {
            "task_id": task_id,
            "status": status,
            "message": f"Task status: {status.value}",
            "error": f"{error_type}: {error}" if error and error_type else error,
            "error_detail": detail,
            "kind": record.get("kind"),
            "candidate_id": record.get("candidate_id"),
            "session_id": record.get("session_id"),
            "mode": record.get("mode"),
            "attempts": int(record.get("attempts", "0")),
            "redrives": int(record.get("redrives", "0")),
            "created_at": record.get("created_at"),
            "started_at": record.get("started_at"),
            "finished_at": record.get("finished_at"),
            "updated_at": record.get("updated_at"),
            "summary": summary if status is TaskStatus.SUCCESS else None,
        }
    )


def reset_for_redrive(client: redis.Redis, prefix: str, task_id: str, ttl: int) -> None:
    """Make a finished task's record PENDING again so its redriven run can be projected.

    Its history stays: ``attempts`` (the next run's attempts are numbered after them),
    the failure chain, and ``redrives`` counts the redrives."""
    key = keys.status(prefix, task_id)
    now = datetime.now(UTC)
    pipe = client.pipeline(transaction=True)
    pipe.hdel(key, "error", "error_type", "retryable", "summary", "started_at", "finished_at")
    pipe.hset(
        key,
        mapping={
            "task_id": task_id,
            "status": TaskStatus.PENDING.value,
            "state": "REDRIVEN",
            "terminal": "0",
            "ts": repr(now.timestamp()),
            "updated_at": now.isoformat(),
        },
    )
    pipe.hincrby(key, "redrives", 1)
    pipe.expire(key, ttl)
    pipe.zadd(keys.active(prefix), {task_id: now.timestamp()})
    pipe.delete(keys.dispatched(prefix, task_id))
    pipe.execute()
