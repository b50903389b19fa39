"""The scenarios: plain Celery (the anchor), bursts of events and of HTTP requests, a
paced load, status reads. Each returns its figures."""

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import uvloop
from celery.exceptions import TimeoutError as CeleryTimeout

from bench.http import Connection
from bench.measure import commands, stats
from bench.reads import ReadLoad, read_load
from bench.run import SESSION, TASK_KWARGS, Bench, celery_task


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
        answer = await Connection(b.stack.url, b.stack.api_key).request(
            "POST", "/sessions", orjson.dumps(session)
        )
    if answer.status not in (200, 201):
        raise AssertionError(f"storing the demo session answered {answer.status}")
    body = orjson.dumps(TASK_KWARGS)
    accepted: dict[str, float] = {}
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(concurrency):
        idle.put_nowait(Connection(b.stack.url, b.stack.api_key))

    async def one() -> None:
        connection = (
            idle.get_nowait() if not idle.empty() else Connection(b.stack.url, b.stack.api_key)
        )
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
    key = b.stack.api_key
    warm_up = read_load(b.stack.url, paths, 0, 1.0, 4, request_timeout=timeout, api_key=key)
    uvloop.run(warm_up)
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
                api_key=key,
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
