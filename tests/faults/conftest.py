"""Fault-suite tooling: fast fake work, a probe that counts what happened, a report table."""

import contextlib
import json
import sqlite3
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.conftest import cleanup, isolated_env
from tests.stack import Stack, wait_for

FAST = {
    "SUMMARIZER_ENGINE": "fake",
    "FAKE_WORK_SECONDS": "0",
    "WORKER_CONCURRENCY": "4",
    "RETRY_MAX": "3",
    "RETRY_BACKOFF_BASE": "0.2",
    "TASK_SOFT_TIME_LIMIT": "3",
    "TASK_TIME_LIMIT": "5",
    "RETRY_BACKOFF_MAX": "4",
    "BROKER_VISIBILITY_TIMEOUT": "10",  # above the limit and a retry's countdown + run
    "RECLAIM_IDLE": "2",
    "RECLAIM_INTERVAL": "0.5",
    "REDISPATCH_AFTER": "15",
    "REDISPATCH_INTERVAL": "1",
    "RECONCILE_AFTER": "3",
    "RECONCILE_INTERVAL": "1",
    "LIFECYCLE_CLAIM_IDLE": "2",
    "GROUP_CHECK_INTERVAL": "0.5",
}


@dataclass
class Figures:
    test: str
    sent: int
    terminal: int
    lost: int
    duplicate_effects: int
    note: str = ""

    def line(self) -> str:
        return (
            f"sent {self.sent}, terminal {self.terminal}, lost {self.lost}, "
            f"duplicate effects {self.duplicate_effects}"
        )


RESULTS: list[Figures] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RESULTS:
        return
    terminalreporter.section("fault suite")
    terminalreporter.write_line(
        f"{'test':<34} {'sent':>5} {'terminal':>8} {'lost':>4} {'dup':>4}  note"
    )
    for r in RESULTS:
        terminalreporter.write_line(
            f"{r.test:<34} {r.sent:>5} {r.terminal:>8} {r.lost:>4} "
            f"{r.duplicate_effects:>4}  {r.note}"
        )


@dataclass
class Probe:
    """Sends work straight onto the request stream and counts outcomes in Redis."""

    env: dict[str, str]
    r: redis.Redis = field(init=False)

    def __post_init__(self) -> None:
        self.r = redis.Redis.from_url(self.env["REDIS_URL"], decode_responses=True)

    def event(self, task_id: str, text: str = "") -> dict[str, str]:
        turns = [{"role": "candidate", "speaker": "Ada", "text": text or f"I built {task_id}."}]
        return {
            "task_id": task_id,
            "kind": "session",
            "candidate_id": "cand-fault",
            "session_id": f"s-{task_id}",
            "transcript": json.dumps(turns),
        }

    def send(self, n: int, text: str = "") -> list[str]:
        ids = [str(uuid.uuid4()) for _ in range(n)]
        pipe = self.r.pipeline(transaction=False)
        for task_id in ids:
            pipe.xadd(self.env["STREAM_REQUESTED"], self.event(task_id, text))  # type: ignore[arg-type]
        pipe.execute()
        return ids

    def statuses(self, ids: list[str]) -> Counter[str]:
        pipe = self.r.pipeline(transaction=False)
        for task_id in ids:
            pipe.hget(f"{self.env['KEY_PREFIX']}task:{task_id}", "status")
        return Counter(str(s) for s in pipe.execute())

    def failures(self, ids: list[str]) -> list[dict[str, str]]:
        """The records of tasks that did not succeed (for assertion messages)."""
        records = [self.r.hgetall(f"{self.env['KEY_PREFIX']}task:{t}") for t in ids]
        return [
            {k: r.get(k, "") for k in ("task_id", "status", "transition", "error_type", "error")}
            for r in records
            if r.get("status") != "SUCCESS"
        ]

    def terminal(self, ids: list[str]) -> int:
        counts = self.statuses(ids)
        return counts["SUCCESS"] + counts["FAILURE"] + counts["REVOKED"]

    def wait_terminal(self, ids: list[str], timeout: float, stack: Stack | None = None) -> None:
        try:
            wait_for(lambda: self.terminal(ids) == len(ids), timeout, "every task terminal", 0.2)
        except AssertionError:
            detail = f"{self.statuses(ids)}\n{stack.logs() if stack else ''}"
            raise AssertionError(f"not all terminal: {detail}") from None

    def outcome_counts(self, stream_key: str) -> Counter[str]:
        counts: Counter[str] = Counter()
        for _, fields in self.r.xrange(self.env[stream_key]):
            counts[json.loads(json.loads(fields["__data__"])["data"])["task_id"]] += 1
        return counts

    def deliveries(self) -> Counter[str]:
        """Runs of each task's first attempt (``task-started`` entries with retries 0 in
        the lifecycle stream): 2 means the task was delivered twice."""
        counts: Counter[str] = Counter()
        stream = self.env["STREAM_LIFECYCLE"]
        for _, fields in self.r.xrange(stream) if self.r.exists(stream) else []:
            if fields.get("type") == "task-started" and fields.get("retries") == "0":
                counts[fields["uuid"]] += 1
        return counts

    def summary_rows(self, ids: list[str]) -> int:
        path = self.env["DATABASE_URL"].removeprefix("sqlite:///")
        if not Path(path).exists():
            return 0
        with sqlite3.connect(path) as conn:
            wanted = set(ids)
            rows = conn.execute("SELECT task_id FROM summaries").fetchall()
            return sum(1 for (task_id,) in rows if task_id in wanted)

    def duplicate_effects(self, ids: list[str], redriven: bool = False) -> int:
        """Outcome events beyond one per task (per outcome stream, and across both unless
        the tasks were redriven after failing), plus summary rows beyond one per success."""
        wanted = set(ids)
        extra = 0
        for stream in ("STREAM_COMPLETED", "STREAM_FAILED"):
            extra += sum(c - 1 for t, c in self.outcome_counts(stream).items() if t in wanted)
        both = set(self.outcome_counts("STREAM_COMPLETED")) & set(
            self.outcome_counts("STREAM_FAILED")
        )
        extra += 0 if redriven else len(both & wanted)
        successes = self.statuses(ids)["SUCCESS"]
        extra += max(0, self.summary_rows(ids) - successes)
        return extra

    def report(self, test: str, ids: list[str], note: str = "", redriven: bool = False) -> Figures:
        terminal = self.terminal(ids)
        duplicates = self.duplicate_effects(ids, redriven)
        figures = Figures(test, len(ids), terminal, len(ids) - terminal, duplicates, note)
        print(f"\n[{test}] {figures.line()}{'  (' + note + ')' if note else ''}")
        RESULTS.append(figures)
        return figures


StackFactory = Callable[..., tuple[Stack, Probe]]


@pytest.fixture
def fault_stack(redis_url: str, tmp_path: Path) -> Iterator[StackFactory]:
    """Start the four services with fast fake work on an isolated namespace."""
    made: list[tuple[Stack, str, str]] = []

    def make(url: str | None = None, **extra: str) -> tuple[Stack, Probe]:
        namespace = f"f{uuid.uuid4().hex[:10]}"
        env = {**isolated_env(url or redis_url, namespace, tmp_path), **FAST, **extra}
        stack = Stack(env, tmp_path)
        made.append((stack, url or redis_url, namespace))  # stopped even if start fails
        stack.start()
        return stack, Probe(env)

    yield make
    for stack, url, namespace in made:
        stack.stop()
        with contextlib.suppress(redis.RedisError):
            cleanup(url, namespace)
