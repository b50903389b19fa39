"""``python -m bench.pipeline``: this system beside plain Celery, in one run.

Same machine, same Redis, the same worker processes (fake engine, no simulated work):

1. anchor: plain Celery as the integration guide does it, ``apply_async`` + ``get()``;
2. events: N ``summarization.requested`` entries XADDed straight onto the stream;
3. http: N POSTs to the gateway (a stored session), concurrently.

For each it prints throughput, latency from accept to SUCCESS visible, the projector's
lag, Redis commands per task (INFO commandstats deltas: the machine's Redis may be
shared, so run it on a quiet one) and each process's peak RSS.

    python -m bench.pipeline -n 2000
"""

import argparse
import asyncio
import json
import os
import platform
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import redis

from services.cli.demo import demo_sessions
from tests.conftest import cleanup, isolated_env
from tests.stack import Stack, wait_for

TRANSCRIPT = [{"role": "candidate", "speaker": "Ada", "text": "I run the payments platform."}]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def commands(r: redis.Redis) -> int:
    return sum(int(v["calls"]) for v in r.info("commandstats").values())  # type: ignore[union-attr]


def peak_rss_mb(pid: int) -> float:
    """VmHWM of a process and its children, MB."""
    total = 0.0
    pids = [pid, *_children(pid)]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


ERRORS = [0]
"""HTTP transport errors the load generator retried."""
POLLS = [0]
"""Commands this benchmark's own polling sent (subtracted from the per-task figure)."""


def wait_visible(
    r: redis.Redis, prefix: str, ids: list[str], timeout: float
) -> dict[str, list[str]]:
    """Poll the status records until every task is SUCCESS; their (ts, projected_at)."""
    fields: dict[str, list[str]] = {}

    def done() -> bool:
        pipe = r.pipeline(transaction=False)
        missing = [t for t in ids if t not in fields]
        POLLS[0] += len(missing) + 1
        for t in missing:
            pipe.hmget(f"{prefix}task:{t}", "status", "ts", "projected_at")
        for t, (status, ts, projected) in zip(missing, pipe.execute(), strict=True):
            if status == "SUCCESS" and projected:
                fields[t] = [ts, projected]
        return len(fields) == len(ids)

    wait_for(done, timeout, "every task SUCCESS", every=0.05)
    return fields


def report(name: str, n: int, t0: float, t_sent: float, accepted: dict[str, float],
           visible: dict[str, list[str]], cmds: int) -> dict[str, Any]:  # fmt: skip
    latencies = [(float(v[1]) - accepted[t]) * 1000 for t, v in visible.items()]
    lags = [(float(v[1]) - float(v[0])) * 1000 for v in visible.values()]
    end = max(float(v[1]) for v in visible.values())
    return {
        "scenario": name,
        "n": n,
        "accepted_per_s": n / (t_sent - t0),
        "completed_per_s": n / (end - t0),
        "latency_ms": {
            q: pct(latencies, p) for q, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        }
        | {"max": max(latencies)},
        "projector_lag_ms": {"p50": pct(lags, 0.5), "p99": pct(lags, 0.99)} if lags else {},
        "redis_commands_per_task": cmds / n,
    }


def run_anchor(env: dict[str, str], n: int, r: redis.Redis) -> dict[str, Any]:
    os.environ.update(env)
    from services.worker.app import create_worker_app
    from services.worker.settings import WorkerSettings

    app = create_worker_app(WorkerSettings())
    task = app.tasks["summarization.summarize_session"]
    c0, t0 = commands(r), time.time()
    results, accepted = [], {}
    for i in range(n):
        res = task.apply_async(
            kwargs={"session_id": f"a{i}", "candidate_id": "c", "transcript": TRANSCRIPT},
            queue=env["QUEUE_SESSION"],
        )
        accepted[res.id] = time.time()
        results.append(res)
    t_sent = time.time()
    visible: dict[str, list[str]] = {}
    for res in results:
        res.get(timeout=300)
    got_all = time.time()
    for res in results:
        # visible = when the result was stored (date_done), not when this loop read it
        done = datetime.fromisoformat(app.backend.get_task_meta(res.id)["date_done"])
        stamp = repr(done.replace(tzinfo=done.tzinfo or UTC).timestamp())
        visible[res.id] = [stamp, stamp]
    out = report("anchor (delay + get)", n, t0, t_sent, accepted, visible, commands(r) - c0)
    out["projector_lag_ms"] = {}
    out["get_loop_s"] = got_all - t0
    return out


def run_events(env: dict[str, str], n: int, r: redis.Redis) -> dict[str, Any]:
    ids = [str(uuid.uuid4()) for _ in range(n)]
    POLLS[0] = 0
    c0, t0 = commands(r), time.time()
    accepted = {}
    pipe = r.pipeline(transaction=False)
    for task_id in ids:
        fields = {"task_id": task_id, "kind": "session", "candidate_id": "c", "session_id": "s"}
        pipe.xadd(env["STREAM_REQUESTED"], {**fields, "transcript": json.dumps(TRANSCRIPT)})
        accepted[task_id] = time.time()
    pipe.execute()
    t_sent = time.time()
    visible = wait_visible(r, env["KEY_PREFIX"], ids, 300)
    return report("events (XADD)", n, t0, t_sent, accepted, visible, commands(r) - c0 - POLLS[0])


def run_http(stack: Stack, n: int, r: redis.Redis, concurrency: int) -> dict[str, Any]:
    session = demo_sessions()[0]
    httpx.post(f"{stack.url}/sessions", json=session).raise_for_status()
    body = {"session_id": session["session_id"], "candidate_id": session["candidate_id"]}
    accepted: dict[str, float] = {}

    async def go() -> None:
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(base_url=stack.url, limits=limits, timeout=30) as client:
            sem = asyncio.Semaphore(concurrency)

            async def one() -> None:
                async with sem:
                    for attempt in range(5):
                        try:
                            answer = await client.post(
                                "/summarization/summarize-session", json=body
                            )
                            break
                        except httpx.TransportError:
                            ERRORS[0] += 1
                            await asyncio.sleep(0.05 * (attempt + 1))
                    else:
                        return
                    accepted[answer.json()["task_id"]] = time.time()

            await asyncio.gather(*(one() for _ in range(n)))

    POLLS[0] = 0
    c0, t0 = commands(r), time.time()
    asyncio.run(go())
    t_sent = time.time()
    visible = wait_visible(r, stack.env["KEY_PREFIX"], list(accepted), 300)
    return report("http (POST)", n, t0, t_sent, accepted, visible, commands(r) - c0 - POLLS[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("-n", type=int, default=2000, help="tasks per scenario")
    parser.add_argument("--worker-concurrency", default="2")
    parser.add_argument("--http-concurrency", type=int, default=32)
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    args = parser.parse_args(argv)
    namespace = f"b{uuid.uuid4().hex[:8]}"
    tmp = Path("var/bench") / namespace
    tmp.mkdir(parents=True, exist_ok=True)
    env = {
        **isolated_env(args.redis_url, namespace, tmp),
        "SUMMARIZER_ENGINE": "fake",
        "WORKER_CONCURRENCY": args.worker_concurrency,
        "LOG_LEVEL": "WARNING",
    }
    r = redis.Redis.from_url(args.redis_url, decode_responses=True)
    stack = Stack(env, tmp)
    results = []
    try:
        stack.start("worker")
        time.sleep(2)
        results.append(run_anchor(env, args.n, r))
        results[-1]["rss_mb"] = {"worker": peak_rss_mb(stack.services["worker"].process.pid)}  # type: ignore[union-attr]
        stack.start("gateway", "dispatcher", "projector")
        time.sleep(2)
        for run in (
            lambda: run_events(env, args.n, r),
            lambda: run_http(stack, args.n, r, args.http_concurrency),
        ):
            results.append(run())
            results[-1]["rss_mb"] = {
                name: round(peak_rss_mb(s.process.pid), 1)  # type: ignore[union-attr]
                for name, s in stack.services.items()
            }
    finally:
        stack.stop()
        cleanup(args.redis_url, namespace)
    anchor = results[0]["completed_per_s"]
    redis_version = r.info("server")["redis_version"]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, Redis {redis_version}; "
        f"n={args.n}, worker concurrency {args.worker_concurrency}"
    )
    print(
        f"{'scenario':22} {'acc/s':>8} {'done/s':>7} {'vs anchor':>9} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'lag p50':>8} {'lag p99':>8} {'cmd/task':>8}"
    )
    for res in results:
        lat, lag = res["latency_ms"], res["projector_lag_ms"]
        print(
            f"{res['scenario']:22} {res['accepted_per_s']:8.0f} {res['completed_per_s']:7.0f} "
            f"{res['completed_per_s'] / anchor:9.2f} {lat['p50']:8.1f} {lat['p95']:8.1f} "
            f"{lat['p99']:8.1f} {lat['max']:8.1f} {lag.get('p50', float('nan')):8.1f} "
            f"{lag.get('p99', float('nan')):8.1f} {res['redis_commands_per_task']:8.1f}"
        )
    for res in results:
        print(f"peak RSS MB, {res['scenario']}: {res['rss_mb']}")
    print(f"HTTP transport errors retried by the load generator: {ERRORS[0]}")
    print(f"anchor: the client's get() loop took {results[0]['get_loop_s']:.1f}s for all results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
