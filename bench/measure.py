"""What a benchmark run measures of the system under test: Redis commands and round
trips, each service's CPU time and memory (from ``/proc``), latency percentiles."""

import os
from pathlib import Path
from typing import NamedTuple

import redis

from tests.stack import Stack


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


def local_redis_pid(r: redis.Redis) -> int:
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
