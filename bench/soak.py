"""The soak: many tasks via events, a bounded number unfinished, the services' memory
sampled as it goes."""

import time
import uuid
from typing import Any

from bench.measure import memory_mb
from bench.run import Bench, check_alive

SOAK_ENV = {
    # status records and Celery results (result_expires follows it), sent-task memory,
    # consumed stream entries: all short-lived, so Redis stays small however long the soak
    "STATUS_TTL_SECONDS": "120",
    "DEDUPE_TTL_SECONDS": "120",
    "REDISPATCH_AFTER": "60",  # + REDISPATCH_INTERVAL (30): before the dedupe record expires
    "STREAM_RETENTION_SECONDS": "60",
    "STREAM_MAXLEN": "5000",
}


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
