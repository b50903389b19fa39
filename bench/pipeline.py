"""``python -m bench.pipeline`` (``make bench``): this system beside plain Celery, in one run.

Same machine, same Redis, the same worker processes (fake engine, no simulated work):

* ``anchor``: plain Celery as the integration guide does it, ``apply_async`` + ``get()``;
* ``events``: a burst of N ``summarization.requested`` entries XADDed onto the stream;
* ``http``: a burst of N POSTs to the gateway (a stored session), ``--http-concurrency``
  connections;
* ``paced``: ``--rate`` requests a second for ``--duration`` seconds, via events, then HTTP;
* ``reads``: ``GET /summarization/task-status/{id}`` of finished tasks, open loop at
  ``--read-rate`` for ``--duration`` seconds, then closed loop (the ceiling);
* ``--soak N``: N tasks via events, at most ``--soak-window`` unfinished, with the
  services' memory sampled (short retention settings keep Redis small).

A task is done when its ``summarization.completed`` event is read (written in the same
Lua call that makes its record SUCCESS); latency runs from accept (XADD returned / 202
received / ``apply_async`` returned) to the record's ``projected_at`` (the anchor: the
result's ``date_done``). Redis commands per task are ``INFO commandstats`` deltas less
the benchmark's own reads; run it on a quiet Redis.

    python -m bench.pipeline -n 2000
    python -m bench.pipeline --scenarios events,reads --duration 5
    python -m bench.pipeline --scenarios events --soak 200000
"""

import argparse
import asyncio
import json
import os
import platform
import signal
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import orjson
import redis
import uvloop

from bench.http import Connection
from bench.watch import CompletionWatcher, timings
from services.cli.demo import demo_sessions
from tests.conftest import cleanup, isolated_env
from tests.stack import Stack

SCENARIOS = ("anchor", "events", "http", "paced", "reads")
TRANSCRIPT = [{"role": "candidate", "speaker": "Ada", "text": "I run the payments platform."}]
SOAK_ENV = {"STATUS_TTL_SECONDS": "120", "STREAM_RETENTION_SECONDS": "60", "STREAM_MAXLEN": "5000"}


def stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def q(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return {"p50": q(0.5), "p95": q(0.95), "p99": q(0.99), "max": ordered[-1]}


def commands(r: redis.Redis) -> int:
    return sum(int(v["calls"]) for v in r.info("commandstats").values())  # type: ignore[union-attr]


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
        if service.process is not None:
            pids = _family(service.process.pid)
            out[name] = round(sum(_proc_kb(p, field) for p in pids) / 1024, 1)
    return out


def cpu_seconds(stack: Stack) -> dict[str, float]:
    """CPU time (user + system) of each service, its children included, and of this
    client process."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for name, service in stack.services.items():
        if service.process is None:
            continue
        total = 0.0
        for pid in _family(service.process.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
        out[name] = total
    me = os.times()
    out["client"] = me.user + me.system
    return out


def cpu_ms_per_task(before: dict[str, float], after: dict[str, float], n: int) -> dict[str, float]:
    return {name: round((after[name] - before.get(name, 0.0)) * 1000 / n, 2) for name in after}


class Bench:
    """One run: its stack, its Redis clients and the completion watcher."""

    def __init__(self, args: argparse.Namespace, env: dict[str, str], stack: Stack) -> None:
        self.args = args
        self.env = env
        self.stack = stack
        self.r = redis.Redis.from_url(args.redis_url, decode_responses=True)
        self.raw = redis.Redis.from_url(args.redis_url)
        self.watcher = CompletionWatcher(self.raw, env["STREAM_COMPLETED"], env["STREAM_FAILED"])
        self.finished: list[str] = []

    def xadd(self, task_ids: list[str]) -> dict[str, float]:
        """XADD the requests in one pipeline; their accept times."""
        pipe = self.r.pipeline(transaction=False)
        for task_id in task_ids:
            pipe.xadd(self.env["STREAM_REQUESTED"], _request_fields(task_id))
        pipe.execute()
        now = time.time()
        return dict.fromkeys(task_ids, now)

    def start(self) -> tuple[int, int, float, dict[str, float]]:
        """What a scenario's figures are measured from: commands, watcher reads, time, CPU."""
        return commands(self.r), self.watcher.reads, time.time(), cpu_seconds(self.stack)

    def result(self, name: str, start: tuple[int, int, float, dict[str, float]],
               t_sent: float, accepted: dict[str, float]) -> dict[str, Any]:  # fmt: skip
        """Figures of a scenario whose tasks are all done (the commands counted first)."""
        c0, reads_before, t0, cpu0 = start
        cpu = cpu_ms_per_task(cpu0, cpu_seconds(self.stack), len(accepted))
        own = self.watcher.reads - reads_before
        cmds = commands(self.r) - c0 - own - 1  # less the INFO call itself
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
            "commands_per_task": cmds / n,
            "cpu_ms_per_task": cpu,
        }


def _request_fields(task_id: str) -> dict[str, str]:
    return {
        "task_id": task_id,
        "kind": "session",
        "candidate_id": "c",
        "session_id": "s",
        "transcript": json.dumps(TRANSCRIPT),
    }


def run_anchor(b: Bench, n: int) -> dict[str, Any]:
    os.environ.update(b.env)
    from services.worker.app import create_worker_app
    from services.worker.settings import WorkerSettings

    app = create_worker_app(WorkerSettings())
    task = app.tasks["summarization.summarize_session"]
    cpu0 = cpu_seconds(b.stack)
    c0, t0 = commands(b.r), time.time()
    results, accepted = [], {}
    for i in range(n):
        res = task.apply_async(
            kwargs={"session_id": f"a{i}", "candidate_id": "c", "transcript": TRANSCRIPT},
            queue=b.env["QUEUE_SESSION"],
        )
        accepted[res.id] = time.time()
        results.append(res)
    t_sent = time.time()
    for res in results:
        res.get(timeout=b.args.timeout)
    cmds = commands(b.r) - c0
    cpu = cpu_ms_per_task(cpu0, cpu_seconds(b.stack), n)
    done = []
    for res in results:
        # when the result was stored (date_done), not when this loop read it
        stored = datetime.fromisoformat(app.backend.get_task_meta(res.id)["date_done"])
        done.append((res.id, stored.replace(tzinfo=stored.tzinfo or UTC).timestamp()))
    end = max(t for _, t in done)
    return {
        "scenario": "anchor (delay + get)",
        "n": n,
        "accepted_per_s": n / (t_sent - t0),
        "completed_per_s": n / (end - t0),
        "latency_ms": stats([(t - accepted[i]) * 1000 for i, t in done]),
        "lag_ms": {},
        "commands_per_task": cmds / n,
        "cpu_ms_per_task": cpu,
    }


def run_events(b: Bench, n: int) -> dict[str, Any]:
    ids = [str(uuid.uuid4()) for _ in range(n)]
    start = b.start()
    accepted = b.xadd(ids)
    t_sent = time.time()
    b.watcher.wait(ids, b.args.timeout)
    return b.result("events (XADD)", start, t_sent, accepted)


async def _post_all(b: Bench, count: int, concurrency: int, rate: float) -> dict[str, float]:
    """POST ``count`` session requests: flat out over ``concurrency`` connections, or
    one every 1/``rate`` seconds (open loop: a new connection when all are busy)."""
    session = demo_sessions()[0]
    async with asyncio.timeout(30):  # the stored session the requests name (201, or 200 if there)
        answer = await Connection(b.stack.url).request("POST", "/sessions", orjson.dumps(session))
    if answer.status not in (200, 201):
        raise AssertionError(f"storing the demo session answered {answer.status}")
    body = orjson.dumps({k: session[k] for k in ("session_id", "candidate_id")})
    accepted: dict[str, float] = {}
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(concurrency):
        idle.put_nowait(Connection(b.stack.url))

    async def one() -> None:
        connection = idle.get_nowait() if not idle.empty() else Connection(b.stack.url)
        try:
            for attempt in range(5):
                try:
                    answer = await connection.request(
                        "POST", "/summarization/summarize-session", body
                    )
                    break
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


def run_http(b: Bench, n: int) -> dict[str, Any]:
    start = b.start()
    accepted = uvloop.run(_post_all(b, n, b.args.http_concurrency, 0.0))
    t_sent = time.time()
    b.watcher.wait(accepted, b.args.timeout)
    return b.result(f"http (POST, {b.args.http_concurrency} conns)", start, t_sent, accepted)


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
    return b.result(f"paced {via} @{rate:g}/s", start, t_sent, accepted)


async def _reads(
    url: str, paths: list[str], rate: float, seconds: float, conns: int
) -> dict[str, Any]:
    """Open loop at ``rate`` (latency counted from each request's scheduled time, so
    queueing in the client counts too), or closed loop with ``conns`` when rate is 0."""
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(conns):
        idle.put_nowait(Connection(url))
    latencies: list[float] = []
    errors = 0
    late = 0

    async def one(path: str, scheduled: float) -> None:
        nonlocal errors
        connection = await idle.get()
        try:
            answer = await connection.request("GET", path)
            if answer.status != 200:
                errors += 1
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            errors += 1
            await connection.close()
        finally:
            idle.put_nowait(connection)
        latencies.append((time.monotonic() - scheduled) * 1000)

    t0 = time.monotonic()
    if rate:
        tasks = []
        for i in range(int(rate * seconds)):
            scheduled = t0 + i / rate
            delay = scheduled - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.005:
                late += 1
            tasks.append(asyncio.create_task(one(paths[i % len(paths)], scheduled)))
        await asyncio.gather(*tasks)
    else:

        async def loop(k: int) -> None:
            i = k
            while time.monotonic() - t0 < seconds:
                await one(paths[i % len(paths)], time.monotonic())
                i += conns

        await asyncio.gather(*(loop(k) for k in range(conns)))
    elapsed = time.monotonic() - t0
    while not idle.empty():
        await idle.get_nowait().close()
    return {
        "requests": len(latencies),
        "per_s": len(latencies) / elapsed,
        "latency_ms": stats(latencies),
        "errors": errors,
        "client_late": late,
    }


def run_reads(b: Bench) -> list[dict[str, Any]]:
    if not b.finished:
        run_events(b, 200)  # finished tasks to read
    paths = [f"/summarization/task-status/{task_id}" for task_id in b.finished[:2000]]
    uvloop.run(_reads(b.stack.url, paths, 0, 1.0, 4))  # warm-up
    out = []
    for rate, conns in ((b.args.read_rate, 16), (0.0, b.args.read_concurrency)):
        c0 = commands(b.r)
        figures = uvloop.run(_reads(b.stack.url, paths, rate, b.args.duration, conns))
        figures["scenario"] = f"reads @{rate:g}/s" if rate else f"reads closed loop, {conns} conns"
        figures["commands_per_read"] = (commands(b.r) - c0 - 1) / max(1, figures["requests"])
        out.append(figures)
    return out


def run_soak(b: Bench, total: int, window: int) -> dict[str, Any]:
    """``total`` tasks via events, at most ``window`` unfinished; memory sampled."""
    samples: list[tuple[int, dict[str, float]]] = []
    sent, t0, last_sample = 0, time.time(), 0.0
    outstanding: set[str] = set()
    while sent < total or outstanding:
        if sent < total and len(outstanding) < window:
            batch = [str(uuid.uuid4()) for _ in range(min(200, total - sent, window))]
            b.xadd(batch)
            outstanding.update(batch)
            sent += len(batch)
        if not b.watcher.poll(block_ms=200) and time.time() - t0 > b.args.timeout + total / 10:
            raise AssertionError(f"soak stalled with {len(outstanding)} unfinished")
        outstanding -= b.watcher.done
        outstanding -= b.watcher.failed
        b.watcher.done.clear()  # bounded memory in the benchmark too
        if time.monotonic() - last_sample >= 2.0:
            samples.append((sent - len(outstanding), memory_mb(b.stack, "VmRSS:")))
            last_sample = time.monotonic()
    samples.append((total, memory_mb(b.stack, "VmRSS:")))
    warm = next((s for s in samples if s[0] >= total // 10), samples[0])
    growth = {name: round(samples[-1][1][name] - mb, 1) for name, mb in warm[1].items()}
    return {
        "scenario": f"soak {total} via events",
        "seconds": time.time() - t0,
        "failed": len(b.watcher.failed),
        "samples": samples,
        "growth_after_warmup_mb": growth,
        "warmup_at": warm[0],
    }


def print_table(results: list[dict[str, Any]], anchor: float | None) -> None:
    print(
        f"{'scenario':30} {'acc/s':>8} {'done/s':>7} {'vs anchor':>9} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'lag p50':>8} {'lag p99':>8} {'cmd/task':>8}"
    )
    for res in results:
        lat, lag = res["latency_ms"], res["lag_ms"]
        burst = not res["scenario"].startswith("paced")
        ratio = f"{res['completed_per_s'] / anchor:9.2f}" if anchor and burst else f"{'-':>9}"
        print(
            f"{res['scenario']:30} {res['accepted_per_s']:8.0f} {res['completed_per_s']:7.0f} "
            f"{ratio} {lat['p50']:8.1f} {lat['p95']:8.1f} {lat['p99']:8.1f} {lat['max']:8.1f} "
            f"{lag.get('p50', float('nan')):8.1f} {lag.get('p99', float('nan')):8.1f} "
            f"{res['commands_per_task']:8.1f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("-n", type=int, default=2000, help="tasks per burst (2000)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    parser.add_argument("--worker-concurrency", default="2")
    parser.add_argument("--gateway-workers", default="1", help="GATEWAY_WORKERS (1)")
    parser.add_argument("--http-concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=100.0, help="paced req/s (100)")
    parser.add_argument("--duration", type=float, default=10.0, help="paced and reads, s (10)")
    parser.add_argument("--read-rate", type=float, default=1000.0, help="open-loop reads/s")
    parser.add_argument("--read-concurrency", type=int, default=8, help="closed-loop reads")
    parser.add_argument("--soak", type=int, default=0, help="tasks in the soak (0: none)")
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
        stack.start("worker")
        time.sleep(2)
        if "anchor" in chosen:
            results.append(run_anchor(bench, args.n) | {"rss_mb": memory_mb(stack)})
        stack.start("gateway", "dispatcher", "projector")
        time.sleep(2)
        runs: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("events", lambda: run_events(bench, args.n)),
            ("http", lambda: run_http(bench, args.n)),
            ("paced", lambda: run_paced(bench, "events")),
            ("paced", lambda: run_paced(bench, "http")),
        ]
        for name, run in runs:
            if name in chosen:
                results.append(run() | {"rss_mb": memory_mb(stack)})
        if "reads" in chosen:
            reads = run_reads(bench)
        if args.soak:
            soak = run_soak(bench, args.soak, args.soak_window)
    except KeyboardInterrupt:
        print("interrupted: stopping the services", file=sys.stderr)
        return 130
    finally:
        stack.stop()
        cleanup(args.redis_url, namespace)
    report(args, bench, results, reads, soak)
    return 0


def report(args: argparse.Namespace, bench: Bench, results: list[dict[str, Any]],
           reads: list[dict[str, Any]], soak: dict[str, Any] | None) -> None:  # fmt: skip
    anchors = [r["completed_per_s"] for r in results if r["scenario"].startswith("anchor")]
    anchor = anchors[0] if anchors else None
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, Redis {bench.r.info('server')['redis_version']}; "
        f"n={args.n}, worker concurrency {args.worker_concurrency}, "
        f"gateway workers {args.gateway_workers}"
    )
    if results:
        print_table(results, anchor)
        for res in results:
            print(f"CPU ms per task, {res['scenario']}: {res['cpu_ms_per_task']}")
        for res in results:
            print(f"peak RSS MB, {res['scenario']}: {res['rss_mb']}")
    for r in reads:
        lat = r["latency_ms"]
        print(
            f"{r['scenario']:32} {r['per_s']:7.0f} req/s  p50 {lat['p50']:.2f} ms  p99 "
            f"{lat['p99']:.2f} ms  max {lat['max']:.1f} ms  errors {r['errors']}  "
            f"client late {r['client_late']}  Redis cmds/read {r['commands_per_read']:.1f}"
        )
    if soak:
        print(f"{soak['scenario']}: {soak['seconds']:.0f} s, failed {soak['failed']}")
        for done, mb in soak["samples"][:: max(1, len(soak["samples"]) // 12)]:
            print(f"  done {done:>8}: RSS MB {mb}")
        print(f"  last: RSS MB {soak['samples'][-1][1]}")
        print(
            f"  growth from {soak['warmup_at']} done (10 %) to the end, MB: "
            f"{soak['growth_after_warmup_mb']}"
        )


if __name__ == "__main__":
    sys.exit(main())
