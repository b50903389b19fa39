"""Know when tasks are done the way a subscriber does: read ``summarization.completed``.

Polling every status record would load Redis and the benchmark's own process with
thousands of reads a second, taken from the system under test. The completion event is
written in the same Lua call that makes the record SUCCESS, so seeing the event is seeing
the status. Timings come from the records afterwards, in one pipelined pass.
"""

import time
from collections.abc import Iterable
from typing import Any

import orjson
import redis


class CompletionWatcher:
    """Follows the completion (and failure) streams from the moment it is made."""

    def __init__(self, client: redis.Redis, completed: str, failed: str) -> None:
        self._redis = client
        self._last = {stream: self._tail(stream) for stream in (completed, failed)}
        self._failed_stream = failed
        self.done: set[str] = set()
        self.failed: set[str] = set()
        self.reads = 0
        """XREAD calls made (subtracted from the commands-per-task figure)."""

    def _tail(self, stream: str) -> str:
        """The newest entry's id now ("$" would miss what arrives before the first read)."""
        newest: Any = self._redis.xrevrange(stream, count=1)
        return newest[0][0].decode() if newest else "0-0"

    def wait(self, ids: Iterable[str], timeout: float) -> None:
        """Until every id completed; AssertionError naming the missing count otherwise."""
        wanted = set(ids)
        deadline = time.monotonic() + timeout
        while not wanted <= self.done | self.failed:
            left = deadline - time.monotonic()
            if left <= 0:
                missing = len(wanted - self.done - self.failed)
                raise AssertionError(
                    f"{missing} of {len(wanted)} tasks unfinished after {timeout}s"
                )
            self.poll(block_ms=int(min(left, 1.0) * 1000) or 1)
        if wanted & self.failed:
            raise AssertionError(f"{len(wanted & self.failed)} tasks failed")

    def poll(self, block_ms: int = 0) -> int:
        """Read what arrived (waiting up to ``block_ms``); how many outcomes were new."""
        response: Any = self._redis.xread(self._last, count=5000, block=block_ms)  # type: ignore[arg-type]
        self.reads += 1
        new = 0
        for stream, entries in response or []:
            name = stream.decode() if isinstance(stream, bytes) else stream
            for entry_id, fields in entries:
                self._last[name] = entry_id
                headers = orjson.loads(fields[b"__data__"])["headers"]
                target = self.failed if name == self._failed_stream else self.done
                target.add(headers["correlation_id"])
                new += 1
        return new


def timings(client: redis.Redis, prefix: str, ids: list[str]) -> dict[str, tuple[float, float]]:
    """(succeeded-at, visible-at) of each task: the worker's event time and the moment the
    projector made the record SUCCESS."""
    pipe = client.pipeline(transaction=False)
    for task_id in ids:
        pipe.hmget(f"{prefix}task:{task_id}", "ts", "projected_at")
    out = {}
    for task_id, (ts, projected) in zip(ids, pipe.execute(), strict=True):
        if ts and projected:
            out[task_id] = (float(ts), float(projected))
    return out
