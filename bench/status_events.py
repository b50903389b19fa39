"""Live task status (SSE): what N open event streams cost one gateway process.

    python -m bench.status_events -n 500

N tasks are accepted (no dispatcher behind the gateway: they stay PENDING) and N clients
follow one each; then every task goes STARTED, then SUCCESS (the transition script, as
the projector applies it, in batches of 100). Reported: the gateway's memory per open
stream; its CPU and the XREADs it sent while the streams sat idle and while they
delivered; the delivery latency (transition applied -> event received by its client).
A Redis server of its own (the bundled one) unless --redis-url, so that Redis' command
counts are the gateway's alone.
"""

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import orjson

from bench.measure import command_calls, cpu_seconds, memory_mb, stats
from shared.redis_client import async_redis, sync_redis
from shared.redis_server import BundledRedis, free_port
from shared.task_state import AsyncStateWriter, Change, StateConfig, TransitionName
from tests.conftest import isolated_env
from tests.stack import Stack, make_key

BATCH = 100


class Followers:
    """N clients, each following one task: when each saw each status. Raw HTTP/1.1 on
    asyncio streams: httpx's pool does work in the number of open connections for every
    one it opens or closes, and would be what is measured."""

    def __init__(self, url: str, key: str, task_ids: list[str]) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.key = key
        self.task_ids = task_ids
        self.seen: dict[str, dict[str, float]] = {t: {} for t in task_ids}
        self.closed = 0

    async def follow(self, task_id: str) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        writer.write(
            f"GET /summarization/task-status/{task_id}/events HTTP/1.1\r\n"
            f"Host: {self.host}\r\nAuthorization: Bearer {self.key}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        status_line = await reader.readline()
        assert b" 200 " in status_line, status_line
        while line := await reader.readline():  # one event per chunk: its lines are whole
            if line.startswith(b"data:"):
                status = orjson.loads(line[5:])["status"]
                self.seen[task_id][status] = time.time()
        writer.close()
        self.closed += 1

    def count(self, status: str) -> int:
        return sum(status in seen for seen in self.seen.values())


async def until(predicate: Callable[[], bool], within: float = 120.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the streams did not get there in time")
        await asyncio.sleep(0.01)


async def steps(
    writer: AsyncStateWriter, task_ids: list[str], name: TransitionName
) -> dict[str, float]:
    """Apply ``name`` to every task, in batches; when each batch was sent."""
    sent = {}
    for i in range(0, len(task_ids), BATCH):
        batch = task_ids[i : i + BATCH]
        now = time.time()
        await writer.apply_many([Change(name, t, now, {}, attempt=1) for t in batch])
        sent.update(dict.fromkeys(batch, now))
    return sent


async def run(args: argparse.Namespace, stack: Stack) -> None:
    env = stack.env
    r = sync_redis(env["REDIS_URL"])
    key = make_key(env["DATABASE_URL"])
    http = stack.client(key)
    task_ids = []
    for i in range(args.n):
        body = {"session_id": "s1", "candidate_id": f"c{i}"}
        task_ids.append(http.post("/summarization/summarize-session", json=body).json()["task_id"])
    writer = AsyncStateWriter(
        async_redis(env["REDIS_URL"]),
        StateConfig(
            env["KEY_PREFIX"], 3600, 100_000, env["STREAM_COMPLETED"], env["STREAM_FAILED"],
            env["STREAM_TASKS_DLQ"], env["STREAM_STATUS_CHANGES"],
        ),
    )  # fmt: skip
    rss_before = memory_mb(stack, "VmRSS:")["gateway"]
    followers = Followers(stack.url, key, task_ids)
    following = [asyncio.create_task(followers.follow(t)) for t in task_ids]
    await until(lambda: followers.count("PENDING") == args.n)
    rss_open = memory_mb(stack, "VmRSS:")["gateway"]

    def mark() -> tuple[float, int]:
        return cpu_seconds(stack)["gateway"], command_calls(r).get("xread", 0)

    cpu0, xread0 = mark()
    await asyncio.sleep(args.idle)
    cpu1, xread1 = mark()
    started = await steps(writer, task_ids, TransitionName.START)
    await until(lambda: followers.count("STARTED") == args.n)
    succeeded = await steps(writer, task_ids, TransitionName.SUCCEED)
    await until(lambda: followers.closed == args.n)
    cpu2, xread2 = mark()
    await asyncio.gather(*following)

    def latency(status: str, sent: dict[str, float]) -> dict[str, float]:
        values = [followers.seen[t][status] - sent[t] for t in task_ids]
        return {k: round(v * 1000, 1) for k, v in stats(values).items()}

    print(f"streams: {args.n}")
    print(f"gateway RSS: {rss_before} MB -> {rss_open} MB with the streams open")
    print(f"idle {args.idle:g} s: gateway CPU {cpu1 - cpu0:.2f} s, XREADs {xread1 - xread0}")
    print(
        f"delivering {2 * args.n} events: gateway CPU {cpu2 - cpu1:.2f} s, XREADs {xread2 - xread1}"
    )
    print(f"latency, applied -> received (ms): STARTED {latency('STARTED', started)}")
    print(f"                                     SUCCESS {latency('SUCCESS', succeeded)}")
    print(f"client CPU (the followers): {cpu_seconds(stack)['client']:.2f} s")
    http.close()
    r.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=500, help="open streams (tasks followed)")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds the streams sit idle")
    parser.add_argument("--redis-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = None
        if not args.redis_url:
            server = BundledRedis(port=free_port(), data_dir=Path(tmp) / "redis").start()
        url = args.redis_url or (server.url if server else "")
        namespace = f"b{uuid.uuid4().hex[:8]}"
        env = {
            **isolated_env(url, namespace, Path(tmp)),
            "LOG_LEVEL": "WARNING",
            "SSE_MAX_STREAMS": str(args.n),
            "MAX_ACTIVE_PER_CANDIDATE": "0",
            "MAX_BACKLOG": str(args.n * 2),
        }
        stack = Stack(env, Path(tmp))
        try:
            stack.start("gateway")
            asyncio.run(run(args, stack))
        finally:
            stack.stop()
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
