"""``python -m bench.pipeline`` (``make bench``): this system beside plain Celery, in one run.

Same machine, same Redis, the same worker processes (fake engine, no simulated work), the
same work per task: every scenario names one stored demo session by its ids, as the
guide's ``summarize_session_task.delay(session_id, candidate_id, mode)`` does, and the
worker loads it from the store.

* ``anchor``: plain Celery as the integration guide does it, ``apply_async`` + ``get()``;
* ``events``: a burst of N ``summarization.requested`` entries XADDed onto the stream;
* ``http``: a burst of N POSTs to the gateway, ``--http-concurrency`` connections;
* ``paced``: ``--rate`` requests a second for ``--duration`` seconds, via events, then HTTP;
* ``reads``: ``GET /summarization/task-status/{id}`` of finished tasks, open loop at
  ``--read-rate`` for ``--duration`` seconds, then closed loop (the ceiling);
* ``--soak N``: N tasks via events, at most ``--soak-window`` unfinished, with the
  services' memory sampled (short retention settings keep Redis small).

Each mode prints a table after the machine line, with its target where there is one
(paced p99 < 50 ms, reads p99 < 5 ms, soak growth < 20 MB). Every wait has a timeout
(``--timeout``); Ctrl-C (or SIGTERM) stops the services and deletes the run's keys, a
second Ctrl-C while they stop kills them at once.

A task is done when its ``summarization.completed`` event is read (written in the same
Lua call that makes its record SUCCESS); latency runs from accept (XADD returned / 202
received / ``apply_async`` returned) to the record's ``projected_at`` (the anchor: the
result's ``date_done``). Redis commands per task are ``INFO commandstats`` deltas less
the benchmark's own reads; run it on a quiet Redis.

    python -m bench.pipeline -n 2000
    python -m bench.pipeline --scenarios events,reads --duration 5
    python -m bench.pipeline --scenarios events -n 500 --soak 200000
"""

import argparse
import asyncio
import contextlib
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, NamedTuple

import httpx
import orjson
import redis
import uvloop
from celery.exceptions import TimeoutError as CeleryTimeout

from bench.http import Connection
from bench.reads import ReadLoad, read_load
from bench.watch import CompletionWatcher, timings
from services.cli.demo import demo_sessions
from tests.conftest import cleanup, isolated_env
from tests.stack import Stack, wait_for
from tests.transcripts import store_transcript

SCENARIOS = ("anchor", "events", "http", "paced", "reads")
PIPELINE = ("gateway", "dispatcher", "projector")
"""The services this system adds to plain Celery (the worker is common to both)."""
SESSION = demo_sessions()[0]
"""The stored session every scenario names: the guide's tasks take ids and the worker loads
the session from the store, so the anchor, HTTP and events all do the same work."""
TASK_KWARGS = {
    "session_id": SESSION["session_id"],
    "candidate_id": SESSION["candidate_id"],
    "mode": SESSION["mode"],
}
SOAK_ENV = {
    # status records and Celery results (result_expires follows it), sent-task memory,
    # consumed stream entries: all short-lived, so Redis stays small however long the soak
    "STATUS_TTL_SECONDS": "120",
    "DEDUPE_TTL_SECONDS": "120",
    "REDISPATCH_AFTER": "60",  # + REDISPATCH_INTERVAL (30): before the dedupe record expires
    "STREAM_RETENTION_SECONDS": "60",
    "STREAM_MAXLEN": "5000",
}
TARGETS = {"paced_p99_ms": 50.0, "reads_p99_ms": 5.0, "soak_growth_mb": 20.0}
REDIS_TIMEOUT = 30.0
"""Socket timeout of the benchmark's own Redis calls (its XREADs block at most 1 s)."""


def stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def q(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return {"p50": q(0.5), "p95": q(0.95), "p99": q(0.99), "max": ordered[-1]}


def command_calls(r: redis.Redis) -> dict[str, int]:
    """Calls so far, by command (``INFO commandstats``)."""
    stats = r.info("commandstats")
    return {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items()}


def socket_reads(r: redis.Redis) -> int:
    """Reads Redis made from client sockets so far (``total_reads_processed``): about one
    per round trip (a pipeline's commands arrive in one read, unless it is large)."""
    return int(r.info("stats")["total_reads_processed"])


def commands(r: redis.Redis) -> int:
    return sum(command_calls(r).values())


def per_task(before: dict[str, int], after: dict[str, int], n: int) -> dict[str, float]:
    """Calls per task, by command, between two ``command_calls`` readings."""
    return {k: (v - before.get(k, 0)) / n for k, v in after.items() if v != before.get(k, 0)}


def _proc_kb(pid: int, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field):
                return float(line.split()[1])
    except OSError:
        pass
    return 0.0


def _family(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *(int(c) for c in children)]


def memory_mb(stack: Stack, field: str = "VmHWM:") -> dict[str, float]:
    """Each service's memory (a process and its children), MB: peak (VmHWM) or now (VmRSS)."""
    out = {}
    for name, service in stack.services.items():
        if service.process is not None and service.process.poll() is None:
            pids = _family(service.process.pid)
            out[name] = round(sum(_proc_kb(p, field) for p in pids) / 1024, 1)
    return out


def _cpu_of(pids: list[int]) -> float:
    """CPU seconds (user + system) of these processes (those still there)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _local_redis_pid(r: redis.Redis) -> int:
    """The Redis server's pid when it runs on this machine (its CPU is then measured)."""
    pid = int(r.info("server").get("process_id", 0))
    try:
        name = Path(f"/proc/{pid}/comm").read_text()
    except OSError:
        return 0
    return pid if name.startswith(("redis", "valkey")) else 0


def cpu_seconds(stack: Stack, redis_pid: int = 0) -> dict[str, float]:
    """CPU time (user + system) of each service, its children included, of this client
    process and, when it runs on this machine (``redis_pid``), of the Redis server."""
    out = {
        name: _cpu_of(_family(service.process.pid))
        for name, service in stack.services.items()
        if service.process is not None and service.process.poll() is None
    }
    me = os.times()
    out["client"] = me.user + me.system
    if redis_pid and Path(f"/proc/{redis_pid}").exists():
        out["redis"] = _cpu_of([redis_pid])
    return out


def cpu_ms_per_task(before: dict[str, float], after: dict[str, float], n: int) -> dict[str, float]:
    return {name: round((after[name] - before.get(name, 0.0)) * 1000 / n, 2) for name in after}


class Mark(NamedTuple):
    """Where a scenario's measurement starts."""

    commands: dict[str, int]
    watcher_reads: int
    time: float
    cpu: dict[str, float]
    socket_reads: int


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
        self.redis_pid = _local_redis_pid(self.r)

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
    """Store ``SESSION`` as ``POST /sessions`` does (the same content again is a no-op)."""
    from shared.store import Database

    db = Database(env["DATABASE_URL"])
    try:
        db.create_schema()
        store_transcript(db, SESSION)
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


def run_anchor(b: Bench, n: int, suffix: str = "") -> dict[str, Any]:
    task = celery_task(b)
    app = task.app
    start = b.start()
    results, accepted = [], {}
    for _ in range(n):
        res = task.apply_async(
            kwargs=TASK_KWARGS,
            queue=b.env["QUEUE_SESSION"],
        )
        accepted[res.id] = time.time()
        results.append(res)
    t_sent = time.time()
    deadline = time.monotonic() + b.args.timeout
    for res in results:
        try:
            res.get(timeout=max(0.1, deadline - time.monotonic()))
        except CeleryTimeout:
            raise AssertionError(
                f"anchor: not every result within {b.args.timeout:g}s (task {res.id})"
            ) from None
    usage = b.usage(start, n)
    done = []
    for res in results:
        # when the result was stored (date_done), not when this loop read it
        stored = datetime.fromisoformat(app.backend.get_task_meta(res.id)["date_done"])
        done.append((res.id, stored.replace(tzinfo=stored.tzinfo or UTC).timestamp()))
    end = max(t for _, t in done)
    return {
        "scenario": f"anchor (delay + get){suffix}",
        "n": n,
        "accepted_per_s": n / (t_sent - start.time),
        "completed_per_s": n / (end - start.time),
        "latency_ms": stats([(t - accepted[i]) * 1000 for i, t in done]),
        "lag_ms": {},
        **usage,
    }


def run_events(b: Bench, n: int, suffix: str = "") -> dict[str, Any]:
    ids = [str(uuid.uuid4()) for _ in range(n)]
    start = b.start()
    accepted = b.xadd(ids)
    t_sent = time.time()
    b.watcher.wait(ids, b.args.timeout)
    return b.result(f"events (XADD){suffix}", start, t_sent, accepted)


async def _post_all(b: Bench, count: int, concurrency: int, rate: float) -> dict[str, float]:
    """POST ``count`` session requests: flat out over ``concurrency`` connections, or
    one every 1/``rate`` seconds (open loop: a new connection when all are busy)."""
    session = SESSION
    async with asyncio.timeout(30):  # the stored session the requests name (201, or 200 if there)
        answer = await Connection(b.stack.url).request("POST", "/sessions", orjson.dumps(session))
    if answer.status not in (200, 201):
        raise AssertionError(f"storing the demo session answered {answer.status}")
    body = orjson.dumps(TASK_KWARGS)
    accepted: dict[str, float] = {}
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(concurrency):
        idle.put_nowait(Connection(b.stack.url))

    async def one() -> None:
        connection = idle.get_nowait() if not idle.empty() else Connection(b.stack.url)
        try:
            for attempt in range(5):
                try:
                    async with asyncio.timeout(b.args.timeout):
                        answer = await connection.request(
                            "POST", "/summarization/summarize-session", body
                        )
                    break
                except TimeoutError:
                    raise AssertionError(
                        f"a POST had no answer within {b.args.timeout:g}s"
                    ) from None
                except (ConnectionError, OSError, asyncio.IncompleteReadError):
                    await connection.close()
                    await asyncio.sleep(0.05 * (attempt + 1))
            else:
                raise AssertionError("the gateway kept closing connections")
            if answer.status != 202:
                raise AssertionError(f"POST answered {answer.status}: {answer.body[:200]!r}")
            accepted[orjson.loads(answer.body)["task_id"]] = time.time()
        finally:
            idle.put_nowait(connection)

    if rate:
        t0 = time.monotonic()
        tasks = []
        for i in range(count):
            await asyncio.sleep(max(0.0, t0 + i / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    else:
        sem = asyncio.Semaphore(concurrency)

        async def bounded() -> None:
            async with sem:
                await one()

        await asyncio.gather(*(bounded() for _ in range(count)))
    while not idle.empty():
        await idle.get_nowait().close()
    return accepted


def run_http(b: Bench, n: int, suffix: str = "") -> dict[str, Any]:
    start = b.start()
    accepted = uvloop.run(_post_all(b, n, b.args.http_concurrency, 0.0))
    t_sent = time.time()
    b.watcher.wait(accepted, b.args.timeout)
    name = f"http (POST, {b.args.http_concurrency} conns){suffix}"
    return b.result(name, start, t_sent, accepted)


def run_paced(b: Bench, via: str) -> dict[str, Any]:
    rate, count = b.args.rate, int(b.args.rate * b.args.duration)
    start = b.start()
    if via == "events":
        accepted: dict[str, float] = {}
        began = time.monotonic()
        for i in range(count):
            time.sleep(max(0.0, began + i / rate - time.monotonic()))
            accepted.update(b.xadd([str(uuid.uuid4())]))
    else:
        accepted = uvloop.run(_post_all(b, count, 4, rate))
    t_sent = time.time()
    b.watcher.wait(accepted, b.args.timeout)
    return b.result(f"paced {via} @{rate:g}/s", start, t_sent, accepted) | {"rate": rate}


def run_reads(b: Bench) -> list[dict[str, Any]]:
    """Status reads of finished tasks: open loop at ``--read-rate``, then closed loop."""
    if not b.finished:
        run_events(b, 200)  # finished tasks to read
    paths = [f"/summarization/task-status/{task_id}" for task_id in b.finished[:2000]]
    timeout = b.args.timeout
    uvloop.run(read_load(b.stack.url, paths, 0, 1.0, 4, request_timeout=timeout))  # warm-up
    out = []
    for rate, conns in ((b.args.read_rate, 16), (0.0, b.args.read_concurrency)):
        c0, cpu0 = commands(b.r), b.cpu()
        load = uvloop.run(
            read_load(
                b.stack.url,
                paths,
                rate,
                b.args.duration,
                conns,
                request_timeout=timeout,
                max_conns=b.args.read_max_connections,
            )
        )
        gateway_s = b.cpu()["gateway"] - cpu0["gateway"]
        out.append(
            {
                "scenario": f"reads @{rate:g}/s" if rate else f"reads closed loop, {conns} conns",
                "rate": rate,
                "load": load,
                "latency_ms": stats(load.latencies_ms),
                "gateway_cpu_pct": 100 * gateway_s / load.seconds,
                "commands_per_read": (commands(b.r) - c0 - 1) / max(1, len(load.latencies_ms)),
            }
        )
    return out


def client_lagged(load: ReadLoad, rate: float) -> bool:
    """The open-loop client missed its schedule (then it, not the server, set the pace)."""
    return bool(rate) and (
        load.issued_per_s < 0.97 * rate or load.late > 0.01 * max(1, load.issued)
    )


def progress(text: str) -> None:
    with contextlib.suppress(OSError):  # a closed pipe (| head) must not stop the run
        print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def check_alive(stack: Stack) -> None:
    for name, service in stack.services.items():
        if service.process is not None and service.process.poll() is not None:
            raise AssertionError(
                f"{name} exited with {service.process.returncode}; its log: {service.log_path}"
            )


def run_soak(b: Bench, total: int, window: int) -> dict[str, Any]:
    """``total`` tasks via events, at most ``window`` unfinished; every 2 s each service's
    RSS (children included) and Redis' used memory are sampled."""
    samples: list[dict[str, Any]] = []
    sent = finished = 0
    outstanding: set[str] = set()
    t0 = last_progress = time.monotonic()
    last_sample = float("-inf")
    b.watcher.done.clear()

    def sample() -> None:
        check_alive(b.stack)
        memory: Any = b.r.info("memory")
        samples.append(
            {
                "done": finished,
                "seconds": time.monotonic() - t0,
                "rss_mb": memory_mb(b.stack, "VmRSS:"),
                "redis_mb": int(memory["used_memory"]) / 2**20,
            }
        )

    while finished < total:
        room = min(200, total - sent, window - len(outstanding))
        if room > 0:
            batch = [str(uuid.uuid4()) for _ in range(room)]
            b.xadd(batch)
            outstanding.update(batch)
            sent += room
        b.watcher.poll(block_ms=200)
        before = len(outstanding)
        outstanding -= b.watcher.done
        outstanding -= b.watcher.failed
        b.watcher.done.clear()  # bounded memory in the benchmark too
        now = time.monotonic()
        if len(outstanding) < before:
            finished += before - len(outstanding)
            last_progress = now
        elif now - last_progress > b.args.timeout:
            check_alive(b.stack)
            raise AssertionError(
                f"soak stalled: nothing finished for {b.args.timeout:g}s "
                f"({finished} of {total} done, {len(outstanding)} unfinished)"
            )
        if now - last_sample >= 2.0:
            sample()
            last_sample = now
    sample()
    warm = next((s for s in samples if s["done"] >= total // 10), samples[0])
    last = samples[-1]
    return {
        "scenario": f"soak {total} via events, window {window}",
        "seconds": last["seconds"],
        "failed": len(b.watcher.failed),
        "samples": samples,
        "warm": warm,
        "growth_mb": {
            name: mb - warm["rss_mb"].get(name, 0.0) for name, mb in last["rss_mb"].items()
        },
    }


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("-n", type=int, default=2000, help="tasks per burst (2000)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="anchor, events and http bursts, this many times in turn (1); each ratio is "
        "against its own round's anchor, and the median is reported",
    )
    parser.add_argument("--worker-concurrency", default="2")
    parser.add_argument("--gateway-workers", default="1", help="GATEWAY_WORKERS (1)")
    parser.add_argument("--http-concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=100.0, help="paced req/s (100)")
    parser.add_argument("--duration", type=float, default=10.0, help="paced and reads, s (10)")
    parser.add_argument("--read-rate", type=float, default=1000.0, help="open-loop reads/s")
    parser.add_argument("--read-concurrency", type=int, default=8, help="closed-loop reads")
    parser.add_argument(
        "--read-max-connections",
        type=int,
        default=64,
        help="open-loop reads: connections at most (64, the gateway's Redis pool)",
    )
    parser.add_argument(
        "--soak",
        type=int,
        default=0,
        help="tasks in the soak (0: none); its short retention applies to the whole run",
    )
    parser.add_argument("--soak-window", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=300.0, help="per wait, s")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}; choose from {', '.join(SCENARIOS)}")
    namespace = f"b{uuid.uuid4().hex[:8]}"
    tmp = Path("var/bench") / namespace
    tmp.mkdir(parents=True, exist_ok=True)
    env = {
        **isolated_env(args.redis_url, namespace, tmp),
        "SUMMARIZER_ENGINE": "fake",
        "WORKER_CONCURRENCY": args.worker_concurrency,
        "GATEWAY_WORKERS": args.gateway_workers,
        "LOG_LEVEL": "WARNING",
        **(SOAK_ENV if args.soak else {}),
    }
    stack = Stack(env, tmp)

    def interrupted(signum: int, _: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    bench = Bench(args, env, stack)
    results: list[dict[str, Any]] = []
    reads: list[dict[str, Any]] = []
    soak: dict[str, Any] | None = None
    try:
        progress(f"starting the worker (namespace {namespace}, logs in {tmp})")
        stack.start("worker")
        store_session(env)
        warm_up(bench, pipeline=False)
        for round_ in range(1, args.rounds + 1):
            suffix = f" #{round_}" if args.rounds > 1 else ""
            if "anchor" in chosen:
                if round_ > 1:  # plain Celery runs without them, as the guide has it
                    progress("stopping gateway, dispatcher, projector")
                    stop(bench.stack, names=PIPELINE)
                progress(f"anchor{suffix}: {args.n} tasks")
                anchor = run_anchor(bench, args.n, suffix)
                results.append(anchor | {"rss_mb": memory_mb(stack), "round": round_})
            if round_ == 1 or "anchor" in chosen:
                progress("starting gateway, dispatcher, projector")
                stack.start(*PIPELINE)
                wait_ready(stack, "dispatcher", "projector")
                warm_up(bench, pipeline=True)
            for name, burst in (("events", run_events), ("http", run_http)):
                if name in chosen:
                    progress(f"{name}{suffix}: {args.n} tasks")
                    result = burst(bench, args.n, suffix)
                    results.append(result | {"rss_mb": memory_mb(stack), "round": round_})
        paced = f"{args.rate:g}/s for {args.duration:g} s"
        runs: list[tuple[str, str, Callable[[], dict[str, Any]]]] = [
            ("paced", f"paced events: {paced}", lambda: run_paced(bench, "events")),
            ("paced", f"paced http: {paced}", lambda: run_paced(bench, "http")),
        ]
        for name, what, run in runs:
            if name in chosen:
                progress(what)
                results.append(run() | {"rss_mb": memory_mb(stack)})
        if "reads" in chosen:
            progress(
                f"status reads: {args.read_rate:g}/s, then closed loop, {args.duration:g} s each"
            )
            reads = run_reads(bench)
        if args.soak:
            progress(f"soak: {args.soak} tasks, at most {args.soak_window} unfinished")
            soak = run_soak(bench, args.soak, args.soak_window)
    except KeyboardInterrupt:
        progress("interrupted: stopping the services")
        return 130
    except AssertionError as exc:  # a timeout or a failed check: its message says which
        progress(f"FAILED: {exc}")
        return 1
    finally:
        try:
            stop(stack)  # first: nothing (not even a broken stdout) may skip it
        finally:
            cleanup(args.redis_url, namespace)
            progress("services stopped, the run's keys deleted")
    report(args, bench, results, reads, soak)
    return 0


def table(title: str, headers: list[str], rows: list[list[Any]]) -> None:
    """A titled table: the first column left-aligned, numbers right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *cells, strict=True)]
    print(f"\n{title}")
    for row in [headers, *cells]:
        print(
            "  ".join(
                str(c).ljust(w) if i == 0 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "-" if value != value else f"{value:.1f}"  # NaN: no figure
    return str(value)


def _verdict(value: float, target: float) -> str:
    return "yes" if value < target else "NO"


SERVICES = ("worker", "gateway", "dispatcher", "projector")
NAN = float("nan")


def report(args: argparse.Namespace, bench: Bench, results: list[dict[str, Any]],
           reads: list[dict[str, Any]], soak: dict[str, Any] | None) -> None:  # fmt: skip
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, Redis {bench.r.info('server')['redis_version']}; "
        f"n={args.n}, worker concurrency {args.worker_concurrency}, "
        f"gateway workers {args.gateway_workers}"
    )
    bursts = [r for r in results if "rate" not in r]
    paced = [r for r in results if "rate" in r]
    anchors = {
        r["round"]: r["completed_per_s"] for r in bursts if r["scenario"].startswith("anchor")
    }

    def vs_anchor(r: dict[str, Any]) -> float:
        return float(r["completed_per_s"] / anchors[r["round"]]) if anchors else NAN

    latency = ["p50 ms", "p95 ms", "p99 ms", "max ms", "lag p50", "lag p99", "cmd/task", "rt/task"]

    def figures(r: dict[str, Any]) -> list[Any]:
        lat, lag = r["latency_ms"], r["lag_ms"]
        return [
            lat["p50"],
            lat["p95"],
            lat["p99"],
            lat["max"],
            lag.get("p50", NAN),
            lag.get("p99", NAN),
            r["commands_per_task"],
            r["round_trips_per_task"],
        ]

    if bursts:
        table(
            f"bursts: {args.n} tasks each; latency accept -> SUCCESS visible",
            ["scenario", "acc/s", "done/s", "vs anchor", *latency],
            [
                [
                    r["scenario"],
                    f"{r['accepted_per_s']:.0f}",
                    f"{r['completed_per_s']:.0f}",
                    f"{vs_anchor(r):.2f}" if anchors else "-",
                    *figures(r),
                ]
                for r in bursts
            ],
        )
        if len(anchors) > 1:
            print(f"vs anchor, median of {len(anchors)} rounds (lowest-highest):")
            for via, prefix, target in (("events", "events", 1.0), ("http", "http", 0.9)):
                ratios = sorted(vs_anchor(r) for r in bursts if r["scenario"].startswith(prefix))
                if ratios:
                    print(
                        f"  {via}: {statistics.median(ratios):.2f} "
                        f"({ratios[0]:.2f}-{ratios[-1]:.2f}; target {target:g})"
                    )
    if paced:
        target = TARGETS["paced_p99_ms"]
        table(
            f"paced: {args.rate:g} req/s for {args.duration:g} s; latency accept -> SUCCESS "
            f"visible (target p99 < {target:g} ms)",
            ["scenario", "offered/s", "acc/s", "done/s", *latency, "p99 ok"],
            [
                [
                    r["scenario"],
                    f"{r['rate']:g}",
                    f"{r['accepted_per_s']:.0f}",
                    f"{r['completed_per_s']:.0f}",
                    *figures(r),
                    _verdict(r["latency_ms"]["p99"], target),
                ]
                for r in paced
            ],
        )
    if results:
        table(
            "CPU ms per task (the client: this process; redis: the server, when local,"
            " the benchmark's own reads included)",
            ["scenario", *SERVICES, "client", "redis"],
            [
                [
                    r["scenario"],
                    *(r["cpu_ms_per_task"].get(s, NAN) for s in (*SERVICES, "client", "redis")),
                ]
                for r in results
            ],
        )
        names = sorted(
            {k for r in results for k, v in r["commands_by_name"].items() if abs(v) >= 0.05}
        )
        table(
            "Redis commands per task, by command (0.05 and more): executed commands, those"
            " run by Lua scripts and inside MULTI included (round trips are fewer)",
            ["command", *(r["scenario"] for r in results)],
            [[k, *(r["commands_by_name"].get(k, 0.0) for r in results)] for k in names],
        )
        table(
            "peak RSS MB (a service and its children)",
            ["scenario", *SERVICES],
            [[r["scenario"], *(r["rss_mb"].get(s, NAN) for s in SERVICES)] for r in results],
        )
    if reads:
        target = TARGETS["reads_p99_ms"]
        table(
            f"status reads: GET /summarization/task-status/{{id}}, {args.duration:g} s each "
            f"(target p99 < {target:g} ms; open-loop latency from the scheduled time)",
            [
                "scenario",
                "issued/s",
                "answered/s",
                "p50 ms",
                "p99 ms",
                "max ms",
                "errors",
                "late",
                "max late ms",
                "client CPU %",
                "gateway CPU %",
                "conns",
                "cmd/read",
                "p99 ok",
            ],
            [
                [
                    r["scenario"],
                    f"{r['load'].issued_per_s:.0f}",
                    f"{r['load'].answered_per_s:.0f}",
                    f"{r['latency_ms'].get('p50', NAN):.2f}",
                    f"{r['latency_ms'].get('p99', NAN):.2f}",
                    r["latency_ms"].get("max", NAN),
                    r["load"].errors,
                    r["load"].late,
                    r["load"].max_late_ms,
                    100 * r["load"].client_cpu_s / r["load"].seconds,
                    r["gateway_cpu_pct"],
                    r["load"].connections,
                    f"{r['commands_per_read']:.1f}",
                    _verdict(r["latency_ms"].get("p99", NAN), target),
                ]
                for r in reads
            ],
        )
        for r in reads:
            load = r["load"]
            if client_lagged(load, r["rate"]):
                cpu = 100 * load.client_cpu_s / load.seconds
                why = (
                    "it used little CPU itself, so it waited for a core: the machine is"
                    " oversubscribed (fewer other processes, or more cores)"
                    if cpu < 50
                    else "it is CPU-bound itself: the figure is the load generator's"
                )
                print(
                    f"  {r['scenario']}: the client lagged (issued {load.issued_per_s:.0f}/s of "
                    f"{r['rate']:g}/s, {load.late} of {load.issued} requests > 5 ms late, at "
                    f"most {load.max_late_ms:.0f} ms, client CPU {cpu:.0f} %): {why}"
                )
            if r["load"].first_error:
                print(f"  {r['scenario']}: first error: {r['load'].first_error}")
    if soak:
        samples = soak["samples"]
        shown = samples[:: max(1, len(samples) // 12)]
        if shown[-1] is not samples[-1]:
            shown.append(samples[-1])
        table(
            f"{soak['scenario']}: {soak['seconds']:.0f} s, {soak['failed']} failed; RSS MB",
            ["done", "s", *SERVICES, "Redis MB (server)"],
            [
                [
                    s["done"],
                    s["seconds"],
                    *(s["rss_mb"].get(n, NAN) for n in SERVICES),
                    s["redis_mb"],
                ]
                for s in shown
            ],
        )
        target = TARGETS["soak_growth_mb"]
        growth = soak["growth_mb"]
        print(
            f"growth from the sample at {soak['warm']['done']} done (10 %) to the end, MB "
            f"(target < {target:g}): "
            + ", ".join(
                f"{n} {growth.get(n, NAN):+.1f} {_verdict(growth.get(n, NAN), target)}"
                for n in SERVICES
            )
        )


if __name__ == "__main__":
    sys.exit(main())
