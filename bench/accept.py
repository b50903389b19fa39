"""The gateway's accept path alone: POST /summarization/summarize-session flat out over
keep-alive connections, no dispatcher behind it; throughput and the gateway's CPU per
request. For the cost of authentication and the limits on that path:

    python -m bench.accept -n 3000                  # a key without a rate limit
    python -m bench.accept -n 3000 --rate-limited   # + the token bucket (one script call)
    python -m bench.accept -n 3000 --rate-limited --slots 10   # + the candidate's slots

Each request names its own candidate, as a real load does (slots are per candidate).
"""

import argparse
import asyncio
import time
import uuid
from pathlib import Path

import orjson
import uvloop

from bench.http import Connection
from bench.measure import cpu_seconds
from tests.conftest import DEFAULT_URL, cleanup, isolated_env
from tests.stack import Stack, make_key


async def post_all(url: str, key: str, n: int, concurrency: int) -> int:
    """POST ``n`` requests over ``concurrency`` connections; how many were accepted."""
    accepted = 0
    bodies = iter(range(n))

    async def worker() -> None:
        nonlocal accepted
        connection = Connection(url, key)
        for i in bodies:
            body = orjson.dumps({"session_id": f"s{i}", "candidate_id": f"c{i}"})
            answer = await connection.request("POST", "/summarization/summarize-session", body)
            accepted += answer.status == 202
        await connection.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return accepted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate-limited", action="store_true", help="a key with a bucket")
    parser.add_argument("--slots", default="0", help="MAX_ACTIVE_PER_CANDIDATE (0: off)")
    parser.add_argument("--redis-url", default=DEFAULT_URL)
    args = parser.parse_args()
    namespace = f"a{uuid.uuid4().hex[:8]}"
    tmp = Path("var/bench") / namespace
    tmp.mkdir(parents=True, exist_ok=True)
    env = {
        **isolated_env(args.redis_url, namespace, tmp),
        "LOG_LEVEL": "WARNING",
        "MAX_ACTIVE_PER_CANDIDATE": args.slots,
        "MAX_BACKLOG": str(args.n * 3),
    }
    stack = Stack(env, tmp)
    key = stack.api_key
    if args.rate_limited:  # a bucket that never runs dry: its cost, not its refusals
        key = make_key(env["DATABASE_URL"], rate_per_second=1e6, burst=10**6)
    try:
        stack.start("gateway")
        uvloop.run(post_all(stack.url, key, 200, args.concurrency))  # warm-up
        before, started = cpu_seconds(stack), time.perf_counter()
        accepted = uvloop.run(post_all(stack.url, key, args.n, args.concurrency))
        elapsed, after = time.perf_counter() - started, cpu_seconds(stack)
    finally:
        stack.stop()
        cleanup(args.redis_url, namespace)
    cpu_ms = (after["gateway"] - before["gateway"]) * 1000 / args.n
    print(
        f"accepted {accepted}/{args.n} in {elapsed:.2f} s: {args.n / elapsed:.0f} req/s,"
        f" gateway {cpu_ms:.3f} ms CPU per request"
        f" (rate-limited={args.rate_limited}, slots={args.slots})"
    )


if __name__ == "__main__":
    main()
