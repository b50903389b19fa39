"""Load generator for status reads: open loop at a fixed rate, or closed loop (the ceiling).

One uvloop process with the lean keep-alive client of ``bench.http``: at 1,000 req/s it
uses a fraction of one core (its CPU share is measured and printed), so it can offer the
rate on a 2-core machine shared with the gateway. Whether it kept its schedule is
measured too: requests issued late (> 5 ms after their scheduled time) and the worst
lateness. Open-loop latency runs from each request's *scheduled* time, so a slow server
cannot hide queueing behind a client that waited for it (no coordinated omission); a new
connection is opened when all are busy, up to ``max_conns`` (then requests wait for one,
their wait counted in their latency). The default cap, 64, is the size of the gateway's
Redis connection pool: with more requests in flight than that, an overloaded gateway
answers 500 (the pool is exhausted) instead of queueing them.
"""

import asyncio
import gc
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.http import Connection

LATE_S = 0.005


@dataclass
class ReadLoad:
    seconds: float = 0.0
    """From the first request to the last answer."""
    issued: int = 0
    issue_seconds: float = 0.0
    """From the first to the last request sent (open loop: the schedule's length)."""
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    late: int = 0
    max_late_ms: float = 0.0
    client_cpu_s: float = 0.0
    connections: int = 0

    @property
    def answered_per_s(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    @property
    def issued_per_s(self) -> float:
        return self.issued / self.issue_seconds if self.issue_seconds else 0.0


async def read_load(
    url: str,
    paths: list[str],
    rate: float,
    seconds: float,
    conns: int,
    request_timeout: float,
    max_conns: int = 64,
    api_key: str = "",
) -> ReadLoad:
    """GET ``paths`` (round robin): ``rate``/s for ``seconds`` (open loop, ``conns``
    connections growing up to ``max_conns``), or flat out from ``conns`` connections for
    ``seconds`` when ``rate`` is 0; ``request_timeout`` s each."""
    load = ReadLoad()
    initial = [Connection(url, api_key) for _ in range(conns)]
    async with asyncio.timeout(request_timeout):  # connected before the clock starts
        await asyncio.gather(*(c.request("GET", paths[0]) for c in initial))
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for connection in initial:
        idle.put_nowait(connection)
    load.connections = conns
    cap = max(conns, max_conns) if rate else conns

    async def take() -> Connection:
        if idle.empty() and load.connections < cap:
            load.connections += 1
            return Connection(url, api_key)
        return await idle.get()

    async def one(path: str, scheduled: float) -> None:
        connection = await take()
        try:
            async with asyncio.timeout(request_timeout):
                answer = await connection.request("GET", path)
        except (ConnectionError, OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            load.errors += 1
            load.first_error = load.first_error or f"{type(exc).__name__}: {exc}"[:200]
            await connection.close()
        else:
            if answer.status == 200:
                load.latencies_ms.append((time.monotonic() - scheduled) * 1000)
            else:
                load.errors += 1
                load.first_error = (
                    load.first_error or f"HTTP {answer.status}: {answer.body[:100]!r}"
                )
        finally:
            idle.put_nowait(connection)

    gc.collect()
    gc.disable()  # the benchmark's own heap is large: a full collection made it late
    try:
        return await _run(load, one, paths, rate, seconds, conns, idle)
    finally:
        gc.enable()


async def _run(
    load: ReadLoad,
    one: Callable[[str, float], Awaitable[None]],
    paths: list[str],
    rate: float,
    seconds: float,
    conns: int,
    idle: "asyncio.Queue[Connection]",
) -> ReadLoad:
    cpu0 = sum(os.times()[:2])
    t0 = time.monotonic()
    if rate:
        tasks = []
        for i in range(max(1, int(rate * seconds))):
            scheduled = t0 + i / rate
            delay = scheduled - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif -delay > LATE_S:
                load.late += 1
                load.max_late_ms = max(load.max_late_ms, -delay * 1000)
            tasks.append(asyncio.create_task(one(paths[i % len(paths)], scheduled)))
        load.issued = len(tasks)
        # the schedule spans (count - 1) / rate; the time the client took to keep it
        load.issue_seconds = max(time.monotonic() - t0, (load.issued - 1) / rate) or 1 / rate
        await asyncio.gather(*tasks)
    else:

        async def caller(k: int) -> None:
            i = k
            while time.monotonic() - t0 < seconds:
                await one(paths[i % len(paths)], time.monotonic())
                load.issued += 1
                i += conns

        await asyncio.gather(*(caller(k) for k in range(conns)))
        load.issue_seconds = time.monotonic() - t0
    load.seconds = time.monotonic() - t0
    load.client_cpu_s = sum(os.times()[:2]) - cpu0
    while not idle.empty():
        await idle.get_nowait().close()
    return load
