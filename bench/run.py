"""One benchmark run: its services, its Redis clients, its completion watcher, and
what starting, warming up and stopping them takes."""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
import redis
from celery.exceptions import TimeoutError as CeleryTimeout

from bench.measure import (
    Mark,
    command_calls,
    cpu_ms_per_task,
    cpu_seconds,
    local_redis_pid,
    per_task,
    socket_reads,
    stats,
)
from bench.watch import CompletionWatcher, timings
from services.cli.demo import demo_sessions
from tests.stack import Stack, wait_for

SESSION = demo_sessions()[0]
"""The stored session every scenario names: the guide's tasks take ids and the worker loads
the session from the store, so the anchor, HTTP and events all do the same work."""
TASK_KWARGS = {
    "session_id": SESSION["session_id"],
    "candidate_id": SESSION["candidate_id"],
    "mode": SESSION["mode"],
}
REDIS_TIMEOUT = 30.0
"""Socket timeout of the benchmark's own Redis calls (its XREADs block at most 1 s)."""


class Bench:
    """One run: its stack, its Redis clients and the completion watcher."""

    def __init__(self, args: argparse.Namespace, env: dict[str, str], stack: Stack) -> None:
        self.args = args
        self.env = env
        self.stack = stack
        self.r = redis.Redis.from_url(
            args.redis_url, decode_responses=True, socket_timeout=REDIS_TIMEOUT
        )
        self.raw = redis.Redis.from_url(args.redis_url, socket_timeout=REDIS_TIMEOUT)
        self.watcher = CompletionWatcher(self.raw, env["STREAM_COMPLETED"], env["STREAM_FAILED"])
        self.finished: list[str] = []
        self.celery_task: Any = None
        self.redis_pid = local_redis_pid(self.r)

    def cpu(self) -> dict[str, float]:
        return cpu_seconds(self.stack, self.redis_pid)

    def xadd(self, task_ids: list[str]) -> dict[str, float]:
        """XADD the requests in one pipeline; their accept times."""
        pipe = self.r.pipeline(transaction=False)
        for task_id in task_ids:
            pipe.xadd(self.env["STREAM_REQUESTED"], _request_fields(task_id))
        pipe.execute()
        now = time.time()
        return dict.fromkeys(task_ids, now)

    def start(self) -> "Mark":
        """What a scenario's figures are measured from."""
        return Mark(
            command_calls(self.r), self.watcher.reads, time.time(), self.cpu(), socket_reads(self.r)
        )

    def usage(self, mark: "Mark", n: int) -> dict[str, Any]:
        """CPU, Redis commands and round trips per task since ``mark``, less the
        benchmark's own: the watcher's XREADs and the INFO calls that measure them."""
        cpu = cpu_ms_per_task(mark.cpu, self.cpu(), n)
        own = self.watcher.reads - mark.watcher_reads
        trips = (socket_reads(self.r) - mark.socket_reads - own - 1) / n  # less this INFO
        calls = command_calls(self.r)
        calls["xread"] = calls.get("xread", 0) - own
        calls["info"] -= 3  # the INFO calls since the first one
        by_command = per_task(mark.commands, calls, n)
        return {
            "commands_per_task": sum(by_command.values()),
            "round_trips_per_task": trips,
            "commands_by_name": by_command,
            "cpu_ms_per_task": cpu,
        }

    def result(self, name: str, start: "Mark", t_sent: float, accepted: dict[str, float]
               ) -> dict[str, Any]:  # fmt: skip
        """Figures of a scenario whose tasks are all done (the commands counted first)."""
        usage = self.usage(start, len(accepted))
        t0 = start.time
        seen = timings(self.r, self.env["KEY_PREFIX"], list(accepted))
        self.finished.extend(seen)
        end = max(v[1] for v in seen.values())
        n = len(accepted)
        return {
            "scenario": name,
            "n": n,
            "accepted_per_s": n / max(t_sent - t0, 1e-9),
            "completed_per_s": n / (end - t0),
            "latency_ms": stats([(v[1] - accepted[t]) * 1000 for t, v in seen.items()]),
            "lag_ms": stats([(v[1] - v[0]) * 1000 for v in seen.values()]),
            **usage,
        }


def _request_fields(task_id: str) -> dict[str, str]:
    return {"task_id": task_id, "kind": "session", **TASK_KWARGS}


def store_session(env: dict[str, str]) -> None:
    """Store ``SESSION`` as ``POST /sessions`` does, its date included (the HTTP scenarios
    post it again: the same content is a no-op, another date a conflict)."""
    from shared.store import Database
    from tests.transcripts import store_transcript

    db = Database(env["DATABASE_URL"])
    try:
        db.create_schema()
        store_transcript(db, SESSION, dated=True)
    finally:
        db.dispose()


def celery_task(b: Bench) -> Any:
    """The worker's session task, from the worker's own Celery app under the run's settings
    (made once: a second app would register the tasks again)."""
    if b.celery_task is not None:
        return b.celery_task
    os.environ.update(b.env)
    from services.worker.bootstrap import build
    from services.worker.settings import WorkerSettings

    app = build(WorkerSettings()).app
    b.celery_task = app.tasks["summarization.summarize_session"]
    return b.celery_task


def warm_up(b: Bench, pipeline: bool) -> None:
    """One task through the worker (Celery), or a few through the whole pipeline (events):
    the readiness that matters, and first-call costs kept out of the figures."""
    if not pipeline:
        kwargs = TASK_KWARGS
        try:
            celery_task(b).apply_async(kwargs=kwargs, queue=b.env["QUEUE_SESSION"]).get(
                timeout=b.args.timeout
            )
        except CeleryTimeout:
            raise AssertionError(
                f"the worker ran no task within {b.args.timeout:g}s of starting"
            ) from None
        return
    ids = [str(uuid.uuid4()) for _ in range(5)]
    b.xadd(ids)
    b.watcher.wait(ids, b.args.timeout)


def progress(text: str) -> None:
    with contextlib.suppress(OSError):  # a closed pipe (| head) must not stop the run
        print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def check_alive(stack: Stack) -> None:
    for name, service in stack.services.items():
        if service.process is not None and service.process.poll() is not None:
            raise AssertionError(
                f"{name} exited with {service.process.returncode}; its log: {service.log_path}"
            )


def wait_ready(stack: Stack, *names: str, timeout: float = 90.0) -> None:
    """Until each service's ops endpoint answers /readyz. (Not used for the worker: its
    check pings it through Celery, and a starting worker was seen to fail that ping for
    25-30 s while it already ran tasks 1.5 s after its start; ``warm_up`` checks it.)"""
    for name in names:

        def ready(name: str = name) -> bool:
            check_alive(stack)
            try:
                return stack.ops(name).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, timeout, f"{name}'s /readyz", every=1.0)


def stop(stack: Stack, grace: float = 15.0, names: tuple[str, ...] = ()) -> None:
    """SIGTERM every service's process group at once (or those ``names``), SIGKILL what is
    left after ``grace`` seconds, or at once on another Ctrl-C (the services run in
    sessions of their own: the terminal's Ctrl-C never reaches them, so this is the only
    way they stop)."""
    services = {
        n: s.process
        for n, s in stack.services.items()
        if s.process is not None and (not names or n in names)
    }
    processes = list(services.values())

    def signal_all(sig: signal.Signals) -> None:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)

    again = False
    try:
        signal_all(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
    except KeyboardInterrupt:
        again = True
    finally:
        late = [name for name, process in services.items() if process.poll() is None]
        if late:
            why = "interrupted again" if again else f"no exit {grace:g}s after SIGTERM"
            progress(f"killing ({why}): {', '.join(late)}")
        signal_all(signal.SIGKILL)  # what is left, a prefork worker's children included
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
