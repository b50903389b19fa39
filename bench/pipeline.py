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
import os
import signal
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from bench.measure import memory_mb
from bench.report import report
from bench.run import Bench, progress, stop, store_session, wait_ready, warm_up
from bench.scenarios import run_anchor, run_events, run_http, run_paced, run_reads
from bench.soak import SOAK_ENV, run_soak
from tests.conftest import cleanup, isolated_env
from tests.stack import Stack

SCENARIOS = ("anchor", "events", "http", "paced", "reads")
PIPELINE = ("gateway", "dispatcher", "projector")
"""The services this system adds to plain Celery (the worker is common to both)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
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
    args.chosen = chosen
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    namespace = f"b{uuid.uuid4().hex[:8]}"
    tmp = Path("var/bench") / namespace
    tmp.mkdir(parents=True, exist_ok=True)
    env = {
        **isolated_env(args.redis_url, namespace, tmp),
        "SUMMARIZER_ENGINE": "fake",
        "WORKER_CONCURRENCY": args.worker_concurrency,
        "GATEWAY_WORKERS": args.gateway_workers,
        "LOG_LEVEL": "WARNING",
        # every request names the same candidate: the benchmark measures the pipeline,
        # not the cap (the bench key has no rate limit either)
        "MAX_ACTIVE_PER_CANDIDATE": "0",
        **(SOAK_ENV if args.soak else {}),
    }
    stack = Stack(env, tmp)

    def interrupted(signum: int, _: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    bench = Bench(args, env, stack)
    figures = Figures()
    try:
        progress(f"starting the worker (namespace {namespace}, logs in {tmp})")
        stack.start("worker")
        store_session(env)
        warm_up(bench, pipeline=False)
        run_bursts(bench, figures)
        run_the_rest(bench, figures)
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
    report(args, bench, figures.results, figures.reads, figures.soak)
    return 0


@dataclass
class Figures:
    results: list[dict[str, Any]] = field(default_factory=list)
    reads: list[dict[str, Any]] = field(default_factory=list)
    soak: dict[str, Any] | None = None


def run_bursts(bench: Bench, figures: Figures) -> None:
    """The anchor (plain Celery, the pipeline's services stopped) and the bursts through
    the pipeline, round after round."""
    args, stack, chosen = bench.args, bench.stack, bench.args.chosen
    for round_ in range(1, args.rounds + 1):
        suffix = f" #{round_}" if args.rounds > 1 else ""
        if "anchor" in chosen:
            if round_ > 1:  # plain Celery runs without them, as the guide has it
                progress("stopping gateway, dispatcher, projector")
                stop(stack, names=PIPELINE)
            progress(f"anchor{suffix}: {args.n} tasks")
            anchor = run_anchor(bench, args.n, suffix)
            figures.results.append(anchor | {"rss_mb": memory_mb(stack), "round": round_})
        if round_ == 1 or "anchor" in chosen:
            progress("starting gateway, dispatcher, projector")
            stack.start(*PIPELINE)
            wait_ready(stack, "dispatcher", "projector")
            warm_up(bench, pipeline=True)
        for name, burst in (("events", run_events), ("http", run_http)):
            if name in chosen:
                progress(f"{name}{suffix}: {args.n} tasks")
                result = burst(bench, args.n, suffix)
                figures.results.append(result | {"rss_mb": memory_mb(stack), "round": round_})


def run_the_rest(bench: Bench, figures: Figures) -> None:
    """The paced loads, the status reads and the soak."""
    args, chosen = bench.args, bench.args.chosen
    paced = f"{args.rate:g}/s for {args.duration:g} s"
    runs: list[tuple[str, str, Callable[[], dict[str, Any]]]] = [
        ("paced", f"paced events: {paced}", lambda: run_paced(bench, "events")),
        ("paced", f"paced http: {paced}", lambda: run_paced(bench, "http")),
    ]
    for name, what, run in runs:
        if name in chosen:
            progress(what)
            figures.results.append(run() | {"rss_mb": memory_mb(bench.stack)})
    if "reads" in chosen:
        progress(f"status reads: {args.read_rate:g}/s, then closed loop, {args.duration:g} s each")
        figures.reads = run_reads(bench)
    if args.soak:
        progress(f"soak: {args.soak} tasks, at most {args.soak_window} unfinished")
        figures.soak = run_soak(bench, args.soak, args.soak_window)


if __name__ == "__main__":
    sys.exit(main())
